//! `config.yaml` into the neutral [`Manifest`]. Bitrise publishes no manifest: its tester reads
//! this file, which names the add-on's URL and the two secrets it shares with Bitrise. Only an
//! unreadable file is an error here; every other problem is left for the rules.

use manifest_core::json_values::{describe, string_or_empty};
use manifest_core::urls::{below, web_url};
use manifest_core::{
    Credentials, Diagnostic, Diagnostics, Endpoints, Manifest, Secret, Source, SsoTransport,
};
use serde_json::Value;

use crate::document;

/// The header the shared token travels in. Bitrise's own spelling: not `Authorization`.
pub const AUTH_HEADER: &str = "Authentication";

pub(crate) fn load(source: Source) -> Result<Manifest, Diagnostics> {
    let document = document::parse(source)?;
    let Some(top) = document.value.as_object() else {
        let diagnostic = Diagnostic::error(
            "manifest.parse",
            format!(
                "the config is {}, not a mapping of keys to values",
                describe(&document.value)
            ),
        )
        .at(document.opening_span(""))
        .help("write `addon-url`, `auth-token` and `sso-secret`, one per line, as `key: value`");
        return Err(Diagnostics::new(document.source, vec![diagnostic]));
    };

    let addon_url = top
        .get("addon-url")
        .and_then(Value::as_str)
        .and_then(|url| web_url(url).ok());
    let endpoints = addon_url.as_ref().map(|url| Endpoints {
        base_url: url.clone(),
        sso_url: Some(below(url, &["login"])),
        sso_transport: SsoTransport::Post,
    });
    let sso_salt = top
        .get("sso-secret")
        .and_then(Value::as_str)
        .filter(|secret| !secret.trim().is_empty())
        .map(Secret::new);
    Ok(Manifest {
        platform: crate::PLATFORM,
        // The config names no add-on; the host it is served from stands for it.
        id: addon_url
            .as_ref()
            .and_then(|url| url.host_str())
            .unwrap_or_default()
            .to_owned(),
        credentials: Credentials::Header {
            name: AUTH_HEADER.to_owned(),
            token: Secret::new(string_or_empty(top.get("auth-token"))),
        },
        sso_salt,
        // The tester's one URL is where every call goes, whichever environment is asked for.
        test: endpoints.clone(),
        production: endpoints,
        config_vars: Vec::new(),
        config_prefix: None,
        plans: Vec::new(),
        regions: Vec::new(),
        requires: Vec::new(),
        log_drain: false,
        document,
    })
}

#[cfg(test)]
mod tests {
    use manifest_core::{Environment, Span};

    use super::*;

    fn load_text(text: &str) -> Manifest {
        load(Source::new("config.yaml", text)).expect("readable config")
    }

    #[test]
    fn reads_every_key_into_the_model() {
        let manifest = load_text(
            "addon-url: https://addon.example/bitrise\nauth-token: t0ken\nsso-secret: s3cret\n",
        );
        assert_eq!(manifest.platform, crate::PLATFORM);
        assert_eq!(manifest.id, "addon.example");
        assert_eq!(
            manifest.credentials,
            Credentials::Header {
                name: "Authentication".into(),
                token: Secret::new("t0ken"),
            }
        );
        assert_eq!(manifest.sso_salt, Some(Secret::new("s3cret")));
        for environment in [Environment::Test, Environment::Production] {
            let endpoints = manifest.endpoints(environment).unwrap();
            assert_eq!(endpoints.base_url.as_str(), "https://addon.example/bitrise");
            assert_eq!(
                endpoints.sso_url.as_ref().unwrap().as_str(),
                "https://addon.example/bitrise/login"
            );
            assert_eq!(endpoints.sso_transport, SsoTransport::Post);
        }
        assert!(manifest.config_vars.is_empty() && manifest.plans.is_empty());
        assert!(!manifest.log_drain);
    }

    #[test]
    fn a_trailing_slash_makes_no_difference_to_the_login_url() {
        let manifest = load_text("addon-url: http://127.0.0.1:4567/\n");
        let test = manifest.test.unwrap();
        assert_eq!(
            test.sso_url.unwrap().as_str(),
            "http://127.0.0.1:4567/login"
        );
    }

    #[test]
    fn fills_what_it_can_from_a_broken_config() {
        let manifest = load_text("addon-url: /relative\nauth-token: 42\nsso-secret: ' '\n");
        assert_eq!(manifest.id, "");
        assert_eq!(manifest.test, None);
        assert_eq!(manifest.production, None);
        assert_eq!(manifest.credentials.secret(), &Secret::new(""));
        assert_eq!(manifest.sso_salt, None);
    }

    #[test]
    fn refuses_what_is_not_a_mapping() {
        for text in ["- a\n- b\n", "just text\n", "42\n"] {
            let error = load(Source::new("config.yaml", text)).unwrap_err();
            assert_eq!(error.items.len(), 1, "{text}");
            assert_eq!(error.items[0].check, "manifest.parse");
            assert_eq!(error.items[0].span, Some(Span::new(0, 1)), "{text}");
        }
    }
}
