//! Shared fixtures for the unit tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use manifest_core::{
    Ctx, Endpoints, Environment, ProvisionInput, Resource, Secret, Source, SsoTransport,
};
use url::Url;

use crate::manifest::load;

/// A run against `base_url` (no `sso_url` yet) for a manifest with password `pw` and SSO salt
/// `salt`.
pub(crate) fn ctx(base_url: &str) -> Ctx {
    let text = r#"{"id": "reference-db", "name": "Reference DB",
        "api": {"password": "pw", "sso_salt": "salt", "regions": ["eu"],
                "config_vars": ["REFERENCE_DB_URL"],
                "production": {"base_url": "https://db.example/clevercloud/resources",
                               "sso_url": "https://db.example/clevercloud/sso/login"}}}"#;
    let manifest = load(Source::new("clevercloud-manifest.json", text)).unwrap();
    Ctx {
        credentials: manifest.credentials.clone(),
        manifest: Arc::new(manifest),
        environment: Environment::Test,
        endpoints: Endpoints {
            base_url: Url::parse(base_url).unwrap(),
            sso_url: None,
            sso_transport: SsoTransport::Post,
        },
        callback_base: Url::parse("http://127.0.0.1:9999/").unwrap(),
    }
}

pub(crate) fn input() -> ProvisionInput {
    ProvisionInput {
        uuid: "01234567-89ab-cdef-0123-456789abcdef".into(),
        app_slug: "app-slug".into(),
        app_name: "my app ✓".into(),
        resource_name: "reference-db-shiny-12345".into(),
        plan: "basic".into(),
        region: "eu".into(),
        options: BTreeMap::from([("size".into(), "large".into())]),
        api_token: Secret::new("grant-code"),
        log_drain_token: "d.drain-token".into(),
    }
}

pub(crate) fn resource(id: &str) -> Resource {
    Resource {
        id: id.into(),
        input: input(),
        plan: "basic".into(),
        config: BTreeMap::new(),
    }
}
