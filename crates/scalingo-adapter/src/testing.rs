//! Shared fixtures for the unit tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use manifest_core::{
    Ctx, Endpoints, Environment, ProvisionInput, Resource, Secret, Source, SsoTransport,
};
use url::Url;

use crate::manifest::load;

/// A run against `base_url` for a manifest with user `scalingo`, password `pw`, SSO salt `salt`,
/// and two plans: `free` without options and `pro` with `size: small, region: eu`.
pub(crate) fn ctx(base_url: &str) -> Ctx {
    let text = r#"{"name": "reference-db", "username": "scalingo", "password": "pw",
        "sso_salt": "salt", "config_vars": ["REFERENCE_DB_URL"],
        "production": {"base_url": "https://db.example/scalingo/resources",
                       "sso_url": "https://db.example/sso"},
        "plans": [{"name": "free", "display_name": "Free", "price": 0, "description": "d"},
                  {"name": "pro", "display_name": "Pro", "price": 9.5, "description": "d",
                   "options": {"size": "small", "region": "eu"}}]}"#;
    let manifest = load(Source::new("manifest.json", text)).unwrap();
    Ctx {
        credentials: manifest.credentials.clone(),
        manifest: Arc::new(manifest),
        environment: Environment::Test,
        endpoints: Endpoints {
            base_url: Url::parse(base_url).unwrap(),
            sso_url: Some(Url::parse("http://127.0.0.1:4567/sso").unwrap()),
            sso_transport: SsoTransport::Get,
        },
        callback_base: Url::parse("http://127.0.0.1:9999/").unwrap(),
    }
}

/// A provision of the `pro` plan, with run options that override one of the plan's.
pub(crate) fn input() -> ProvisionInput {
    ProvisionInput {
        uuid: "01234567-89ab-cdef-0123-456789abcdef".into(),
        app_slug: "app-slug".into(),
        app_name: "my app ✓".into(),
        resource_name: "reference-db-shiny-12345".into(),
        plan: "pro".into(),
        region: "osc-fr1".into(),
        options: BTreeMap::from([
            ("size".into(), "large".into()),
            ("replicas".into(), "2".into()),
        ]),
        api_token: Secret::new("api-token"),
        log_drain_token: "d.drain-token".into(),
    }
}

pub(crate) fn resource(id: &str) -> Resource {
    Resource {
        id: id.into(),
        input: input(),
        plan: "pro".into(),
        config: BTreeMap::new(),
    }
}
