//! The check catalog: one table that `checks`, `explain`, the reports and JUnit names are all
//! generated from. Ids are a public contract: add new ones, never rename.

use serde::{Deserialize, Serialize};

use crate::capability::{Capability, has_all};
use crate::dialect::Dialect;

/// A check id such as `provision.auth`.
pub type CheckId = &'static str;

/// `must` failures fail the run; `should` failures only warn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Must,
    Should,
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum RuleSource {
    /// The platform's own documentation.
    PlatformDocs(&'static str),
    /// What an official tester checked.
    OfficialTester(&'static str),
    /// Our own stricter rule, with the reason for it.
    Beyond(&'static str),
}

impl RuleSource {
    pub fn describe(&self) -> String {
        match self {
            RuleSource::PlatformDocs(detail) => format!("platform documentation: {detail}"),
            RuleSource::OfficialTester(detail) => format!("official tester: {detail}"),
            RuleSource::Beyond(detail) => format!("beyond the platform (our own rule): {detail}"),
        }
    }
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckDef {
    pub id: CheckId,
    pub level: Level,
    /// The capabilities a platform must have for the check to apply; none for the protocol
    /// every platform shares.
    pub needs: &'static [Capability],
    pub source: RuleSource,
    /// One line, for `checks`.
    pub summary: &'static str,
    /// A paragraph, for `explain`.
    pub explanation: &'static str,
}

impl CheckDef {
    /// Whether the check applies to a platform with these capabilities.
    pub fn applies_to(&self, capabilities: &[Capability]) -> bool {
        has_all(capabilities, self.needs)
    }

    /// The operation the check belongs to: the part of the id before the first dot.
    pub fn area(&self) -> &'static str {
        area_of(self.id)
    }
}

/// The operation a check id belongs to.
pub fn area_of(id: &str) -> &str {
    id.split('.').next().unwrap_or(id)
}

/// The catalog entry of an id.
pub fn lookup(id: &str) -> Option<&'static CheckDef> {
    CATALOG.iter().find(|check| check.id == id)
}

/// The checks that apply to a dialect's platform, in catalog order.
pub fn for_dialect(dialect: &dyn Dialect) -> impl Iterator<Item = &'static CheckDef> + '_ {
    applicable(dialect.expectations().capabilities)
}

/// The checks that apply to a platform with these capabilities, in catalog order.
pub fn applicable(capabilities: &[Capability]) -> impl Iterator<Item = &'static CheckDef> + '_ {
    CATALOG
        .iter()
        .filter(move |check| check.applies_to(capabilities))
}

use Capability::*;

/// The checks of the protocol every platform shares.
const EVERY: &[Capability] = &[];

macro_rules! check {
    ($id:literal, $level:ident, $needs:expr, $source:expr, $summary:literal, $explanation:literal $(,)?) => {
        CheckDef {
            id: $id,
            level: Level::$level,
            needs: $needs,
            source: $source,
            summary: $summary,
            explanation: $explanation,
        }
    };
}

use RuleSource::{Beyond, OfficialTester, PlatformDocs};

/// Every check, in the order reports list them.
pub static CATALOG: &[CheckDef] = &[
    // Manifest
    check!(
        "manifest.parse",
        Must,
        EVERY,
        OfficialTester("kensa, scalingo-addon-api-tester"),
        "the manifest is one strict JSON (or YAML) document with the expected top-level shape",
        "The manifest is read as strict JSON (Bitrise's config as YAML or JSON): no comments, no trailing commas, no duplicate keys, and an object at the top. A manifest that cannot be read stops the run with exit code 2 and a `file:line:column` pointer at the problem."
    ),
    check!(
        "manifest.id",
        Must,
        &[ManifestId],
        OfficialTester("kensa"),
        "the add-on has a non-blank string id (Heroku `id`, Scalingo `name`)",
        "Heroku's `id` is the add-on's slug: it names it on the platform and is the default config var prefix, so it must be a string, not blank, and made of lowercase letters, digits and dashes (the whole string is matched, so a trailing newline cannot slip through as kensa's line-anchored pattern allowed). Scalingo's `name` is the add-on's display name (its own example manifest says \"Example Addon\"): it must be a non-blank string, nothing more."
    ),
    check!(
        "manifest.credentials",
        Must,
        EVERY,
        OfficialTester("kensa, scalingo-addon-api-tester, bitrise-addon-test"),
        "the provisioning credentials are present and not blank",
        "The platform authenticates to the provider with these credentials (Heroku: the id and `api.password`; Scalingo: `username` and `password`; Bitrise: `auth-token`). A blank password means any caller could provision. Heroku's deprecated `api.username` is reported: Heroku uses the add-on id as the user."
    ),
    check!(
        "manifest.sso-salt",
        Must,
        EVERY,
        OfficialTester("kensa, scalingo-addon-api-tester, bitrise-addon-test"),
        "the single sign-on salt is present and not blank",
        "SSO tokens are hashes of the resource id, this shared salt and a timestamp. Without a salt, or with a blank one, anyone can mint a login to any customer's dashboard."
    ),
    check!(
        "manifest.urls",
        Must,
        EVERY,
        OfficialTester("kensa, scalingo-addon-api-tester"),
        "the test and production URLs are absolute http(s) URLs",
        "Each environment names where the platform sends provisioning calls (`base_url`) and SSO logins (`sso_url`, or the legacy root URL form on Heroku). Every URL must be an absolute http or https URL with a host; empty strings and relative paths are refused, which the Scalingo tester let through. Heroku manifests may omit `api.test`: then `test --env test` needs `--base-url`. A Heroku `base_url` not ending in `/heroku/resources` is only a warning."
    ),
    check!(
        "manifest.urls.https",
        Must,
        EVERY,
        PlatformDocs("production traffic carries credentials and must use TLS"),
        "production URLs use https",
        "The platform sends the provisioning password and SSO tokens to production URLs. Over plain http they travel in the clear, so every production URL must be https."
    ),
    check!(
        "manifest.regions",
        Must,
        &[Regions],
        OfficialTester("kensa"),
        "`api.regions` is an array of region names",
        "Heroku sends the app's region on every provision and only offers the add-on in the regions listed here. It must be an array of strings; `*` means every region. Names outside the regions we know are warnings, not errors: kensa's fixed 2016 list rejected regions Heroku added later."
    ),
    check!(
        "manifest.requires",
        Must,
        &[Features],
        Beyond("kensa never looked at `requires`, so typos went unnoticed until review"),
        "`api.requires` lists only features Heroku knows",
        "`requires` asks Heroku for platform features at provision time: `syslog_drain` (a log drain URL and token are sent and a `log_drain_url` may be returned), `attachable` and `many_per_app`. Unknown names are refused."
    ),
    check!(
        "manifest.config-vars",
        Must,
        &[DeclaredConfig],
        OfficialTester("kensa, scalingo-addon-api-tester"),
        "declared config vars are valid, unique, upper-case names with the right prefix",
        "Every config var the provider may return must be declared. On Heroku each name is upper-case, starts with the prefix (`config_vars_prefix`, or the id upper-cased with `-` turned into `_`) followed by exactly one `_` and a non-empty rest. On Scalingo at least one name is declared and each is a valid environment variable name. Duplicates are refused."
    ),
    check!(
        "manifest.plans",
        Must,
        &[Plans],
        OfficialTester("scalingo-addon-api-tester"),
        "at least one plan; plan names unique and non-empty; prices non-negative numbers",
        "Scalingo lists plans in the manifest. There must be at least one; each needs a unique non-empty `name`, a `display_name`, a `description` and a non-negative numeric `price`."
    ),
    check!(
        "manifest.listing",
        Should,
        &[Listing],
        OfficialTester("scalingo-addon-api-tester"),
        "the marketplace listing fields are filled in",
        "The marketplace shows `logo_url`, `short_description` and `description`. Blank ones make a poor listing and are warned about."
    ),
    check!(
        "manifest.unknown-keys",
        Should,
        &[ClosedManifest],
        Beyond("a misspelt key (e.g. Scalingo's common `test_sso_url`) silently does nothing"),
        "no keys the platform does not read",
        "A key the platform does not know is ignored by it, which usually means a typo: the setting the author meant is not set. Each unknown key is warned about with its position."
    ),
    // Provision
    check!(
        "provision.status",
        Must,
        EVERY,
        PlatformDocs("provision success statuses"),
        "a provision is answered with a success status",
        "Heroku expects 200 or 201 (or 202 when provisioning continues asynchronously), Scalingo 200, 201 or 202, Bitrise 201 for a new app. Anything else is a failed provision and the platform tells the customer so."
    ),
    check!(
        "provision.deadline",
        Must,
        EVERY,
        PlatformDocs("response deadlines: Heroku 3 s should / 25 s must, Bitrise 10 s"),
        "a provision is answered in time",
        "Platforms time provisioning calls out. Heroku expects an answer within 3 seconds and gives up after 25; Bitrise allows 10 seconds. A slower answer fails (or warns, between the two Heroku limits). `--timeout` overrides the limit for every request."
    ),
    check!(
        "provision.body",
        Must,
        EVERY,
        PlatformDocs("provision response body"),
        "the provision answer is a JSON object",
        "The platform reads the answer as JSON. An empty body, HTML error page, JSON that is not an object, or a body beyond the 1 MiB cap fails this check."
    ),
    check!(
        "provision.id",
        Must,
        &[ProviderIds],
        PlatformDocs("provision response `id`"),
        "the answer carries a non-empty string id (Scalingo: at most 255 characters)",
        "The platform stores the id and uses it in every later call (plan change, deprovision, SSO). It must be a non-empty string; a number is refused because platforms compare ids as strings. Scalingo limits ids to 255 characters."
    ),
    check!(
        "provision.config.declared",
        Must,
        &[DeclaredConfig],
        OfficialTester("kensa"),
        "every returned config var is declared in the manifest",
        "The platform refuses config vars the manifest does not declare. Every key of `config` must appear in the manifest's `config_vars`."
    ),
    check!(
        "provision.config.complete",
        Should,
        &[DeclaredConfig],
        Beyond("a declared var that never arrives usually means a misconfigured provider"),
        "every declared config var is returned",
        "A declared config var that the provision answer leaves out is warned about: apps written against the add-on's documentation will look for it."
    ),
    check!(
        "provision.config.strings",
        Must,
        &[DeclaredConfig],
        OfficialTester("kensa"),
        "every config value is a string",
        "Config vars become environment variables, which are strings. A number, boolean, null or object is refused."
    ),
    check!(
        "provision.config.prefix",
        Must,
        &[ConfigPrefix],
        OfficialTester("kensa"),
        "every config var carries the add-on's prefix",
        "Heroku prefixes config vars with the add-on's `config_vars_prefix` (or the id upper-cased with `-` turned into `_`) and one `_`, so that several add-ons never clash. Every returned key must start with that prefix."
    ),
    check!(
        "provision.config.urls",
        Must,
        &[DeclaredConfig],
        OfficialTester("kensa"),
        "config vars named `*_URL` hold absolute URLs, and not localhost in production",
        "Apps pass `*_URL` vars straight to clients. Each must parse as an absolute URL with a scheme and host. In production, a URL pointing at localhost or a loopback address can only be a provider bug."
    ),
    check!(
        "provision.envs",
        Must,
        &[Envs],
        PlatformDocs("provision response `envs`"),
        "`envs` is a list of unique, valid, non-empty keys with non-empty values",
        "Bitrise exposes the returned `envs` to builds. Each item needs a `key` that is a valid environment variable name, unique in the list, and a non-empty `value`."
    ),
    check!(
        "provision.log-drain",
        Must,
        &[LogDrains],
        PlatformDocs("log drains: Heroku `syslog_drain`, Scalingo `log_drain`"),
        "an add-on that asks for a log drain returns a `log_drain_url`",
        "When the manifest asks for a log drain (Heroku `requires: [\"syslog_drain\"]`, Scalingo `log_drain: true`), the provision answer must include a `log_drain_url` that is an absolute http(s) or syslog URL. Without one, the customer's logs never reach the add-on."
    ),
    check!(
        "provision.auth",
        Must,
        EVERY,
        OfficialTester("kensa (wrong password only)"),
        "a provision with wrong or missing credentials is refused with 401",
        "Near misses derived from where the platform puts its credentials are sent, each its own exchange, and each must be refused: no credentials; for a Basic user and password a wrong or empty user, a wrong or empty password, the password with a character appended (providers that compare only a prefix), truncated, with its case changed, followed by an extra `:` field, and a Basic value without a colon; for a token the wrong, empty, appended-to, truncated and case-changed token. A refusal is 401; anything else, above all a success, fails and names the probe. Evidence shows each forged value as sent, except that one derived from the real secret is masked."
    ),
    check!(
        "provision.auth-before-parse",
        Should,
        EVERY,
        Beyond("a provider that reads the body first tells strangers what it accepts"),
        "a malformed provision body with wrong credentials is refused with 401, not a parse error",
        "A provision whose body is not JSON is sent with a wrong password (Bitrise: a wrong token). The credentials must be checked before anything else, so the answer must be the refusal (401), not a 400 or 422 about the body: a provider that parses first answers strangers with what it expects to read, and runs its parser on anything anyone sends. No platform documents the order, so this only warns."
    ),
    check!(
        "provision.idempotent",
        Must,
        EVERY,
        PlatformDocs("calls are delivered at least once"),
        "replaying the same provision yields the same resource",
        "Platforms retry provisioning calls they did not see answered, so the same request can arrive twice. The replay must succeed (Bitrise: with 200) and name the same resource id with the same config, not create a second resource."
    ),
    check!(
        "provision.idempotent.concurrent",
        Must,
        EVERY,
        Beyond("retries can overlap the original call"),
        "the same provision sent several times at once yields one resource",
        "A retry can arrive while the first call is still running. The same provision is sent 8 times at once; every answer must name the same resource."
    ),
    check!(
        "provision.distinct",
        Must,
        EVERY,
        Beyond("two customers must never share one resource"),
        "a provision for a new resource yields a new id",
        "A second provision with a different platform id must create a different resource with a different id: a provider that keys on the app or the plan instead of the resource would hand one customer another's database."
    ),
    check!(
        "provision.unknown-plan",
        Should,
        EVERY,
        Beyond("a provider that accepts any plan name bills wrongly"),
        "a provision for a plan that does not exist is refused with a 4xx and a message",
        "Provisioning a plan name the provider does not offer should be refused with a 4xx status and a `message` the platform can show, not silently given a default plan or a 5xx."
    ),
    check!(
        "provision.async",
        Must,
        &[AsyncProvisioning],
        PlatformDocs("asynchronous provisioning"),
        "an asynchronous provision (202) completes through the platform API",
        "A provider that answers 202 must later tell the platform the resource is ready, through the `callback_url` it was given. The engine serves that callback on loopback and waits a bounded time for it; a synchronous answer skips this check."
    ),
    // Plan change
    check!(
        "plan-change.status",
        Must,
        EVERY,
        PlatformDocs("plan change"),
        "a plan change is answered with a success status",
        "Changing a live resource to another plan the provider offers must succeed (200 on Heroku and Scalingo, any 2xx on Bitrise)."
    ),
    check!(
        "plan-change.deadline",
        Must,
        EVERY,
        PlatformDocs("response deadlines"),
        "a plan change is answered in time",
        "The same deadlines as provisioning apply: Heroku 3 s (should) and 25 s (must), Bitrise 10 s."
    ),
    check!(
        "plan-change.auth",
        Must,
        EVERY,
        OfficialTester("kensa (wrong password only)"),
        "a plan change with wrong or missing credentials is refused with 401",
        "The same near misses as for provisioning are sent to the plan change endpoint of a live resource; each must be refused with 401 and the plan must not change."
    ),
    check!(
        "plan-change.auth-before-parse",
        Should,
        EVERY,
        Beyond("a provider that reads the body first tells strangers what it accepts"),
        "a malformed plan change body with wrong credentials is refused with 401, not a parse error",
        "A plan change whose body is not JSON is sent with a wrong password (Bitrise: a wrong token), for the live resource when there is one, else for a made-up id. As for provisioning, the credentials must be checked first, so the answer must be 401, not a 400 or 422 about the body. No platform documents the order, so this only warns."
    ),
    check!(
        "plan-change.config",
        Must,
        &[DeclaredConfig],
        OfficialTester("kensa"),
        "config returned by a plan change follows the provisioning rules",
        "A plan change may return new config. If it does, the same rules as for provisioning apply: declared, string values, prefixed, valid URLs."
    ),
    check!(
        "plan-change.unknown-plan",
        Should,
        EVERY,
        Beyond("a provider that accepts any plan name bills wrongly"),
        "a change to a plan that does not exist is refused with a 4xx and a message",
        "Changing to a plan name the provider does not offer should be refused with a 4xx and a `message`, leaving the resource on its plan."
    ),
    check!(
        "plan-change.unknown-resource",
        Must,
        EVERY,
        Beyond("a provider must not invent resources"),
        "a plan change for a resource that does not exist is refused with a 4xx",
        "A plan change for an id the provider never issued must be refused with a 4xx (404 is usual), never accepted and never a 5xx."
    ),
    // Deprovision
    check!(
        "deprovision.status",
        Must,
        EVERY,
        PlatformDocs("deprovision"),
        "a deprovision is answered with a success status",
        "Heroku expects 200 or 204, Scalingo 204 with an empty body, Bitrise any 2xx."
    ),
    check!(
        "deprovision.deadline",
        Must,
        EVERY,
        PlatformDocs("response deadlines"),
        "a deprovision is answered in time",
        "The same deadlines as provisioning apply."
    ),
    check!(
        "deprovision.auth",
        Must,
        EVERY,
        OfficialTester("kensa (wrong password only)"),
        "a deprovision with wrong or missing credentials is refused with 401, before the resource is looked up",
        "The same near misses as for provisioning must each be refused with 401 and the resource must survive. They are also sent for an id that does not exist: a provider that answers 404 there looks resources up before checking who is asking, which tells strangers which ids exist."
    ),
    check!(
        "deprovision.repeat",
        Must,
        EVERY,
        PlatformDocs("calls are delivered at least once"),
        "a repeated deprovision is answered with 2xx, 404 or 410, never 5xx",
        "Platforms retry deprovisions too. Deleting a resource a second time must answer with success or `gone` (404/410 on Heroku and Scalingo, 2xx on Bitrise), never a server error."
    ),
    check!(
        "deprovision.effective",
        Should,
        EVERY,
        Beyond("a deleted resource that keeps working keeps billing"),
        "a deprovisioned resource no longer accepts a plan change",
        "After a deprovision, a plan change for the same id should be refused with a 4xx: a provider that still accepts it never really deleted the resource."
    ),
    // Single sign-on
    check!(
        "sso.login",
        Must,
        EVERY,
        OfficialTester("kensa, scalingo-addon-api-tester, bitrise-addon-test"),
        "a valid login ends on a 200 page",
        "A login built exactly as the platform builds it (fresh timestamp, valid tokens, no provisioning credentials) must end, after following same-origin redirects with a cookie jar as a browser does, on a 200 page."
    ),
    check!(
        "sso.rejects-bad-token",
        Must,
        EVERY,
        OfficialTester("kensa"),
        "a login with a forged token is refused with 403",
        "A login whose tokens were minted with a wrong salt must be refused. Accepting it lets anyone into any customer's dashboard."
    ),
    check!(
        "sso.rejects-stale-timestamp",
        Must,
        EVERY,
        OfficialTester("kensa"),
        "a login older than the window is refused",
        "A correctly signed login whose timestamp is older than the window (5 minutes by default, `--sso-window`) must be refused, or a leaked URL works forever."
    ),
    check!(
        "sso.rejects-future-timestamp",
        Should,
        EVERY,
        Beyond("a timestamp from the future extends a token's life"),
        "a login from too far in the future is refused",
        "A correctly signed login whose timestamp lies beyond the window in the future should be refused: it would otherwise stay valid long after it was minted."
    ),
    check!(
        "sso.rejects-other-resource",
        Must,
        EVERY,
        Beyond("no official tester checks that a token is bound to its resource"),
        "a token minted for another resource does not open this one",
        "A login for resource A carrying a valid token minted for resource B must be refused: otherwise any customer can open any other customer's dashboard."
    ),
    check!(
        "sso.token-kinds",
        Must,
        &[SeveralTokenKinds],
        PlatformDocs(
            "Heroku sends `token`, `resource_token` and `user_scoped_resource_token`; Bitrise sends a sha1 or a `sha256-` token"
        ),
        "which token kinds the provider honours; on Bitrise, every kind",
        "Heroku sends three tokens on every login. Each is sent valid alone (the others wrong) and the kinds the provider honours are reported; the user-scoped token is the one Heroku recommends. A provider that honours none alone only gets a warning, since Heroku always sends all three. Bitrise sends one token per login, either `sha1(app_slug:sso-secret:timestamp)` or `sha256-` followed by the SHA-256 of the same: a provider must accept both, so a kind that does not open the dashboard fails."
    ),
    check!(
        "sso.nav-cookie",
        Should,
        &[LegacySsoPage],
        OfficialTester("kensa (legacy)"),
        "a login sets the `heroku-nav-data` cookie (legacy, with `--legacy-sso`)",
        "Heroku once asked providers to keep `nav-data` in a `heroku-nav-data` cookie for the Heroku header. Checked only with `--legacy-sso`."
    ),
    check!(
        "sso.layout",
        Should,
        &[LegacySsoPage],
        OfficialTester("kensa (legacy)"),
        "the dashboard shows the Heroku header (legacy, with `--legacy-sso`)",
        "Heroku deprecated the boomerang header in 2019. Checked only with `--legacy-sso`."
    ),
    check!(
        "sso.html",
        Must,
        &[SsoPageMarkers],
        PlatformDocs("Bitrise login page with the Beam navigation header"),
        "the login page is HTML5 and includes the Beam header",
        "The Bitrise login page must be HTML (parsed as HTML5, not XML) and load the Beam navigation header (`@bitrise/beam` and `Beam.init`)."
    ),
    // Lifecycle
    check!(
        "lifecycle.model",
        Must,
        EVERY,
        Beyond("providers break in orders nobody thought of"),
        "generated sequences of operations agree with a model of the platform",
        "Sequences of up to 12 provisions, replays, concurrent provisions, plan changes, logins and deprovisions over three resources are generated from the seed (32 for each of --cases), sent for real with fresh uuids, and every answer compared with a model of what the platform expects: a new provision gets an id of its own; a replay gets the same id and hands out the config the provider last gave the resource, so it never undoes a plan change; identical provisions sent at once make one resource; a plan change or login for a deprovisioned resource is refused with a 4xx; a login with another resource's token, a stale or a forged one is refused; deprovisions answer as the platform expects, repeated or for an id never issued. A failing sequence is shrunk to the shortest that still fails, and the report keeps it as numbered steps with the curl commands of their requests and as a `reproduction` that `addon-conform replay` runs again."
    ),
    check!(
        "lifecycle.run",
        Must,
        EVERY,
        OfficialTester("kensa run"),
        "one resource goes through its whole life: provisioned, moved to another plan, deprovisioned",
        "The platform's everyday sequence for one resource must work end to end: a provision that yields a usable resource, a change to another plan, and a deprovision. Each step's own checks say what exactly went wrong; this one says whether a customer could have used the add-on at all. `addon-conform run -- CMD` follows the same life by hand, running CMD with the resource's config vars in its environment between the provision and the plan change."
    ),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_lowercase() {
        let mut seen = HashSet::new();
        for check in CATALOG {
            assert!(seen.insert(check.id), "duplicate id {}", check.id);
            assert!(
                check
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '-'),
                "{}",
                check.id
            );
            assert!(
                check.explanation.len() > check.summary.len(),
                "{} needs a real explanation",
                check.id
            );
        }
    }

    #[test]
    fn lookup_finds_every_area() {
        for id in [
            "manifest.parse",
            "provision.auth",
            "plan-change.status",
            "deprovision.repeat",
            "sso.login",
            "lifecycle.model",
        ] {
            assert_eq!(lookup(id).map(|c| c.id), Some(id));
        }
        assert_eq!(
            lookup("provision.config.prefix").unwrap().area(),
            "provision"
        );
    }
}
