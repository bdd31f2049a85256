//! Reading `manifest.json` into the neutral [`Manifest`]. Only an unreadable file is an error
//! here; every other problem is left for the rules, so the model is filled as well as the file
//! allows.

use manifest_core::json_values::{describe, string_items, string_or_empty};
use manifest_core::urls::web_url;
use manifest_core::{
    Credentials, Diagnostic, Diagnostics, Endpoints, JsonDocument, Manifest, Plan, Secret, Source,
    SsoTransport,
};
use serde_json::Value;

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
        .at(document.opening_span(""))
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
        platform: crate::PLATFORM,
        id: string_or_empty(top.get("name")),
        credentials: Credentials::Basic {
            username: string_or_empty(top.get("username")),
            password: Secret::new(string_or_empty(top.get("password"))),
        },
        sso_salt,
        test: endpoints(top.get("test")),
        production: endpoints(top.get("production")),
        config_vars: string_items(top.get("config_vars")),
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

#[cfg(test)]
mod tests {
    use manifest_core::Span;
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
        assert_eq!(manifest.platform, crate::PLATFORM);
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
}
