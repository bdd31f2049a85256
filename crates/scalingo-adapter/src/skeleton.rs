//! The manifest `init` writes: complete, valid, and ready for the provider's own names and URLs.

use manifest_core::dialect::SkeletonSecrets;
use serde_json::Value;

/// A new `manifest.json` for an add-on called `myaddon`, holding the given secrets, with one
/// config var, a free and a paid plan, and test URLs on the local development server.
pub(crate) fn skeleton(secrets: &SkeletonSecrets) -> String {
    // Secrets go through the JSON encoder so that any character in them stays valid JSON.
    let password = Value::from(secrets.password.expose());
    let sso_salt = Value::from(secrets.sso_salt.expose());
    format!(
        r##"{{
  "name": "myaddon",
  "username": "myaddon",
  "password": {password},
  "sso_salt": {sso_salt},
  "logo_url": "https://myaddon.example/logo.png",
  "short_description": "One sentence on what My Add-on does",
  "description": "# My Add-on\n\nWhat it provides, in Markdown.",
  "log_drain": false,
  "config_vars": ["MYADDON_URL"],
  "production": {{
    "base_url": "https://myaddon.example/scalingo/resources",
    "sso_url": "https://myaddon.example/scalingo/sso"
  }},
  "test": {{
    "base_url": "http://localhost:4567/scalingo/resources",
    "sso_url": "http://localhost:4567/scalingo/sso"
  }},
  "plans": [
    {{
      "name": "free",
      "display_name": "Free",
      "price": 0,
      "description": "To try My Add-on out"
    }},
    {{
      "name": "pro",
      "display_name": "Pro",
      "price": 29.0,
      "description": "For production apps",
      "options": {{}}
    }}
  ]
}}
"##
    )
}

#[cfg(test)]
mod tests {
    use manifest_core::{Credentials, Dialect, Secret, Source, SsoTransport};

    use super::*;
    use crate::Scalingo;

    fn secrets() -> SkeletonSecrets {
        SkeletonSecrets {
            password: Secret::new("0123456789abcdef0123456789abcdef"),
            sso_salt: Secret::new("salt \"with\" quotes\\"),
        }
    }

    #[test]
    fn the_skeleton_loads_back_without_findings() {
        let text = Scalingo.manifest_skeleton(&secrets(), manifest_core::SsoTransport::Get);
        let manifest = Scalingo
            .load_manifest(Source::new("manifest.json", text.clone()))
            .unwrap();
        let findings = Scalingo.manifest_findings(&manifest);
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(
            Scalingo.recognizes(&manifest.document.value),
            manifest_core::Recognition::Shape
        );
        assert_eq!(manifest.id, "myaddon");
        assert_eq!(
            manifest.credentials,
            Credentials::Basic {
                username: "myaddon".into(),
                password: secrets().password
            }
        );
        assert_eq!(manifest.sso_salt, Some(secrets().sso_salt));
        assert_eq!(manifest.config_vars, ["MYADDON_URL"]);
        let plans: Vec<_> = manifest
            .plans
            .iter()
            .map(|plan| plan.name.as_str())
            .collect();
        let expectations = Scalingo.expectations();
        assert_eq!(
            plans,
            [
                expectations.default_plan,
                expectations.default_plan_change_to
            ]
        );
        assert!(!manifest.log_drain);
        let test = manifest.test.unwrap();
        assert_eq!(test.sso_transport, SsoTransport::Get);
        assert_eq!(
            test.base_url.as_str(),
            "http://localhost:4567/scalingo/resources"
        );
        assert_eq!(
            test.sso_url.unwrap().as_str(),
            "http://localhost:4567/scalingo/sso"
        );
        assert!(manifest.production.is_some());
    }
}
