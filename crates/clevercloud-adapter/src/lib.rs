//! The Clever Cloud dialect: how Clever Cloud's marketplace add-on API looks from the provider's
//! side, after its public documentation (*Marketplace APIs & Tools*, in the CleverCloud/
//! documentation repository at `content/doc/marketplace/_index.md`).
//!
//! Clever Cloud took Heroku's add-on protocol as its starting point and changed it in places,
//! so the manifest has Heroku's shape but not all of Heroku's rules:
//!
//! * The manifest: `id` (lowercase letters, digits, `-` and `_`; also the Basic auth user),
//!   an optional `name`, and `api` with `config_vars` (each starting with the id upper-cased,
//!   `-` turned into `_`, and a `_`), `password`, `sso_salt`, `regions` (not empty, and it must
//!   contain `eu`), and `production` and `test`, each with `base_url` and `sso_url`. There are no
//!   plans in it (they are created in the partner dashboard), no `config_vars_prefix`, no
//!   `requires`.
//! * Provisioning: `POST base_url` with `addon_id`, `owner_id`, `owner_name`, `user_id`, `plan`,
//!   `region` (`"EU"`), `callback_url`, `logplex_token` (deprecated) and `options`; the answer
//!   is `{id, config?, message?}` and its `id` must be a string.
//! * Deprovisioning: `DELETE base_url/<id>`, answered with 200.
//! * Every provisioning call carries HTTP Basic `id:password`; anything else gets a 401.
//! * Plan changes are not documented. Clever Cloud says it supports the Heroku standard, so the
//!   Heroku call (`PUT base_url/<id>` with `{plan}`) is sent and its rules apply as `should`,
//!   but for its authentication: every call to the provider must be authenticated.
//! * Single sign-on: a browser form `POST` to `sso_url` with `id`, `token`, `timestamp`,
//!   `nav-data` and `email`, where `token = sha1(id:sso_salt:timestamp)` and the timestamp
//!   counts **milliseconds**; a provider should refuse logins older than 15 minutes. Later
//!   editions of the page sign the whole login instead (`user_id` and `signature`, see
//!   [`signature`]); every login carries both, valid or forged together, so a provider written
//!   to either edition can be tested.
//!
//! Everything goes through [`CleverCloud`], an implementation of [`manifest_core::Dialect`].

mod manifest;
mod reference;
mod requests;
mod rules;
mod skeleton;
mod sso;
#[cfg(test)]
mod testing;

use std::time::Duration;

use manifest_core::Capability::{
    BasicAuth, ClosedManifest, ConfigPrefix, DeclaredConfig, JsonManifest, ManifestId, ProviderIds,
    Regions,
};
use manifest_core::dialect::{LevelOverride, Recognition, SkeletonSecrets, SsoRefusal, TokenKind};
use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::{
    Ctx, Diagnostic, Diagnostics, Dialect, Expectations, Level, Manifest, Platform, ProvisionInput,
    ProvisionReply, Resource, Source, SsoLogin, SsoTransport,
};

pub use reference::REFERENCE;
pub use sso::{signature, token};

/// The platform's identity, as reports, ledgers and `--platform` spell it.
pub const PLATFORM: Platform = Platform::new("clevercloud");

/// The Clever Cloud dialect. Stateless: every answer comes from the manifest and the run's
/// [`Ctx`].
#[derive(Debug, Default, Clone, Copy)]
pub struct CleverCloud;

/// Why the plan change checks only warn on Clever Cloud. Their authentication stays a must:
/// the documentation requires every call to the provider to be authenticated.
const UNDOCUMENTED_PLAN_CHANGE: &str = "Clever Cloud's marketplace documentation describes no \
    plan change. Clever Cloud says it follows Heroku's add-on protocol, so Heroku's plan change \
    (`PUT base_url/<id>` with the new `plan`) is sent and Heroku's rule applies, as a should.";

