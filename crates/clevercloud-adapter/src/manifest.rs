//! Reading a Clever Cloud manifest into the neutral [`Manifest`], and telling one apart from
//! the Heroku manifests it resembles. Only an unreadable file is an error here; every other
//! problem is left for the rules, so the model is filled as well as the file allows.

use manifest_core::dialect::Recognition;
use manifest_core::json_values::{describe, string_items, string_or_empty};
use manifest_core::urls::web_url;
use manifest_core::{
    Credentials, Diagnostic, Diagnostics, Endpoints, JsonDocument, Manifest, Secret, Source,
    SsoTransport,
};
use serde_json::Value;

use crate::PLATFORM;

/// The environments a manifest describes, each an object with these URLs.
pub(crate) const ENVIRONMENTS: [&str; 2] = ["production", "test"];
pub(crate) const ENDPOINT_KEYS: [&str; 2] = ["base_url", "sso_url"];

/// The path segment the documentation's example URLs carry (`/clevercloud/resources`,
/// `/clevercloud/sso/login`): what marks a manifest as Clever Cloud's rather than Heroku's.
const OWN_PATH_SEGMENT: &str = "clevercloud";

/// A manifest with Clever Cloud's shape (`id` and an `api` object whose environments, when
/// present, are objects) is [`Recognition::Shape`]: Heroku's object form looks the same. It is
/// [`Recognition::Own`] when one of its URLs has a `clevercloud` path segment.
pub(crate) fn recognize(document: &Value) -> Recognition {
    let Some(api) = document.get("api").and_then(Value::as_object) else {
        return Recognition::Foreign;
    };
    let environments: Vec<&Value> = ENVIRONMENTS
        .iter()
        .filter_map(|environment| api.get(*environment))
        .collect();
    if document.get("id").is_none() || environments.iter().any(|urls| !urls.is_object()) {
        return Recognition::Foreign;
    }
    let marked = environments
        .iter()
        .flat_map(|urls| ENDPOINT_KEYS.iter().filter_map(|key| urls.get(*key)))
        .filter_map(Value::as_str)
        .filter_map(|text| web_url(text).ok())
        .any(|url| {
            url.path_segments().is_some_and(|mut segments| {
                segments.any(|segment| segment.eq_ignore_ascii_case(OWN_PATH_SEGMENT))
            })
        });
    if marked {
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
    let manifest = Manifest {
        platform: PLATFORM,
        credentials: Credentials::Basic {
            username: id.clone(),
            password: Secret::new(string_or_empty(api_field("password"))),
        },
        sso_salt: api_field("sso_salt")
            .and_then(Value::as_str)
            .filter(|salt| !salt.trim().is_empty())
            .map(Secret::new),
        test: endpoints(api_field("test")),
        production: endpoints(api_field("production")),
        config_vars: string_items(api_field("config_vars")),
        config_prefix: config_prefix(&id),
        // Plans are created in the partner dashboard, not declared in the manifest.
        plans: Vec::new(),
        regions: string_items(api_field("regions")),
        requires: Vec::new(),
        log_drain: false,
        id,
        document,
    };
    Ok(manifest)
}

/// The prefix every config var must start with, including its `_`: the id upper-cased with `-`
/// turned into `_` (`addon-name` → `ADDON_NAME_`).
pub(crate) fn config_prefix(id: &str) -> Option<String> {
    (!id.is_empty()).then(|| format!("{}_", id.to_uppercase().replace('-', "_")))
}

/// An environment's endpoints, when its URLs are usable; the rules report the ones that are not.
fn endpoints(value: Option<&Value>) -> Option<Endpoints> {
    let urls = value?.as_object()?;
    let url = |key: &str| urls.get(key)?.as_str().and_then(|text| web_url(text).ok());
    Some(Endpoints {
        base_url: url("base_url")?,
        sso_url: url("sso_url"),
        sso_transport: SsoTransport::Post,
    })
}

#[cfg(test)]
mod tests {
    use manifest_core::Span;
    use serde_json::json;

    use super::*;

    fn load_text(text: &str) -> Manifest {
        load(Source::new("clevercloud-manifest.json", text)).expect("readable manifest")
    }

    #[test]
    fn reads_every_documented_field() {
        let manifest = load_text(
            r#"{"id": "addon-name", "name": "Addon Name", "api": {
                "config_vars": ["ADDON_NAME_MY_VAR", 7],
                "regions": ["eu"], "password": "pw", "sso_salt": "salt",
                "production": {"base_url": "https://s.example/clevercloud/resources",
                               "sso_url": "https://s.example/clevercloud/sso/login"},
                "test": {"base_url": "http://localhost:9000/clevercloud/resources"}}}"#,
        );
        assert_eq!(manifest.platform, PLATFORM);
        assert_eq!(manifest.id, "addon-name");
        assert_eq!(
            manifest.credentials,
            Credentials::Basic {
                username: "addon-name".into(),
                password: Secret::new("pw"),
            }
        );
        assert_eq!(manifest.sso_salt, Some(Secret::new("salt")));
        assert_eq!(manifest.config_vars, ["ADDON_NAME_MY_VAR"]);
        assert_eq!(manifest.config_prefix.as_deref(), Some("ADDON_NAME_"));
        assert_eq!(manifest.regions, ["eu"]);
        assert!(manifest.plans.is_empty() && manifest.requires.is_empty());
        assert!(!manifest.log_drain);
        let production = manifest.production.unwrap();
        assert_eq!(production.sso_transport, SsoTransport::Post);
        assert_eq!(
            production.sso_url.unwrap().as_str(),
            "https://s.example/clevercloud/sso/login"
        );
        let test = manifest.test.unwrap();
        assert_eq!(
            test.base_url.as_str(),
            "http://localhost:9000/clevercloud/resources"
        );
        assert_eq!(test.sso_url, None);
    }

    #[test]
    fn fills_what_it_can_from_a_broken_manifest() {
        let manifest = load_text(
            r#"{"id": 3, "api": {"password": 1, "sso_salt": " ", "regions": "eu",
                "production": {"base_url": "/clevercloud/resources"}, "test": "http://x"}}"#,
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
    fn the_prefix_is_the_capitalised_id_with_underscores() {
        assert_eq!(config_prefix("addon-name").as_deref(), Some("ADDON_NAME_"));
        assert_eq!(config_prefix("my_db").as_deref(), Some("MY_DB_"));
        assert_eq!(config_prefix(""), None);
    }

    #[test]
    fn claims_as_its_own_only_what_carries_its_paths() {
        let marked = json!({"id": "x", "api": {
            "production": {"base_url": "https://s.example/CleverCloud/resources"}}});
        assert_eq!(recognize(&marked), Recognition::Own);
        let sso_only = json!({"id": "x", "api": {
            "test": {"base_url": "http://l.example/r", "sso_url": "http://l.example/clevercloud/sso"}}});
        assert_eq!(recognize(&sso_only), Recognition::Own);
        let unmarked = json!({"id": "x", "api": {
            "production": {"base_url": "https://s.example/addons/resources"}}});
        assert_eq!(recognize(&unmarked), Recognition::Shape);
        // A path that merely contains the word is no mark.
        let lookalike = json!({"id": "x", "api": {
            "production": {"base_url": "https://s.example/not-clevercloud/resources"}}});
        assert_eq!(recognize(&lookalike), Recognition::Shape);
    }

    #[test]
    fn what_clever_cloud_cannot_read_is_foreign() {
        for document in [
            json!({"id": "x", "api": {"production": "https://s.example/clevercloud"}}),
            json!({"api": {}}),
            json!({"id": "x", "api": "https://s.example"}),
            json!({"name": "x", "production": {}}),
            json!([1, 2]),
        ] {
            assert_eq!(recognize(&document), Recognition::Foreign, "{document}");
        }
    }
}
