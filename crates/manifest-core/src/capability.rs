//! What a platform's protocol has beyond the part every platform shares, as data. A dialect
//! declares its capabilities ([`crate::Expectations::capabilities`]); a catalog check applies to
//! a platform when the platform has every capability the check needs, and a reference fault can
//! be switched on where the platform has the capability it breaks. Nothing else decides which
//! checks and faults a platform gets, so a new platform gets them by declaring what it has.

use serde::Serialize;

/// One optional part of a platform's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Capability {
    /// The manifest names the add-on (Heroku `id`, Scalingo `name`).
    ManifestId,
    /// The manifest lists the regions the add-on is offered in.
    Regions,
    /// The manifest asks for platform features (Heroku `requires`).
    Features,
    /// The manifest declares config var names, and provisions answer a `config` object.
    DeclaredConfig,
    /// Config var names carry a prefix derived from the add-on.
    ConfigPrefix,
    /// Provisions answer `envs`, a list of key/value pairs (Bitrise).
    Envs,
    /// The Basic auth user is a field of its own, not the add-on's id (Scalingo `username`).
    SeparateUser,
    /// The manifest's keys are a closed set: an unknown key is a likely typo.
    ClosedManifest,
    /// The manifest format has keys it no longer reads, each warned about (Heroku `username`).
    DeprecatedKeys,
    /// The manifest lists the plans with prices.
    Plans,
    /// The manifest carries the marketplace listing (descriptions, logo).
    Listing,
    /// The manifest is JSON (and may carry a JSON syntax error).
    JsonManifest,
    /// The provider assigns the resource id in its provision answer.
    ProviderIds,
    /// The platform limits the length of resource ids.
    IdLimits,
    /// The platform authenticates with HTTP Basic `user:password`.
    BasicAuth,
    /// The platform authenticates with a shared token in a header of its own.
    TokenHeader,
    /// A replayed provision has a status of its own (Bitrise: 201 first, 200 on repeats).
    ReplayStatus,
    /// A deprovision answers with an empty body.
    EmptyDeprovision,
    /// A repeated deprovision must succeed again (no 404).
    RepeatDeprovisionSucceeds,
    /// Provisions may return a log drain URL.
    LogDrains,
    /// Provisions may complete in the background, reported to a callback.
    AsyncProvisioning,
    /// Logins carry more than one kind of token.
    SeveralTokenKinds,
    /// Every token kind sent must open the dashboard on its own (one token per login).
    EveryTokenKindAlone,
    /// Logins carry every token kind at once, and honouring one is enough.
    TokensTogether,
    /// The page a login ends on must carry the platform's markers and be HTML5.
    SsoPageMarkers,
    /// The legacy single sign-on page: a navigation cookie and the platform's header.
    LegacySsoPage,
}

impl Capability {
    /// The kebab-case name used in docs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Capability::ManifestId => "manifest-id",
            Capability::Regions => "regions",
            Capability::Features => "features",
            Capability::DeclaredConfig => "declared-config",
            Capability::ConfigPrefix => "config-prefix",
            Capability::Envs => "envs",
            Capability::SeparateUser => "separate-user",
            Capability::ClosedManifest => "closed-manifest",
            Capability::DeprecatedKeys => "deprecated-keys",
            Capability::Plans => "plans",
            Capability::Listing => "listing",
            Capability::JsonManifest => "json-manifest",
            Capability::ProviderIds => "provider-ids",
            Capability::IdLimits => "id-limits",
            Capability::BasicAuth => "basic-auth",
            Capability::TokenHeader => "token-header",
            Capability::ReplayStatus => "replay-status",
            Capability::EmptyDeprovision => "empty-deprovision",
            Capability::RepeatDeprovisionSucceeds => "repeat-deprovision-succeeds",
            Capability::LogDrains => "log-drains",
            Capability::AsyncProvisioning => "async-provisioning",
            Capability::SeveralTokenKinds => "several-token-kinds",
            Capability::EveryTokenKindAlone => "every-token-kind-alone",
            Capability::TokensTogether => "tokens-together",
            Capability::SsoPageMarkers => "sso-page-markers",
            Capability::LegacySsoPage => "legacy-sso-page",
        }
    }
}

/// Whether a platform with `capabilities` has everything in `needs`.
pub fn has_all(capabilities: &[Capability], needs: &[Capability]) -> bool {
    needs.iter().all(|need| capabilities.contains(need))
}
