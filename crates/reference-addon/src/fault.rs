//! The faults the reference add-on can be switched into. Each one makes the add-on wrong in one
//! way, so that a run against it proves that the checks it names catch exactly that mistake.
//! Where a fault cannot help breaking something else too, its description says so.

use std::fmt;
use std::str::FromStr;

use manifest_core::Platform;

macro_rules! faults {
    ($(
        $variant:ident = $name:literal,
        on [$($platform:ident),+ $(,)?],
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

            /// The platforms whose reference add-on can be switched into this fault.
            pub fn platforms(&self) -> &'static [Platform] {
                match self {
                    $(Fault::$variant => &[$(Platform::$platform),+],)+
                }
            }
        }
    };
}

faults! {
    AcceptsWrongPassword = "accepts-wrong-password",
        on [Heroku, Scalingo],
        proves ["provision.auth"],
        "provisioning checks the user but accepts any password (plan change and deprovision stay strict)";
    AcceptsPasswordPrefix = "accepts-password-prefix",
        on [Heroku, Scalingo],
        proves ["provision.auth", "plan-change.auth", "deprovision.auth"],
        "every provisioning endpoint compares only as many characters as the real password has, so the password with anything appended passes";
    PlanChangeSkipsAuth = "plan-change-skips-auth",
        on [Heroku, Scalingo],
        proves ["plan-change.auth"],
        "plan changes are carried out without looking at the credentials";
    DeprovisionSkipsAuth = "deprovision-skips-auth",
        on [Heroku, Scalingo],
        proves ["deprovision.auth"],
        "deprovisions are carried out without looking at the credentials; the forged request deletes the resource, so checks that need it afterwards may fail too";
    DeprovisionLooksUpBeforeAuth = "deprovision-looks-up-before-auth",
        on [Heroku, Scalingo],
        proves ["deprovision.auth"],
        "a deprovision looks the resource up before checking credentials, so an unknown id with wrong credentials answers 404 instead of 401";
    ProvisionFails = "provision-fails",
        on [Heroku, Scalingo],
        proves ["provision.status"],
        "every authorised provision answers 500 and keeps nothing; every check that needs a resource cannot run";
    ProvisionSlow = "provision-slow",
        on [Heroku, Scalingo],
        proves ["provision.deadline"],
        "every authorised provision is answered only after the slow delay (4 s unless configured: past Heroku's 3 s should-limit, inside its 25 s must-limit; Scalingo's only limit is 30 s, so there it shows with a shorter `--timeout`)";
    ProvisionHtmlBody = "provision-html-body",
        on [Heroku, Scalingo],
        proves ["provision.body"],
        "provisions answer 200 with an HTML page instead of JSON and keep nothing";
    ProvisionWithoutId = "provision-without-id",
        on [Heroku, Scalingo],
        proves ["provision.id"],
        "the provision answer leaves out the id (nothing is kept, since the platform could never address it)";
    ProvisionNumericId = "provision-numeric-id",
        on [Heroku, Scalingo],
        proves ["provision.id"],
        "the provision answer gives the id as a JSON number (nothing is kept, since the platform could never address it)";
    EmptyId = "empty-id",
        on [Scalingo],
        proves ["provision.id"],
        "the provision answer gives the id as an empty string (nothing is kept, since the platform could never address it)";
    LongId = "long-id",
        on [Scalingo],
        proves ["provision.id"],
        "every resource gets an id of 300 characters, more than the 255 Scalingo stores; the add-on itself works with it";
    UndeclaredConfigVar = "undeclared-config-var",
        on [Heroku, Scalingo],
        proves ["provision.config.declared"],
        "the provision config carries REFERENCE_DB_REGION, which the manifest does not declare";
    MissingConfigVar = "missing-config-var",
        on [Heroku, Scalingo],
        proves ["provision.config.complete"],
        "the provision config leaves out the declared REFERENCE_DB_TOKEN";
    NonStringConfigValue = "non-string-config-value",
        on [Heroku, Scalingo],
        proves ["provision.config.strings"],
        "the provision config gives REFERENCE_DB_TOKEN as a JSON number";
    ConfigWithoutPrefix = "config-without-prefix",
        on [Heroku],
        proves ["provision.config.prefix"],
        "the provision config adds DATABASE_URL without the add-on's prefix; since every declared name carries the prefix, it is undeclared too (provision.config.declared fails as well)";
    RelativeConfigUrl = "relative-config-url",
        on [Heroku, Scalingo],
        proves ["provision.config.urls"],
        "the provision config sets REFERENCE_DB_URL to the relative path `/db`";
    NoLogDrainUrl = "no-log-drain-url",
        on [Heroku, Scalingo],
        proves ["provision.log-drain"],
        "the provision answer has no log_drain_url although the manifest asks for a log drain (Heroku's `syslog_drain`, Scalingo's `log_drain`)";
    NewIdOnReplay = "new-id-on-replay",
        on [Heroku, Scalingo],
        proves ["provision.idempotent"],
        "every provision creates a new resource, even a replay of a uuid already provisioned; concurrent replays split too (provision.idempotent.concurrent fails as well)";
    SameIdForEveryResource = "same-id-for-every-resource",
        on [Heroku, Scalingo],
        proves ["provision.distinct"],
        "every provision, whatever its uuid, hands out the one resource created first";
    AcceptsUnknownPlan = "accepts-unknown-plan",
        on [Heroku, Scalingo],
        proves ["provision.unknown-plan"],
        "provisioning accepts plan names the add-on does not offer";
    PlanChangeFails = "plan-change-fails",
        on [Heroku, Scalingo],
        proves ["plan-change.status"],
        "every authorised plan change answers 500 and leaves the plan as it was";
    PlanChangeSlow = "plan-change-slow",
        on [Heroku, Scalingo],
        proves ["plan-change.deadline"],
        "every authorised plan change is answered only after the slow delay";
    PlanChangeUndeclaredConfig = "plan-change-undeclared-config",
        on [Heroku, Scalingo],
        proves ["plan-change.config"],
        "the plan change config carries REFERENCE_DB_PLAN, which the manifest does not declare";
    PlanChangeAcceptsUnknownPlan = "plan-change-accepts-unknown-plan",
        on [Heroku, Scalingo],
        proves ["plan-change.unknown-plan"],
        "plan changes accept plan names the add-on does not offer";
    PlanChangeInventsResource = "plan-change-invents-resource",
        on [Heroku, Scalingo],
        proves ["plan-change.unknown-resource"],
        "a plan change for an id that is not live answers 200 as if it were; a deprovisioned resource therefore seems to live on (deprovision.effective fails as well)";
    DeprovisionFails = "deprovision-fails",
        on [Heroku, Scalingo],
        proves ["deprovision.status"],
        "a deprovision deletes the resource but answers 500";
    DeprovisionBody = "deprovision-body",
        on [Scalingo],
        proves ["deprovision.status"],
        "a deprovision deletes the resource but answers 200 with a JSON message instead of 204 with an empty body";
    DeprovisionSlow = "deprovision-slow",
        on [Heroku, Scalingo],
        proves ["deprovision.deadline"],
        "every authorised deprovision is answered only after the slow delay";
    RepeatDeprovision500 = "repeat-deprovision-500",
        on [Heroku, Scalingo],
        proves ["deprovision.repeat"],
        "deprovisioning a resource already deprovisioned answers 500 instead of 410";
    DeprovisionKeepsResource = "deprovision-keeps-resource",
        on [Heroku, Scalingo],
        proves ["deprovision.effective"],
        "a deprovision answers 204 but the resource stays live (and so stays in `live_resources`)";
    RacyReplay = "racy-replay",
        on [Heroku, Scalingo],
        proves ["provision.idempotent.concurrent"],
        "the uuid is looked up and the new resource recorded in two steps with the work in between, so identical provisions arriving together each create a resource; sequential replays stay correct";
    SsoAcceptsAnyToken = "sso-accepts-any-token",
        on [Heroku, Scalingo],
        proves ["sso.rejects-bad-token"],
        "single sign-on never checks the tokens (the resource and the timestamp still are); a token minted for another resource is any token too (sso.rejects-other-resource fails as well)";
    SsoIgnoresTimestamp = "sso-ignores-timestamp",
        on [Heroku, Scalingo],
        proves ["sso.rejects-stale-timestamp"],
        "single sign-on never checks the timestamp, so stale logins are accepted (and logins from the future: sso.rejects-future-timestamp fails as well)";
    SsoAcceptsFutureTimestamp = "sso-accepts-future-timestamp",
        on [Heroku, Scalingo],
        proves ["sso.rejects-future-timestamp"],
        "single sign-on checks only that a timestamp is not too old, so one from far in the future is accepted";
    SsoRefusesValidLogins = "sso-refuses-valid-logins",
        on [Heroku, Scalingo],
        proves ["sso.login"],
        "single sign-on refuses every login with 403; checks that need a logged-in page cannot pass either";
    SsoIgnoresResource = "sso-ignores-resource",
        on [Heroku, Scalingo],
        proves ["sso.rejects-other-resource"],
        "a token valid for any live resource opens the dashboard of the resource asked for";
    SsoNeedsProvisioningCredentials = "sso-needs-provisioning-credentials",
        on [Heroku, Scalingo],
        proves ["sso.login"],
        "single sign-on demands the provisioning Basic credentials, which the platform never sends on a login";
    SsoNoNavCookie = "sso-no-nav-cookie",
        on [Heroku],
        proves ["sso.nav-cookie"],
        "a login does not keep nav-data in the `heroku-nav-data` cookie";
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

    #[test]
    fn every_fault_proves_catalog_checks_of_its_platforms() {
        for fault in Fault::ALL {
            for id in fault.proves() {
                let check = catalog::lookup(id)
                    .unwrap_or_else(|| panic!("{fault} proves unknown check {id}"));
                for platform in fault.platforms() {
                    assert!(
                        check.applies_to(*platform),
                        "{fault} proves {id}, which does not apply to {platform}"
                    );
                }
            }
        }
    }
}
