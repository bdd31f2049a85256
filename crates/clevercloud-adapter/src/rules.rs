//! Clever Cloud's static rules for its marketplace manifest, each problem tied to a catalog check
//! and pointing at the value to change. Where a rule says "must" below, the documentation says
//! so; the rest follows from what Clever Cloud does with each field.

use std::collections::HashSet;

use manifest_core::json_values::describe;
use manifest_core::names::{closest, quoted};
use manifest_core::spanned::child_pointer;
use manifest_core::urls::web_url;
use manifest_core::{Diagnostic, JsonDocument, Manifest, Span};
use serde_json::{Map, Value};

use crate::manifest::{ENDPOINT_KEYS, ENVIRONMENTS, config_prefix};

const TOP_LEVEL_KEYS: &[&str] = &["id", "name", "api"];
const API_KEYS: &[&str] = &[
    "config_vars",
    "regions",
    "password",
    "sso_salt",
    "production",
    "test",
];
/// Keys of Heroku's manifest that Clever Cloud does not read: each gets its own warning, since a
/// manifest carried over from Heroku keeps them by habit.
const HEROKU_ONLY_KEYS: &[(&str, &str)] = &[
    (
        "config_vars_prefix",
        "Clever Cloud always prefixes config vars with the id upper-cased",
    ),
    (
        "requires",
        "Clever Cloud offers no add-on features to ask for",
    ),
    ("version", "Clever Cloud has a single API version"),
    ("username", "Clever Cloud uses the add-on id as the user"),
];
/// The region every add-on must be offered in; the documentation promises more later.
const REQUIRED_REGION: &str = "eu";
/// The sample password and SSO salt earlier editions of the documentation printed. Clever Cloud
/// replaced them with placeholders after finding add-ons in production that had copied them
/// (CleverCloud/documentation#523): whoever read the page could provision and log in there.
const DOCUMENTED_SAMPLE_SECRETS: &[&str] = &[
    "44ca82ddf8d4e74d52494ce2895152ee",
    "fcb5b3add85d65e1dddda87a115b429f",
];

pub(crate) fn findings(manifest: &Manifest) -> Vec<Diagnostic> {
    let mut rules = Rules {
        document: &manifest.document,
        found: Vec::new(),
    };
    rules.manifest();
    rules.found
}

struct Rules<'a> {
    document: &'a JsonDocument,
    found: Vec<Diagnostic>,
}

