//! The rules for `config.yaml`: what bitrise-addon-test demanded (the three keys set), made
//! stricter where it let mistakes through (blank values, numbers where a secret belongs, URLs
//! that are not absolute, a shared token sent in the clear to another machine). Each problem is
//! tied to a catalog check and points at the line to change; secrets never appear in a message.

use manifest_core::json_values::describe;
use manifest_core::names::{closest, quoted};
use manifest_core::spanned::child_pointer;
use manifest_core::urls::web_url;
use manifest_core::{Diagnostic, JsonDocument, Manifest, Span};
use serde_json::{Map, Value};
use url::{Host, Url};

const KEYS: &[&str] = &["addon-url", "auth-token", "sso-secret"];

pub(crate) fn findings(manifest: &Manifest) -> Vec<Diagnostic> {
    let document = &manifest.document;
    let Some(top) = document.value.as_object() else {
        return vec![
            Diagnostic::error(
                "manifest.parse",
                format!(
                    "the config is {}, not a mapping of keys to values",
                    describe(&document.value)
                ),
            )
            .at(document.opening_span(""))
            .help("write `addon-url`, `auth-token` and `sso-secret`, one per line"),
        ];
    };
    let mut rules = Rules {
        document,
        top,
        found: Vec::new(),
    };
    rules.addon_url();
    rules.secret(
        "manifest.credentials",
        "auth-token",
        "set `auth-token` to a long random string: Bitrise sends it in the `Authentication` \
         header of every provisioning call, and nothing else may",
    );
    rules.secret(
        "manifest.sso-salt",
        "sso-secret",
        "set `sso-secret` to a long random string shared with Bitrise; login tokens are hashes \
         of the app slug, this secret and a timestamp",
    );
    rules.found
}

