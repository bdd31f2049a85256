//! The faults the reference add-on can be switched into. Each one makes the add-on wrong in one
//! way, so that a run against it proves that the checks it names catch exactly that mistake.
//! Where a fault cannot help breaking something else too, its description says so.

use std::fmt;
use std::str::FromStr;

use manifest_core::capability::has_all;
use manifest_core::{Capability, Dialect};

macro_rules! faults {
    ($(
        $variant:ident = $name:literal,
        breaks [$($capability:ident),* $(,)?],
        proves [$($check:literal),+ $(,)?],
        $description:literal;
    )+) => {
        /// A way the reference add-on can be made wrong on purpose.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault {
            $($variant,)+
        }

        impl Fault {
            /// Every fault, in the order `serve-reference --help` and the conformance matrix list
            /// them.
            pub const ALL: [Fault; [$($name),+].len()] = [$(Fault::$variant),+];

            /// The kebab-case name used on the command line.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// What the add-on does wrong, and what else that unavoidably breaks.
            pub fn description(&self) -> &'static str {
                match self {
                    $(Fault::$variant => $description,)+
                }
            }

            /// The catalog check ids a run against this fault must not pass.
            pub fn proves(&self) -> &'static [&'static str] {
                match self {
                    $(Fault::$variant => &[$($check),+],)+
                }
            }

            /// Whether a reference add-on of this dialect's platform can be switched into the
            /// fault: the platform has every capability the fault breaks.
            pub fn applies_to(&self, dialect: &dyn Dialect) -> bool {
                has_all(dialect.expectations().capabilities, self.breaks())
            }

            /// The capabilities whose rules the fault breaks: it applies to the platforms that
            /// have them all. None for a fault in the protocol every platform shares.
            pub fn breaks(&self) -> &'static [Capability] {
                match self {
                    $(Fault::$variant => &[$(Capability::$capability),*],)+
                }
            }
        }
    };
}

