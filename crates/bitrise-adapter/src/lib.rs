//! The Bitrise dialect: how Bitrise's add-on API looks from the provider's side.
//!
//! * `config.yaml` (`addon-url`, `auth-token`, `sso-secret`; the same keys as JSON are read
//!   too): reading it ([`Dialect::load_manifest`]) with a place for every value, and its rules
//!   ([`Dialect::manifest_findings`]).
//! * The provisioning calls below `addon-url`: `POST /provision`, `PUT /provision/<app_slug>`,
//!   `DELETE /provision/<app_slug>`, with the shared token in the `Authentication` header
//!   ([`AUTH_HEADER`]). The app slug is the resource's id, and a provision answers the env vars
//!   to export into builds as `{"envs": [{"key", "value"}]}`.
//! * Single sign-on: a browser form `POST` to `addon-url/login?build_slug=…&app_title=…` with
//!   `app_slug`, `timestamp` and a token, [`sso_token`] (SHA-1) or [`sso_token_sha256`].
//!
//! Everything goes through [`Bitrise`], an implementation of [`manifest_core::Dialect`].

mod document;
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

pub use manifest::AUTH_HEADER;
pub use reference::REFERENCE;
pub use sso::{BUILD_SLUG_OPTION, SHA256_PREFIX, SHA256_TOKEN, sso_token, sso_token_sha256};

/// Bitrise's identity in reports, ledgers and `--platform`.
pub const PLATFORM: Platform = Platform::new("bitrise");

/// The Bitrise dialect. Stateless: every answer comes from the config and the run's [`Ctx`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Bitrise;

/// Every registered 2xx status: Bitrise takes any success where it names no status.
const SUCCESS: &[u16] = &[200, 201, 202, 203, 204, 205, 206, 207, 208, 226];

/// Bitrise's rules as data. Sources: the add-on developer documentation (the `/provision`
/// calls, the `Authentication` header, the 10 s limit on every call, `envs`) and
/// bitrise-addon-test (201 for a new app and 200 for every repeat of the same provision, any 2xx
/// for plan changes and deprovisions, repeated ones included; the login form). Bitrise names no
/// status for a refused token or login: 401 is what the other platforms expect, and a login may
/// be refused with 401 or 403. The 5-minute login window is Bitrise's.
static EXPECTATIONS: Expectations = Expectations {
    capabilities: &[
        Envs,
        TokenHeader,
        ReplayStatus,
        RepeatDeprovisionSucceeds,
        SeveralTokenKinds,
        EveryTokenKindAlone,
        SsoPageMarkers,
    ],
    sso_transports: &[SsoTransport::Post],
    levels: &[],
    legacy_sso_page: None,
    provision_ok: &[201],
    provision_async: None,
    provision_replay_ok: &[200],
    plan_change_ok: SUCCESS,
    deprovision_ok: SUCCESS,
    deprovision_empty_body: false,
    deprovision_repeat_ok: SUCCESS,
    unauthorized: &[401],
    deadline_should: None,
    deadline_must: Duration::from_secs(10),
    id_max_len: None,
    sso_window: Duration::from_secs(300),
    sso_refusal: SsoRefusal {
        statuses: &[401, 403],
        redirect_without_session: false,
    },
    sso_token_kinds: &[TokenKind::ID, SHA256_TOKEN],
    sso_every_token_kind_required: true,
    sso_page_markers: &["@bitrise/beam", "Beam.init"],
    log_drain_schemes: &[],
    default_plan: "free",
    default_plan_change_to: "pro",
    default_region: "",
};

impl Dialect for Bitrise {
    fn platform(&self) -> Platform {
        PLATFORM
    }

