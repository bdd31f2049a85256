//! Reading `addon-manifest.json` into the neutral [`Manifest`]. Only an unreadable file is an
//! error here; every other problem is left for the rules, so the model is filled as well as the
//! file allows.

use manifest_core::json_values::{describe, string_items, string_or_empty};
use manifest_core::urls::{below, web_url};
use manifest_core::{
    Credentials, Diagnostic, Diagnostics, Endpoints, JsonDocument, Manifest, Recognition, Secret,
    Source, SsoTransport,
};
use serde_json::Value;
use url::Url;

use crate::PLATFORM;
use crate::rules::{EVERY_REGION, REGIONS};

/// The feature in `api.requires` that asks for a log drain.
pub(crate) const SYSLOG_DRAIN: &str = "syslog_drain";

/// Keys only Heroku's manifests have: platforms that copied its shape left them out.
const OWN_API_KEYS: &[&str] = &["requires", "version", "config_vars_prefix"];
const OWN_TOP_LEVEL_KEYS: &[&str] = &["cli_plugin_name", "$schema"];

/// The shape is an object with `id` and an `api` object. Other platforms copied that shape, so
/// the file is Heroku's own only with what they left out: a URL under a `heroku` path segment
/// (the path kensa's legacy SSO requires), a Heroku region other than `eu` or the `*`
/// wildcard, or one of Heroku's own keys.
pub(crate) fn recognize(document: &Value) -> Recognition {
    let Some(api) = document.get("api").and_then(Value::as_object) else {
        return Recognition::Foreign;
    };
    if document.get("id").is_none() {
        return Recognition::Foreign;
    }
    let heroku_path = |url: &Value| {
        url.as_str()
            .and_then(|url| Url::parse(url).ok())
            .and_then(|url| {
                url.path_segments()
                    .map(|mut segments| segments.any(|segment| segment == "heroku"))
            })
            .unwrap_or(false)
    };
    let heroku_urls =
        ["production", "test"]
            .iter()
            .any(|environment| match api.get(*environment) {
                Some(Value::Object(endpoints)) => endpoints.values().any(heroku_path),
                Some(root) => heroku_path(root),
                None => false,
            });
    let heroku_regions = string_items(api.get("regions")).iter().any(|region| {
        region == EVERY_REGION || (region != "eu" && REGIONS.contains(&region.as_str()))
    });
    let own_keys = OWN_API_KEYS.iter().any(|key| api.contains_key(*key))
        || OWN_TOP_LEVEL_KEYS
            .iter()
            .any(|key| document.get(key).is_some());
    if heroku_urls || heroku_regions || own_keys {
        Recognition::Own
    } else {
        Recognition::Shape
    }
}

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
            "write the manifest as one JSON object with `id` and `api`; `init` prints a skeleton",
        );
        return Err(Diagnostics::new(document.source, vec![diagnostic]));
    };

    let api = top.get("api").and_then(Value::as_object);
    let api_field = |key: &str| api.and_then(|api| api.get(key));
    let id = string_or_empty(top.get("id"));
    let password = Secret::new(string_or_empty(api_field("password")));
    let sso_salt = api_field("sso_salt")
        .and_then(Value::as_str)
        .filter(|salt| !salt.trim().is_empty())
        .map(Secret::new);
    let requires = string_items(api_field("requires"));
    let manifest = Manifest {
        platform: PLATFORM,
        credentials: Credentials::Basic {
            username: id.clone(),
            password,
        },
        sso_salt,
        test: endpoints(api_field("test")),
        production: endpoints(api_field("production")),
        config_vars: string_items(api_field("config_vars")),
        config_prefix: config_prefix(&id, api_field("config_vars_prefix")),
        plans: Vec::new(),
        regions: string_items(api_field("regions")),
        log_drain: requires.iter().any(|feature| feature == SYSLOG_DRAIN),
        requires,
        id,
        document,
    };
    Ok(manifest)
}

/// The prefix every config var must start with, including its `_`: `config_vars_prefix`, or else
/// the id upper-cased with `-` turned into `_`.
pub(crate) fn config_prefix(id: &str, declared: Option<&Value>) -> Option<String> {
    match declared {
        Some(declared) => declared
            .as_str()
            .filter(|prefix| !prefix.is_empty())
            .map(|prefix| format!("{prefix}_")),
        None if id.is_empty() => None,
        None => Some(format!("{}_", id.to_uppercase().replace('-', "_"))),
    }
}

