//! The manifest `init` writes: complete, valid, and ready for the provider's own names and URLs.

use manifest_core::SsoTransport;
use manifest_core::dialect::SkeletonSecrets;
use serde_json::Value;

/// A new `addon-manifest.json` for an add-on called `myaddon`, holding the given secrets.
///
/// [`SsoTransport::Post`] writes the current form (`production` and `test` as objects with
/// `base_url` and `sso_url`, logins POSTed to `sso_url`); [`SsoTransport::Get`] writes the legacy
/// form (root URLs, logins as a GET on `<root>/heroku/resources/<id>`).
pub(crate) fn skeleton(secrets: &SkeletonSecrets, transport: SsoTransport) -> String {
    let (production, test) = match transport {
        SsoTransport::Post => (
            r#"{
      "base_url": "https://myaddon.example/heroku/resources",
      "sso_url": "https://myaddon.example/sso/login"
    }"#,
            r#"{
      "base_url": "http://localhost:4567/heroku/resources",
      "sso_url": "http://localhost:4567/sso/login"
    }"#,
        ),
        SsoTransport::Get => (r#""https://myaddon.example""#, r#""http://localhost:4567""#),
    };
    // Secrets go through the JSON encoder so that any character in them stays valid JSON.
    let password = Value::from(secrets.password.expose());
    let sso_salt = Value::from(secrets.sso_salt.expose());
    format!(
        r#"{{
  "id": "myaddon",
  "name": "My Add-on",
  "api": {{
    "config_vars": ["MYADDON_URL"],
    "password": {password},
    "sso_salt": {sso_salt},
    "regions": ["us", "eu"],
    "requires": [],
    "production": {production},
    "test": {test},
    "version": "3"
  }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use manifest_core::{Dialect, Secret, Severity, Source};

    use super::*;
    use crate::Heroku;

    fn secrets() -> SkeletonSecrets {
        SkeletonSecrets {
            password: Secret::new("0123456789abcdef0123456789abcdef"),
            sso_salt: Secret::new("salt \"with\" quotes\\"),
        }
    }

    #[test]
    fn both_skeletons_load_back_without_errors() {
        for transport in [SsoTransport::Post, SsoTransport::Get] {
            let text = skeleton(&secrets(), transport);
            let manifest = Heroku
                .load_manifest(Source::new("addon-manifest.json", text))
                .unwrap();
            let findings = Heroku.manifest_findings(&manifest);
            assert!(
                findings.iter().all(|f| f.severity != Severity::Error),
                "{transport:?}: {findings:#?}"
            );
            assert!(findings.is_empty(), "{transport:?}: {findings:#?}");
            // A skeleton is Heroku's own: no platform of the same shape can claim it.
            assert_eq!(
                Heroku.recognizes(&manifest.document.value),
                manifest_core::Recognition::Own
            );
            assert_eq!(manifest.id, "myaddon");
            assert_eq!(manifest.credentials.secret(), &secrets().password);
            assert_eq!(manifest.sso_salt, Some(secrets().sso_salt));
            assert_eq!(manifest.config_vars, ["MYADDON_URL"]);
            let test = manifest.test.unwrap();
            assert_eq!(test.sso_transport, transport);
            assert_eq!(
                test.base_url.as_str(),
                "http://localhost:4567/heroku/resources"
            );
        }
    }

    #[test]
    fn the_dialect_skeleton_is_the_current_form() {
        assert_eq!(
            Heroku.manifest_skeleton(&secrets(), SsoTransport::Post),
            skeleton(&secrets(), SsoTransport::Post)
        );
        let text = Heroku.manifest_skeleton(&secrets(), SsoTransport::Post);
        assert!(text.contains("\"sso_url\": \"http://localhost:4567/sso/login\""));
    }
}
