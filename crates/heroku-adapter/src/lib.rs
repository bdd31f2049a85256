//! The Heroku dialect: how Heroku's add-on partner API looks from the provider's side.
//!
//! * `addon-manifest.json`: reading it ([`Dialect::load_manifest`]) and its static rules
//!   ([`Dialect::manifest_findings`]), every problem pointing at a place in the file.
//! * The v3 provisioning calls: `POST base_url`, `PUT base_url/<id>`, `DELETE base_url/<id>`,
//!   with HTTP Basic `id:password` and the v3 `Accept` header.
//! * Single sign-on, in both forms Heroku has used: the legacy `GET <root>/heroku/resources/<id>`
//!   with `token = sha1(id:salt:timestamp)`, and the current form `POST sso_url` that also carries
//!   `resource_token` and `user_scoped_resource_token` ([`mint`] computes each of them).
//!
//! Everything goes through [`Heroku`], an implementation of [`manifest_core::Dialect`].

mod manifest;
mod reference;
mod requests;
mod rules;
mod skeleton;
mod sso;
#[cfg(test)]
mod testing;

use std::time::Duration;

use manifest_core::Capability::*;
use manifest_core::dialect::{LegacySsoPage, SkeletonSecrets, SsoRefusal, TokenKind};
use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::{
    Ctx, Diagnostic, Diagnostics, Dialect, Expectations, Manifest, Platform, ProvisionInput,
    ProvisionReply, Recognition, Resource, Source, SsoLogin, SsoTransport,
};

pub use reference::REFERENCE;
pub use requests::API_ACCEPT;
pub use sso::{RESOURCE_TOKEN, USER_SCOPED_TOKEN, mint};

/// Heroku's identity in reports, ledgers and `--platform`.
pub const PLATFORM: Platform = Platform::new("heroku");

/// The Heroku dialect. Stateless: every answer comes from the manifest and the run's [`Ctx`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Heroku;

/// Heroku's rules as data. Sources: the add-on partner API reference (statuses, the 3 s / 25 s
/// deadlines, the 5-minute SSO window) and kensa (401 for wrong credentials, 403 for a refused
/// login, `test` as the plan it provisions).
static EXPECTATIONS: Expectations = Expectations {
    capabilities: &[
        ManifestId,
        Regions,
        Features,
        DeclaredConfig,
        ConfigPrefix,
        ClosedManifest,
        DeprecatedKeys,
        JsonManifest,
        ProviderIds,
        BasicAuth,
        LogDrains,
        AsyncProvisioning,
        SeveralTokenKinds,
        TokensTogether,
        LegacySsoPage,
    ],
    sso_transports: &[SsoTransport::Post, SsoTransport::Get],
    levels: &[],
    legacy_sso_page: Some(LegacySsoPage {
        nav_cookie: "heroku-nav-data",
        header_markers: &["boomerang", "heroku-header"],
    }),
    provision_ok: &[200, 201],
    provision_async: Some(202),
    provision_replay_ok: &[200, 201],
    plan_change_ok: &[200],
    deprovision_ok: &[200, 204],
    deprovision_empty_body: false,
    deprovision_repeat_ok: &[200, 204, 404, 410],
    unauthorized: &[401],
    deadline_should: Some(Duration::from_secs(3)),
    deadline_must: Duration::from_secs(25),
    id_max_len: None,
    sso_window: Duration::from_secs(300),
    sso_refusal: SsoRefusal {
        statuses: &[403],
        redirect_without_session: false,
    },
    sso_token_kinds: &[TokenKind::ID, RESOURCE_TOKEN, USER_SCOPED_TOKEN],
    sso_every_token_kind_required: false,
    sso_page_markers: &[],
    log_drain_schemes: &["http", "https", "syslog", "syslog+tls"],
    default_plan: "test",
    default_plan_change_to: "premium",
    default_region: "us",
};

impl Dialect for Heroku {
    fn platform(&self) -> Platform {
        PLATFORM
    }

