//! JSON documents that remember where each value came from, so a rule about `/api/regions/2`
//! can point at `addon-manifest.json:7:18`.

use std::collections::HashMap;

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::common::Ranged;
use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
use serde_json::{Map, Number, Value};

use crate::diagnostics::{Diagnostic, Diagnostics, Span};

/// A named text: a manifest file, or an in-memory string in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line, column)
    }
}

/// Where a member sits in the text: its key (for objects) and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub key: Option<Span>,
    pub value: Span,
}

/// A parsed JSON document with a location for every value, addressed by JSON pointer
/// (RFC 6901: `""` is the root, `/api/regions/0` the first region).
#[derive(Debug, Clone)]
pub struct JsonDocument {
    pub source: Source,
    pub value: Value,
    locations: HashMap<String, Location>,
}

impl JsonDocument {
    /// Parses strict JSON (no comments, no trailing commas, no duplicate keys).
    pub fn parse(source: Source) -> Result<Self, Diagnostics> {
        let options = ParseOptions {
            allow_comments: false,
            allow_loose_object_property_names: false,
            allow_trailing_commas: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        };
        let parsed = match parse_to_ast(&source.text, &CollectOptions::default(), &options) {
            Ok(parsed) => parsed,
            Err(error) => {
                let range = error.range();
                let diagnostic = Diagnostic::error("manifest.parse", format!("invalid JSON: {}", error.kind()))
                    .at(Span::new(range.start, range.end.saturating_sub(range.start)))
                    .help("the manifest must be a single strict JSON object: no comments, no trailing commas");
                return Err(Diagnostics::new(source, vec![diagnostic]));
            }
        };
        let Some(root) = parsed.value else {
            let diagnostic = Diagnostic::error("manifest.parse", "the file is empty")
                .help("write a JSON object; `addon-conform init` prints a skeleton");
            return Err(Diagnostics::new(source, vec![diagnostic]));
        };
        let mut locations = HashMap::new();
        let mut duplicates = Vec::new();
        let value = convert(&root, String::new(), None, &mut locations, &mut duplicates);
        if !duplicates.is_empty() {
            return Err(Diagnostics::new(source, duplicates));
        }
        Ok(Self {
            source,
            value,
            locations,
        })
    }

    /// A document read by another parser (Bitrise's YAML config): its value in JSON form and
    /// where each of its values is written, by JSON pointer. Pointers without a location make
    /// rules about them point nowhere in particular.
    pub fn from_parts(source: Source, value: Value, locations: HashMap<String, Location>) -> Self {
        Self {
            source,
            value,
            locations,
        }
    }

    /// The value at a JSON pointer.
    pub fn get(&self, pointer: &str) -> Option<&Value> {
        self.value.pointer(pointer)
    }

    /// Where the value at `pointer` is written.
    pub fn value_span(&self, pointer: &str) -> Option<Span> {
        self.locations.get(pointer).map(|location| location.value)
    }

    /// The first character of the value at `pointer`: a short place to point at for a whole
    /// object (pointing at all of it would underline the entire file).
    pub fn opening_span(&self, pointer: &str) -> Option<Span> {
        self.value_span(pointer)
            .map(|span| Span::new(span.offset, span.len.min(1)))
    }

    /// Where the key of the member at `pointer` is written (falls back to its value).
    pub fn key_span(&self, pointer: &str) -> Option<Span> {
        self.locations
            .get(pointer)
            .map(|location| location.key.unwrap_or(location.value))
    }
}

