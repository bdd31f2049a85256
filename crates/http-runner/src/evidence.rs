//! Turning requests and responses into report evidence: redacted records and curl commands.
//!
//! Redaction works two ways so that neither can miss what the other catches: every known secret
//! string is replaced wherever it appears, and every value whose name says it is secret (a
//! `token`, `password`, `salt`, `secret` field, an `Authorization` header) is replaced whatever it
//! holds.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use base64::Engine as _;

use manifest_core::Report;
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

/// Words that, followed by `=` or `:` in free text, introduce a secret value: a URL's
/// `token=...` quoted in a transport error, `password: ...` echoed by a provider.
const SECRET_WORDS: [&str; 5] = ["token", "password", "secret", "salt", "signature"];

/// How long a message in a report may be; the rest is left out, and the message says how much.
pub const MESSAGE_LIMIT: usize = 4 * 1024;

/// Replaces secrets in everything that leaves the engine.
///
/// Clones share one list of secrets, and the list grows: besides the manifest's secrets, every
/// secret the engine itself sends (the Basic header, a minted SSO token, a signed URL's token,
/// a generated API token) is learnt by the transport before it goes out ([`Redactor::learn`]),
/// so a provider that echoes it back cannot make it appear in any message, error or report.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Arc<RwLock<Vec<String>>>,
}

