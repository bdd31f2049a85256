//! Reading `manifest.json` into the neutral [`Manifest`]. Only an unreadable file is an error
//! here; every other problem is left for the rules, so the model is filled as well as the file
//! allows.

use manifest_core::{
    Credentials, Diagnostic, Diagnostics, Endpoints, JsonDocument, Manifest, Plan, Platform,
    Secret, Source, Span, SsoTransport,
};
use serde_json::Value;
use url::Url;

pub(crate) fn load(source: Source) -> Result<Manifest, Diagnostics> {
    let document = JsonDocument::parse(source)?;
    let Some(top) = document.value.as_object() else {
        let diagnostic = Diagnostic::error(
            "manifest.parse",
            format!(
                "the manifest is {}, not an object",
                describe(&document.value)
            ),
        )
        .at(opening(&document, ""))
        .help(
            "write the manifest as one JSON object with `name`, the credentials, the URLs and \
             the plans; `init` prints a skeleton",
        );
        return Err(Diagnostics::new(document.source, vec![diagnostic]));
    };

    let sso_salt = top
        .get("sso_salt")
        .and_then(Value::as_str)
        .filter(|salt| !salt.trim().is_empty())
        .map(Secret::new);
    let manifest = Manifest {
        platform: Platform::Scalingo,
        id: text(top.get("name")),
        credentials: Credentials::Basic {
            username: text(top.get("username")),
            password: Secret::new(text(top.get("password"))),
        },
        sso_salt,
        test: endpoints(top.get("test")),
        production: endpoints(top.get("production")),
        config_vars: strings(top.get("config_vars")),
        config_prefix: None,
        plans: plans(top.get("plans")),
        regions: Vec::new(),
        requires: Vec::new(),
        log_drain: top.get("log_drain") == Some(&Value::Bool(true)),
        document,
    };
    Ok(manifest)
}

/// An environment's endpoints, when its `base_url` is usable; the rules report the URLs that are
/// not. A missing or broken `sso_url` only means no single sign-on.
fn endpoints(value: Option<&Value>) -> Option<Endpoints> {
    let urls = value?.as_object()?;
    let base_url = web_url(urls.get("base_url")?.as_str()?).ok()?;
    let sso_url = urls
        .get("sso_url")
        .and_then(Value::as_str)
        .and_then(|url| web_url(url).ok());
    Some(Endpoints {
        base_url,
        sso_url,
        sso_transport: SsoTransport::Get,
    })
}

/// The plans that have a string name, each with its `options` object (empty when it has none).
fn plans(value: Option<&Value>) -> Vec<Plan> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?.to_owned();
                    let options = item
                        .get("options")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default();
                    Some(Plan { name, options })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parses a URL Scalingo could call: absolute, http or https, with a host. `Err` says what is
/// wrong, without repeating the URL (it may hold credentials).
pub(crate) fn web_url(text: &str) -> Result<Url, &'static str> {
    if text.trim().is_empty() {
        return Err("is empty");
    }
    if text.trim() != text {
        return Err("has whitespace around it");
    }
    let url = Url::parse(text).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => "is not an absolute URL",
        url::ParseError::EmptyHost => "has no host",
        _ => "is not a valid URL",
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("is not an http or https URL");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    Ok(url)
}

