//! Heroku's static rules for `addon-manifest.json`: everything kensa checked, made stricter where
//! kensa let mistakes through (line-anchored patterns, unchecked `requires`, silent typos), each
//! problem tied to a catalog check and pointing at the value to change.

use std::collections::HashSet;

use manifest_core::json_values::describe;
use manifest_core::names::{closest, is_slug, quoted};
use manifest_core::spanned::child_pointer;
use manifest_core::urls::web_url;
use manifest_core::{Diagnostic, JsonDocument, Manifest, Span};
use serde_json::{Map, Value};

use crate::manifest::config_prefix;

const TOP_LEVEL_KEYS: &[&str] = &["id", "name", "api", "cli_plugin_name", "$schema"];
const API_KEYS: &[&str] = &[
    "config_vars_prefix",
    "config_vars",
    "password",
    "sso_salt",
    "regions",
    "requires",
    "production",
    "test",
    "version",
];
/// Keys Heroku once read; each gets its own warning instead of "unknown key".
const DEPRECATED_API_KEYS: &[&str] = &["username"];
const ENDPOINT_KEYS: &[&str] = &["base_url", "sso_url"];

/// The common runtime regions and the private-space regions Heroku offers today.
pub(crate) const REGIONS: &[&str] = &[
    "us",
    "eu",
    "virginia",
    "oregon",
    "frankfurt",
    "tokyo",
    "sydney",
    "dublin",
    "montreal",
    "mumbai",
    "singapore",
];
pub(crate) const EVERY_REGION: &str = "*";
const FEATURES: &[&str] = &["log_input", "syslog_drain", "many_per_app", "attachable"];
const RESOURCES_PATH: &str = "/heroku/resources";

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
        self.unknown_keys("", top, TOP_LEVEL_KEYS, &[]);
        let id = self.id(top.get("id"));
        match top.get("api") {
            None => self.error(
                "manifest.parse",
                self.missing(""),
                "the manifest has no `api` object",
                "add `\"api\": {…}` with the password, SSO salt, regions and URLs; \
                 `init` prints a skeleton",
            ),
            Some(Value::Object(api)) => self.api(api, id),
            Some(other) => self.error(
                "manifest.parse",
                document.value_span("/api"),
                format!("`api` is {}, not an object", describe(other)),
                "make `api` an object holding the password, SSO salt, regions and URLs",
            ),
        }
    }

    /// Checks `id`, returning it when it is a valid slug.
    fn id<'v>(&mut self, value: Option<&'v Value>) -> Option<&'v str> {
        const CHECK: &str = "manifest.id";
        const HELP: &str = "set `id` to the add-on's slug (lowercase letters, digits and dashes, \
                            e.g. `\"my-addon\"`): customers type it and Heroku sends it as the \
                            Basic auth user";
        let span = self.document.value_span("/id");
        match value {
            None => self.error(CHECK, self.missing(""), "`id` is missing", HELP),
            Some(Value::String(id)) if id.trim().is_empty() => {
                self.error(CHECK, span, "`id` is blank", HELP);
            }
            Some(Value::String(id)) if !is_slug(id) => self.error(
                CHECK,
                span,
                format!(
                    "`id` {} holds characters other than lowercase letters, digits and dashes",
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
        self.unknown_keys("/api", api, API_KEYS, DEPRECATED_API_KEYS);
        self.regions(api.get("regions"));
        self.secret(
            "manifest.credentials",
            "password",
            api.get("password"),
            "set `api.password` to a long random string: Heroku sends it, with the add-on id as \
             the user, as HTTP Basic credentials on every provisioning call",
        );
        if api.contains_key("username") {
            self.warning(
                "manifest.credentials",
                self.document.key_span("/api/username"),
                "`api.username` is deprecated",
                "remove it: Heroku authenticates with the add-on id as the user",
            );
        }
        self.secret(
            "manifest.sso-salt",
            "sso_salt",
            api.get("sso_salt"),
            "set `api.sso_salt` to a long random string shared with Heroku; single sign-on \
             tokens are hashes of it",
        );
        self.environment(api, "production");
        self.environment(api, "test");
        let declared_prefix = api.get("config_vars_prefix");
        let prefix = match declared_prefix {
            Some(declared) if !self.config_vars_prefix(declared) => None,
            Some(_) => config_prefix(id.unwrap_or_default(), declared_prefix),
            None => id.and_then(|id| config_prefix(id, None)),
        };
        self.config_vars(api.get("config_vars"), prefix.as_deref());
        self.requires(api.get("requires"));
    }

    fn regions(&mut self, value: Option<&Value>) {
        const CHECK: &str = "manifest.regions";
        const HELP: &str = "list the regions the add-on is offered in, e.g. `[\"us\", \"eu\"]`, \
                            or `[\"*\"]` for every region";
        let span = self.document.value_span("/api/regions");
        let items = match value {
            None => {
                self.error(
                    CHECK,
                    self.missing("/api"),
                    "`api.regions` is missing",
                    HELP,
                );
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
        for (index, item) in items.iter().enumerate() {
            let span = self.document.value_span(&format!("/api/regions/{index}"));
            match item {
                Value::String(name) if name == EVERY_REGION || REGIONS.contains(&name.as_str()) => {
                }
                Value::String(name) => self.warning(
                    CHECK,
                    span,
                    format!(
                        "`api.regions` lists {}, a region we do not know",
                        quoted(name)
                    ),
                    format!(
                        "known regions: {} (and `*` for every region); if Heroku has opened \
                         this region since, ignore this warning",
                        REGIONS.join(", ")
                    ),
                ),
                other => self.error(
                    CHECK,
                    span,
                    format!(
                        "`api.regions` holds {}; region names are strings",
                        describe(other)
                    ),
                    "write each region as a string, e.g. `\"us\"`",
                ),
            }
        }
    }

    /// A value that must be a non-blank string. Its value never appears in a message.
    fn secret(&mut self, check: &'static str, key: &str, value: Option<&Value>, help: &str) {
        let pointer = format!("/api/{key}");
        let span = self.document.value_span(&pointer);
        match value {
            None => self.error(
                check,
                self.missing("/api"),
                format!("`api.{key}` is missing"),
                help,
            ),
            Some(Value::String(secret)) if secret.trim().is_empty() => {
                self.error(check, span, format!("`api.{key}` is blank"), help);
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

    /// `api.production` (required, https) or `api.test` (optional): a root URL (legacy form) or
    /// an object with `base_url` and `sso_url`.
    fn environment(&mut self, api: &Map<String, Value>, environment: &str) {
        let production = environment == "production";
        let pointer = format!("/api/{environment}");
        match api.get(environment) {
            None if production => self.error(
                "manifest.urls",
                self.missing("/api"),
                "`api.production` is missing",
                "add `\"production\": {\"base_url\": \"https://…/heroku/resources\", \
                 \"sso_url\": \"https://…/sso/login\"}`",
            ),
            None => {}
            Some(Value::String(root)) => {
                self.url(&pointer, root, production, "https://myaddon.example");
            }
            Some(Value::Object(urls)) => {
                self.unknown_keys(&pointer, urls, ENDPOINT_KEYS, &[]);
                let base_pointer = format!("{pointer}/base_url");
                let example = "https://myaddon.example/heroku/resources";
                let base = self.url_member(urls, &pointer, "base_url", production, example);
                if let Some(base) = base
                    && !base.path().trim_end_matches('/').ends_with(RESOURCES_PATH)
                {
                    self.warning(
                        "manifest.urls",
                        self.document.value_span(&base_pointer),
                        format!("`{}` does not end in `{RESOURCES_PATH}`", dotted(&base_pointer)),
                        "end it with `/heroku/resources`: Heroku appends that path when it is \
                         missing, so the URL tested here would not be the one Heroku calls",
                    );
                }
                let example = "https://myaddon.example/sso/login";
                self.url_member(urls, &pointer, "sso_url", production, example);
            }
            Some(other) => self.error(
                "manifest.urls",
                self.document.value_span(&pointer),
                format!(
                    "`api.{environment}` is {}; expected a root URL or an object with \
                     `base_url` and `sso_url`",
                    describe(other)
                ),
                "write `{\"base_url\": \"https://…/heroku/resources\", \"sso_url\": \"https://…\"}`",
            ),
        }
    }

    fn url_member(
        &mut self,
        urls: &Map<String, Value>,
        parent: &str,
        key: &str,
        production: bool,
        example: &str,
    ) -> Option<url::Url> {
        let pointer = child_pointer(parent, key);
        match urls.get(key) {
            None => {
                let help = format!("add `\"{key}\": \"{example}\"`");
                let message = format!("`{}` is missing", dotted(&pointer));
                self.error("manifest.urls", self.missing(parent), message, help);
                None
            }
            Some(Value::String(url)) => self.url(&pointer, url, production, example),
            Some(other) => {
                let message = format!("`{}` is {}, not a URL", dotted(&pointer), describe(other));
                let help = format!("write an absolute URL such as `{example}`");
                self.error(
                    "manifest.urls",
                    self.document.value_span(&pointer),
                    message,
                    help,
                );
                None
            }
        }
    }

    fn url(
        &mut self,
        pointer: &str,
        text: &str,
        production: bool,
        example: &str,
    ) -> Option<url::Url> {
        let span = self.document.value_span(pointer);
        match web_url(text) {
            Err(reason) => {
                let help = format!("write an absolute http(s) URL such as `{example}`");
                self.error(
                    "manifest.urls",
                    span,
                    format!("`{}` {reason}", dotted(pointer)),
                    help,
                );
                None
            }
            Ok(url) => {
                if production && url.scheme() != "https" {
                    self.error(
                        "manifest.urls.https",
                        span,
                        format!("`{}` uses http, not https", dotted(pointer)),
                        "serve production over https: Heroku sends the password and single \
                         sign-on tokens to this URL",
                    );
                }
                Some(url)
            }
        }
    }

    /// Checks `api.config_vars_prefix`; `true` when it can be used as the prefix.
    fn config_vars_prefix(&mut self, value: &Value) -> bool {
        const CHECK: &str = "manifest.config-vars";
        let span = self.document.value_span("/api/config_vars_prefix");
        let problem = match value {
            Value::String(prefix) if prefix.is_empty() => "is blank".to_owned(),
            Value::String(prefix) if prefix.ends_with('_') => format!(
                "{} ends with `_`; Heroku puts the `_` between the prefix and the rest itself",
                quoted(prefix)
            ),
            Value::String(prefix) if !is_upper_case_env_name(prefix) => {
                format!("{} is not an upper-case name", quoted(prefix))
            }
            Value::String(_) => return true,
            other => format!("is {}, not a string", describe(other)),
        };
        self.error(
            CHECK,
            span,
            format!("`api.config_vars_prefix` {problem}"),
            "use upper-case letters, digits and `_`, starting with a letter and without a \
             trailing `_` (e.g. `MYADDON`), or remove it to use the id upper-cased",
        );
        false
    }

    fn config_vars(&mut self, value: Option<&Value>, prefix: Option<&str>) {
        const CHECK: &str = "manifest.config-vars";
        let span = self.document.value_span("/api/config_vars");
        let example = format!("[\"{}URL\"]", prefix.unwrap_or("MYADDON_"));
        let items = match value {
            None => return,
            Some(Value::Array(items)) if items.is_empty() => {
                let help = format!(
                    "list the config vars provisioning returns, e.g. `{example}`, or remove the key"
                );
                self.error(CHECK, span, "`api.config_vars` is empty", help);
                return;
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!("`api.config_vars` is {}, not an array", describe(other));
                let help = format!("list the config vars provisioning returns, e.g. `{example}`");
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
                self.error(
                    CHECK,
                    span,
                    message,
                    "write each config var name as a string",
                );
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
                    "rename it `{prefix}…`: Heroku only accepts config vars under the add-on's \
                     prefix (`config_vars_prefix`, or the id upper-cased with `-` turned into `_`)"
                ),
            ),
            Some("") => self.error(
                CHECK,
                span,
                format!("config var {} has nothing after the prefix", quoted(name)),
                format!("add a name after the prefix, e.g. `{prefix}URL`"),
            ),
            Some(rest) if rest.starts_with('_') => self.error(
                CHECK,
                span,
                format!(
                    "config var {} has more than one `_` after the prefix `{}`",
                    quoted(name),
                    prefix.trim_end_matches('_')
                ),
                format!(
                    "Heroku wants exactly one `_` after the prefix: `{prefix}{}`",
                    rest.trim_start_matches('_')
                ),
            ),
            Some(_) => {}
        }
    }

    fn requires(&mut self, value: Option<&Value>) {
        const CHECK: &str = "manifest.requires";
        let help = format!("Heroku's features are {}", FEATURES.join(", "));
        let items = match value {
            None => return,
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!("`api.requires` is {}, not an array", describe(other));
                let span = self.document.value_span("/api/requires");
                self.error(CHECK, span, message, help);
                return;
            }
        };
        for (index, item) in items.iter().enumerate() {
            let span = self.document.value_span(&format!("/api/requires/{index}"));
            match item {
                Value::String(feature) if FEATURES.contains(&feature.as_str()) => {}
                Value::String(feature) => {
                    let message = format!(
                        "`api.requires` lists {}, which is not a Heroku feature",
                        quoted(feature)
                    );
                    let help = match closest(feature, FEATURES) {
                        Some(known) => format!("did you mean `{known}`? {help}"),
                        None => help.clone(),
                    };
                    self.error(CHECK, span, message, help);
                }
                other => {
                    let message = format!(
                        "`api.requires` holds {}, not a feature name",
                        describe(other)
                    );
                    self.error(CHECK, span, message, help.clone());
                }
            }
        }
    }

    fn unknown_keys(
        &mut self,
        pointer: &str,
        object: &Map<String, Value>,
        known: &[&str],
        deprecated: &[&str],
    ) {
        for key in object.keys() {
            if known.contains(&key.as_str()) || deprecated.contains(&key.as_str()) {
                continue;
            }
            let member = child_pointer(pointer, key);
            let help = match closest(key, known) {
                Some(known) => {
                    format!("did you mean `{known}`? Heroku ignores keys it does not know")
                }
                None => format!(
                    "Heroku ignores it; the keys it reads here are {}",
                    known.join(", ")
                ),
            };
            self.warning(
                "manifest.unknown-keys",
                self.document.key_span(&member),
                format!("`{}` is not a key Heroku reads", dotted(&member)),
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

/// An upper-case environment variable name: `[A-Z][A-Z0-9_]*`, over the whole string. Stricter
/// than [`manifest_core::names::is_env_name`]: Heroku's config var names are upper case and
/// start with a letter.
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

    fn current() -> Value {
        json!({
            "id": "reference-db",
            "name": "Reference DB",
            "api": {
                "config_vars_prefix": "REFERENCE_DB",
                "config_vars": ["REFERENCE_DB_URL", "REFERENCE_DB_TOKEN"],
                "password": "password-for-tests",
                "sso_salt": "salt-for-tests",
                "regions": ["us", "eu"],
                "requires": ["syslog_drain"],
                "production": {
                    "base_url": "https://reference-db.example/heroku/resources",
                    "sso_url": "https://reference-db.example/heroku/sso"
                },
                "test": {
                    "base_url": "http://127.0.0.1:4567/heroku/resources",
                    "sso_url": "http://127.0.0.1:4567/heroku/sso"
                },
                "version": "3"
            }
        })
    }

    fn legacy() -> Value {
        json!({
            "id": "myaddon",
            "api": {
                "config_vars": ["MYADDON_URL"],
                "password": "password-for-tests",
                "sso_salt": "salt-for-tests",
                "regions": ["*"],
                "production": "https://myaddon.example",
                "test": "http://localhost:4567"
            }
        })
    }

    fn with(mut manifest: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        manifest
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap()
            .insert(key.to_owned(), value);
        manifest
    }

    fn without(mut manifest: Value, pointer: &str) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let removed = manifest
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(key);
        assert!(removed.is_some(), "{pointer} is not in the manifest");
        manifest
    }

    /// The findings of a manifest, each with the text its span covers.
    fn check(manifest: &Value) -> Vec<(Diagnostic, String)> {
        let text = serde_json::to_string_pretty(manifest).unwrap();
        let loaded = load(Source::new("addon-manifest.json", text.clone())).unwrap();
        findings(&loaded)
            .into_iter()
            .map(|finding| {
                let span = finding.span.expect("every finding points somewhere");
                let covered = text[span.offset..span.offset + span.len].to_owned();
                (finding, covered)
            })
            .collect()
    }

    #[test]
    fn valid_manifests_have_no_findings() {
        let valid = [
            current(),
            legacy(),
            without(current(), "/api/test"),
            without(current(), "/api/config_vars_prefix"),
            without(current(), "/api/requires"),
            without(current(), "/api/config_vars"),
            with(current(), "/api/regions", json!(["virginia", "tokyo", "*"])),
            with(current(), "/api/requires", json!(FEATURES)),
            with(current(), "/cli_plugin_name", json!("heroku-reference-db")),
            with(
                current(),
                "/$schema",
                json!("https://example.invalid/schema.json"),
            ),
            with(
                current(),
                "/api/production/base_url",
                json!("https://reference-db.example/heroku/resources/"),
            ),
        ];
        for manifest in valid {
            let found = check(&manifest);
            assert!(found.is_empty(), "{manifest:#}\n{found:#?}");
        }
    }

    /// One fault each: the finding it must produce, its severity and the text it points at.
    #[test]
    fn each_fault_gives_its_finding() {
        use Severity::{Error, Warning};
        let cases: Vec<(&str, Value, &str, Severity, &str)> = vec![
            (
                "id missing",
                without(current(), "/id"),
                "manifest.id",
                Error,
                "{",
            ),
            (
                "id number",
                with(current(), "/id", json!(7)),
                "manifest.id",
                Error,
                "7",
            ),
            (
                "id blank",
                with(current(), "/id", json!("  ")),
                "manifest.id",
                Error,
                "\"  \"",
            ),
            (
                "id with a trailing newline",
                with(current(), "/id", json!("reference-db\n")),
                "manifest.id",
                Error,
                "\"reference-db\\n\"",
            ),
            (
                "id with a newline inside",
                with(current(), "/id", json!("ok\nBAD")),
                "manifest.id",
                Error,
                "\"ok\\nBAD\"",
            ),
            (
                "id upper-case",
                with(current(), "/id", json!("Reference-DB")),
                "manifest.id",
                Error,
                "\"Reference-DB\"",
            ),
            (
                "api missing",
                without(current(), "/api"),
                "manifest.parse",
                Error,
                "{",
            ),
            (
                "api a string",
                with(current(), "/api", json!("https://x.example")),
                "manifest.parse",
                Error,
                "\"https://x.example\"",
            ),
            (
                "regions missing",
                without(current(), "/api/regions"),
                "manifest.regions",
                Error,
                "\"api\"",
            ),
            (
                "regions a string",
                with(current(), "/api/regions", json!("us")),
                "manifest.regions",
                Error,
                "\"us\"",
            ),
            (
                "regions empty",
                with(current(), "/api/regions", json!([])),
                "manifest.regions",
                Error,
                "[]",
            ),
            (
                "region a number",
                with(current(), "/api/regions", json!(["us", 1])),
                "manifest.regions",
                Error,
                "1",
            ),
            (
                "unknown region",
                with(current(), "/api/regions", json!(["us", "mars"])),
                "manifest.regions",
                Warning,
                "\"mars\"",
            ),
            (
                "password missing",
                without(current(), "/api/password"),
                "manifest.credentials",
                Error,
                "\"api\"",
            ),
            (
                "password blank",
                with(current(), "/api/password", json!("")),
                "manifest.credentials",
                Error,
                "\"\"",
            ),
            (
                "password a number",
                with(current(), "/api/password", json!(1234)),
                "manifest.credentials",
                Error,
                "1234",
            ),
            (
                "deprecated username",
                with(current(), "/api/username", json!("reference-db")),
                "manifest.credentials",
                Warning,
                "\"username\"",
            ),
            (
                "sso salt missing",
                without(current(), "/api/sso_salt"),
                "manifest.sso-salt",
                Error,
                "\"api\"",
            ),
            (
                "sso salt blank",
                with(current(), "/api/sso_salt", json!(" ")),
                "manifest.sso-salt",
                Error,
                "\" \"",
            ),
            (
                "sso salt null",
                with(current(), "/api/sso_salt", json!(null)),
                "manifest.sso-salt",
                Error,
                "null",
            ),
            (
                "production missing",
                without(current(), "/api/production"),
                "manifest.urls",
                Error,
                "\"api\"",
            ),
            (
                "production a number",
                with(current(), "/api/production", json!(443)),
                "manifest.urls",
                Error,
                "443",
            ),
            (
                "production base_url missing",
                without(current(), "/api/production/base_url"),
                "manifest.urls",
                Error,
                "\"production\"",
            ),
            (
                "production base_url relative",
                with(
                    current(),
                    "/api/production/base_url",
                    json!("/heroku/resources"),
                ),
                "manifest.urls",
                Error,
                "\"/heroku/resources\"",
            ),
            (
                "production sso_url empty",
                with(current(), "/api/production/sso_url", json!("")),
                "manifest.urls",
                Error,
                "\"\"",
            ),
            (
                "test sso_url missing",
                without(current(), "/api/test/sso_url"),
                "manifest.urls",
                Error,
                "\"test\"",
            ),
            (
                "test base_url without a scheme",
                with(
                    current(),
                    "/api/test/base_url",
                    json!("localhost:4567/heroku/resources"),
                ),
                "manifest.urls",
                Error,
                "\"localhost:4567/heroku/resources\"",
            ),
            (
                "test base_url with a trailing newline",
                with(
                    current(),
                    "/api/test/base_url",
                    json!("http://127.0.0.1:4567/heroku/resources\n"),
                ),
                "manifest.urls",
                Error,
                "\"http://127.0.0.1:4567/heroku/resources\\n\"",
            ),
            (
                "test base_url a number",
                with(current(), "/api/test/base_url", json!(4567)),
                "manifest.urls",
                Error,
                "4567",
            ),
            (
                "legacy test root relative",
                with(legacy(), "/api/test", json!("/local")),
                "manifest.urls",
                Error,
                "\"/local\"",
            ),
            (
                "base_url without /heroku/resources",
                with(
                    current(),
                    "/api/test/base_url",
                    json!("http://127.0.0.1:4567/api"),
                ),
                "manifest.urls",
                Warning,
                "\"http://127.0.0.1:4567/api\"",
            ),
            (
                "production base_url over http",
                with(
                    current(),
                    "/api/production/base_url",
                    json!("http://reference-db.example/heroku/resources"),
                ),
                "manifest.urls.https",
                Error,
                "\"http://reference-db.example/heroku/resources\"",
            ),
            (
                "production sso_url over http",
                with(
                    current(),
                    "/api/production/sso_url",
                    json!("http://reference-db.example/sso"),
                ),
                "manifest.urls.https",
                Error,
                "\"http://reference-db.example/sso\"",
            ),
            (
                "legacy production root over http",
                with(legacy(), "/api/production", json!("http://myaddon.example")),
                "manifest.urls.https",
                Error,
                "\"http://myaddon.example\"",
            ),
            (
                "config_vars a string",
                with(current(), "/api/config_vars", json!("REFERENCE_DB_URL")),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_URL\"",
            ),
            (
                "config_vars empty",
                with(current(), "/api/config_vars", json!([])),
                "manifest.config-vars",
                Error,
                "[]",
            ),
            (
                "config var a number",
                with(
                    current(),
                    "/api/config_vars",
                    json!(["REFERENCE_DB_URL", 5]),
                ),
                "manifest.config-vars",
                Error,
                "5",
            ),
            (
                "config var twice",
                with(
                    current(),
                    "/api/config_vars",
                    json!(["REFERENCE_DB_URL", "REFERENCE_DB_URL"]),
                ),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_URL\"",
            ),
            (
                "config var lower-case",
                with(current(), "/api/config_vars", json!(["reference_db_url"])),
                "manifest.config-vars",
                Error,
                "\"reference_db_url\"",
            ),
            (
                "config var with a trailing newline",
                with(current(), "/api/config_vars", json!(["REFERENCE_DB_URL\n"])),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_URL\\n\"",
            ),
            (
                "config var without the prefix",
                with(current(), "/api/config_vars", json!(["DATABASE_URL"])),
                "manifest.config-vars",
                Error,
                "\"DATABASE_URL\"",
            ),
            (
                "config var that only shares the prefix's letters",
                with(current(), "/api/config_vars", json!(["REFERENCE_DBURL"])),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DBURL\"",
            ),
            (
                "config var with a double underscore",
                with(current(), "/api/config_vars", json!(["REFERENCE_DB__URL"])),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB__URL\"",
            ),
            (
                "config var that is only the prefix",
                with(current(), "/api/config_vars", json!(["REFERENCE_DB_"])),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_\"",
            ),
            (
                "config var outside the id's prefix",
                without(
                    with(current(), "/api/config_vars", json!(["REFERENCEDB_URL"])),
                    "/api/config_vars_prefix",
                ),
                "manifest.config-vars",
                Error,
                "\"REFERENCEDB_URL\"",
            ),
            (
                "prefix with a trailing underscore",
                with(current(), "/api/config_vars_prefix", json!("REFERENCE_DB_")),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_\"",
            ),
            (
                "prefix lower-case",
                with(current(), "/api/config_vars_prefix", json!("reference_db")),
                "manifest.config-vars",
                Error,
                "\"reference_db\"",
            ),
            (
                "prefix blank",
                with(current(), "/api/config_vars_prefix", json!("")),
                "manifest.config-vars",
                Error,
                "\"\"",
            ),
            (
                "requires a string",
                with(current(), "/api/requires", json!("syslog_drain")),
                "manifest.requires",
                Error,
                "\"syslog_drain\"",
            ),
            (
                "requires an unknown feature",
                with(current(), "/api/requires", json!(["syslog-drain"])),
                "manifest.requires",
                Error,
                "\"syslog-drain\"",
            ),
            (
                "requires a number",
                with(current(), "/api/requires", json!([1])),
                "manifest.requires",
                Error,
                "1",
            ),
            (
                "unknown top-level key",
                with(current(), "/logo_url", json!("https://x.example/logo.png")),
                "manifest.unknown-keys",
                Warning,
                "\"logo_url\"",
            ),
            (
                "unknown api key",
                with(current(), "/api/test_sso_url", json!("http://x.example")),
                "manifest.unknown-keys",
                Warning,
                "\"test_sso_url\"",
            ),
            (
                "unknown endpoint key",
                with(current(), "/api/production/sso", json!("https://x.example")),
                "manifest.unknown-keys",
                Warning,
                "\"sso\"",
            ),
        ];
        for (label, manifest, check_id, severity, points_at) in cases {
            let found = check(&manifest);
            assert_eq!(found.len(), 1, "{label}: {found:#?}");
            let (finding, covered) = &found[0];
            assert_eq!(finding.check, check_id, "{label}: {finding:#?}");
            assert_eq!(finding.severity, severity, "{label}: {finding:#?}");
            assert_eq!(covered, points_at, "{label}: {finding:#?}");
            assert!(finding.help.is_some(), "{label}: no help");
        }
    }

    #[test]
    fn every_catalog_id_used_here_exists_for_heroku() {
        let all = [
            "manifest.parse",
            "manifest.id",
            "manifest.credentials",
            "manifest.sso-salt",
            "manifest.urls",
            "manifest.urls.https",
            "manifest.regions",
            "manifest.requires",
            "manifest.config-vars",
            "manifest.unknown-keys",
        ];
        for id in all {
            let def = manifest_core::catalog::lookup(id).unwrap();
            assert!(def.applies_to(crate::EXPECTATIONS.capabilities), "{id}");
        }
    }

    #[test]
    fn secrets_never_appear_in_messages() {
        let manifest = with(
            with(current(), "/api/password", json!(["password-for-tests"])),
            "/api/sso_salt",
            json!({"salt": "salt-for-tests"}),
        );
        for (finding, _) in check(&manifest) {
            let text = format!("{} {}", finding.message, finding.help.unwrap_or_default());
            assert!(!text.contains("for-tests"), "{text}");
        }
    }

    #[test]
    fn suggests_the_key_that_was_meant() {
        let found = check(&with(current(), "/api/sso-salt", json!("x")));
        let help = found[0].0.help.as_deref().unwrap();
        assert!(help.starts_with("did you mean `sso_salt`?"), "{help}");
        let found = check(&with(current(), "/api/requires", json!(["log-input"])));
        let help = found[0].0.help.as_deref().unwrap();
        assert!(help.starts_with("did you mean `log_input`?"), "{help}");
        assert_eq!(closest("zz", API_KEYS), None);
        assert_eq!(closest("reqires", API_KEYS), Some("requires"));
    }

    #[test]
    fn broken_top_levels_stop_at_the_first_problem() {
        let found = check(&json!({"id": "x", "api": 3}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0.check, "manifest.parse");
    }

    #[test]
    fn prefix_is_derived_from_the_id() {
        let manifest = with(
            without(current(), "/api/config_vars_prefix"),
            "/api/config_vars",
            json!(["REFERENCE_DB_URL"]),
        );
        assert!(check(&manifest).is_empty());
        let dashed = with(
            with(legacy(), "/id", json!("fast-db")),
            "/api/config_vars",
            json!(["FAST_DB_URL", "FASTDB_URL"]),
        );
        let found = check(&dashed);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].1, "\"FASTDB_URL\"");
    }

    #[test]
    fn config_var_names_are_upper_case_from_the_first_letter() {
        assert!(is_upper_case_env_name("MYADDON_URL"));
        assert!(is_upper_case_env_name("A1_"));
        assert!(!is_upper_case_env_name("_PRIVATE"));
        assert!(!is_upper_case_env_name("Myaddon_URL"));
        assert!(!is_upper_case_env_name("1_URL"));
        assert!(!is_upper_case_env_name(""));
    }

    #[test]
    fn dotted_names_unescape_pointers() {
        assert_eq!(
            dotted("/api/production/base_url"),
            "api.production.base_url"
        );
        assert_eq!(dotted("/a~1b/c~0d"), "a/b.c~d");
        assert_eq!(dotted("/bad\nkey"), "bad\\nkey");
    }
}
