//! Reading `config.yaml` into the [`JsonDocument`] every rule works on: the YAML tree in JSON
//! form, with the place of every key and value by JSON pointer. A file named `*.json` is read as
//! strict JSON instead, with the JSON reader's own errors.

use std::collections::HashMap;

use manifest_core::spanned::{Location, child_pointer};
use manifest_core::{Diagnostic, Diagnostics, JsonDocument, Source, Span};
use saphyr::{LoadableYamlNode, MarkedYaml, Scalar, YamlData};
use serde_json::{Map, Number, Value};

/// Reads the file: strict JSON when its name ends in `.json`, YAML otherwise (which also reads
/// most JSON). `Err` only when the text cannot be read as a document at all.
pub(crate) fn parse(source: Source) -> Result<JsonDocument, Diagnostics> {
    if source.name.to_ascii_lowercase().ends_with(".json") {
        return JsonDocument::parse(source);
    }
    let documents = match MarkedYaml::load_from_str(&source.text) {
        Ok(documents) => documents,
        Err(error) => {
            let offsets = Offsets::of(&source.text);
            let diagnostic =
                Diagnostic::error("manifest.parse", format!("invalid YAML: {}", error.info()))
                    .at(Span::new(offsets.byte(error.marker().index()), 0))
                    .help(
                        "write one YAML mapping of `addon-url`, `auth-token` and `sso-secret`; \
                 `init --platform bitrise` prints a skeleton",
                    );
            return Err(Diagnostics::new(source, vec![diagnostic]));
        }
    };
    let mut documents = documents.into_iter();
    let Some(root) = documents.next() else {
        let diagnostic = Diagnostic::error("manifest.parse", "the file is empty").help(
            "write `addon-url`, `auth-token` and `sso-secret`; `init --platform bitrise` prints \
             a skeleton",
        );
        return Err(Diagnostics::new(source, vec![diagnostic]));
    };
    let mut reader = Reader {
        offsets: Offsets::of(&source.text),
        text: &source.text,
        locations: HashMap::new(),
        problems: Vec::new(),
    };
    if let Some(second) = documents.next() {
        let at = reader.span(&second);
        reader.problems.push(
            Diagnostic::error(
                "manifest.parse",
                "the file holds more than one YAML document",
            )
            .at(Span::new(at.offset, 0))
            .help("keep a single document: remove the `---` and everything after it"),
        );
    }
    let value = reader.convert(&root, String::new(), None);
    let Reader {
        locations,
        problems,
        ..
    } = reader;
    if !problems.is_empty() {
        return Err(Diagnostics::new(source, problems));
    }
    Ok(JsonDocument::from_parts(source, value, locations))
}

/// The byte offset of every character, since the YAML reader counts characters.
struct Offsets(Vec<usize>);

impl Offsets {
    fn of(text: &str) -> Self {
        let mut offsets: Vec<usize> = text.char_indices().map(|(at, _)| at).collect();
        offsets.push(text.len());
        Self(offsets)
    }

    fn byte(&self, char_index: usize) -> usize {
        self.0
            .get(char_index)
            .or(self.0.last())
            .copied()
            .unwrap_or_default()
    }
}

struct Reader<'t> {
    offsets: Offsets,
    text: &'t str,
    locations: HashMap<String, Location>,
    problems: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn span(&self, node: &MarkedYaml<'_>) -> Span {
        let start = self.offsets.byte(node.span.start.index());
        let end = self.offsets.byte(node.span.end.index()).max(start);
        Span::new(start, end - start)
    }

    fn convert(&mut self, node: &MarkedYaml<'_>, pointer: String, key: Option<Span>) -> Value {
        let span = self.span(node);
        self.locations
            .insert(pointer.clone(), Location { key, value: span });
        match &node.data {
            YamlData::Value(scalar) => scalar_value(scalar, || self.text_at(span)),
            YamlData::Representation(text, _, _) => Value::String(text.to_string()),
            YamlData::Tagged(_, inner) => self.convert(inner, pointer, key),
            YamlData::Sequence(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| self.convert(item, format!("{pointer}/{index}"), None))
                    .collect(),
            ),
            YamlData::Mapping(entries) => {
                let mut map = Map::new();
                for (key_node, value_node) in entries {
                    let key_span = self.span(key_node);
                    let Some(name) = self.key_name(key_node, key_span) else {
                        continue;
                    };
                    if map.contains_key(&name) {
                        self.problems.push(
                            Diagnostic::error("manifest.parse", format!("duplicate key `{name}`"))
                                .at(key_span)
                                .help("keep one of the two; readers disagree on which one wins"),
                        );
                        continue;
                    }
                    let value =
                        self.convert(value_node, child_pointer(&pointer, &name), Some(key_span));
                    map.insert(name, value);
                }
                Value::Object(map)
            }
            YamlData::Alias(_) => {
                self.problems.push(
                    Diagnostic::error("manifest.parse", "an alias this reader cannot follow")
                        .at(span)
                        .help("write the value itself instead of `*name`"),
                );
                Value::Null
            }
            YamlData::BadValue => {
                self.problems.push(
                    Diagnostic::error("manifest.parse", "a value YAML cannot read as its tag says")
                        .at(span)
                        .help("remove the `!!` tag or write a value of that type"),
                );
                Value::Null
            }
        }
    }

    /// A mapping key as JSON writes it: strings as they are, other scalars as written
    /// (`1: x` has the key `1`). Keys that are mappings or sequences are reported.
    fn key_name(&mut self, key: &MarkedYaml<'_>, span: Span) -> Option<String> {
        match &key.data {
            YamlData::Value(Scalar::String(name)) => Some(name.to_string()),
            YamlData::Value(_) | YamlData::Representation(..) => Some(self.text_at(span)),
            YamlData::Tagged(_, inner) => self.key_name(inner, span),
            _ => {
                self.problems.push(
                    Diagnostic::error("manifest.parse", "a key that is not a plain name")
                        .at(span)
                        .help("write every key as a plain name, such as `addon-url`"),
                );
                None
            }
        }
    }

    fn text_at(&self, span: Span) -> String {
        self.text
            .get(span.offset..span.offset + span.len)
            .unwrap_or_default()
            .trim()
            .to_owned()
    }
}