/// Builds the JSON pointer of a child member.
pub fn child_pointer(parent: &str, key: &str) -> String {
    format!("{parent}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn span_of(range: jsonc_parser::common::Range) -> Span {
    Span::new(range.start, range.end - range.start)
}

fn convert(
    node: &ast::Value<'_>,
    pointer: String,
    key: Option<Span>,
    locations: &mut HashMap<String, Location>,
    duplicates: &mut Vec<Diagnostic>,
) -> Value {
    locations.insert(
        pointer.clone(),
        Location {
            key,
            value: span_of(node.range()),
        },
    );
    match node {
        ast::Value::StringLit(lit) => Value::String(lit.value.to_string()),
        ast::Value::NumberLit(lit) => lit
            .value
            .parse::<Number>()
            .map(Value::Number)
            .unwrap_or_else(|_| Value::String(lit.value.to_string())),
        ast::Value::BooleanLit(lit) => Value::Bool(lit.value),
        ast::Value::NullKeyword(_) => Value::Null,
        ast::Value::Array(array) => Value::Array(
            array
                .elements
                .iter()
                .enumerate()
                .map(|(index, element)| {
                    convert(
                        element,
                        format!("{pointer}/{index}"),
                        None,
                        locations,
                        duplicates,
                    )
                })
                .collect(),
        ),
        ast::Value::Object(object) => {
            let mut map = Map::new();
            for property in &object.properties {
                let name = property.name.as_str().to_string();
                let name_span = match &property.name {
                    ObjectPropName::String(lit) => span_of(lit.range),
                    ObjectPropName::Word(lit) => span_of(lit.range),
                };
                if map.contains_key(&name) {
                    duplicates.push(
                        Diagnostic::error("manifest.parse", format!("duplicate key `{name}`"))
                            .at(name_span)
                            .help("keep one of the two; JSON readers disagree on which one wins"),
                    );
                    continue;
                }
                let value = convert(
                    &property.value,
                    child_pointer(&pointer, &name),
                    Some(name_span),
                    locations,
                    duplicates,
                );
                map.insert(name, value);
            }
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_nested_values() {
        let text = "{\n  \"api\": {\n    \"regions\": [\"us\", \"eu\"]\n  }\n}\n";
        let doc = JsonDocument::parse(Source::new("m.json", text)).unwrap();
        let span = doc.value_span("/api/regions/1").unwrap();
        assert_eq!(&text[span.offset..span.offset + span.len], "\"eu\"");
        assert_eq!(doc.source.line_column(span.offset), (3, 23));
        let key = doc.key_span("/api/regions").unwrap();
        assert_eq!(&text[key.offset..key.offset + key.len], "\"regions\"");
    }

    #[test]
    fn openings_are_the_first_character_of_a_value() {
        let text = "{\"api\": {\"regions\": [\"us\"], \"blank\": \"\"}}";
        let doc = JsonDocument::parse(Source::new("m.json", text)).unwrap();
        assert_eq!(doc.opening_span(""), Some(Span::new(0, 1)));
        let api = doc.value_span("/api").unwrap();
        assert_eq!(doc.opening_span("/api"), Some(Span::new(api.offset, 1)));
        let regions = doc.opening_span("/api/regions").unwrap();
        assert_eq!(&text[regions.offset..regions.offset + regions.len], "[");
        let blank = doc.opening_span("/api/blank").unwrap();
        assert_eq!(&text[blank.offset..blank.offset + blank.len], "\"");
        assert_eq!(doc.opening_span("/api/missing"), None);
    }

    #[test]
    fn rejects_lenient_json_with_a_position() {
        let error = JsonDocument::parse(Source::new("m.json", "{\"id\": \"x\",}")).unwrap_err();
        let first = &error.items[0];
        assert_eq!(first.check, "manifest.parse");
        assert!(first.span.is_some());
    }

    #[test]
    fn rejects_duplicate_keys() {
        let error = JsonDocument::parse(Source::new("m.json", "{\"id\": \"a\", \"id\": \"b\"}"))
            .unwrap_err();
        assert!(error.items[0].message.contains("duplicate key `id`"));
        assert_eq!(
            error
                .source
                .line_column(error.items[0].span.unwrap().offset),
            (1, 13)
        );
    }

    #[test]
    fn documents_from_parts_answer_like_parsed_ones() {
        let text = "key: value\n";
        let locations = HashMap::from([
            (
                String::new(),
                Location {
                    key: None,
                    value: Span::new(0, text.len()),
                },
            ),
            (
                "/key".to_owned(),
                Location {
                    key: Some(Span::new(0, 3)),
                    value: Span::new(5, 5),
                },
            ),
        ]);
        let value = serde_json::json!({"key": "value"});
        let doc = JsonDocument::from_parts(Source::new("c.yaml", text), value, locations);
        assert_eq!(doc.get("/key"), Some(&Value::from("value")));
        assert_eq!(doc.value_span("/key"), Some(Span::new(5, 5)));
        assert_eq!(doc.key_span("/key"), Some(Span::new(0, 3)));
        assert_eq!(doc.opening_span(""), Some(Span::new(0, 1)));
        assert_eq!(doc.value_span("/missing"), None);
    }

    #[test]
    fn escapes_pointer_segments() {
        assert_eq!(child_pointer("/a", "b/c~d"), "/a/b~1c~0d");
    }
}