    fn display_name(&self) -> &'static str {
        "Heroku"
    }

    fn default_manifest_file(&self) -> &'static str {
        "addon-manifest.json"
    }

    fn recognizes(&self, document: &serde_json::Value) -> Recognition {
        manifest::recognize(document)
    }

    fn load_manifest(&self, source: Source) -> Result<Manifest, Diagnostics> {
        manifest::load(source)
    }

    fn manifest_findings(&self, manifest: &Manifest) -> Vec<Diagnostic> {
        rules::findings(manifest)
    }

    fn manifest_skeleton(&self, secrets: &SkeletonSecrets, sso: SsoTransport) -> String {
        skeleton::skeleton(secrets, sso)
    }

    fn expectations(&self) -> &Expectations {
        &EXPECTATIONS
    }

    fn provision(&self, ctx: &Ctx, input: &ProvisionInput) -> HttpRequest {
        requests::provision(ctx, input)
    }

    fn read_provision(
        &self,
        _input: &ProvisionInput,
        response: &HttpResponse,
    ) -> Result<ProvisionReply, String> {
        manifest_core::reply::read_json_reply(response)
    }

    fn change_plan(&self, ctx: &Ctx, resource: &Resource, plan: &str) -> HttpRequest {
        requests::change_plan(ctx, resource, plan)
    }

    fn deprovision(&self, ctx: &Ctx, resource: &Resource) -> HttpRequest {
        requests::deprovision(ctx, resource)
    }

    fn sso(&self, ctx: &Ctx, login: &SsoLogin) -> Option<HttpRequest> {
        sso::request(ctx, login)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognizes_heroku_shaped_documents_only() {
        assert_eq!(
            Heroku.recognizes(&json!({"id": "x", "api": {}})),
            Recognition::Shape
        );
        for foreign in [
            json!({"id": "x", "api": "http://x"}),
            json!({"api": {}}),
            json!({"name": "x", "production": {}}),
            json!([1, 2]),
        ] {
            assert_eq!(
                Heroku.recognizes(&foreign),
                Recognition::Foreign,
                "{foreign}"
            );
        }
    }

    #[test]
    fn heroku_paths_keys_and_regions_are_its_own() {
        for own in [
            json!({"id": "x", "api": {"production": "https://x.example/heroku/resources"}}),
            json!({"id": "x", "api": {"test": {"base_url": "http://localhost/heroku/resources"}}}),
            json!({"id": "x", "api": {"production": {"sso_url": "https://x.example/heroku/sso"}}}),
            json!({"id": "x", "api": {"regions": ["eu", "us"]}}),
            json!({"id": "x", "api": {"regions": ["*"]}}),
            json!({"id": "x", "api": {"requires": []}}),
            json!({"id": "x", "api": {"config_vars_prefix": "X"}}),
            json!({"id": "x", "api": {"version": "3"}}),
            json!({"id": "x", "cli_plugin_name": "x", "api": {}}),
        ] {
            assert_eq!(Heroku.recognizes(&own), Recognition::Own, "{own}");
        }
        let elsewhere = json!({"id": "x", "api": {
            "regions": ["eu"],
            "production": {"base_url": "https://x.example/other/resources"},
        }});
        assert_eq!(Heroku.recognizes(&elsewhere), Recognition::Shape);
    }

    #[test]
    fn expectations_follow_the_partner_api() {
        let expectations = Heroku.expectations();
        assert_eq!(expectations.provision_ok, [200, 201]);
        assert_eq!(expectations.provision_async, Some(202));
        assert_eq!(expectations.deadline_should, Some(Duration::from_secs(3)));
        assert_eq!(expectations.deadline_must, Duration::from_secs(25));
        assert_eq!(expectations.sso_window, Duration::from_secs(300));
        assert_eq!(expectations.deprovision_repeat_ok, [200, 204, 404, 410]);
        assert_eq!(Heroku.default_manifest_file(), "addon-manifest.json");
        assert_eq!(Heroku.platform().as_str(), "heroku");
    }
}