/// An environment's endpoints, when its URLs are usable; the rules report the ones that are not.
fn endpoints(value: Option<&Value>) -> Option<Endpoints> {
    match value? {
        Value::String(root) => {
            // The legacy form names only the provider's root; Heroku calls
            // `<root>/heroku/resources`.
            let root = web_url(root).ok()?;
            Some(Endpoints {
                base_url: below(&root, &["heroku", "resources"]),
                sso_url: None,
                sso_transport: SsoTransport::Get,
            })
        }
        Value::Object(urls) => {
            let base_url = web_url(urls.get("base_url")?.as_str()?).ok()?;
            let sso_url = urls
                .get("sso_url")
                .and_then(Value::as_str)
                .and_then(|url| web_url(url).ok());
            Some(Endpoints {
                base_url,
                sso_url,
                sso_transport: SsoTransport::Post,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use manifest_core::Span;

    use super::*;

    fn load_text(text: &str) -> Manifest {
        load(Source::new("addon-manifest.json", text)).expect("readable manifest")
    }

    #[test]
    fn reads_the_current_object_form() {
        let manifest = load_text(
            r#"{"id": "reference-db", "api": {
                "config_vars_prefix": "REFERENCE_DB",
                "config_vars": ["REFERENCE_DB_URL", 7],
                "password": "pw", "sso_salt": "salt",
                "regions": ["us", "eu"], "requires": ["syslog_drain"],
                "production": {"base_url": "https://db.example/heroku/resources",
                               "sso_url": "https://db.example/sso"},
                "test": {"base_url": "http://127.0.0.1:4567/heroku/resources/"}}}"#,
        );
        assert_eq!(manifest.id, "reference-db");
        assert_eq!(
            manifest.credentials,
            Credentials::Basic {
                username: "reference-db".into(),
                password: Secret::new("pw")
            }
        );
        assert_eq!(manifest.sso_salt, Some(Secret::new("salt")));
        assert_eq!(manifest.config_vars, ["REFERENCE_DB_URL"]);
        assert_eq!(manifest.config_prefix.as_deref(), Some("REFERENCE_DB_"));
        assert_eq!(manifest.regions, ["us", "eu"]);
        assert!(manifest.log_drain);
        let production = manifest.production.unwrap();
        assert_eq!(production.sso_transport, SsoTransport::Post);
        assert_eq!(
            production.sso_url.unwrap().as_str(),
            "https://db.example/sso"
        );
        let test = manifest.test.unwrap();
        assert_eq!(
            test.base_url.as_str(),
            "http://127.0.0.1:4567/heroku/resources/"
        );
        assert_eq!(test.sso_url, None);
    }

    #[test]
    fn reads_the_legacy_root_url_form() {
        for root in ["http://localhost:4567", "http://localhost:4567/"] {
            let manifest = load_text(&format!(
                r#"{{"id": "my-addon", "api": {{"test": "{root}", "production": "https://x.example/p/"}}}}"#
            ));
            let test = manifest.test.unwrap();
            assert_eq!(test.sso_transport, SsoTransport::Get);
            assert_eq!(test.sso_url, None);
            assert_eq!(
                test.base_url.as_str(),
                "http://localhost:4567/heroku/resources"
            );
            assert_eq!(
                manifest.production.unwrap().base_url.as_str(),
                "https://x.example/p/heroku/resources"
            );
            assert_eq!(manifest.config_prefix.as_deref(), Some("MY_ADDON_"));
            assert!(!manifest.log_drain);
        }
    }

    #[test]
    fn fills_what_it_can_from_a_broken_manifest() {
        let manifest = load_text(
            r#"{"id": 3, "api": {"password": 1, "sso_salt": " ", "regions": "us",
                "production": {"base_url": "/heroku/resources"}, "test": 4}}"#,
        );
        assert_eq!(manifest.id, "");
        assert_eq!(manifest.credentials.secret().expose(), "");
        assert_eq!(manifest.sso_salt, None);
        assert!(manifest.regions.is_empty());
        assert_eq!(manifest.production, None);
        assert_eq!(manifest.test, None);
        assert_eq!(manifest.config_prefix, None);
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
        let error = load(Source::new("m.json", "{\"id\": \"x\",}")).unwrap_err();
        assert_eq!(error.items[0].check, "manifest.parse");
    }

    #[test]
    fn derives_the_prefix() {
        assert_eq!(config_prefix("fast-db", None).as_deref(), Some("FAST_DB_"));
        assert_eq!(
            config_prefix("fast-db", Some(&Value::from("FDB"))).as_deref(),
            Some("FDB_")
        );
        assert_eq!(config_prefix("fast-db", Some(&Value::from(""))), None);
        assert_eq!(config_prefix("", None), None);
    }
}