fn text(value: Option<&Value>) -> String {
    value.and_then(Value::as_str).unwrap_or_default().to_owned()
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A JSON value's kind with its article, for messages ("a number", "an array").
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first character of the value at `pointer`: a short place to point at for a whole object
/// (pointing at all of it would underline the entire file).
pub(crate) fn opening(document: &JsonDocument, pointer: &str) -> Option<Span> {
    document
        .value_span(pointer)
        .map(|span| Span::new(span.offset, span.len.min(1)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn load_text(text: &str) -> Manifest {
        load(Source::new("manifest.json", text)).expect("readable manifest")
    }

    #[test]
    fn reads_every_field_into_the_model() {
        let manifest = load_text(
            r#"{"name": "reference-db", "username": "scalingo", "password": "pw",
                "sso_salt": "salt", "log_drain": true,
                "config_vars": ["REFERENCE_DB_URL", 7],
                "production": {"base_url": "https://db.example/scalingo/resources",
                               "sso_url": "https://db.example/sso"},
                "test": {"base_url": "http://127.0.0.1:4567/scalingo/resources/"},
                "plans": [{"name": "free", "price": 0},
                          {"name": "pro", "options": {"size": "large"}},
                          {"name": 3}, "premium"]}"#,
        );
        assert_eq!(manifest.platform, Platform::Scalingo);
        assert_eq!(manifest.id, "reference-db");
        assert_eq!(
            manifest.credentials,
            Credentials::Basic {
                username: "scalingo".into(),
                password: Secret::new("pw")
            }
        );
        assert_eq!(manifest.sso_salt, Some(Secret::new("salt")));
        assert_eq!(manifest.config_vars, ["REFERENCE_DB_URL"]);
        assert_eq!(manifest.config_prefix, None);
        assert!(manifest.regions.is_empty());
        assert!(manifest.requires.is_empty());
        assert!(manifest.log_drain);
        assert_eq!(
            manifest.plans,
            [
                Plan {
                    name: "free".into(),
                    options: serde_json::Map::new()
                },
                Plan {
                    name: "pro".into(),
                    options: json!({"size": "large"}).as_object().unwrap().clone()
                }
            ]
        );
        let production = manifest.production.unwrap();
        assert_eq!(production.sso_transport, SsoTransport::Get);
        assert_eq!(
            production.base_url.as_str(),
            "https://db.example/scalingo/resources"
        );
        assert_eq!(
            production.sso_url.unwrap().as_str(),
            "https://db.example/sso"
        );
        let test = manifest.test.unwrap();
        assert_eq!(
            test.base_url.as_str(),
            "http://127.0.0.1:4567/scalingo/resources/"
        );
        assert_eq!(test.sso_url, None);
    }

    #[test]
    fn only_a_literal_true_asks_for_a_log_drain() {
        for value in ["false", "\"true\"", "1", "null"] {
            let manifest = load_text(&format!(r#"{{"log_drain": {value}}}"#));
            assert!(!manifest.log_drain, "{value}");
        }
        assert!(!load_text("{}").log_drain);
    }

    #[test]
    fn fills_what_it_can_from_a_broken_manifest() {
        let manifest = load_text(
            r#"{"name": 3, "username": ["u"], "password": 1, "sso_salt": " ",
                "config_vars": "X", "plans": {"name": "free"},
                "production": {"base_url": "/scalingo/resources"}, "test": "http://x.example"}"#,
        );
        assert_eq!(manifest.id, "");
        assert_eq!(
            manifest.credentials,
            Credentials::Basic {
                username: String::new(),
                password: Secret::new("")
            }
        );
        assert_eq!(manifest.sso_salt, None);
        assert!(manifest.config_vars.is_empty());
        assert!(manifest.plans.is_empty());
        assert_eq!(manifest.production, None);
        assert_eq!(manifest.test, None);
    }

    #[test]
    fn a_broken_sso_url_only_drops_single_sign_on() {
        let manifest =
            load_text(r#"{"test": {"base_url": "http://127.0.0.1:4567/r", "sso_url": "/sso"}}"#);
        let test = manifest.test.unwrap();
        assert_eq!(test.base_url.as_str(), "http://127.0.0.1:4567/r");
        assert_eq!(test.sso_url, None);
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        for text in ["[1, 2]", "\"addon\"", "null", "3"] {
            let error = load(Source::new("m.json", text)).unwrap_err();
            assert_eq!(error.items.len(), 1);
            assert_eq!(error.items[0].check, "manifest.parse");
            assert_eq!(error.items[0].span, Some(Span::new(0, 1)));
        }
    }

    #[test]
    fn passes_syntax_errors_through() {
        let error = load(Source::new("m.json", "{\"name\": \"x\",}")).unwrap_err();
        assert_eq!(error.items[0].check, "manifest.parse");
    }

    #[test]
    fn web_urls_must_be_absolute_http_with_a_host() {
        assert!(web_url("https://db.example/scalingo/resources").is_ok());
        assert!(web_url("http://127.0.0.1:4567").is_ok());
        assert_eq!(web_url(""), Err("is empty"));
        assert_eq!(web_url("  "), Err("is empty"));
        assert_eq!(
            web_url(" https://x.example"),
            Err("has whitespace around it")
        );
        assert_eq!(web_url("/resources"), Err("is not an absolute URL"));
        assert_eq!(web_url("//cdn.example/r"), Err("is not an absolute URL"));
        assert_eq!(
            web_url("localhost:4567"),
            Err("is not an http or https URL")
        );
        assert_eq!(
            web_url("ftp://x.example"),
            Err("is not an http or https URL")
        );
        assert_eq!(web_url("http://"), Err("has no host"));
        assert_eq!(web_url("http://[::1"), Err("is not a valid URL"));
    }
}
