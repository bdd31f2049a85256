//! Scalingo's static rules for `manifest.json`: everything scalingo-addon-api-tester checked
//! (blank credentials, salt and listing fields, no plans, no config vars, unparseable URLs), made
//! stricter where it let mistakes through (empty and relative URLs, plain-http production, plans
//! without a name or a price, invalid config var names, silent typos). Each problem is tied to a
//! catalog check and points at the value to change.

use std::collections::HashSet;

use manifest_core::json_values::describe;
use manifest_core::names::{closest, edit_distance, is_env_name, quoted};
use manifest_core::spanned::child_pointer;
use manifest_core::urls::web_url;
use manifest_core::{Diagnostic, JsonDocument, Manifest, Span};
use serde_json::{Map, Value};

const TOP_LEVEL_KEYS: &[&str] = &[
    "name",
    "username",
    "password",
    "sso_salt",
    "logo_url",
    "short_description",
    "description",
    "log_drain",
    "config_vars",
    "production",
    "test",
    "plans",
    "$schema",
];
const ENVIRONMENTS: &[&str] = &["production", "test"];
const ENDPOINT_KEYS: &[&str] = &["base_url", "sso_url"];
const PLAN_KEYS: &[&str] = &["name", "display_name", "price", "description", "options"];

/// The marketplace listing: each key with what to write in it.
const LISTING: &[(&str, &str)] = &[
    (
        "logo_url",
        "set `logo_url` to the address of a 100×100 picture; the marketplace shows it as the \
         add-on's logo",
    ),
    (
        "short_description",
        "write one sentence saying what the add-on does; the marketplace shows it in the add-on \
         list",
    ),
    (
        "description",
        "describe the add-on in Markdown; the marketplace shows it on the add-on's page",
    ),
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
            let help = "write the manifest as one JSON object with `name`, the credentials, the \
                        URLs and the plans";
            self.error("manifest.parse", document.opening_span(""), message, help);
            return;
        };
        self.unknown_keys("", top, TOP_LEVEL_KEYS);
        self.name(top.get("name"));
        self.required_text(
            "manifest.credentials",
            "/username",
            top.get("username"),
            "set `username` to the user name Scalingo presents, with `password`, as HTTP Basic \
             credentials on every provisioning call",
        );
        self.required_text(
            "manifest.credentials",
            "/password",
            top.get("password"),
            "set `password` to a long random string: Scalingo sends it, with `username`, as HTTP \
             Basic credentials on every provisioning call",
        );
        self.required_text(
            "manifest.sso-salt",
            "/sso_salt",
            top.get("sso_salt"),
            "set `sso_salt` to a long random string shared with Scalingo; single sign-on tokens \
             are SHA-1 hashes of the resource id, this salt and a timestamp",
        );
        for (key, help) in LISTING {
            self.listing(top, key, help);
        }
        self.log_drain(top.get("log_drain"));
        self.config_vars(top.get("config_vars"));
        for environment in ENVIRONMENTS {
            self.environment(top, environment);
        }
        self.plans(top.get("plans"));
    }

    fn name(&mut self, value: Option<&Value>) {
        const CHECK: &str = "manifest.id";
        // Scalingo's `name` is the add-on's display name (its own example: "Example Addon").
        const HELP: &str = "set `name` to the add-on's name, e.g. `\"My Addon\"`";
        let span = self.document.value_span("/name");
        match value {
            None => self.error(CHECK, self.missing(""), "`name` is missing", HELP),
            Some(Value::String(name)) if name.trim().is_empty() => {
                self.error(CHECK, span, "`name` is blank", HELP);
            }
            Some(Value::String(_)) => {}
            Some(other) => self.error(
                CHECK,
                span,
                format!("`name` is {}, not a string", describe(other)),
                HELP,
            ),
        }
    }

    /// A top-level value that must be a non-blank string. Its value never appears in a message:
    /// it may be a secret.
    fn required_text(
        &mut self,
        check: &'static str,
        pointer: &str,
        value: Option<&Value>,
        help: &str,
    ) {
        let name = self.dotted(pointer);
        let span = self.document.value_span(pointer);
        match value {
            None => self.error(
                check,
                self.missing(""),
                format!("`{name}` is missing"),
                help,
            ),
            Some(Value::String(text)) if text.trim().is_empty() => {
                self.error(check, span, format!("`{name}` is blank"), help);
            }
            Some(Value::String(_)) => {}
            Some(other) => self.error(
                check,
                span,
                format!("`{name}` is {}, not a string", describe(other)),
                help,
            ),
        }
    }

    /// A listing field: missing, blank or mistyped ones make a poor marketplace page, which is
    /// worth a warning but does not stop the add-on from working.
    fn listing(&mut self, top: &Map<String, Value>, key: &str, help: &str) {
        const CHECK: &str = "manifest.listing";
        let pointer = child_pointer("", key);
        let span = self.document.value_span(&pointer);
        match top.get(key) {
            None => self.warning(CHECK, self.missing(""), format!("`{key}` is missing"), help),
            Some(Value::String(text)) if text.trim().is_empty() => {
                self.warning(CHECK, span, format!("`{key}` is blank"), help);
            }
            Some(Value::String(text)) if key == "logo_url" => {
                // Scalingo's own example writes the logo protocol-relative (`//cdn…`): browsers
                // load it over the page's scheme, so it is as good as an absolute URL.
                let absolute = match text.strip_prefix("//") {
                    Some(_) => format!("https:{text}"),
                    None => text.clone(),
                };
                if let Err(reason) = web_url(&absolute) {
                    self.warning(
                        CHECK,
                        span,
                        format!("`logo_url` {reason}"),
                        "write an absolute http(s) URL such as \
                         `https://myaddon.example/logo.png`",
                    );
                }
            }
            Some(Value::String(_)) => {}
            Some(other) => self.warning(
                CHECK,
                span,
                format!("`{key}` is {}, not a string", describe(other)),
                help,
            ),
        }
    }

    /// `log_drain` is optional, but when present it must be a real boolean: `"true"` reads as
    /// no log drain, and scalingo-addon-api-tester could not even load such a manifest.
    fn log_drain(&mut self, value: Option<&Value>) {
        match value {
            None | Some(Value::Bool(_)) => {}
            Some(other) => self.error(
                "manifest.parse",
                self.document.value_span("/log_drain"),
                format!("`log_drain` is {}, not a boolean", describe(other)),
                "write `true` when provisioning returns a `log_drain_url`, `false` (or nothing) \
                 otherwise; a quoted `\"true\"` is not a boolean",
            ),
        }
    }

    fn config_vars(&mut self, value: Option<&Value>) {
        const CHECK: &str = "manifest.config-vars";
        const LIST_HELP: &str = "list the config vars provisioning returns, e.g. \
                                 `[\"MYADDON_URL\"]`; Scalingo sets only declared ones on the app";
        let span = self.document.value_span("/config_vars");
        let items = match value {
            None => {
                self.error(
                    CHECK,
                    self.missing(""),
                    "`config_vars` is missing",
                    LIST_HELP,
                );
                return;
            }
            Some(Value::Array(items)) if items.is_empty() => {
                self.error(CHECK, span, "`config_vars` is empty", LIST_HELP);
                return;
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!("`config_vars` is {}, not an array", describe(other));
                self.error(CHECK, span, message, LIST_HELP);
                return;
            }
        };
        let mut seen = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let span = self.document.value_span(&format!("/config_vars/{index}"));
            let Value::String(name) = item else {
                let message = format!("`config_vars` holds {}, not a name", describe(item));
                self.error(
                    CHECK,
                    span,
                    message,
                    "write each config var name as a string",
                );
                continue;
            };
            if !seen.insert(name.as_str()) {
                let message = format!("`config_vars` lists {} twice", quoted(name));
                self.error(CHECK, span, message, "remove the repeated entry");
            } else if !is_env_name(name) {
                self.error(
                    CHECK,
                    span,
                    format!(
                        "config var {} is not a valid environment variable name",
                        quoted(name)
                    ),
                    "use letters, digits and `_`, not starting with a digit, e.g. `MYADDON_URL`",
                );
            }
        }
    }

    /// `production` (required, https) or `test` (optional): an object with `base_url` (required)
    /// and `sso_url` (optional: without it there is no single sign-on).
    fn environment(&mut self, top: &Map<String, Value>, environment: &str) {
        let production = environment == "production";
        let pointer = child_pointer("", environment);
        let host = if production {
            "https://myaddon.example"
        } else {
            "http://localhost:4567"
        };
        match top.get(environment) {
            None if production => self.error(
                "manifest.urls",
                self.missing(""),
                "`production` is missing",
                format!(
                    "add `\"production\": {{\"base_url\": \"{host}/scalingo/resources\", \
                     \"sso_url\": \"{host}/scalingo/sso\"}}`"
                ),
            ),
            None => {}
            Some(Value::Object(urls)) => {
                self.unknown_keys(&pointer, urls, ENDPOINT_KEYS);
                let base_url = format!("{host}/scalingo/resources");
                match urls.get("base_url") {
                    None => self.error(
                        "manifest.urls",
                        self.missing(&pointer),
                        format!("`{environment}.base_url` is missing"),
                        format!(
                            "add `\"base_url\": \"{base_url}\"`: Scalingo sends provisioning \
                             calls there"
                        ),
                    ),
                    Some(value) => self.url(&format!("{pointer}/base_url"), value, &base_url),
                }
                if let Some(value) = urls.get("sso_url") {
                    let sso_url = format!("{host}/scalingo/sso");
                    self.url(&format!("{pointer}/sso_url"), value, &sso_url);
                }
            }
            Some(other) => self.error(
                "manifest.urls",
                self.document.value_span(&pointer),
                format!(
                    "`{environment}` is {}, not an object with `base_url` and `sso_url`",
                    describe(other)
                ),
                format!(
                    "write `{{\"base_url\": \"{host}/scalingo/resources\", \
                     \"sso_url\": \"{host}/scalingo/sso\"}}`"
                ),
            ),
        }
    }

    fn url(&mut self, pointer: &str, value: &Value, example: &str) {
        let name = self.dotted(pointer);
        let span = self.document.value_span(pointer);
        let help = format!("write an absolute http(s) URL such as `{example}`");
        let Value::String(text) = value else {
            let message = format!("`{name}` is {}, not a URL", describe(value));
            self.error("manifest.urls", span, message, help);
            return;
        };
        match web_url(text) {
            Err(reason) => self.error("manifest.urls", span, format!("`{name}` {reason}"), help),
            Ok(url) if pointer.starts_with("/production/") && url.scheme() != "https" => self
                .error(
                    "manifest.urls.https",
                    span,
                    format!("`{name}` uses http, not https"),
                    "serve production over https: Scalingo sends the password and single \
                     sign-on tokens to this URL",
                ),
            Ok(_) => {}
        }
    }

    fn plans(&mut self, value: Option<&Value>) {
        const CHECK: &str = "manifest.plans";
        const LIST_HELP: &str = "list at least one plan, e.g. `[{\"name\": \"free\", \
                                 \"display_name\": \"Free\", \"price\": 0, \"description\": \
                                 \"…\"}]`";
        let span = self.document.value_span("/plans");
        let items = match value {
            None => {
                self.error(CHECK, self.missing(""), "`plans` is missing", LIST_HELP);
                return;
            }
            Some(Value::Array(items)) if items.is_empty() => {
                self.error(CHECK, span, "`plans` is empty", LIST_HELP);
                return;
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                let message = format!("`plans` is {}, not an array", describe(other));
                self.error(CHECK, span, message, LIST_HELP);
                return;
            }
        };
        let mut names = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            let pointer = format!("/plans/{index}");
            let Value::Object(plan) = item else {
                let message = format!("`plans` holds {}, not a plan object", describe(item));
                let span = self.document.value_span(&pointer);
                self.error(CHECK, span, message, LIST_HELP);
                continue;
            };
            self.unknown_keys(&pointer, plan, PLAN_KEYS);
            let name_help = "set `name` to the plan's id, e.g. `\"free\"`: provisioning calls \
                             name the plan by it";
            if let Some(name) = self.plan_text(plan, &pointer, "name", name_help)
                && !names.insert(name)
            {
                self.error(
                    CHECK,
                    self.document.value_span(&format!("{pointer}/name")),
                    format!("two plans are named {}", quoted(name)),
                    "give each plan its own name: plans are told apart by name",
                );
            }
            self.plan_text(
                plan,
                &pointer,
                "display_name",
                "set `display_name` to the plan's name as customers see it, e.g. `\"Free\"`",
            );
            self.plan_text(
                plan,
                &pointer,
                "description",
                "describe the plan in Markdown; customers read it when choosing a plan",
            );
            self.price(plan, &pointer);
            self.options(plan, &pointer);
        }
    }

    /// A plan member that must be a non-blank string; returns it when it is one.
    fn plan_text<'v>(
        &mut self,
        plan: &'v Map<String, Value>,
        parent: &str,
        key: &str,
        help: &str,
    ) -> Option<&'v str> {
        const CHECK: &str = "manifest.plans";
        let pointer = child_pointer(parent, key);
        let name = self.dotted(&pointer);
        let span = self.document.value_span(&pointer);
        match plan.get(key) {
            None => self.error(
                CHECK,
                self.missing(parent),
                format!("`{name}` is missing"),
                help,
            ),
            Some(Value::String(text)) if text.trim().is_empty() => {
                self.error(CHECK, span, format!("`{name}` is blank"), help);
            }
            Some(Value::String(text)) => return Some(text),
            Some(other) => self.error(
                CHECK,
                span,
                format!("`{name}` is {}, not a string", describe(other)),
                help,
            ),
        }
        None
    }

    fn price(&mut self, plan: &Map<String, Value>, parent: &str) {
        const CHECK: &str = "manifest.plans";
        const HELP: &str = "set `price` to the plan's price in euros for 30 days, as a number, \
                            e.g. `0` or `9.5`";
        let pointer = child_pointer(parent, "price");
        let name = self.dotted(&pointer);
        let span = self.document.value_span(&pointer);
        match plan.get("price") {
            None => self.error(
                CHECK,
                self.missing(parent),
                format!("`{name}` is missing"),
                HELP,
            ),
            Some(Value::Number(price)) if price.as_f64().is_some_and(|price| price < 0.0) => {
                self.error(CHECK, span, format!("`{name}` is negative"), HELP);
            }
            Some(Value::Number(_)) => {}
            Some(other) => self.error(
                CHECK,
                span,
                format!("`{name}` is {}, not a number", describe(other)),
                HELP,
            ),
        }
    }

    /// `options` travel with every provisioning call for the plan; Scalingo reads them as
    /// strings.
    fn options(&mut self, plan: &Map<String, Value>, parent: &str) {
        const CHECK: &str = "manifest.plans";
        const HELP: &str = "write `options` as an object of strings, e.g. `{\"size\": \"2G\"}`; \
                            they are sent with the provisioning calls for this plan";
        let pointer = child_pointer(parent, "options");
        let options = match plan.get("options") {
            None => return,
            Some(Value::Object(options)) => options,
            Some(other) => {
                let message = format!(
                    "`{}` is {}, not an object",
                    self.dotted(&pointer),
                    describe(other)
                );
                self.error(CHECK, self.document.value_span(&pointer), message, HELP);
                return;
            }
        };
        for (key, value) in options {
            if value.is_string() {
                continue;
            }
            let member = child_pointer(&pointer, key);
            let message = format!(
                "`{}` is {}, not a string",
                self.dotted(&member),
                describe(value)
            );
            self.error(CHECK, self.document.value_span(&member), message, HELP);
        }
    }

    fn unknown_keys(&mut self, pointer: &str, object: &Map<String, Value>, known: &[&str]) {
        for key in object.keys() {
            if known.contains(&key.as_str()) {
                continue;
            }
            let member = child_pointer(pointer, key);
            let nested = if pointer.is_empty() {
                nested_key(key)
            } else {
                None
            };
            let help = match (nested, closest(key, known)) {
                (Some((environment, endpoint_key)), _) => format!(
                    "did you mean `{environment}.{endpoint_key}`? Scalingo reads `{endpoint_key}` \
                     inside the `{environment}` object and ignores this key"
                ),
                (None, Some(known)) => {
                    format!("did you mean `{known}`? Scalingo ignores keys it does not know")
                }
                (None, None) => format!(
                    "Scalingo ignores it; the keys it reads here are {}",
                    known.join(", ")
                ),
            };
            self.warning(
                "manifest.unknown-keys",
                self.document.key_span(&member),
                format!("`{}` is not a key Scalingo reads", self.dotted(&member)),
                help,
            );
        }
    }

    /// Where to point when a key is missing: at the key of the object that should hold it, or
    /// at its opening brace when it has no key (the top level, a plan in the list).
    fn missing(&self, parent: &str) -> Option<Span> {
        let key = self.document.key_span(parent);
        if key == self.document.value_span(parent) {
            self.document.opening_span(parent)
        } else {
            key
        }
    }

    /// A JSON pointer as a reader writes the path: `/plans/0/price` as `plans[0].price`.
    fn dotted(&self, pointer: &str) -> String {
        let mut path = String::new();
        let mut current = Some(&self.document.value);
        for segment in pointer.split('/').skip(1) {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            match current {
                Some(Value::Array(items)) => {
                    path.push_str(&format!("[{segment}]"));
                    current = segment
                        .parse()
                        .ok()
                        .and_then(|index: usize| items.get(index));
                }
                parent => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(&segment.escape_debug().to_string());
                    current = parent.and_then(|parent| parent.get(&segment));
                }
            }
        }
        path
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

