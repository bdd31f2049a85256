//! Shared fixtures for the unit tests.

use std::collections::BTreeMap;
use std::sync::Arc;

use manifest_core::{Ctx, Environment, ProvisionInput, Resource, Secret, Source};
use url::Url;

use crate::manifest::load;

/// A run against `addon_url` with the shared token `shared-token` and the SSO secret `secret`.
pub(crate) fn ctx(addon_url: &str) -> Ctx {
    let text = format!("addon-url: {addon_url}\nauth-token: shared-token\nsso-secret: secret\n");
    let manifest = load(Source::new("config.yaml", text)).unwrap();
    Ctx {
        credentials: manifest.credentials.clone(),
        endpoints: manifest.test.clone().unwrap(),
        manifest: Arc::new(manifest),
        environment: Environment::Test,
        callback_base: Url::parse("http://127.0.0.1:9999/").unwrap(),
    }
}

/// A provision of the `free` plan for the app `5f3c1e9a2b7d4c60`.
pub(crate) fn input() -> ProvisionInput {
    ProvisionInput {
        uuid: "01234567-89ab-cdef-0123-456789abcdef".into(),
        app_slug: "5f3c1e9a2b7d4c60".into(),
        app_name: "my app ✓".into(),
        resource_name: "addon-1".into(),
        plan: "free".into(),
        region: String::new(),
        options: BTreeMap::new(),
        api_token: Secret::new("api-token"),
        log_drain_token: String::new(),
    }
}

/// The resource of the app `slug`.
pub(crate) fn resource(slug: &str) -> Resource {
    Resource {
        id: slug.into(),
        input: ProvisionInput {
            app_slug: slug.into(),
            ..input()
        },
        plan: "free".into(),
        config: BTreeMap::new(),
    }
}