    fn display_name(&self) -> &'static str {
        "Bitrise"
    }

    fn default_manifest_file(&self) -> &'static str {
        "config.yaml"
    }

    /// The tester's config keys are Bitrise's alone.
    fn recognizes(&self, document: &serde_json::Value) -> Recognition {
        let own = document.as_object().is_some_and(|top| {
            ["addon-url", "auth-token", "sso-secret"]
                .iter()
                .any(|key| top.contains_key(*key))
        });
        if own {
            Recognition::Own
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
        input: &ProvisionInput,
        response: &HttpResponse,
    ) -> Result<ProvisionReply, String> {
        requests::read_provision(input, response)
    }

    /// The app slug is the platform's own: whatever the answer, that is what may exist.
    fn answered_id(&self, input: &ProvisionInput, _response: &HttpResponse) -> Option<String> {
        Some(input.app_slug.clone())
    }

    fn change_plan(&self, ctx: &Ctx, resource: &Resource, plan: &str) -> HttpRequest {
        requests::change_plan(ctx, resource, plan)
    }

    /// Bitrise documents no answer to a plan change; an `envs` list, when there is one, is read
    /// like a provision's.
    fn plan_change_config(&self, response: &HttpResponse) -> Vec<(String, serde_json::Value)> {
        response
            .json()
            .ok()
            .and_then(|body| requests::envs(body.get("envs")).ok())
            .unwrap_or_default()
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
    use serde_json::json;

    use super::*;

    #[test]
    fn recognizes_bitrise_shaped_documents_only() {
        for own in [
            json!({"addon-url": "http://x"}),
            json!({"auth-token": "t", "other": 1}),
            json!({"sso-secret": "s"}),
        ] {
            assert_eq!(Bitrise.recognizes(&own), Recognition::Own, "{own}");
        }
        for foreign in [
            json!({"id": "x", "api": {}}),
            json!({"name": "x", "plans": []}),
            json!(["addon-url"]),
        ] {
            assert_eq!(
                Bitrise.recognizes(&foreign),
                Recognition::Foreign,
                "{foreign}"
            );
        }
    }

    #[test]
    fn expectations_follow_the_addon_documentation() {
        let expectations = Bitrise.expectations();
        assert_eq!(expectations.provision_ok, [201]);
        assert_eq!(expectations.provision_replay_ok, [200]);
        assert_eq!(expectations.provision_async, None);
        for statuses in [
            expectations.plan_change_ok,
            expectations.deprovision_ok,
            expectations.deprovision_repeat_ok,
        ] {
            assert!(statuses.iter().all(|status| (200..300).contains(status)));
            assert!(statuses.contains(&200) && statuses.contains(&204));
        }
        assert!(!expectations.deprovision_empty_body);
        assert_eq!(expectations.unauthorized, [401]);
        assert_eq!(expectations.deadline_must, Duration::from_secs(10));
        assert_eq!(expectations.deadline_should, None);
        assert_eq!(expectations.sso_window, Duration::from_secs(300));
        assert_eq!(expectations.sso_refusal.statuses, [401, 403]);
        assert_eq!(expectations.sso_token_kinds, [TokenKind::ID, SHA256_TOKEN]);
        assert!(expectations.sso_every_token_kind_required);
        assert_eq!(
            expectations.sso_page_markers,
            ["@bitrise/beam", "Beam.init"]
        );
        assert_eq!(
            (
                expectations.default_plan,
                expectations.default_plan_change_to
            ),
            ("free", "pro")
        );
        assert_eq!(Bitrise.default_manifest_file(), "config.yaml");
        assert_eq!(Bitrise.platform().as_str(), "bitrise");
    }

    #[test]
    fn plan_change_answers_are_read_for_envs() {
        let answer = |body: &str| HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            Bitrise.plan_change_config(&answer(r#"{"envs": [{"key": "A", "value": "1"}]}"#)),
            [("A".to_owned(), json!("1"))]
        );
        for body in ["", "{}", r#"{"config": {"A": "1"}}"#, r#"{"envs": 3}"#] {
            assert!(
                Bitrise.plan_change_config(&answer(body)).is_empty(),
                "{body}"
            );
        }
    }
}