/// A top-level key that flattens an environment's URL, such as `test_sso_url` (the spelling in
/// Scalingo's own manifest documentation): the environment and the key it meant.
fn nested_key(key: &str) -> Option<(&'static str, &'static str)> {
    let key = key.to_lowercase().replace(['-', '.'], "_");
    ENVIRONMENTS
        .iter()
        .flat_map(|environment| {
            ENDPOINT_KEYS
                .iter()
                .map(move |endpoint_key| (*environment, *endpoint_key))
        })
        .find(|(environment, endpoint_key)| {
            edit_distance(&key, &format!("{environment}_{endpoint_key}")) <= 2
        })
}

#[cfg(test)]
mod tests {
    use manifest_core::{Severity, Source};
    use serde_json::json;

    use super::*;
    use crate::manifest::load;

    fn complete() -> Value {
        json!({
            "name": "reference-db",
            "username": "reference-db",
            "password": "password-for-tests",
            "sso_salt": "salt-for-tests",
            "logo_url": "https://reference-db.example/logo.png",
            "short_description": "A database for tests",
            "description": "# Reference DB\nA database.",
            "log_drain": true,
            "config_vars": ["REFERENCE_DB_URL", "REFERENCE_DB_TOKEN"],
            "production": {
                "base_url": "https://reference-db.example/scalingo/resources",
                "sso_url": "https://reference-db.example/scalingo/sso"
            },
            "test": {
                "base_url": "http://127.0.0.1:4567/scalingo/resources",
                "sso_url": "http://127.0.0.1:4567/scalingo/sso"
            },
            "plans": [
                {"name": "free", "display_name": "Free", "price": 0.0,
                 "description": "To try it"},
                {"name": "pro", "display_name": "Pro", "price": 29,
                 "description": "For production", "options": {"size": "2G"}}
            ]
        })
    }

