//! Rules on the config vars a provider returns, shared by provisioning and plan changes.

use std::collections::HashSet;
use std::net::IpAddr;

use manifest_core::json_values::describe;
use manifest_core::names::is_env_name;
use manifest_core::{Environment, Manifest};
use serde_json::Value;
use url::{Host, Url};

/// Which rule a config problem breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigRule {
    Declared,
    Complete,
    Strings,
    Prefix,
    Urls,
    Envs,
}

impl ConfigRule {
    pub const ALL: [ConfigRule; 6] = [
        ConfigRule::Declared,
        ConfigRule::Complete,
        ConfigRule::Strings,
        ConfigRule::Prefix,
        ConfigRule::Urls,
        ConfigRule::Envs,
    ];

    /// The check a provision answer breaking this rule fails.
    pub fn provision_check(self) -> &'static str {
        match self {
            ConfigRule::Declared => "provision.config.declared",
            ConfigRule::Complete => "provision.config.complete",
            ConfigRule::Strings => "provision.config.strings",
            ConfigRule::Prefix => "provision.config.prefix",
            ConfigRule::Urls => "provision.config.urls",
            ConfigRule::Envs => "provision.envs",
        }
    }
}

/// Every problem with `config`, by rule. `complete` asks whether every declared var must be
/// there (a plan change may return only what changed).
pub fn config_problems(
    manifest: &Manifest,
    environment: Environment,
    config: &[(String, Value)],
    complete: bool,
) -> Vec<(ConfigRule, String)> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (key, value) in config {
        if !seen.insert(key.as_str()) {
            problems.push((
                ConfigRule::Envs,
                format!("`{key}` is returned more than once"),
            ));
        }
        if !is_env_name(key) {
            problems.push((
                ConfigRule::Envs,
                format!("`{key}` is not a valid environment variable name"),
            ));
        }
        if !manifest.config_vars.iter().any(|declared| declared == key) {
            problems.push((
                ConfigRule::Declared,
                format!("`{key}` is not declared in the manifest's config vars"),
            ));
        }
        if let Some(prefix) = &manifest.config_prefix
            && (!key.starts_with(prefix.as_str()) || key.len() == prefix.len())
        {
            problems.push((
                ConfigRule::Prefix,
                format!("`{key}` does not start with the prefix `{prefix}`"),
            ));
        }
        match value {
            Value::String(text) => {
                if text.is_empty() {
                    problems.push((ConfigRule::Envs, format!("`{key}` has an empty value")));
                }
                if key.ends_with("_URL")
                    && let Some(problem) = url_problem(text, environment)
                {
                    problems.push((ConfigRule::Urls, format!("`{key}`: {problem}")));
                }
            }
            other => problems.push((
                ConfigRule::Strings,
                format!("`{key}` is {}, not a string", describe(other)),
            )),
        }
    }
    if complete {
        for declared in &manifest.config_vars {
            if !config.iter().any(|(key, _)| key == declared) {
                problems.push((
                    ConfigRule::Complete,
                    format!("declared `{declared}` was not returned"),
                ));
            }
        }
    }
    problems
}

fn url_problem(text: &str, environment: Environment) -> Option<String> {
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(error) => return Some(format!("`{text}` is not an absolute URL ({error})")),
    };
    let Some(host) = url.host() else {
        return Some(format!("`{text}` has no host"));
    };
    if environment == Environment::Production && is_local(&host) {
        return Some(format!(
            "`{text}` points at this machine, which no app in production can reach"
        ));
    }
    None
}

fn is_local(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback() || ip.is_unspecified(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback() || ip.is_unspecified(),
    }
}

/// A log drain URL must be absolute and use one of the platform's `schemes`.
pub fn log_drain_problem(value: Option<&Value>, schemes: &[&str]) -> Option<String> {
    let Some(value) = value else {
        return Some(
            "the manifest asks for a log drain but the answer has no `log_drain_url`".into(),
        );
    };
    let Some(text) = value.as_str() else {
        return Some(format!(
            "`log_drain_url` is {}, not a string",
            describe(value)
        ));
    };
    match Url::parse(text) {
        Ok(url) if schemes.contains(&url.scheme()) && url.host().is_some() => None,
        Ok(url) => Some(format!(
            "`log_drain_url` `{text}` uses `{}`; the platform accepts {}",
            url.scheme(),
            schemes
                .iter()
                .map(|scheme| format!("`{scheme}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Err(error) => Some(format!(
            "`log_drain_url` `{text}` is not an absolute URL ({error})"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_absolute_and_not_local_in_production() {
        assert!(url_problem("postgres://u:p@db.example:5432/x", Environment::Production).is_none());
        assert!(url_problem("/db", Environment::Test).is_some());
        assert!(url_problem("http://localhost:1/x", Environment::Test).is_none());
        assert!(url_problem("http://localhost:1/x", Environment::Production).is_some());
        assert!(url_problem("http://127.0.0.2/x", Environment::Production).is_some());
        assert!(url_problem("http://[::1]/x", Environment::Production).is_some());
    }

    #[test]
    fn log_drains() {
        let any = ["http", "https", "syslog", "syslog+tls"];
        let web = ["http", "https"];
        let drain =
            |text: &str, schemes: &[&str]| log_drain_problem(Some(&Value::from(text)), schemes);
        assert!(drain("syslog+tls://logs.example:6514", &any).is_none());
        assert!(drain("https://logs.example/in", &any).is_none());
        assert!(drain("https://logs.example/in", &web).is_none());
        let refused = drain("syslog+tls://logs.example:6514", &web).unwrap();
        assert!(
            refused.contains("the platform accepts `http`, `https`"),
            "{refused}"
        );
        assert!(drain("ftp://logs.example", &any).is_some());
        assert!(log_drain_problem(Some(&Value::from(3)), &any).is_some());
        assert!(log_drain_problem(None, &any).is_some());
    }
}