impl Rules<'_> {
    fn manifest(&mut self) {
        let document = self.document;
        let Some(top) = document.value.as_object() else {
            let message = format!(
                "the manifest is {}, not an object",
                describe(&document.value)
            );
            let help = "write the manifest as one JSON object with `id` and `api`";
            self.error("manifest.parse", document.opening_span(""), message, help);
            return;
        };
        self.unknown_keys("", top, TOP_LEVEL_KEYS);
        let id = self.id(top.get("id"));
        match top.get("api") {
            None => self.error(
                "manifest.parse",
                self.missing(""),
                "the manifest has no `api` object",
                "add `\"api\": {…}` with the password, SSO salt, regions, config vars and URLs; \
                 `init` prints a skeleton",
            ),
            Some(Value::Object(api)) => self.api(api, id),
            Some(other) => self.error(
                "manifest.parse",
                document.value_span("/api"),
                format!("`api` is {}, not an object", describe(other)),
                "make `api` an object holding the password, SSO salt, regions, config vars and \
                 URLs",
            ),
        }
    }

    /// Checks `id`, returning it when it is usable as the add-on's id.
    fn id<'v>(&mut self, value: Option<&'v Value>) -> Option<&'v str> {
        const CHECK: &str = "manifest.id";
        const HELP: &str = "set `id` to the add-on's id: lowercase letters, digits, `-` and `_` \
                            (e.g. `\"my-addon\"`); Clever Cloud sends it as the Basic auth user \
                            and it cannot change after the first push";
        let span = self.document.value_span("/id");
        match value {
            None => self.error(CHECK, self.missing(""), "`id` is missing", HELP),
            Some(Value::String(id)) if id.trim().is_empty() => {
                self.error(CHECK, span, "`id` is blank", HELP);
            }
            Some(Value::String(id)) if !is_addon_id(id) => self.error(
                CHECK,
                span,
                format!(
                    "`id` {} holds characters other than lowercase letters, digits, `-` and `_`",
                    quoted(id)
                ),
                HELP,
            ),
            Some(Value::String(id)) => return Some(id),
            Some(other) => self.error(
                CHECK,
                span,
                format!("`id` is {}, not a string", describe(other)),
                HELP,
            ),
        }
        None
    }

    fn api(&mut self, api: &Map<String, Value>, id: Option<&str>) {
        self.unknown_keys("/api", api, API_KEYS);
        self.regions(api.get("regions"));
        self.secret(
            "manifest.credentials",
            "password",
            api.get("password"),
            "set `api.password` to a long random string: Clever Cloud sends it, with the add-on \
             id as the user, as HTTP Basic credentials on every provisioning call",
        );
        self.secret(
            "manifest.sso-salt",
            "sso_salt",
            api.get("sso_salt"),
            "set `api.sso_salt` to a long random string shared with Clever Cloud; single \
             sign-on tokens are hashes of it",
        );
        for environment in ENVIRONMENTS {
            self.environment(api, environment);
        }
        self.config_vars(
            api.get("config_vars"),
            id.and_then(config_prefix).as_deref(),
        );
    }

    fn regions(&mut self, value: Option<&Value>) {
        const CHECK: &str = "manifest.regions";
        const HELP: &str = "list the regions the add-on is offered in; Clever Cloud requires \
                            `\"eu\"` among them, e.g. `[\"eu\"]`";
        let span = self.document.value_span("/api/regions");
        let items = match value {
            None => {
                let message = "`api.regions` is missing";
                self.error(CHECK, self.missing("/api"), message, HELP);
                return;
            }
            Some(Value::Array(items)) if items.is_empty() => {
                self.error(CHECK, span, "`api.regions` is empty", HELP);
                return;
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!("`api.regions` is {}, not an array", describe(other));
                self.error(CHECK, span, message, HELP);
                return;
            }
        };
        let mut has_required = false;
        for (index, item) in items.iter().enumerate() {
            let span = self.document.value_span(&format!("/api/regions/{index}"));
            match item {
                Value::String(name) if name == REQUIRED_REGION => has_required = true,
                Value::String(name) => self.warning(
                    CHECK,
                    span,
                    format!(
                        "`api.regions` lists {}, a region Clever Cloud does not document",
                        quoted(name)
                    ),
                    "the documentation knows only `eu` so far; if Clever Cloud has opened this \
                     region since, ignore this warning",
                ),
                other => self.error(
                    CHECK,
                    span,
                    format!(
                        "`api.regions` holds {}; region names are strings",
                        describe(other)
                    ),
                    "write each region as a string, e.g. `\"eu\"`",
                ),
            }
        }
        if !has_required {
            self.error(
                CHECK,
                span,
                "`api.regions` does not contain `\"eu\"`",
                "add `\"eu\"`: Clever Cloud requires every add-on to be offered there",
            );
        }
    }

    /// A value that must be a non-blank string. Its value never appears in a message.
    fn secret(&mut self, check: &'static str, key: &str, value: Option<&Value>, help: &str) {
        let span = self.document.value_span(&format!("/api/{key}"));
        match value {
            None => {
                let message = format!("`api.{key}` is missing");
                self.error(check, self.missing("/api"), message, help);
            }
            Some(Value::String(secret)) if secret.trim().is_empty() => {
                self.error(check, span, format!("`api.{key}` is blank"), help);
            }
            Some(Value::String(secret)) if DOCUMENTED_SAMPLE_SECRETS.contains(&secret.as_str()) => {
                let message = format!(
                    "`api.{key}` is a sample value printed in Clever Cloud's documentation"
                );
                let help = format!("{help}; anyone who has read the documentation knows this one");
                self.error(check, span, message, help);
            }
            Some(Value::String(_)) => {}
            Some(other) => self.error(
                check,
                span,
                format!("`api.{key}` is {}, not a string", describe(other)),
                help,
            ),
        }
    }

    /// `api.production` or `api.test`: both are required, each an object with `base_url` and
    /// `sso_url` (the documentation: without a test environment, repeat the production URLs).
    fn environment(&mut self, api: &Map<String, Value>, environment: &str) {
        let production = environment == "production";
        let pointer = format!("/api/{environment}");
        let example = "{\"base_url\": \"https://…/clevercloud/resources\", \"sso_url\": \
                       \"https://…/clevercloud/sso/login\"}";
        match api.get(environment) {
            None => {
                let help = if production {
                    format!("add `\"production\": {example}`")
                } else {
                    "add `\"test\"` with the URLs Clever Cloud calls while the add-on is tested; \
                     without a test environment, repeat the production URLs"
                        .to_owned()
                };
                let message = format!("`api.{environment}` is missing");
                self.error("manifest.urls", self.missing("/api"), message, help);
            }
            Some(Value::Object(urls)) => {
                self.unknown_keys(&pointer, urls, &ENDPOINT_KEYS);
                for key in ENDPOINT_KEYS {
                    self.url_member(urls, &pointer, key, production);
                }
            }
            Some(other) => self.error(
                "manifest.urls",
                self.document.value_span(&pointer),
                format!(
                    "`api.{environment}` is {}; expected an object with `base_url` and `sso_url`",
                    describe(other)
                ),
                format!("write `{example}`"),
            ),
        }
    }

    fn url_member(&mut self, urls: &Map<String, Value>, parent: &str, key: &str, production: bool) {
        let pointer = child_pointer(parent, key);
        let example = match key {
            "base_url" => "https://myaddon.example/clevercloud/resources",
            _ => "https://myaddon.example/clevercloud/sso/login",
        };
        match urls.get(key) {
            None => {
                let help = format!("add `\"{key}\": \"{example}\"`");
                let message = format!("`{}` is missing", dotted(&pointer));
                self.error("manifest.urls", self.missing(parent), message, help);
            }
            Some(Value::String(url)) => self.url(&pointer, url, production, example),
            Some(other) => {
                let message = format!("`{}` is {}, not a URL", dotted(&pointer), describe(other));
                let help = format!("write an absolute URL such as `{example}`");
                let span = self.document.value_span(&pointer);
                self.error("manifest.urls", span, message, help);
            }
        }
    }

    fn url(&mut self, pointer: &str, text: &str, production: bool, example: &str) {
        let span = self.document.value_span(pointer);
        match web_url(text) {
            Err(reason) => {
                let help = format!("write an absolute http(s) URL such as `{example}`");
                let message = format!("`{}` {reason}", dotted(pointer));
                self.error("manifest.urls", span, message, help);
            }
            Ok(url) if production && url.scheme() != "https" => self.error(
                "manifest.urls.https",
                span,
                format!("`{}` uses http, not https", dotted(pointer)),
                "serve production over https: Clever Cloud sends the password and single sign-on \
                 tokens to this URL",
            ),
            Ok(_) => {}
        }
    }

    fn config_vars(&mut self, value: Option<&Value>, prefix: Option<&str>) {
        const CHECK: &str = "manifest.config-vars";
        let example = format!("[\"{}URL\"]", prefix.unwrap_or("MYADDON_"));
        let help = format!("list the config vars provisioning returns, e.g. `{example}`");
        let span = self.document.value_span("/api/config_vars");
        let items = match value {
            None => {
                let message = "`api.config_vars` is missing";
                self.error(CHECK, self.missing("/api"), message, help);
                return;
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!("`api.config_vars` is {}, not an array", describe(other));
                self.error(CHECK, span, message, help);
                return;
            }
        };
        let mut seen = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let span = self
                .document
                .value_span(&format!("/api/config_vars/{index}"));
            let Value::String(name) = item else {
                let message = format!("`api.config_vars` holds {}, not a name", describe(item));
                let help = "write each config var name as a string";
                self.error(CHECK, span, message, help);
                continue;
            };
            if !seen.insert(name.as_str()) {
                let message = format!("`api.config_vars` lists {} twice", quoted(name));
                self.error(CHECK, span, message, "remove the repeated entry");
            } else if !is_upper_case_env_name(name) {
                self.error(
                    CHECK,
                    span,
                    format!(
                        "config var {} is not an upper-case variable name",
                        quoted(name)
                    ),
                    "use upper-case letters, digits and `_`, starting with a letter",
                );
            } else if let Some(prefix) = prefix {
                self.config_var_prefix(span, name, prefix);
            }
        }
    }

    fn config_var_prefix(&mut self, span: Option<Span>, name: &str, prefix: &str) {
        const CHECK: &str = "manifest.config-vars";
        match name.strip_prefix(prefix) {
            None => self.error(
                CHECK,
                span,
                format!("config var {} does not start with `{prefix}`", quoted(name)),
                format!(
                    "rename it `{prefix}…`: Clever Cloud wants every config var to start with \
                     the add-on id upper-cased, `-` turned into `_`"
                ),
            ),
            Some("") => self.error(
                CHECK,
                span,
                format!("config var {} has nothing after the prefix", quoted(name)),
                format!("add a name after the prefix, e.g. `{prefix}URL`"),
            ),
            Some(_) => {}
        }
    }

    fn unknown_keys(&mut self, pointer: &str, object: &Map<String, Value>, known: &[&str]) {
        for key in object.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let member = child_pointer(pointer, key);
            let heroku_only = HEROKU_ONLY_KEYS
                .iter()
                .find(|(heroku_key, _)| pointer == "/api" && heroku_key == key);
            let help = match (heroku_only, closest(key, known)) {
                (Some((_, why)), _) => format!("remove it: it is Heroku's key, and {why}"),
                (None, Some(known)) => {
                    format!("did you mean `{known}`? Clever Cloud ignores keys it does not know")
                }
                (None, None) => format!(
                    "Clever Cloud ignores it; the keys it reads here are {}",
                    known.join(", ")
                ),
            };
            self.warning(
                "manifest.unknown-keys",
                self.document.key_span(&member),
                format!("`{}` is not a key Clever Cloud reads", dotted(&member)),
                help,
            );
        }
    }

    /// Where to point when a key is missing: at the key of the object that should hold it (at
    /// the opening brace for the top level).
    fn missing(&self, parent: &str) -> Option<Span> {
        if parent.is_empty() {
            self.document.opening_span("")
        } else {
            self.document.key_span(parent)
        }
    }

    fn error(
        &mut self,
        check: &'static str,
        span: Option<Span>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.found
            .push(Diagnostic::error(check, message).at(span).help(help));
    }

    fn warning(
        &mut self,
        check: &'static str,
        span: Option<Span>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.found
            .push(Diagnostic::warning(check, message).at(span).help(help));
    }
}

