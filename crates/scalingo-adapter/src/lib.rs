//! The Scalingo dialect: how Scalingo's add-on provider API looks from the provider's side.
//!
//! * `manifest.json`: reading it ([`Dialect::load_manifest`]) and its static rules
//!   ([`Dialect::manifest_findings`]), every problem pointing at a place in the file.
//! * The provisioning calls: `POST base_url`, `PUT base_url/<id>`, `DELETE base_url/<id>`, with
//!   HTTP Basic `username:password`. Each plan's `options` travel with the calls for that plan.
//! * Single sign-on: a browser `GET sso_url?id=&timestamp=&token=` with
//!   `token = sha1(id:sso_salt:timestamp)` ([`sso_token`] computes it).
//!
//! Everything goes through [`Scalingo`], an implementation of [`manifest_core::Dialect`].

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
use manifest_core::dialect::{SkeletonSecrets, SsoRefusal, TokenKind};
use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::{
    Ctx, Diagnostic, Diagnostics, Dialect, Expectations, Manifest, Platform, ProvisionInput,
    ProvisionReply, Recognition, Resource, Source, SsoLogin, SsoTransport,
};

pub use reference::REFERENCE;
pub use requests::API_ACCEPT;
pub use sso::sso_token;

/// Scalingo's identity in reports, ledgers and `--platform`.
pub const PLATFORM: Platform = Platform::new("scalingo");

/// The Scalingo dialect. Stateless: every answer comes from the manifest and the run's [`Ctx`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Scalingo;

/// Scalingo's rules as data. Sources: the add-on provider documentation (200/201/202 on
/// provision, 204 with no body on deprovision, `id` of at most 255 characters, the SHA-1 login
/// token) and scalingo-addon-api-tester (the statuses it accepted). 202 is an ordinary success:
/// Scalingo has no asynchronous provisioning callback. Scalingo publishes no deadline and no
/// login window: 30 s and 5 minutes are our own limits, in line with the other platforms. A
/// login the provider does not let in may also be sent away by a redirect that opens no session
/// (to the provider's own sign-in page): Scalingo's browser-facing login has no refusal status
/// of its own.
static EXPECTATIONS: Expectations = Expectations {
    capabilities: &[
        ManifestId,
        SeparateUser,
        DeclaredConfig,
        ClosedManifest,
        Plans,
        Listing,
        JsonManifest,
        ProviderIds,
        IdLimits,
        BasicAuth,
        EmptyDeprovision,
        LogDrains,
    ],
    sso_transports: &[SsoTransport::Get],
    levels: &[],
    legacy_sso_page: None,
    provision_ok: &[200, 201, 202],
    provision_async: None,
    provision_replay_ok: &[200, 201, 202],
    plan_change_ok: &[200],
    deprovision_ok: &[204],
    deprovision_empty_body: true,
    deprovision_repeat_ok: &[204, 404, 410],
    unauthorized: &[401],
    deadline_should: None,
    deadline_must: Duration::from_secs(30),
    id_max_len: Some(255),
    sso_window: Duration::from_secs(300),
    sso_refusal: SsoRefusal {
        statuses: &[401, 403],
        redirect_without_session: true,
    },
    sso_token_kinds: &[TokenKind::ID],
    sso_every_token_kind_required: false,
    sso_page_markers: &[],
    log_drain_schemes: &["http", "https"],
    default_plan: "free",
    default_plan_change_to: "pro",
    default_region: "osc-fr1",
};

impl Dialect for Scalingo {
    fn platform(&self) -> Platform {
        PLATFORM
    }

    fn display_name(&self) -> &'static str {
        "Scalingo"
    }

    fn default_manifest_file(&self) -> &'static str {
        "manifest.json"
    }

    fn recognizes(&self, document: &serde_json::Value) -> Recognition {
        let Some(top) = document.as_object() else {
            return Recognition::Foreign;
        };
        let has_plans = top.get("plans").is_some_and(serde_json::Value::is_array);
        if (has_plans || top.contains_key("username")) && !top.contains_key("api") {
            Recognition::Shape
        } else {
            Recognition::Foreign
        }
    }

    fn load_manifest(&self, source: Source) -> Result<Manifest, Diagnostics> {
        manifest::load(source)
    }

    fn manifest_findings(&self, manifest: &Manifest) -> Vec<Diagnostic> {
        rules::findings(manifest)
    }

    fn manifest_skeleton(&self, secrets: &SkeletonSecrets, _sso: SsoTransport) -> String {
        skeleton::skeleton(secrets)
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
    fn recognizes_scalingo_shaped_documents_only() {
        for shaped in [
            json!({"name": "x", "plans": []}),
            json!({"username": "x"}),
            json!({"username": "x", "plans": "free"}),
        ] {
            assert_eq!(Scalingo.recognizes(&shaped), Recognition::Shape, "{shaped}");
        }
        for foreign in [
            json!({"name": "x", "plans": "free"}),
            json!({"id": "x", "api": {}, "plans": []}),
            json!({"username": "x", "api": {}}),
            json!({"addon-url": "http://x"}),
            json!([{"plans": []}]),
        ] {
            assert_eq!(
                Scalingo.recognizes(&foreign),
                Recognition::Foreign,
                "{foreign}"
            );
        }
    }

    #[test]
    fn expectations_follow_the_provider_api() {
        let expectations = Scalingo.expectations();
        assert_eq!(expectations.provision_ok, [200, 201, 202]);
        assert_eq!(expectations.provision_async, None);
        assert_eq!(expectations.provision_replay_ok, [200, 201, 202]);
        assert_eq!(expectations.plan_change_ok, [200]);
        assert_eq!(expectations.deprovision_ok, [204]);
        assert!(expectations.deprovision_empty_body);
        assert_eq!(expectations.deprovision_repeat_ok, [204, 404, 410]);
        assert_eq!(expectations.unauthorized, [401]);
        assert_eq!(expectations.deadline_should, None);
        assert_eq!(expectations.deadline_must, Duration::from_secs(30));
        assert_eq!(expectations.id_max_len, Some(255));
        assert_eq!(expectations.sso_window, Duration::from_secs(300));
        assert_eq!(expectations.sso_refusal.statuses, [401, 403]);
        assert!(expectations.sso_refusal.redirect_without_session);
        assert_eq!(expectations.sso_token_kinds, [TokenKind::ID]);
        assert!(expectations.sso_page_markers.is_empty());
        assert_eq!(
            (
                expectations.default_plan,
                expectations.default_plan_change_to,
                expectations.default_region
            ),
            ("free", "pro", "osc-fr1")
        );
        assert_eq!(Scalingo.default_manifest_file(), "manifest.json");
        assert_eq!(Scalingo.platform().as_str(), "scalingo");
    }
}