    /// Sets the member at `pointer`, adding it to its object or replacing an array element.
    fn with(mut manifest: Value, pointer: &str, value: Value) -> Value {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        match manifest.pointer_mut(parent).unwrap() {
            Value::Object(object) => {
                object.insert(key.to_owned(), value);
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value,
            other => panic!("{parent} is {other}"),
        }
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
        let loaded = load(Source::new("manifest.json", text.clone())).unwrap();
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
            complete(),
            without(complete(), "/test"),
            without(complete(), "/log_drain"),
            with(complete(), "/log_drain", json!(false)),
            without(complete(), "/production/sso_url"),
            without(complete(), "/test/sso_url"),
            without(complete(), "/plans/1/options"),
            with(complete(), "/plans/1/options", json!({})),
            with(complete(), "/plans/0/price", json!(0)),
            with(complete(), "/plans/1/price", json!(12.5)),
            with(
                complete(),
                "/logo_url",
                json!("//cdn.reference-db.example/logo.png"),
            ),
            with(
                complete(),
                "/logo_url",
                json!("http://reference-db.example/logo.png"),
            ),
            with(
                complete(),
                "/config_vars",
                json!(["reference_db_url", "_PRIVATE", "A1"]),
            ),
            with(
                complete(),
                "/$schema",
                json!("https://example.invalid/schema.json"),
            ),
            with(
                complete(),
                "/production/base_url",
                json!("https://reference-db.example/scalingo/resources/"),
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
                "name missing",
                without(complete(), "/name"),
                "manifest.id",
                Error,
                "{",
            ),
            (
                "name blank",
                with(complete(), "/name", json!(" ")),
                "manifest.id",
                Error,
                "\" \"",
            ),
            (
                "name a number",
                with(complete(), "/name", json!(7)),
                "manifest.id",
                Error,
                "7",
            ),
            (
                "username missing",
                without(complete(), "/username"),
                "manifest.credentials",
                Error,
                "{",
            ),
            (
                "username blank",
                with(complete(), "/username", json!("")),
                "manifest.credentials",
                Error,
                "\"\"",
            ),
            (
                "password missing",
                without(complete(), "/password"),
                "manifest.credentials",
                Error,
                "{",
            ),
            (
                "password blank",
                with(complete(), "/password", json!("")),
                "manifest.credentials",
                Error,
                "\"\"",
            ),
            (
                "password a number",
                with(complete(), "/password", json!(1234)),
                "manifest.credentials",
                Error,
                "1234",
            ),
            (
                "sso salt missing",
                without(complete(), "/sso_salt"),
                "manifest.sso-salt",
                Error,
                "{",
            ),
            (
                "sso salt blank",
                with(complete(), "/sso_salt", json!("  ")),
                "manifest.sso-salt",
                Error,
                "\"  \"",
            ),
            (
                "sso salt null",
                with(complete(), "/sso_salt", json!(null)),
                "manifest.sso-salt",
                Error,
                "null",
            ),
            (
                "logo missing",
                without(complete(), "/logo_url"),
                "manifest.listing",
                Warning,
                "{",
            ),
            (
                "logo blank",
                with(complete(), "/logo_url", json!("")),
                "manifest.listing",
                Warning,
                "\"\"",
            ),
            (
                "logo not a URL",
                with(complete(), "/logo_url", json!("logo.png")),
                "manifest.listing",
                Warning,
                "\"logo.png\"",
            ),
            (
                "short description blank",
                with(complete(), "/short_description", json!(" ")),
                "manifest.listing",
                Warning,
                "\" \"",
            ),
            (
                "description missing",
                without(complete(), "/description"),
                "manifest.listing",
                Warning,
                "{",
            ),
            (
                "description a list",
                with(complete(), "/description", json!(["a"])),
                "manifest.listing",
                Warning,
                "[\n    \"a\"\n  ]",
            ),
            (
                "log_drain a string",
                with(complete(), "/log_drain", json!("true")),
                "manifest.parse",
                Error,
                "\"true\"",
            ),
            (
                "log_drain a number",
                with(complete(), "/log_drain", json!(1)),
                "manifest.parse",
                Error,
                "1",
            ),
            (
                "config_vars missing",
                without(complete(), "/config_vars"),
                "manifest.config-vars",
                Error,
                "{",
            ),
            (
                "config_vars empty",
                with(complete(), "/config_vars", json!([])),
                "manifest.config-vars",
                Error,
                "[]",
            ),
            (
                "config_vars a string",
                with(complete(), "/config_vars", json!("REFERENCE_DB_URL")),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_URL\"",
            ),
            (
                "config var a number",
                with(complete(), "/config_vars", json!(["REFERENCE_DB_URL", 5])),
                "manifest.config-vars",
                Error,
                "5",
            ),
            (
                "config var twice",
                with(
                    complete(),
                    "/config_vars",
                    json!(["REFERENCE_DB_URL", "REFERENCE_DB_URL"]),
                ),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_URL\"",
            ),
            (
                "config var with a dash",
                with(complete(), "/config_vars", json!(["REFERENCE-DB-URL"])),
                "manifest.config-vars",
                Error,
                "\"REFERENCE-DB-URL\"",
            ),
            (
                "config var starting with a digit",
                with(complete(), "/config_vars", json!(["1_URL"])),
                "manifest.config-vars",
                Error,
                "\"1_URL\"",
            ),
            (
                "config var with a trailing newline",
                with(complete(), "/config_vars", json!(["REFERENCE_DB_URL\n"])),
                "manifest.config-vars",
                Error,
                "\"REFERENCE_DB_URL\\n\"",
            ),
            (
                "production missing",
                without(complete(), "/production"),
                "manifest.urls",
                Error,
                "{",
            ),
            (
                "production a string",
                with(complete(), "/production", json!("https://x.example")),
                "manifest.urls",
                Error,
                "\"https://x.example\"",
            ),
            (
                "test a string",
                with(complete(), "/test", json!("http://localhost:4567")),
                "manifest.urls",
                Error,
                "\"http://localhost:4567\"",
            ),
            (
                "production base_url missing",
                without(complete(), "/production/base_url"),
                "manifest.urls",
                Error,
                "\"production\"",
            ),
            (
                "test base_url missing",
                without(complete(), "/test/base_url"),
                "manifest.urls",
                Error,
                "\"test\"",
            ),
            (
                "production base_url blank",
                with(complete(), "/production/base_url", json!("")),
                "manifest.urls",
                Error,
                "\"\"",
            ),
            (
                "production base_url relative",
                with(complete(), "/production/base_url", json!("/resources")),
                "manifest.urls",
                Error,
                "\"/resources\"",
            ),
            (
                "test base_url without a scheme",
                with(complete(), "/test/base_url", json!("localhost:4567/r")),
                "manifest.urls",
                Error,
                "\"localhost:4567/r\"",
            ),
            (
                "test base_url without a host",
                with(complete(), "/test/base_url", json!("http://")),
                "manifest.urls",
                Error,
                "\"http://\"",
            ),
            (
                "test sso_url a number",
                with(complete(), "/test/sso_url", json!(4567)),
                "manifest.urls",
                Error,
                "4567",
            ),
            (
                "test sso_url blank",
                with(complete(), "/test/sso_url", json!("")),
                "manifest.urls",
                Error,
                "\"\"",
            ),
            (
                "production base_url over http",
                with(
                    complete(),
                    "/production/base_url",
                    json!("http://reference-db.example/scalingo/resources"),
                ),
                "manifest.urls.https",
                Error,
                "\"http://reference-db.example/scalingo/resources\"",
            ),
            (
                "production sso_url over http",
                with(
                    complete(),
                    "/production/sso_url",
                    json!("http://reference-db.example/sso"),
                ),
                "manifest.urls.https",
                Error,
                "\"http://reference-db.example/sso\"",
            ),
            (
                "plans missing",
                without(complete(), "/plans"),
                "manifest.plans",
                Error,
                "{",
            ),
            (
                "plans empty",
                with(complete(), "/plans", json!([])),
                "manifest.plans",
                Error,
                "[]",
            ),
            (
                "plans an object",
                with(complete(), "/plans", json!({})),
                "manifest.plans",
                Error,
                "{}",
            ),
            (
                "plan a string",
                with(complete(), "/plans/1", json!("pro")),
                "manifest.plans",
                Error,
                "\"pro\"",
            ),
            (
                "plan name missing",
                without(complete(), "/plans/1/name"),
                "manifest.plans",
                Error,
                "{",
            ),
            (
                "plan name blank",
                with(complete(), "/plans/1/name", json!("")),
                "manifest.plans",
                Error,
                "\"\"",
            ),
            (
                "plan name a number",
                with(complete(), "/plans/1/name", json!(2)),
                "manifest.plans",
                Error,
                "2",
            ),
            (
                "plan name twice",
                with(complete(), "/plans/1/name", json!("free")),
                "manifest.plans",
                Error,
                "\"free\"",
            ),
            (
                "plan display_name missing",
                without(complete(), "/plans/0/display_name"),
                "manifest.plans",
                Error,
                "{",
            ),
            (
                "plan description blank",
                with(complete(), "/plans/0/description", json!("")),
                "manifest.plans",
                Error,
                "\"\"",
            ),
            (
                "plan price missing",
                without(complete(), "/plans/0/price"),
                "manifest.plans",
                Error,
                "{",
            ),
            (
                "plan price negative",
                with(complete(), "/plans/1/price", json!(-1.5)),
                "manifest.plans",
                Error,
                "-1.5",
            ),
            (
                "plan price a string",
                with(complete(), "/plans/1/price", json!("29")),
                "manifest.plans",
                Error,
                "\"29\"",
            ),
            (
                "plan options a list",
                with(complete(), "/plans/1/options", json!(["2G"])),
                "manifest.plans",
                Error,
                "[\n        \"2G\"\n      ]",
            ),
            (
                "plan option a number",
                with(complete(), "/plans/1/options", json!({"size": 2})),
                "manifest.plans",
                Error,
                "2",
            ),
            (
                "unknown top-level key",
                with(complete(), "/regions", json!(["osc-fr1"])),
                "manifest.unknown-keys",
                Warning,
                "\"regions\"",
            ),
            (
                "flattened test sso url",
                with(
                    complete(),
                    "/test_sso_url",
                    json!("http://localhost:4567/sso"),
                ),
                "manifest.unknown-keys",
                Warning,
                "\"test_sso_url\"",
            ),
            (
                "unknown endpoint key",
                with(complete(), "/production/sso", json!("https://x.example")),
                "manifest.unknown-keys",
                Warning,
                "\"sso\"",
            ),
            (
                "unknown plan key",
                with(complete(), "/plans/0/prices", json!(0)),
                "manifest.unknown-keys",
                Warning,
                "\"prices\"",
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
    fn every_catalog_id_used_here_exists_for_scalingo() {
        let all = [
            "manifest.parse",
            "manifest.id",
            "manifest.credentials",
            "manifest.sso-salt",
            "manifest.urls",
            "manifest.urls.https",
            "manifest.config-vars",
            "manifest.plans",
            "manifest.listing",
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
            with(complete(), "/password", json!(["password-for-tests"])),
            "/sso_salt",
            json!({"salt": "salt-for-tests"}),
        );
        let found = check(&manifest);
        assert_eq!(found.len(), 2, "{found:#?}");
        for (finding, _) in found {
            let text = format!("{} {}", finding.message, finding.help.unwrap_or_default());
            assert!(!text.contains("for-tests"), "{text}");
        }
    }

    #[test]
    fn the_flattened_test_sso_url_points_into_the_test_object() {
        for key in [
            "test_sso_url",
            "test.sso_url",
            "test-sso-url",
            "TEST_SSO_URL",
        ] {
            let found = check(&with(complete(), &format!("/{key}"), json!("http://x")));
            let help = found[0].0.help.as_deref().unwrap();
            assert!(
                help.starts_with("did you mean `test.sso_url`?"),
                "{key}: {help}"
            );
        }
        let found = check(&with(
            complete(),
            "/production_base_url",
            json!("https://x"),
        ));
        let help = found[0].0.help.as_deref().unwrap();
        assert!(
            help.starts_with("did you mean `production.base_url`?"),
            "{help}"
        );
    }

    #[test]
    fn suggests_the_key_that_was_meant() {
        let found = check(&with(complete(), "/sso-salt", json!("x")));
        assert_eq!(found.len(), 1, "{found:#?}");
        let help = found[0].0.help.as_deref().unwrap();
        assert!(help.starts_with("did you mean `sso_salt`?"), "{help}");
        let found = check(&with(complete(), "/plans/0/display-name", json!("x")));
        let help = found[0].0.help.as_deref().unwrap();
        assert!(help.starts_with("did you mean `display_name`?"), "{help}");
        assert_eq!(closest("zz", TOP_LEVEL_KEYS), None);
        assert_eq!(closest("logdrain", TOP_LEVEL_KEYS), Some("log_drain"));
        assert_eq!(nested_key("sso_url"), None);
    }

    #[test]
    fn messages_name_plans_by_position() {
        let found = check(&with(complete(), "/plans/1/price", json!(-1)));
        assert_eq!(found[0].0.message, "`plans[1].price` is negative");
        let found = check(&with(complete(), "/plans/1/options", json!({"size": 2})));
        assert_eq!(
            found[0].0.message,
            "`plans[1].options.size` is a number, not a string"
        );
        let found = check(&with(complete(), "/plans/0/prices", json!(0)));
        assert_eq!(
            found[0].0.message,
            "`plans[0].prices` is not a key Scalingo reads"
        );
    }

    #[test]
    fn the_documented_example_is_right_display_name_included() {
        let documented = json!({
            "name": "Example Addon",
            "username": "username-for-basic-auth",
            "password": "samyoiHissowdOnHugyorOidepguJa",
            "sso_salt": "esidTavOnreboudWavwoadBildyon3",
            "logo_url": "//cdn.myaddon.com/logo.png",
            "short_description": "This addon is providing an awesome tool",
            "description": "# Example Addon\n## What we provide\n This is an awesome markdown description",
            "config_vars": ["EXAMPLE_VARIABLE_1"],
            "production": {
                "base_url": "https://myaddon.com/resources",
                "sso_url": "https://dashboard.myaddon.com/sso"
            },
            "test": {
                "base_url": "http://localhost:3000/resources",
                "sso_url": "https://localhost:3001/sso"
            },
            "plans": [
                {"name": "free", "display_name": "Free Tier addon", "price": 0.0,
                 "description": "Markdown description of the plan"},
                {"name": "premium", "display_name": "Premium addon", "price": 30.0,
                 "description": "Markdown description of the plan"}
            ]
        });
        let found = check(&documented);
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn what_is_not_an_object_stops_the_rules() {
        let document =
            JsonDocument::parse(Source::new("manifest.json", "[1]")).expect("valid JSON");
        let mut rules = Rules {
            document: &document,
            found: Vec::new(),
        };
        rules.manifest();
        assert_eq!(rules.found.len(), 1);
        assert_eq!(rules.found[0].check, "manifest.parse");
    }
}
