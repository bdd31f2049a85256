//! Problems found in a manifest, each tied to a check id and, where there is one, a place in the
//! file. Rendered with miette so every problem reads `file:line:column` with the line and a caret.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};

use crate::spanned::Source;

/// A byte range in a [`Source`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }
}

/// `Error` fails the check it belongs to; `Warning` only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One problem in a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The catalog id of the check this problem fails or warns.
    pub check: &'static str,
    pub severity: Severity,
    pub message: String,
    /// What to change.
    pub help: Option<String>,
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn error(check: &'static str, message: impl Into<String>) -> Self {
        Self {
            check,
            severity: Severity::Error,
            message: message.into(),
            help: None,
            span: None,
        }
    }

    pub fn warning(check: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(check, message)
        }
    }

    pub fn at(mut self, span: impl Into<Option<Span>>) -> Self {
        self.span = span.into();
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

/// The problems found in one source, in the order of the text (then by check id), so that the
/// same manifest always reads the same way.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub source: Source,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new(source: Source, mut items: Vec<Diagnostic>) -> Self {
        items.sort_by(|a, b| {
            let position = |d: &Diagnostic| d.span.map_or(usize::MAX, |s| s.offset);
            position(a)
                .cmp(&position(b))
                .then_with(|| a.check.cmp(b.check))
                .then_with(|| a.message.cmp(&b.message))
        });
        Self { source, items }
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// `file:line:column` of a diagnostic, or just the file name when it has no span.
    pub fn location(&self, diagnostic: &Diagnostic) -> String {
        match diagnostic.span {
            Some(span) => {
                let (line, column) = self.source.line_column(span.offset);
                format!("{}:{line}:{column}", self.source.name)
            }
            None => self.source.name.clone(),
        }
    }

    /// Renders every diagnostic: a `file:line:column` headline, then the line with a caret and
    /// what to change.
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for diagnostic in &self.items {
            let kind = match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out.push_str(&format!(
                "{}: {kind}[{}]: {}\n",
                self.location(diagnostic),
                diagnostic.check,
                diagnostic.message
            ));
            let report = Rendered {
                diagnostic,
                source: NamedSource::new(&self.source.name, mask_secret_values(&self.source.text)),
            };
            let mut rendered = String::new();
            if handler.render_report(&mut rendered, &report).is_ok() {
                out.push_str(&rendered);
            }
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl std::error::Error for Diagnostics {}

/// Key names whose values are secret.
const SECRET_KEYS: [&str; 4] = ["password", "salt", "secret", "token"];

/// The text with the value of every secret-looking key (`"password": "..."`, `auth-token: ...`)
/// replaced by `*`s of the same byte length, so that snippets shown around a problem never
/// print a secret and every span still points at the same place. A key is read as the format
/// reads it (`"pass\u0077ord"` is `password`), and its value is found wherever it sits: on the
/// key's line, on the lines after it, or in a YAML block scalar.
pub fn mask_secret_values(text: &str) -> String {
    let mut masked = text.as_bytes().to_vec();
    for (colon, _) in text.match_indices(':') {
        let Some(key) = key_before(text, colon) else {
            continue;
        };
        let key = key.to_lowercase();
        if !SECRET_KEYS.iter().any(|word| key.contains(word)) {
            continue;
        }
        for range in value_after(text, colon) {
            for byte in &mut masked[range] {
                if *byte != b'\n' {
                    *byte = b'*';
                }
            }
        }
    }
    String::from_utf8(masked).unwrap_or_default()
}

/// The key a `:` at `colon` ends, decoded: a quoted key (JSON escapes read), or a bare one.
fn key_before(text: &str, colon: usize) -> Option<String> {
    let before = text[..colon].trim_end();
    let bytes = before.as_bytes();
    let last = *bytes.last()?;
    if last == b'"' || last == b'\'' {
        let mut open = bytes.len() - 1;
        loop {
            open = before[..open].rfind(last as char)?;
            let backslashes = bytes[..open]
                .iter()
                .rev()
                .take_while(|b| **b == b'\\')
                .count();
            if last == b'\'' || backslashes % 2 == 0 {
                break;
            }
        }
        let quoted = &before[open..];
        if let (b'"', Ok(key)) = (last, serde_json::from_str::<String>(quoted)) {
            return Some(key);
        }
        return Some(quoted.trim_matches(last as char).to_string());
    }
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
        .map_or(0, |at| {
            at + before[at..].chars().next().map_or(1, char::len_utf8)
        });
    (start < before.len()).then(|| before[start..].to_string())
}

/// Where the value of the key ending at `colon` lies: a quoted string's contents, the rest of
/// an unquoted (YAML) line, or the lines of a block scalar; nothing for a nested block.
fn value_after(text: &str, colon: usize) -> Vec<std::ops::Range<usize>> {
    let rest = &text[colon + 1..];
    let start = colon + 1 + (rest.len() - rest.trim_start().len());
    let Some(first) = text[start..].chars().next() else {
        return Vec::new();
    };
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |end| from + end);
    match first {
        '"' | '\'' => {
            let mut end = start + 1;
            let mut escaped = false;
            for (at, c) in text[start + 1..].char_indices() {
                end = start + 1 + at;
                match c {
                    '\\' if first == '"' && !escaped => escaped = true,
                    '\n' => break,
                    c if c == first && !escaped => break,
                    _ => escaped = false,
                }
                end += c.len_utf8();
            }
            std::iter::once(start + 1..end).collect()
        }
        '{' | '[' => Vec::new(),
        '|' | '>' => {
            // A block scalar: every following line indented deeper than the key's.
            let key_line = text[..colon].rfind('\n').map_or(0, |at| at + 1);
            let indent = |line: &str| line.len() - line.trim_start_matches(' ').len();
            let key_indent = indent(&text[key_line..colon]);
            let mut ranges = Vec::new();
            let mut line_start = line_end(start) + 1;
            while line_start < text.len() {
                let end = line_end(line_start);
                let line = &text[line_start..end];
                if !line.trim().is_empty() && indent(line) <= key_indent {
                    break;
                }
                ranges.push(line_start..end);
                line_start = end + 1;
            }
            ranges
        }
        _ => {
            let end = line_end(start);
            let value = text[start..end].trim_end().trim_end_matches(',');
            std::iter::once(start..start + value.len()).collect()
        }
    }
}

struct Rendered<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<String>,
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rendered")
            .field("diagnostic", self.diagnostic)
            .finish()
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Rendered<'_> {}

impl miette::Diagnostic for Rendered<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.diagnostic
            .span
            .map(|_| &self.source as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.diagnostic.span?;
        let label = LabeledSpan::new_with_span(
            Some("here".into()),
            SourceSpan::new(span.offset.into(), span.len),
        );
        Some(Box::new(std::iter::once(label)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_column_and_help() {
        let source = Source::new("addon-manifest.json", "{\n  \"id\": \"\"\n}\n");
        let diagnostics = Diagnostics::new(
            source,
            vec![
                Diagnostic::error("manifest.id", "`id` is blank")
                    .at(Span::new(10, 2))
                    .help("set `id` to your add-on's slug"),
            ],
        );
        let text = diagnostics.render(false);
        assert!(
            text.starts_with("addon-manifest.json:2:9: error[manifest.id]: `id` is blank\n"),
            "{text}"
        );
        assert!(text.contains("set `id` to your add-on's slug"), "{text}");
        assert!(text.contains("\"id\": \"\""), "{text}");
    }

    #[test]
    fn snippets_never_show_secret_values() {
        let text = "{\n  \"password\": \"hunter2\",\n  \"sso_salt\": \"pepper\\\"x\",\n  \"regions\": []\n}\nauth-token: abc123\n";
        let masked = mask_secret_values(text);
        let one_line =
            mask_secret_values(r#"{"password": "hunter2", "sso_salt": "pepper", "id": "x"}"#);
        assert_eq!(
            one_line,
            r#"{"password": "*******", "sso_salt": "******", "id": "x"}"#
        );
        assert_eq!(masked.len(), text.len());
        for secret in ["hunter2", "pepper", "abc123"] {
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert!(masked.contains("\"regions\": []"));
        assert!(masked.contains("\"password\": \"*******\""), "{masked}");
        let source = Source::new("m.json", text);
        let rendered = Diagnostics::new(
            source,
            vec![
                Diagnostic::error("manifest.regions", "empty")
                    .at(Span::new(text.find("[]").unwrap(), 2)),
            ],
        )
        .render(false);
        assert!(
            !rendered.contains("hunter2") && !rendered.contains("pepper"),
            "{rendered}"
        );
    }

    #[test]
    fn secrets_are_masked_wherever_their_value_sits() {
        let cases = [
            ("{\n  \"password\":\n    \"hunter2\"\n}", "hunter2"),
            ("{\"pass\\u0077ord\": \"hunter2\"}", "hunter2"),
            ("{\"sso_salt\"\n  : \"pepper99\"}", "pepper99"),
            ("api:\n  password:\n    hunter2\n  id: x\n", "hunter2"),
            (
                "sso_secret: |\n  line-one-secret\n  line-two-secret\nid: x\n",
                "line-",
            ),
            ("auth_token: 'quoted-secret'\n", "quoted-secret"),
        ];
        for (text, secret) in cases {
            let masked = mask_secret_values(text);
            assert_eq!(masked.len(), text.len());
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        let kept = mask_secret_values("sso_secret: |\n  s3cr3t\nid: my-addon\nurl: https://x\n");
        assert!(kept.contains("id: my-addon\nurl: https://x"), "{kept}");
    }

    #[test]
    fn orders_by_position_then_id() {
        let source = Source::new("m.json", "{}");
        let diagnostics = Diagnostics::new(
            source,
            vec![
                Diagnostic::warning("manifest.urls", "b"),
                Diagnostic::error("manifest.id", "a").at(Span::new(1, 1)),
                Diagnostic::error("manifest.credentials", "c"),
            ],
        );
        let order: Vec<_> = diagnostics.items.iter().map(|d| d.check).collect();
        assert_eq!(
            order,
            ["manifest.id", "manifest.credentials", "manifest.urls"]
        );
    }
}