/// A YAML scalar as JSON: numbers that JSON cannot hold (`.inf`, `.nan`) keep their text.
fn scalar_value(scalar: &Scalar<'_>, written: impl FnOnce() -> String) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(flag) => Value::Bool(*flag),
        Scalar::Integer(number) => Value::Number((*number).into()),
        Scalar::FloatingPoint(number) => Number::from_f64(number.into_inner())
            .map_or_else(|| Value::String(written()), Value::Number),
        Scalar::String(text) => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(text: &str) -> JsonDocument {
        parse(Source::new("config.yaml", text)).expect("readable")
    }

    fn error(name: &str, text: &str) -> Diagnostics {
        parse(Source::new(name, text)).expect_err("unreadable")
    }

    fn written(document: &JsonDocument, span: Option<Span>) -> &str {
        let span = span.expect("located");
        &document.source.text[span.offset..span.offset + span.len]
    }

    #[test]
    fn reads_values_with_their_places() {
        let text = "addon-url: http://é.example/x\nauth-token: \"t0k\"\nlist: [1, true, ~, 2.5]\n";
        let document = read(text);
        assert_eq!(
            document.value,
            json!({"addon-url": "http://é.example/x", "auth-token": "t0k",
                   "list": [1, true, null, 2.5]})
        );
        assert_eq!(
            written(&document, document.value_span("/addon-url")),
            "http://é.example/x"
        );
        assert_eq!(
            written(&document, document.key_span("/auth-token")),
            "auth-token"
        );
        assert_eq!(
            written(&document, document.value_span("/auth-token")),
            "\"t0k\""
        );
        assert_eq!(written(&document, document.value_span("/list/3")), "2.5");
        let token = document.value_span("/auth-token").unwrap();
        assert_eq!(document.source.line_column(token.offset), (2, 13));
    }

    #[test]
    fn reads_json_as_yaml_and_strict_json_by_name() {
        let text = r#"{"addon-url": "http://x.example", "auth-token": "t"}"#;
        assert_eq!(read(text).value["auth-token"], "t");
        let strict = parse(Source::new("config.json", text)).unwrap();
        assert_eq!(strict.value, read(text).value);
        let lenient = r#"{"addon-url": "http://x.example",}"#;
        assert!(parse(Source::new("config.yaml", lenient)).is_ok());
        let refused = error("config.json", lenient);
        assert!(
            refused.items[0].message.starts_with("invalid JSON"),
            "{refused}"
        );
    }

    #[test]
    fn scalars_keep_their_yaml_types() {
        let document =
            read("a: 0123\nb: '0123'\nc: yes\nd: .inf\ne: !!str 12\nf: |\n  two\n  lines\n");
        assert_eq!(
            document.value,
            json!({"a": 123, "b": "0123", "c": "yes", "d": ".inf", "e": "12",
                   "f": "two\nlines\n"})
        );
    }

    #[test]
    fn non_string_keys_are_named_as_written() {
        let document = read("1: one\ntrue: yes\n");
        assert_eq!(document.value, json!({"1": "one", "true": "yes"}));
    }

    #[test]
    fn syntax_errors_point_at_their_line() {
        let broken = error("config.yaml", "addon-url: http://x\nauth-token: [1,\n");
        let item = &broken.items[0];
        assert_eq!(item.check, "manifest.parse");
        assert!(
            item.message.starts_with("invalid YAML: "),
            "{}",
            item.message
        );
        let (line, _) = broken.source.line_column(item.span.unwrap().offset);
        assert_eq!(line, 3);
    }

    #[test]
    fn duplicate_keys_are_refused_where_the_second_one_is() {
        for text in ["a: 1\na: 2\n", "1: a\n\"1\": b\n"] {
            let duplicate = error("config.yaml", text);
            let item = &duplicate.items[0];
            assert_eq!(item.check, "manifest.parse", "{text}");
            assert_eq!(
                duplicate.source.line_column(item.span.unwrap().offset),
                (2, 1),
                "{text}"
            );
        }
    }

    #[test]
    fn empty_files_several_documents_and_odd_keys_are_refused() {
        for text in ["", "# only a comment\n"] {
            let empty = error("config.yaml", text);
            assert_eq!(empty.items[0].message, "the file is empty");
        }
        let two = error("config.yaml", "a: 1\n---\nb: 2\n");
        assert_eq!(
            two.items[0].message,
            "the file holds more than one YAML document"
        );
        let complex = error("config.yaml", "? [a, b]\n: c\n");
        assert_eq!(complex.items[0].message, "a key that is not a plain name");
        let bad = error("config.yaml", "a: !!int nope\n");
        assert_eq!(
            bad.items[0].message,
            "a value YAML cannot read as its tag says"
        );
    }
}