faults! {
    AcceptsWrongPassword = "accepts-wrong-password",
        breaks [BasicAuth],
        proves ["provision.auth"],
        "provisioning checks the user but accepts any password (plan change and deprovision stay strict)";
    AcceptsPasswordPrefix = "accepts-password-prefix",
        breaks [],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "every provisioning endpoint compares only as many characters as the real password has, so the password with anything appended passes";
    AcceptsCaseInsensitivePassword = "accepts-case-insensitive-password",
        breaks [],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "every provisioning endpoint compares the password (Bitrise: the token) ignoring case";
    AcceptsTruncatedPassword = "accepts-truncated-password",
        breaks [],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "every provisioning endpoint compares only as many characters as were sent, so any non-empty beginning of the password (Bitrise: the token) passes";
    AcceptsEmptyPassword = "accepts-empty-password",
        breaks [],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "every provisioning endpoint lets an empty password (Bitrise: an empty token) through, as if none were configured";
    AcceptsEmptyUser = "accepts-empty-user",
        breaks [BasicAuth],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "every provisioning endpoint accepts the right password with an empty user";
    IgnoresFieldsAfterPassword = "ignores-fields-after-password",
        breaks [BasicAuth],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "the Basic value is split at every `:` and only the first two fields are compared, so `user:password:extra` passes";
    AcceptsBasicWithoutColon = "accepts-basic-without-colon",
        breaks [BasicAuth],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "a Basic value without a colon is taken for the password alone, with no user to check";
    PlanChangeSkipsAuth = "plan-change-skips-auth",
        breaks [],
        proves ["plan-change.auth"],
        "plan changes are carried out without looking at the credentials";
    ParsesBodyBeforeAuth = "parses-body-before-auth",
        breaks [],
        proves ["provision.auth-before-parse", "plan-change.auth-before-parse"],
        "provisions and plan changes read the body before checking the credentials, so a malformed body with wrong credentials is answered 400 about the body instead of 401; well-formed requests with wrong credentials are still refused";
    DeprovisionSkipsAuth = "deprovision-skips-auth",
        breaks [],
        proves ["deprovision.auth"],
        "deprovisions are carried out without looking at the credentials; the forged request deletes the resource, so checks that need it afterwards may fail too";
    DeprovisionLooksUpBeforeAuth = "deprovision-looks-up-before-auth",
        breaks [],
        proves ["deprovision.auth"],
        "a deprovision looks the resource up before checking credentials, so an unknown id with wrong credentials answers 404 (Bitrise: 200, nothing to delete) instead of 401";
    ProvisionFails = "provision-fails",
        breaks [],
        proves ["provision.status", "lifecycle.run"],
        "every authorised provision answers 500 and keeps nothing; every check that needs a resource cannot run";
    ProvisionSlow = "provision-slow",
        breaks [],
        proves ["provision.deadline"],
        "every authorised provision is answered only after the slow delay (4 s unless configured: past Heroku's 3 s should-limit, inside its 25 s must-limit; Scalingo's only limit is 30 s and Bitrise's 10 s, so there it shows with a shorter `--timeout`)";
    ProvisionHtmlBody = "provision-html-body",
        breaks [],
        proves ["provision.body"],
        "provisions answer success (200; Bitrise's 201) with an HTML page instead of JSON and keep nothing";
    ProvisionWithoutId = "provision-without-id",
        breaks [ProviderIds],
        proves ["provision.id"],
        "the provision answer leaves out the id (nothing is kept, since the platform could never address it)";
    EmptyId = "empty-id",
        breaks [ProviderIds, IdLimits],
        proves ["provision.id"],
        "the provision answer gives the id as an empty string (nothing is kept, since the platform could never address it)";
    LongId = "long-id",
        breaks [ProviderIds, IdLimits],
        proves ["provision.id"],
        "every resource gets an id of 300 characters, more than the 255 Scalingo stores; the add-on itself works with it";
    NullConfig = "null-config",
        breaks [DeclaredConfig],
        proves ["provision.config.complete"],
        "the provision answer says `\"config\": null`, so the declared config vars are missing; the resource itself is kept and works";
    UndeclaredConfigVar = "undeclared-config-var",
        breaks [DeclaredConfig],
        proves ["provision.config.declared"],
        "the provision config carries REFERENCE_DB_REGION, which the manifest does not declare";
    MissingConfigVar = "missing-config-var",
        breaks [DeclaredConfig],
        proves ["provision.config.complete"],
        "the provision config leaves out the declared REFERENCE_DB_TOKEN";
    NonStringConfigValue = "non-string-config-value",
        breaks [DeclaredConfig],
        proves ["provision.config.strings"],
        "the provision config gives REFERENCE_DB_TOKEN as a JSON number";
    ConfigWithoutPrefix = "config-without-prefix",
        breaks [ConfigPrefix],
        proves ["provision.config.prefix"],
        "the provision config adds DATABASE_URL without the add-on's prefix; since every declared name carries the prefix, it is undeclared too (provision.config.declared fails as well)";
    RelativeConfigUrl = "relative-config-url",
        breaks [DeclaredConfig],
        proves ["provision.config.urls"],
        "the provision config sets REFERENCE_DB_URL to the relative path `/db`";
    NoLogDrainUrl = "no-log-drain-url",
        breaks [LogDrains],
        proves ["provision.log-drain"],
        "the provision answer has no log_drain_url although the manifest asks for a log drain (Heroku's `syslog_drain`, Scalingo's `log_drain`)";
    EmptyEnvValue = "empty-env-value",
        breaks [Envs],
        proves ["provision.envs"],
        "the provision answer exports REFERENCE_DB_TOKEN with an empty value";
    NewIdOnReplay = "new-id-on-replay",
        breaks [ProviderIds],
        proves ["provision.idempotent"],
        "every provision creates a new resource, even a replay of a uuid already provisioned; concurrent replays split too (provision.idempotent.concurrent fails as well)";
    NewAppAnswered200 = "new-app-answered-200",
        breaks [ReplayStatus],
        proves ["provision.status"],
        "a provision of a new app answers 200 instead of 201; the app and its env vars are provisioned as they should be";
    CreatedOnEveryRepeat = "created-on-every-repeat",
        breaks [ReplayStatus],
        proves ["provision.idempotent"],
        "a repeated provision of an app answers 201 Created as if the app were new, instead of 200; the app and its env vars stay the same";
    RotatingEnvs = "rotating-envs",
        breaks [Envs],
        proves ["provision.idempotent"],
        "every provision answer, repeats included, carries a freshly minted REFERENCE_DB_TOKEN, so builds of the same app see a token that keeps changing";
    SameIdForEveryResource = "same-id-for-every-resource",
        breaks [ProviderIds],
        proves ["provision.distinct"],
        "every provision, whatever its uuid, hands out the one resource created first";
    AcceptsUnknownPlan = "accepts-unknown-plan",
        breaks [],
        proves ["provision.unknown-plan"],
        "provisioning accepts plan names the add-on does not offer";
    PlanChangeFails = "plan-change-fails",
        breaks [],
        proves ["plan-change.status", "lifecycle.run"],
        "every authorised plan change answers 500 and leaves the plan as it was";
    PlanChangeSlow = "plan-change-slow",
        breaks [],
        proves ["plan-change.deadline"],
        "every authorised plan change is answered only after the slow delay";
    PlanChangeUndeclaredConfig = "plan-change-undeclared-config",
        breaks [DeclaredConfig],
        proves ["plan-change.config"],
        "the plan change config carries REFERENCE_DB_PLAN, which the manifest does not declare";
    PlanChangeAcceptsUnknownPlan = "plan-change-accepts-unknown-plan",
        breaks [],
        proves ["plan-change.unknown-plan"],
        "plan changes accept plan names the add-on does not offer";
    PlanChangeInventsResource = "plan-change-invents-resource",
        breaks [],
        proves ["plan-change.unknown-resource"],
        "a plan change for an id that is not live answers 200 as if it were; a deprovisioned resource therefore seems to live on (deprovision.effective fails as well)";
    DeprovisionFails = "deprovision-fails",
        breaks [],
        proves ["deprovision.status", "lifecycle.run"],
        "a deprovision deletes the resource but answers 500";
    DeprovisionBody = "deprovision-body",
        breaks [EmptyDeprovision],
        proves ["deprovision.status"],
        "a deprovision deletes the resource but answers 200 with a JSON message instead of 204 with an empty body";
    DeprovisionSlow = "deprovision-slow",
        breaks [],
        proves ["deprovision.deadline"],
        "every authorised deprovision is answered only after the slow delay";
    RepeatDeprovision500 = "repeat-deprovision-500",
        breaks [],
        proves ["deprovision.repeat"],
        "deprovisioning a resource already deprovisioned answers 500 instead of 410";
    RepeatDelete404 = "repeat-delete-404",
        breaks [RepeatDeprovisionSucceeds],
        proves ["deprovision.repeat"],
        "deleting an app's provision that is already gone answers 404, where Bitrise expects a 2xx";
    DeprovisionKeepsResource = "deprovision-keeps-resource",
        breaks [],
        proves ["deprovision.effective", "lifecycle.model"],
        "a deprovision answers 204 but the resource stays live (and so stays in `live_resources`): plan changes and logins for it are still accepted";
    RacyReplay = "racy-replay",
        breaks [ProviderIds],
        proves ["provision.idempotent.concurrent", "lifecycle.model"],
        "the uuid is looked up and the new resource recorded in two steps with the work in between, so identical provisions arriving together each create a resource; sequential replays stay correct";
    ForgetsPlanAfterReplay = "forgets-plan-after-replay",
        breaks [ProviderIds],
        proves ["lifecycle.model"],
        "a replayed provision puts the resource back on the plan the provision named, forgetting any plan change since; the replay answers with that plan's config (only a plan change followed by a replay shows it)";
    SsoAcceptsAnyToken = "sso-accepts-any-token",
        breaks [],
        proves ["sso.rejects-bad-token"],
        "single sign-on never checks the tokens (the resource and the timestamp still are); a token minted for another resource is any token too (sso.rejects-other-resource fails as well)";
    SsoIgnoresTimestamp = "sso-ignores-timestamp",
        breaks [],
        proves ["sso.rejects-stale-timestamp"],
        "single sign-on never checks the timestamp, so stale logins are accepted (and logins from the future: sso.rejects-future-timestamp fails as well)";
    SsoAcceptsFutureTimestamp = "sso-accepts-future-timestamp",
        breaks [],
        proves ["sso.rejects-future-timestamp"],
        "single sign-on checks only that a timestamp is not too old, so one from far in the future is accepted";
    SsoRefusesValidLogins = "sso-refuses-valid-logins",
        breaks [],
        proves ["sso.login"],
        "single sign-on refuses every login with 403; checks that need a logged-in page cannot pass either";
    SsoIgnoresResource = "sso-ignores-resource",
        breaks [],
        proves ["sso.rejects-other-resource"],
        "a token valid for any live resource opens the dashboard of the resource asked for";
    SsoAcceptsPreviousResource = "sso-accepts-previous-resource",
        breaks [ProviderIds],
        proves ["lifecycle.model"],
        "a login is also accepted with tokens valid for any resource provisioned before the one it opens (the fixed suite's crossed login uses a later resource's tokens, so only a generated sequence shows it)";
    SsoNeedsProvisioningCredentials = "sso-needs-provisioning-credentials",
        breaks [BasicAuth],
        proves ["sso.login"],
        "single sign-on demands the provisioning Basic credentials, which the platform never sends on a login";
    LoginNeedsAuthToken = "login-needs-auth-token",
        breaks [TokenHeader],
        proves ["sso.login"],
        "a login is refused unless it carries the shared token in the `Authentication` header, which a browser never sends; checks that need a logged-in page cannot pass either";
    LoginWithoutBeam = "login-without-beam",
        breaks [SsoPageMarkers],
        proves ["sso.html"],
        "the page a login ends on does not load the Beam navigation header (`@bitrise/beam`, `Beam.init`)";
    Sha256TokenRefused = "sha256-token-refused",
        breaks [SeveralTokenKinds, EveryTokenKindAlone],
        proves ["sso.token-kinds"],
        "a login is accepted only with the SHA-1 token; the `sha256-` token Bitrise also sends is refused";
    SsoNoNavCookie = "sso-no-nav-cookie",
        breaks [LegacySsoPage],
        proves ["sso.nav-cookie"],
        "a login does not keep nav-data in the `heroku-nav-data` cookie";
    SsoNoHerokuHeader = "sso-no-heroku-header",
        breaks [LegacySsoPage],
        proves ["sso.layout"],
        "the dashboard a login ends on does not include the Heroku header (legacy)";
    SsoRequiresEveryToken = "sso-requires-every-token",
        breaks [SeveralTokenKinds, TokensTogether],
        proves ["sso.token-kinds"],
        "a login is accepted only when all three tokens are valid at once; Heroku may send any of them alone";
    AsyncNeverCompletes = "async-never-completes",
        breaks [AsyncProvisioning],
        proves ["provision.async"],
        "provisioning answers 202 (asynchronous) but never reports the resource ready through the callback URL";
    ManifestSyntaxError = "manifest-syntax-error",
        breaks [JsonManifest],
        proves ["manifest.parse"],
        "the manifest has a trailing comma, so it is not JSON; nothing else can run";
    ManifestBlankName = "manifest-blank-name",
        breaks [ManifestId, SeparateUser],
        proves ["manifest.id"],
        "the manifest's `name` is blank";
    ManifestDeprecatedUsername = "manifest-deprecated-username",
        breaks [DeprecatedKeys],
        proves ["manifest.credentials"],
        "the manifest still sets the deprecated `api.username`";
    ManifestBlankSsoSalt = "manifest-blank-sso-salt",
        breaks [JsonManifest],
        proves ["manifest.sso-salt"],
        "the manifest's SSO salt is blank (the add-on keeps checking logins with its real salt, so every login fails too)";
    ManifestRelativeUrl = "manifest-relative-url",
        breaks [JsonManifest],
        proves ["manifest.urls"],
        "the production `sso_url` is a relative path";
    ManifestHttpProduction = "manifest-http-production",
        breaks [JsonManifest],
        proves ["manifest.urls.https"],
        "the production `base_url` uses plain http";
    ManifestUnknownRegion = "manifest-unknown-region",
        breaks [Regions],
        proves ["manifest.regions"],
        "`api.regions` names a region Heroku does not have";
    ManifestUnknownRequires = "manifest-unknown-requires",
        breaks [Features],
        proves ["manifest.requires"],
        "`api.requires` names a feature Heroku does not have";
    ManifestBadConfigVar = "manifest-bad-config-var",
        breaks [DeclaredConfig, JsonManifest],
        proves ["manifest.config-vars"],
        "the manifest declares a config var name that is not valid (it is never returned either, so provision.config.complete warns too)";
    ManifestNegativePrice = "manifest-negative-price",
        breaks [Plans],
        proves ["manifest.plans"],
        "a plan has a negative price";
    ManifestBlankDescription = "manifest-blank-description",
        breaks [Listing],
        proves ["manifest.listing"],
        "the marketplace description is blank";
    ManifestUnknownKey = "manifest-unknown-key",
        breaks [ClosedManifest],
        proves ["manifest.unknown-keys"],
        "the manifest has a key the platform does not read (a misspelt setting)";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name given was not the name of a fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFault(pub String);

impl fmt::Display for UnknownFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown fault `{}` (known: ", self.0)?;
        for (index, fault) in Fault::ALL.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            f.write_str(fault.name())?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownFault {}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use manifest_core::catalog;

    use super::*;

    #[test]
    fn names_round_trip() {
        for fault in Fault::ALL {
            assert_eq!(fault.to_string().parse::<Fault>(), Ok(fault));
        }
        let error = "accepts-everything".parse::<Fault>().unwrap_err();
        assert!(error.to_string().contains("racy-replay"));
    }

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<_> = Fault::ALL.iter().map(Fault::name).collect();
        assert!(names.iter().all(|name| {
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Fault::ALL.len());
    }

    /// Wherever the fault applies, the checks it proves apply too: each needs no capability
    /// the fault does not name.
    #[test]
    fn every_fault_proves_checks_that_apply_wherever_it_does() {
        for fault in Fault::ALL {
            for id in fault.proves() {
                let check = catalog::lookup(id)
                    .unwrap_or_else(|| panic!("{fault} proves unknown check {id}"));
                assert!(
                    check.applies_to(fault.breaks()),
                    "{fault} proves {id}, which needs {:?}; the fault breaks only {:?}",
                    check.needs,
                    fault.breaks()
                );
            }
        }
    }
}
