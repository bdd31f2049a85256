//! Turning requests and responses into report evidence: redacted records and curl commands.
//!
//! Redaction works two ways so that neither can miss what the other catches: every known secret
//! string is replaced wherever it appears, and every value whose name says it is secret (a
//! `token`, `password`, `salt`, `secret` field, an `Authorization` header) is replaced whatever it
//! holds.

use std::collections::BTreeMap;
use std::time::Duration;

use manifest_core::http::{Body, HttpRequest, HttpResponse};
use manifest_core::report::{Exchange, RequestRecord, ResponseRecord};
use manifest_core::secret::REDACTED;
use manifest_core::{Credentials, Secret};

/// How much of a response body a report keeps.
const REPORT_BODY_LIMIT: usize = 16 * 1024;

/// Names whose values are secret whatever they hold.
fn is_secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "token",
        "password",
        "secret",
        "salt",
        "authorization",
        "authentication",
        "cookie",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// Replaces secrets in everything that leaves the engine.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut redactor = Self::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    pub fn add(&mut self, secret: &Secret) {
        // One- and two-character "secrets" would shred every text they appear in; the rules on
        // the manifest already fail such passwords.
        if secret.expose().len() >= 3 && !self.secrets.iter().any(|s| s == secret.expose()) {
            self.secrets.push(secret.expose().to_string());
            // Longest first, so a secret that contains another is replaced whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        text
    }

    fn redact_json(&self, value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(key, value)| {
                        let value = if is_secret_name(key) && !value.is_object() {
                            serde_json::Value::String(REDACTED.into())
                        } else {
                            self.redact_json(value)
                        };
                        (key.clone(), value)
                    })
                    .collect(),
            ),
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(|item| self.redact_json(item)).collect())
            }
            serde_json::Value::String(text) => serde_json::Value::String(self.redact(text)),
            other => other.clone(),
        }
    }

    fn redact_pairs(&self, pairs: &[(String, String)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(key, value)| {
                let value = if is_secret_name(key) {
                    REDACTED.to_string()
                } else {
                    self.redact(value)
                };
                (key.clone(), value)
            })
            .collect()
    }

    /// The URL with secret query parameters and known secrets replaced.
    pub fn redact_url(&self, url: &url::Url) -> String {
        if url.query().is_none() {
            return self.redact(url.as_str());
        }
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut redacted = url.clone();
        redacted
            .query_pairs_mut()
            .clear()
            .extend_pairs(self.redact_pairs(&pairs));
        self.redact(redacted.as_str())
    }

    /// A response body as text, secrets replaced: JSON structurally, anything else textually.
    pub fn redact_body(&self, body: &[u8]) -> String {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) if json.is_object() || json.is_array() => {
                serde_json::to_string(&self.redact_json(&json)).unwrap_or_default()
            }
            _ => self.redact(&String::from_utf8_lossy(body)),
        }
    }

    fn redact_headers<'a>(
        &self,
        headers: impl Iterator<Item = (&'a str, &'a str)>,
    ) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            let value = if is_secret_name(name) {
                REDACTED.to_string()
            } else {
                self.redact(value)
            };
            out.entry(name.to_ascii_lowercase())
                .and_modify(|existing| {
                    existing.push_str(", ");
                    existing.push_str(&value);
                })
                .or_insert(value);
        }
        out
    }

    fn request_body(&self, body: &Body) -> String {
        match body {
            Body::Empty => String::new(),
            Body::Json(json) => serde_json::to_string(&self.redact_json(json)).unwrap_or_default(),
            Body::Form(fields) => {
                let mut serializer = url::form_urlencoded::Serializer::new(String::new());
                for (key, value) in self.redact_pairs(fields) {
                    serializer.append_pair(&key, &value);
                }
                // Keep the marker readable rather than percent-encoded.
                serializer.finish().replace("%5BREDACTED%5D", REDACTED)
            }
        }
    }

    /// The evidence record of one exchange.
    pub fn exchange(
        &self,
        request: &HttpRequest,
        outcome: Result<&HttpResponse, &str>,
        elapsed: Duration,
    ) -> Exchange {
        let mut headers: Vec<(&str, &str)> = request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let auth_header;
        match &request.credentials {
            Some(Credentials::Basic { .. }) => headers.push(("Authorization", "Basic")),
            Some(Credentials::Header { name, .. }) => {
                auth_header = name.clone();
                headers.push((auth_header.as_str(), ""));
            }
            Some(Credentials::Forged { .. }) | None => {}
        }
        if matches!(request.body, Body::Json(_)) {
            headers.push(("Content-Type", "application/json"));
        } else if matches!(request.body, Body::Form(_)) {
            headers.push(("Content-Type", "application/x-www-form-urlencoded"));
        }
        let mut headers = self.redact_headers(headers.into_iter());
        // A probe's value is no secret and is shown, past the by-name redaction of its header;
        // the known secrets are still replaced in it.
        if let Some(Credentials::Forged { header, shown, .. }) = &request.credentials {
            headers.insert(header.to_ascii_lowercase(), self.redact(shown));
        }
        let record = RequestRecord {
            method: request.method.as_str().to_string(),
            url: self.redact_url(&request.url),
            headers,
            body: self.request_body(&request.body),
        };
        let (response, error) = match outcome {
            Ok(response) => {
                let mut body = self.redact_body(&response.body);
                let mut truncated = response.truncated;
                if body.len() > REPORT_BODY_LIMIT {
                    let mut cut = REPORT_BODY_LIMIT;
                    while !body.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    body.truncate(cut);
                    truncated = true;
                }
                (
                    Some(ResponseRecord {
                        status: response.status,
                        headers: self.redact_headers(
                            response
                                .headers
                                .iter()
                                .map(|(k, v)| (k.as_str(), v.as_str())),
                        ),
                        body,
                        truncated,
                    }),
                    None,
                )
            }
            Err(error) => (None, Some(self.redact(error))),
        };
        Exchange {
            curl: self.curl(request),
            request: record,
            response,
            error,
            duration_ms: elapsed.as_millis() as u64,
        }
    }

    /// The request as a curl command a user can paste (after putting their secret back).
    pub fn curl(&self, request: &HttpRequest) -> String {
        let mut parts = vec![
            "curl".to_string(),
            "-sS".to_string(),
            "-X".to_string(),
            request.method.as_str().to_string(),
        ];
        for (name, value) in &request.headers {
            let value = if is_secret_name(name) {
                REDACTED.to_string()
            } else {
                self.redact(value)
            };
            parts.push("-H".into());
            parts.push(shell_quote(&format!("{name}: {value}")));
        }
        match &request.credentials {
            Some(Credentials::Basic { username, .. }) => {
                parts.push("-u".into());
                parts.push(shell_quote(&format!(
                    "{}:{REDACTED}",
                    self.redact(username)
                )));
            }
            Some(Credentials::Header { name, .. }) => {
                parts.push("-H".into());
                parts.push(shell_quote(&format!("{name}: {REDACTED}")));
            }
            Some(Credentials::Forged { header, shown, .. }) => {
                parts.push("-H".into());
                parts.push(shell_quote(&format!("{header}: {}", self.redact(shown))));
            }
            None => {}
        }
        match &request.body {
            Body::Empty => {}
            Body::Json(_) => {
                parts.push("-H".into());
                parts.push(shell_quote("Content-Type: application/json"));
                parts.push("--data-raw".into());
                parts.push(shell_quote(&self.request_body(&request.body)));
            }
            Body::Form(fields) => {
                for (key, value) in self.redact_pairs(fields) {
                    parts.push("--data-urlencode".into());
                    parts.push(shell_quote(&format!("{key}={value}")));
                }
            }
        }
        parts.push(shell_quote(&self.redact_url(&request.url)));
        parts.join(" ")
    }
}