/// The checks whose level on Clever Cloud is not the catalog's: where its documentation is
/// silent, or says "should" where the catalog says "must".
static LEVELS: &[LevelOverride] = &[
    LevelOverride {
        check: "plan-change.status",
        level: Level::Should,
        note: UNDOCUMENTED_PLAN_CHANGE,
    },
    LevelOverride {
        check: "plan-change.deadline",
        level: Level::Should,
        note: UNDOCUMENTED_PLAN_CHANGE,
    },
    LevelOverride {
        check: "plan-change.config",
        level: Level::Should,
        note: UNDOCUMENTED_PLAN_CHANGE,
    },
    LevelOverride {
        check: "plan-change.unknown-resource",
        level: Level::Should,
        note: UNDOCUMENTED_PLAN_CHANGE,
    },
    LevelOverride {
        check: "sso.rejects-stale-timestamp",
        level: Level::Should,
        note: "Clever Cloud's documentation: the provider SHOULD verify that the login's \
               timestamp, in milliseconds, is not older than 15 minutes.",
    },
];

/// Clever Cloud's rules as data. The documentation names the 200 of a deprovision, the 401 of
/// refused credentials and the 15-minute login window; where it is silent (the other statuses,
/// the deadlines, a refused login) Heroku's rules apply, the protocol Clever Cloud says it
/// follows.
static EXPECTATIONS: Expectations = Expectations {
    // Heroku's manifest shape without its features, log drains, asynchronous provisioning,
    // deprecated keys or several token kinds.
    capabilities: &[
        ManifestId,
        Regions,
        DeclaredConfig,
        ConfigPrefix,
        ClosedManifest,
        JsonManifest,
        ProviderIds,
        BasicAuth,
    ],
    sso_transports: &[SsoTransport::Post],
    legacy_sso_page: None,
    levels: LEVELS,
    provision_ok: &[200, 201],
    // No asynchronous provisioning is documented: the provider answers the POST itself.
    provision_async: None,
    provision_replay_ok: &[200, 201],
    plan_change_ok: &[200],
    deprovision_ok: &[200],
    deprovision_empty_body: false,
    deprovision_repeat_ok: &[200, 404, 410],
    unauthorized: &[401],
    deadline_should: Some(Duration::from_secs(3)),
    deadline_must: Duration::from_secs(25),
    id_max_len: None,
    sso_window: Duration::from_secs(15 * 60),
    // The documentation does not say how a refused login is answered: refusing it as
    // unauthenticated or as forbidden are both refusals.
    sso_refusal: SsoRefusal {
        statuses: &[401, 403],
        redirect_without_session: false,
    },
    sso_token_kinds: &[TokenKind::ID],
    sso_every_token_kind_required: false,
    sso_page_markers: &[],
    log_drain_schemes: &[],
    // The plan slug of the documentation's provisioning example.
    default_plan: "basic",
    default_plan_change_to: "premium",
    default_region: "eu",
};

impl Dialect for CleverCloud {
    fn platform(&self) -> Platform {
        PLATFORM
    }

    fn display_name(&self) -> &'static str {
        "Clever Cloud"
    }

    /// The documentation names no file; one of its own keeps it apart from Heroku's
    /// `addon-manifest.json` in a directory that holds both.
    fn default_manifest_file(&self) -> &'static str {
        "clevercloud-manifest.json"
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
        requests::read_provision(response)
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

    #[test]
    fn expectations_follow_the_marketplace_documentation() {
        let expectations = CleverCloud.expectations();
        assert_eq!(expectations.deprovision_ok, [200]);
        assert_eq!(expectations.unauthorized, [401]);
        assert_eq!(expectations.provision_async, None);
        assert_eq!(expectations.sso_window, Duration::from_secs(900));
        assert_eq!(expectations.default_region, "eu");
        assert_eq!(CleverCloud.platform().as_str(), "clevercloud");
        assert_eq!(CleverCloud.display_name(), "Clever Cloud");
    }
}