struct Rules<'a> {
    document: &'a JsonDocument,
    top: &'a Map<String, Value>,
    found: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn error(&mut self, check: &'static str, span: Option<Span>, message: String, help: &str) {
        self.found
            .push(Diagnostic::error(check, message).at(span).help(help));
    }

    /// Where to point for a key that is not there: at a misspelling of it when there is one,
    /// else at the start of the file. The help says which key was probably meant.
    fn missing(&mut self, check: &'static str, key: &str, help: &str) {
        let misspelt = self
            .top
            .keys()
            .filter(|written| !KEYS.contains(&written.as_str()))
            .find(|written| closest(written, KEYS) == Some(key));
        match misspelt {
            Some(written) => {
                let span = self.document.key_span(&child_pointer("", written));
                let message = format!(
                    "`{key}` is missing; {} looks like a misspelling",
                    quoted(written)
                );
                self.error(
                    check,
                    span,
                    message,
                    &format!(
                        "rename {} to `{key}`: Bitrise reads no other spelling",
                        quoted(written)
                    ),
                );
            }
            None => {
                let span = self.document.opening_span("");
                self.error(check, span, format!("`{key}` is missing"), help);
            }
        }
    }

    /// A key whose value must be a non-blank string. The value never appears in a message: it
    /// is a secret.
    fn secret(&mut self, check: &'static str, key: &str, help: &str) {
        let pointer = child_pointer("", key);
        match self.top.get(key) {
            None => self.missing(check, key, help),
            Some(Value::Null) => {
                let span = self.document.key_span(&pointer);
                self.error(check, span, format!("`{key}` is empty"), help);
            }
            Some(Value::String(text)) if text.trim().is_empty() => {
                let span = self.document.value_span(&pointer);
                self.error(check, span, format!("`{key}` is blank"), help);
            }
            Some(Value::String(_)) => {}
            Some(scalar @ (Value::Number(_) | Value::Bool(_))) => {
                let span = self.document.value_span(&pointer);
                self.error(
                    check,
                    span,
                    format!("`{key}` is {}, not a string", describe(scalar)),
                    "put the value in quotes: YAML reads unquoted digits as a number (`0123` \
                     becomes 123) and words such as `true` as booleans",
                );
            }
            Some(other) => {
                let span = self.document.value_span(&pointer);
                self.error(
                    check,
                    span,
                    format!("`{key}` is {}, not a string", describe(other)),
                    help,
                );
            }
        }
    }

    fn addon_url(&mut self) {
        const KEY: &str = "addon-url";
        const HELP: &str = "set `addon-url` to the root your add-on serves `/provision` and \
                            `/login` under, e.g. `http://localhost:4567`";
        let pointer = child_pointer("", KEY);
        let span = self.document.value_span(&pointer);
        let text = match self.top.get(KEY) {
            None => return self.missing("manifest.urls", KEY, HELP),
            Some(Value::Null) => {
                let span = self.document.key_span(&pointer);
                return self.error("manifest.urls", span, format!("`{KEY}` is empty"), HELP);
            }
            Some(Value::String(text)) => text,
            Some(other) => {
                let message = format!("`{KEY}` is {}, not a URL", describe(other));
                return self.error("manifest.urls", span, message, HELP);
            }
        };
        let url = match web_url(text) {
            Ok(url) => url,
            Err(reason) => {
                return self.error("manifest.urls", span, format!("`{KEY}` {reason}"), HELP);
            }
        };
        if url.query().is_some() || url.fragment().is_some() {
            self.error(
                "manifest.urls",
                span,
                format!("`{KEY}` has a query or a fragment"),
                "remove everything from `?` or `#` on: Bitrise appends `/provision` and `/login` \
                 to the URL",
            );
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            self.error(
                "manifest.urls.https",
                span,
                format!("`{KEY}` is plain http to another machine"),
                "use https: the shared token and login tokens would cross the network in the \
                 clear (plain http is fine for a server on this machine, such as `localhost`)",
            );
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use manifest_core::{Diagnostics, Source};

    use super::*;
    use crate::manifest::load;

    const GOOD: &str =
        "addon-url: http://localhost:4567\nauth-token: 0123abcd\nsso-secret: \"s3cret\"\n";

    fn check(text: &str) -> Vec<(&'static str, String, (usize, usize))> {
        let manifest = load(Source::new("config.yaml", text)).expect("readable");
        let diagnostics = Diagnostics::new(manifest.document.source.clone(), findings(&manifest));
        diagnostics
            .items
            .iter()
            .map(|item| {
                let place = item
                    .span
                    .map_or((0, 0), |span| diagnostics.source.line_column(span.offset));
                (item.check, item.message.clone(), place)
            })
            .collect()
    }

    #[test]
    fn a_complete_config_has_no_findings() {
        assert!(check(GOOD).is_empty());
        assert!(
            check(&GOOD.replace("http://localhost:4567", "https://addon.example/b")).is_empty()
        );
        assert!(check(&GOOD.replace("localhost", "127.0.0.1")).is_empty());
        assert!(check(&GOOD.replace("localhost", "[::1]")).is_empty());
    }

    #[test]
    fn missing_keys_point_at_the_file_or_at_a_misspelling() {
        let found = check("addon-url: http://localhost:4567\nauth_token: abc\n");
        assert_eq!(
            found,
            [
                (
                    "manifest.sso-salt",
                    "`sso-secret` is missing".to_owned(),
                    (1, 1)
                ),
                (
                    "manifest.credentials",
                    "`auth-token` is missing; \"auth_token\" looks like a misspelling".to_owned(),
                    (2, 1)
                ),
            ]
        );
        let empty = check("other: 1\n");
        let checks: Vec<_> = empty.iter().map(|(check, _, _)| *check).collect();
        assert_eq!(
            checks,
            ["manifest.credentials", "manifest.sso-salt", "manifest.urls"]
        );
    }

    #[test]
    fn empty_blank_and_mistyped_values_are_errors() {
        let found = check("addon-url:\nauth-token: ''\nsso-secret: 0123\n");
        assert_eq!(
            found,
            [
                ("manifest.urls", "`addon-url` is empty".to_owned(), (1, 1)),
                (
                    "manifest.credentials",
                    "`auth-token` is blank".to_owned(),
                    (2, 13)
                ),
                (
                    "manifest.sso-salt",
                    "`sso-secret` is a number, not a string".to_owned(),
                    (3, 13)
                ),
            ]
        );
        let found = check(&GOOD.replace("0123abcd", "[a, b]"));
        assert_eq!(found[0].1, "`auth-token` is an array, not a string");
        let found = check(&GOOD.replace("\"s3cret\"", "true"));
        assert_eq!(found[0].1, "`sso-secret` is a boolean, not a string");
    }

    #[test]
    fn urls_must_be_absolute_http_and_tls_off_this_machine() {
        for (url, check_id, message) in [
            (
                "/bitrise",
                "manifest.urls",
                "`addon-url` is not an absolute URL",
            ),
            (
                "ftp://x.example",
                "manifest.urls",
                "`addon-url` is not an http or https URL",
            ),
            (
                "https://x.example/b?env=test",
                "manifest.urls",
                "`addon-url` has a query or a fragment",
            ),
            (
                "http://addon.example",
                "manifest.urls.https",
                "`addon-url` is plain http to another machine",
            ),
            ("42", "manifest.urls", "`addon-url` is a number, not a URL"),
        ] {
            let found = check(&GOOD.replace("http://localhost:4567", url));
            assert_eq!(found.len(), 1, "{url}: {found:?}");
            assert_eq!(
                (found[0].0, found[0].1.as_str()),
                (check_id, message),
                "{url}"
            );
            assert_eq!(found[0].2, (1, 12), "{url}");
        }
    }

    #[test]
    fn secrets_never_appear_in_messages() {
        let text = "addon-url: ftp://x.example\nauth-token: 12345\nsso-secret: [s3cret]\n";
        for (_, message, _) in check(text) {
            assert!(
                !message.contains("12345") && !message.contains("s3cret"),
                "{message}"
            );
        }
    }

    #[test]
    fn what_is_not_a_mapping_stops_the_rules() {
        let document = JsonDocument::parse(Source::new("config.json", "[1]")).unwrap();
        let manifest = Manifest {
            document,
            ..load(Source::new("config.yaml", GOOD)).unwrap()
        };
        let found = findings(&manifest);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].check, "manifest.parse");
    }
}