impl Redactor {
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let redactor = Self::default();
        for secret in secrets {
            redactor.add(secret);
        }
        redactor
    }

    pub fn add(&self, secret: &Secret) {
        self.add_text(secret.expose());
    }

    fn add_text(&self, secret: &str) {
        // One- and two-character "secrets" would shred every text they appear in; the rules on
        // the manifest already fail such passwords.
        if secret.len() < 3 {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        let mut add = |text: String| {
            if !secrets.contains(&text) {
                secrets.push(text);
            }
        };
        add(secret.to_string());
        // The forms a secret takes on the wire and in URLs are secrets too.
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        if encoded != secret {
            add(encoded);
        }
        // Longest first, so a secret that contains another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Learns every secret a request carries before it is sent: its credentials (and the
    /// base64 form of Basic ones), and the values of secret-named headers, query parameters,
    /// form fields and JSON fields.
    pub fn learn(&self, request: &HttpRequest) {
        match &request.credentials {
            Some(Credentials::Basic { username, password }) => {
                self.add(password);
                let pair = format!("{username}:{}", password.expose());
                self.add_text(&base64::engine::general_purpose::STANDARD.encode(&pair));
                self.add_text(&pair);
            }
            Some(Credentials::Header { token, .. }) => self.add(token),
            // A probe's value is shown as sent, unless it is derived from the real secret (a
            // truncated or case-changed password): then it is as secret as what it came from.
            Some(Credentials::Forged { value, shown, .. }) if value.expose() != shown => {
                self.add(value);
                if let Some((scheme, encoded)) = value.expose().split_once(' ') {
                    self.add_text(encoded);
                    // What a provider may echo of a Basic probe is its decoded pair.
                    let decoded = scheme
                        .eq_ignore_ascii_case("basic")
                        .then(|| {
                            base64::engine::general_purpose::STANDARD
                                .decode(encoded)
                                .ok()
                        })
                        .flatten()
                        .and_then(|bytes| String::from_utf8(bytes).ok());
                    if let Some(decoded) = decoded {
                        self.add_text(&decoded);
                        if let Some((_, password)) = decoded.split_once(':') {
                            self.add_text(password);
                        }
                    }
                }
            }
            Some(Credentials::Forged { .. }) | None => {}
        }
        for (name, value) in &request.headers {
            if is_secret_name(name) {
                self.add_text(value);
                if let Some((_, rest)) = value.split_once(' ') {
                    self.add_text(rest);
                }
            }
        }
        for (name, value) in request.url.query_pairs() {
            if is_secret_name(&name) {
                self.add_text(&value);
            }
        }
        if let (Some(password), false) = (request.url.password(), request.url.username().is_empty())
        {
            self.add_text(password);
        }
        match &request.body {
            Body::Empty => {}
            Body::Form(fields) => {
                for (name, value) in fields {
                    if is_secret_name(name) {
                        self.add_text(value);
                    }
                }
            }
            Body::Json(json) => self.learn_json(json),
            // A probe's fixed text holds nothing secret.
            Body::MalformedJson(_) => {}
        }
    }

    fn learn_json(&self, value: &serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        serde_json::Value::String(text) if is_secret_name(key) => {
                            self.add_text(text);
                        }
                        other => self.learn_json(other),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|item| self.learn_json(item)),
            _ => {}
        }
    }

    /// The text with every known secret replaced, and whatever follows a secret word
    /// (`token=`, `password:`) or sits in a URL's `user:password@` replaced too.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        {
            let secrets = self.secrets.read().unwrap_or_else(PoisonError::into_inner);
            for secret in secrets.iter() {
                if text.contains(secret.as_str()) {
                    text = text.replace(secret.as_str(), REDACTED);
                }
            }
        }
        redact_patterns(&text)
    }

    /// Every string of a report through [`Redactor::redact`], with overlong messages cut:
    /// the one boundary every renderer's input passes through.
    pub fn redact_report(&self, report: &mut Report) {
        report.target = self.redact(&report.target);
        for check in &mut report.checks {
            check.message = limit(self.redact(&check.message), MESSAGE_LIMIT);
            for exchange in &mut check.exchanges {
                self.redact_exchange(exchange);
            }
            if let Some(reproduction) = &mut check.reproduction {
                *reproduction = self.redact_json_text(reproduction);
            }
        }
        for leftover in &mut report.leftovers {
            leftover.id = self.redact(&leftover.id);
            leftover.reason = limit(self.redact(&leftover.reason), MESSAGE_LIMIT);
        }
    }

    pub(crate) fn redact_exchange(&self, exchange: &mut Exchange) {
        let request = &mut exchange.request;
        request.url = self.redact(&request.url);
        request.body = self.redact(&request.body);
        for value in request.headers.values_mut() {
            *value = self.redact(value);
        }
        if let Some(response) = &mut exchange.response {
            response.body = self.redact(&response.body);
            for value in response.headers.values_mut() {
                *value = self.redact(value);
            }
        }
        if let Some(error) = &mut exchange.error {
            *error = self.redact(error);
        }
        exchange.curl = self.redact(&exchange.curl);
    }

    /// Every string in a JSON value through [`Redactor::redact`], keys left alone.
    fn redact_json_text(&self, value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => serde_json::Value::Object(
                map.iter()
                    .map(|(key, value)| (key.clone(), self.redact_json_text(value)))
                    .collect(),
            ),
            serde_json::Value::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|item| self.redact_json_text(item))
                    .collect(),
            ),
            serde_json::Value::String(text) => serde_json::Value::String(self.redact(text)),
            other => other.clone(),
        }
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
    /// A JSON body is written only until it exceeds `limit` bytes, since the caller cuts the
    /// rest: an answer of 80 000 config vars costs the redaction of the few it keeps, not of
    /// every one, on each of the run's exchanges.
    pub fn redact_body(&self, body: &[u8], limit: usize) -> String {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(json) if json.is_object() || json.is_array() => {
                let mut out = String::new();
                self.write_redacted_json(&json, &mut out, limit);
                out
            }
            _ => self.redact(&String::from_utf8_lossy(body)),
        }
    }

    /// Appends `value` as JSON, redacted as [`Redactor::redact_json`] would, until `out` holds
    /// more than `limit` bytes: then what it holds is the start of the whole. Each string is
    /// redacted whole before it is written, so a cut never leaves part of a secret.
    fn write_redacted_json(&self, value: &serde_json::Value, out: &mut String, limit: usize) {
        let string = |out: &mut String, text: &str| {
            out.push_str(&serde_json::Value::from(text).to_string());
        };
        match value {
            serde_json::Value::Object(map) => {
                out.push('{');
                for (index, (key, value)) in map.iter().enumerate() {
                    if out.len() > limit {
                        return;
                    }
                    if index > 0 {
                        out.push(',');
                    }
                    string(out, key);
                    out.push(':');
                    if is_secret_name(key) && !value.is_object() {
                        string(out, REDACTED);
                    } else {
                        self.write_redacted_json(value, out, limit);
                    }
                }
                if out.len() <= limit {
                    out.push('}');
                }
            }
            serde_json::Value::Array(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if out.len() > limit {
                        return;
                    }
                    if index > 0 {
                        out.push(',');
                    }
                    self.write_redacted_json(item, out, limit);
                }
                if out.len() <= limit {
                    out.push(']');
                }
            }
            serde_json::Value::String(text) => string(out, &self.redact(text)),
            other => out.push_str(&other.to_string()),
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
            Body::MalformedJson(text) => (*text).to_string(),
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
        if matches!(request.body, Body::Json(_) | Body::MalformedJson(_)) {
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
                let mut body = self.redact_body(&response.body, REPORT_BODY_LIMIT);
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
            Body::Json(_) | Body::MalformedJson(_) => {
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

/// `text` cut to at most `limit` bytes (at a character boundary), saying how much was left out.
pub fn limit(mut text: String, limit: usize) -> String {
    if text.len() <= limit {
        return text;
    }
    let mut cut = limit;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let left_out = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("… ({left_out} more bytes left out)"));
    text
}

/// Replaces what follows a secret word and `=` or `:` (up to a delimiter), and the password of
/// any `scheme://user:password@` in the text.
fn redact_patterns(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for word in SECRET_WORDS {
        for (at, _) in lower.match_indices(word) {
            let mut start = at + word.len();
            // `auth_token`, `sso_salt`: the word may end a longer name, not start a value.
            while start < bytes.len()
                && (bytes[start].is_ascii_alphanumeric() || bytes[start] == b'_')
            {
                start += 1;
            }
            // `token=x`, or a JSON member `"password": "x"` (also escaped inside a string);
            // a bare `token: x` is prose ("a stale token: answered 200"), not a value.
            let mut cursor = start;
            if bytes.get(cursor) == Some(&b'=') {
                cursor += 1;
            } else {
                let quoted =
                    |at: usize| bytes.get(at) == Some(&b'"') || bytes[at..].starts_with(b"\\\"");
                if !quoted(cursor) {
                    continue;
                }
                cursor += if bytes[cursor] == b'"' { 1 } else { 2 };
                while bytes.get(cursor) == Some(&b' ') {
                    cursor += 1;
                }
                if bytes.get(cursor) != Some(&b':') {
                    continue;
                }
                cursor += 1;
                while bytes.get(cursor) == Some(&b' ') {
                    cursor += 1;
                }
                if !quoted(cursor) {
                    continue;
                }
                cursor += if bytes[cursor] == b'"' { 1 } else { 2 };
            }
            let value_start = cursor;
            while cursor < bytes.len()
                && !matches!(
                    bytes[cursor],
                    b'&' | b'"'
                        | b'\\'
                        | b'\''
                        | b','
                        | b';'
                        | b' '
                        | b'\n'
                        | b'\r'
                        | b'\t'
                        | b'}'
                        | b')'
                        | b'<'
                        | b'>'
                )
            {
                cursor += 1;
            }
            let value = &text[value_start..cursor];
            if value.len() >= 3 && value != REDACTED && value != "%5BREDACTED%5D" {
                ranges.push(value_start..cursor);
            }
        }
    }
    for (at, _) in text.match_indices("://") {
        let authority_start = at + 3;
        let authority_end = text[authority_start..]
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == '"' || c == '\''
            })
            .map_or(text.len(), |end| authority_start + end);
        let authority = &text[authority_start..authority_end];
        let userinfo = authority
            .rfind('@')
            .and_then(|at_sign| Some((authority[..at_sign].find(':')?, at_sign)));
        if let Some((colon, at_sign)) = userinfo {
            let password = authority_start + colon + 1..authority_start + at_sign;
            if !password.is_empty() && &text[password.clone()] != REDACTED {
                ranges.push(password);
            }
        }
    }
    if ranges.is_empty() {
        return text.to_string();
    }
    ranges.sort_by_key(|range| range.start);
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    for range in ranges {
        if range.start < position {
            continue;
        }
        out.push_str(&text[position..range.start]);
        out.push_str(REDACTED);
        position = range.end;
    }
    out.push_str(&text[position..]);
    out
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
            "http://127.0.0.1:1/resources".parse().unwrap(),
        )
        .header("Accept", "application/json")
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
        assert!(curl.ends_with("http://127.0.0.1:1/resources"), "{curl}");
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
    fn a_json_body_is_redacted_only_as_far_as_it_is_kept() {
        let redactor = redactor();
        let body = json!({
            "a": [1, true, null, {"token": "t0ken-value", "nested": {"salt": {"x": "salty-salt"}}}],
            "config": (0..2000)
                .map(|key| (format!("K{key}"), json!(format!("s3cret-pass-{key}"))))
                .collect::<serde_json::Map<_, _>>(),
        })
        .to_string();
        let whole = redactor.redact_body(body.as_bytes(), usize::MAX);
        let reparsed: serde_json::Value = serde_json::from_str(&whole).unwrap();
        assert_eq!(reparsed["a"][3]["token"], "[REDACTED]");
        assert_eq!(reparsed["a"][3]["nested"]["salt"]["x"], "[REDACTED]");
        assert_eq!(reparsed["config"]["K7"], "[REDACTED]-7");
        let kept = redactor.redact_body(body.as_bytes(), 1000);
        assert!(kept.len() > 1000 && kept.len() < 1100, "{}", kept.len());
        assert!(
            whole.starts_with(&kept),
            "what is kept is the start of the whole"
        );
        assert!(!kept.contains("s3cret-pass") && !kept.contains("t0ken-value"));
    }

    #[test]
    fn probes_are_shown_as_sent_and_derived_ones_masked() {
        let real = Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret-pass"),
        };
        let url: url::Url = "http://127.0.0.1:1/resources".parse().unwrap();
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
    fn secrets_learnt_from_requests_are_redacted_everywhere() {
        let redactor = Redactor::default();
        let request = HttpRequest::new(
            Method::Get,
            "http://127.0.0.1:1/sso?id=1&token=minted-sso-token&timestamp=2"
                .parse()
                .unwrap(),
        )
        .credentials(Credentials::Basic {
            username: "myaddon".into(),
            password: Secret::new("s3cret-pass"),
        });
        redactor.learn(&request);
        let basic = base64::engine::general_purpose::STANDARD.encode("myaddon:s3cret-pass");
        let echoed =
            format!("invalid credentials myaddon:s3cret-pass ({basic}) for minted-sso-token");
        let redacted = redactor.clone().redact(&echoed);
        for secret in ["s3cret-pass", basic.as_str(), "minted-sso-token"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        assert!(
            redacted.starts_with("invalid credentials [REDACTED]"),
            "{redacted}"
        );
    }

    #[test]
    fn values_after_secret_words_and_url_passwords_are_redacted_unseen() {
        let redactor = Redactor::default();
        let error = "error sending request for url (http://h/sso?id=1&token=abc123&t=2): refused";
        assert_eq!(
            redactor.redact(error),
            "error sending request for url (http://h/sso?id=1&token=[REDACTED]&t=2): refused"
        );
        assert_eq!(
            redactor.redact("http://ops:hunter22@h/x"),
            "http://ops:[REDACTED]@h/x"
        );
        assert_eq!(
            redactor.redact(r#"{"api_token": "tok-9", "plan": "test"}"#),
            r#"{"api_token": "[REDACTED]", "plan": "test"}"#
        );
        let prose = "login with a stale token: answered 200";
        assert_eq!(redactor.redact(prose), prose);
    }

    #[test]
    fn long_messages_say_how_much_was_left_out() {
        let cut = limit("x".repeat(5000), 4096);
        assert!(cut.starts_with(&"x".repeat(4096)));
        assert!(cut.ends_with("(904 more bytes left out)"), "{cut}");
    }

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote("plain"), "plain");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