/// The documentation's add-on id: "all lower case, no spaces or punctuation; underscores and
/// dashes are allowed", over the whole string.
fn is_addon_id(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|byte| {
            byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-' || byte == b'_'
        })
}

/// An upper-case environment variable name: `[A-Z][A-Z0-9_]*`, over the whole string, as the
/// capitalised id a config var starts with always is.
fn is_upper_case_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|first| first.is_ascii_uppercase())
        && bytes.all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'_')
}

/// `/api/production/base_url` as `api.production.base_url`.
fn dotted(pointer: &str) -> String {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| {
            segment
                .replace("~1", "/")
                .replace("~0", "~")
                .escape_debug()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use manifest_core::{Severity, Source};
    use serde_json::json;

    use super::*;
    use crate::manifest::load;

    fn valid() -> Value {
        json!({
            "id": "reference-db",
            "name": "Reference DB",
            "api": {
                "config_vars": ["REFERENCE_DB_URL", "REFERENCE_DB_TOKEN"],
                "regions": ["eu"],
                "password": "password-for-tests",
                "sso_salt": "salt-for-tests",
                "production": {
                    "base_url": "https://reference-db.example/clevercloud/resources",
                    "sso_url": "https://reference-db.example/clevercloud/sso/login"
                },
                "test": {
                    "base_url": "http://127.0.0.1:9000/clevercloud/resources",
                    "sso_url": "http://127.0.0.1:9000/clevercloud/sso/login"
                }
            }
        })
    }

    /// The manifest with the member at `pointer` set (added when its parent lacks it).
    fn with(mut manifest: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        manifest
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("the parent is an object")
            .insert(key.to_owned(), value);
        manifest
    }

    fn without(mut manifest: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        manifest
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(key);
        manifest
    }

    fn check(manifest: &Value) -> Vec<Diagnostic> {
        let text = serde_json::to_string_pretty(manifest).unwrap();
        findings(&load(Source::new("clevercloud-manifest.json", text)).unwrap())
    }

    #[test]
    fn a_valid_manifest_has_no_findings() {
        assert_eq!(check(&valid()), []);
        assert_eq!(check(&without(valid(), "/name")), []);
        let underscored = with(valid(), "/id", json!("reference_db"));
        let underscored = with(underscored, "/api/config_vars", json!(["REFERENCE_DB_URL"]));
        assert_eq!(check(&underscored), []);
    }

    #[test]
    fn regions_must_contain_eu() {
        let found = check(&with(valid(), "/api/regions", json!(["us"])));
        let summary: Vec<_> = found.iter().map(|f| (f.check, f.severity)).collect();
        assert_eq!(
            summary,
            [
                ("manifest.regions", Severity::Warning),
                ("manifest.regions", Severity::Error)
            ]
        );
        assert!(found[1].message.contains("does not contain `\"eu\"`"));
    }

    #[test]
    fn each_fault_gives_its_finding() {
        use Severity::{Error, Warning};
        let cases: Vec<(Value, &str, Severity, &str)> = vec![
            (
                without(valid(), "/id"),
                "manifest.id",
                Error,
                "`id` is missing",
            ),
            (
                with(valid(), "/id", json!(" ")),
                "manifest.id",
                Error,
                "`id` is blank",
            ),
            (
                with(valid(), "/id", json!("Reference DB")),
                "manifest.id",
                Error,
                "holds characters other than",
            ),
            (
                with(valid(), "/id", json!(4)),
                "manifest.id",
                Error,
                "not a string",
            ),
            (
                without(valid(), "/api"),
                "manifest.parse",
                Error,
                "no `api` object",
            ),
            (
                with(valid(), "/api", json!([])),
                "manifest.parse",
                Error,
                "`api` is an array",
            ),
            (
                without(valid(), "/api/password"),
                "manifest.credentials",
                Error,
                "`api.password` is missing",
            ),
            (
                with(valid(), "/api/password", json!("")),
                "manifest.credentials",
                Error,
                "`api.password` is blank",
            ),
            (
                with(valid(), "/api/sso_salt", json!(7)),
                "manifest.sso-salt",
                Error,
                "not a string",
            ),
            (
                with(
                    valid(),
                    "/api/password",
                    json!("44ca82ddf8d4e74d52494ce2895152ee"),
                ),
                "manifest.credentials",
                Error,
                "a sample value printed in Clever Cloud's documentation",
            ),
            (
                with(
                    valid(),
                    "/api/sso_salt",
                    json!("fcb5b3add85d65e1dddda87a115b429f"),
                ),
                "manifest.sso-salt",
                Error,
                "a sample value printed in Clever Cloud's documentation",
            ),
            (
                without(valid(), "/api/regions"),
                "manifest.regions",
                Error,
                "`api.regions` is missing",
            ),
            (
                with(valid(), "/api/regions", json!([])),
                "manifest.regions",
                Error,
                "`api.regions` is empty",
            ),
            (
                with(valid(), "/api/regions", json!("eu")),
                "manifest.regions",
                Error,
                "not an array",
            ),
            (
                with(valid(), "/api/regions", json!(["eu", "par"])),
                "manifest.regions",
                Warning,
                "a region Clever Cloud does not document",
            ),
            (
                without(valid(), "/api/test"),
                "manifest.urls",
                Error,
                "`api.test` is missing",
            ),
            (
                with(valid(), "/api/production", json!("https://x.example")),
                "manifest.urls",
                Error,
                "expected an object",
            ),
            (
                without(valid(), "/api/production/sso_url"),
                "manifest.urls",
                Error,
                "`api.production.sso_url` is missing",
            ),
            (
                with(
                    valid(),
                    "/api/test/base_url",
                    json!("/clevercloud/resources"),
                ),
                "manifest.urls",
                Error,
                "is not an absolute URL",
            ),
            (
                with(valid(), "/api/test/sso_url", json!(3)),
                "manifest.urls",
                Error,
                "not a URL",
            ),
            (
                with(
                    valid(),
                    "/api/production/base_url",
                    json!("http://reference-db.example/clevercloud/resources"),
                ),
                "manifest.urls.https",
                Error,
                "uses http, not https",
            ),
            (
                without(valid(), "/api/config_vars"),
                "manifest.config-vars",
                Error,
                "`api.config_vars` is missing",
            ),
            (
                with(valid(), "/api/config_vars", json!({})),
                "manifest.config-vars",
                Error,
                "not an array",
            ),
            (
                with(valid(), "/api/config_vars", json!(["REFERENCE_DB_URL", 1])),
                "manifest.config-vars",
                Error,
                "holds a number",
            ),
            (
                with(
                    valid(),
                    "/api/config_vars",
                    json!(["REFERENCE_DB_URL", "REFERENCE_DB_URL"]),
                ),
                "manifest.config-vars",
                Error,
                "twice",
            ),
            (
                with(valid(), "/api/config_vars", json!(["reference_db_url"])),
                "manifest.config-vars",
                Error,
                "not an upper-case variable name",
            ),
            (
                with(valid(), "/api/config_vars", json!(["DB_URL"])),
                "manifest.config-vars",
                Error,
                "does not start with `REFERENCE_DB_`",
            ),
            (
                with(valid(), "/api/config_vars", json!(["REFERENCE_DB_"])),
                "manifest.config-vars",
                Error,
                "nothing after the prefix",
            ),
            (
                with(valid(), "/api/test/login_url", json!("x")),
                "manifest.unknown-keys",
                Warning,
                "`api.test.login_url` is not a key Clever Cloud reads",
            ),
            (
                with(valid(), "/logo", json!("x")),
                "manifest.unknown-keys",
                Warning,
                "`logo` is not a key Clever Cloud reads",
            ),
        ];
        for (manifest, check_id, severity, fragment) in cases {
            let found = check(&manifest);
            assert!(
                found.iter().any(|finding| finding.check == check_id
                    && finding.severity == severity
                    && finding.message.contains(fragment)),
                "expected {check_id} {severity:?} containing {fragment:?}, got {found:#?}"
            );
            assert!(
                found.iter().all(|finding| finding.check == check_id),
                "only {check_id} expected: {found:#?}"
            );
        }
    }

    #[test]
    fn heroku_keys_are_named_as_such() {
        let mut manifest = valid();
        manifest["api"]["config_vars_prefix"] = json!("REFERENCE_DB");
        manifest["api"]["requires"] = json!(["syslog_drain"]);
        let found = check(&manifest);
        assert_eq!(found.len(), 2, "{found:#?}");
        for finding in &found {
            assert_eq!(finding.check, "manifest.unknown-keys");
            assert!(
                finding.help.as_deref().unwrap().contains("Heroku's key"),
                "{finding:#?}"
            );
        }
    }

    #[test]
    fn suggests_the_key_that_was_meant() {
        let found = check(&with(
            without(valid(), "/api/sso_salt"),
            "/api/ssosalt",
            json!("x"),
        ));
        assert!(found.iter().any(|finding| {
            finding
                .help
                .as_deref()
                .is_some_and(|help| help.contains("did you mean `sso_salt`?"))
        }));
    }

    #[test]
    fn secret_values_never_appear_in_findings() {
        let mut manifest = valid();
        manifest["api"]["password"] = json!("  ");
        manifest["api"]["sso_salt"] = json!(["salt-in-a-list"]);
        for finding in check(&manifest) {
            let text = format!("{} {:?}", finding.message, finding.help);
            assert!(!text.contains("salt-in-a-list"), "{text}");
        }
    }

    #[test]
    fn an_empty_object_misses_the_id_and_the_api() {
        let manifest = load(Source::new("m.json", "{}")).unwrap();
        let found = findings(&manifest);
        assert_eq!(
            found.iter().map(|f| f.check).collect::<Vec<_>>(),
            ["manifest.id", "manifest.parse"]
        );
    }

    #[test]
    fn ids_allow_underscores_and_dashes_only() {
        assert!(is_addon_id("addon-name"));
        assert!(is_addon_id("addon_name2"));
        assert!(!is_addon_id("Addon"));
        assert!(!is_addon_id("addon name"));
        assert!(!is_addon_id("addon.name"));
        assert!(!is_addon_id("addon\n"));
    }

    #[test]
    fn dotted_names_unescape_pointers() {
        assert_eq!(
            dotted("/api/production/base_url"),
            "api.production.base_url"
        );
        assert_eq!(dotted("/a~1b"), "a/b");
    }
}