/// Quotes a word for POSIX shells.
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use manifest_core::http::Method;
    use serde_json::json;

    use super::*;

    fn redactor() -> Redactor {
        Redactor::new([&Secret::new("s3cret-pass"), &Secret::new("salty-salt")])
    }

    #[test]
    fn curl_never_shows_the_password() {
        let request = HttpRequest::new(
            Method::Post,
            "http://127.0.0.1:1/heroku/resources".parse().unwrap(),
        )
        .header("Accept", "application/vnd.heroku-addons+json; version=3")
        .json(json!({"uuid": "u-1", "note": "it's s3cret-pass", "log_drain_token": "t-123"}))
        .credentials(Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret-pass"),
        });
        let curl = redactor().curl(&request);
        assert!(!curl.contains("s3cret-pass"), "{curl}");
        assert!(!curl.contains("t-123"), "{curl}");
        assert!(curl.contains("-u 'myaddon:[REDACTED]'"), "{curl}");
        assert!(
            curl.contains(
                r#"'{"log_drain_token":"[REDACTED]","note":"it'\''s [REDACTED]","uuid":"u-1"}'"#
            ),
            "{curl}"
        );
        assert!(
            curl.ends_with("http://127.0.0.1:1/heroku/resources"),
            "{curl}"
        );
    }

    #[test]
    fn exchanges_redact_headers_bodies_and_query_tokens() {
        let request = HttpRequest::new(
            Method::Get,
            "http://h/sso?id=1&token=abc&timestamp=2".parse().unwrap(),
        );
        let response = HttpResponse {
            status: 200,
            headers: vec![("Set-Cookie".into(), "session=xyz".into())],
            body: br#"{"password":"anything","echo":"salty-salt"}"#.to_vec(),
            truncated: false,
            elapsed: Duration::from_millis(3),
        };
        let exchange = redactor().exchange(&request, Ok(&response), Duration::from_millis(3));
        let text = serde_json::to_string(&exchange).unwrap();
        for secret in ["abc", "xyz", "anything", "salty-salt"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
        assert!(
            exchange.request.url.contains("token=[REDACTED]")
                || exchange.request.url.contains("token=%5BREDACTED%5D")
        );
        assert!(exchange.request.url.contains("timestamp=2"));
    }

    #[test]
    fn probes_are_shown_as_sent_and_derived_ones_masked() {
        let real = Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret-pass"),
        };
        let url: url::Url = "http://127.0.0.1:1/heroku/resources".parse().unwrap();
        let mut shown = Vec::new();
        for forgery in real.forgeries() {
            let mut request = HttpRequest::new(Method::Delete, url.clone());
            request.credentials = forgery.credentials;
            let exchange = redactor().exchange(&request, Err("refused"), Duration::ZERO);
            let text = serde_json::to_string(&exchange).unwrap();
            for leak in ["s3cret-pass", "S3CRET-PASS", "s3cret-pas"] {
                assert!(!text.contains(leak), "{leak} leaked: {text}");
            }
            shown.push(exchange.curl);
        }
        use base64::Engine as _;
        let empty_password = base64::engine::general_purpose::STANDARD.encode("myaddon:");
        assert!(
            shown
                .iter()
                .any(|curl| curl.contains(&format!("-H 'Authorization: Basic {empty_password}'"))),
            "{shown:?}"
        );
        assert!(
            shown.iter().any(|curl| curl.contains(
                "Authorization: Basic base64(myaddon:[the password with its case changed, 11 characters])"
            )),
            "{shown:?}"
        );
    }

    #[test]
    fn the_suffixed_password_is_redacted_too() {
        assert_eq!(redactor().redact("s3cret-passx"), "[REDACTED]x");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("plain"), "plain");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
