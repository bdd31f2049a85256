//! The manifest `init` writes: complete, valid, and ready for the provider's own names and URLs.

use manifest_core::dialect::SkeletonSecrets;
use serde_json::Value;

/// A new manifest for an add-on called `myaddon`, holding the given secrets, with the URL paths
/// of the documentation's example (which also mark the file as Clever Cloud's).
pub(crate) fn skeleton(secrets: &SkeletonSecrets) -> String {
    // Secrets go through the JSON encoder so that any character in them stays valid JSON.
    let password = Value::from(secrets.password.expose());
    let sso_salt = Value::from(secrets.sso_salt.expose());
    format!(
        r#"{{
  "id": "myaddon",
  "name": "My Add-on",
  "api": {{
    "config_vars": ["MYADDON_URL"],
    "regions": ["eu"],
    "password": {password},
    "sso_salt": {sso_salt},
    "production": {{
      "base_url": "https://myaddon.example/clevercloud/resources",
      "sso_url": "https://myaddon.example/clevercloud/sso/login"
    }},
    "test": {{
      "base_url": "http://localhost:9000/clevercloud/resources",
      "sso_url": "http://localhost:9000/clevercloud/sso/login"
    }}
  }}
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use manifest_core::dialect::Recognition;
    use manifest_core::{Dialect, Secret, Source, SsoTransport};

    use super::*;
    use crate::CleverCloud;

    fn secrets() -> SkeletonSecrets {
        SkeletonSecrets {
            password: Secret::new("0123456789abcdef0123456789abcdef"),
            sso_salt: Secret::new("salt \"with\" quotes\\"),
        }
    }

    #[test]
    fn the_skeleton_loads_back_without_findings() {
        let text = CleverCloud.manifest_skeleton(&secrets(), SsoTransport::Post);
        let document: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(CleverCloud.recognizes(&document), Recognition::Own);
        let manifest = CleverCloud
            .load_manifest(Source::new("clevercloud-manifest.json", text))
            .unwrap();
        let findings = CleverCloud.manifest_findings(&manifest);
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(manifest.id, "myaddon");
        assert_eq!(manifest.credentials.secret(), &secrets().password);
        assert_eq!(manifest.sso_salt, Some(secrets().sso_salt));
        assert_eq!(manifest.config_vars, ["MYADDON_URL"]);
        assert_eq!(
            manifest.test.unwrap().base_url.as_str(),
            "http://localhost:9000/clevercloud/resources"
        );
    }
}
