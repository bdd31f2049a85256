//! The config `init` writes: complete, valid, and pointing at a local development server.

use manifest_core::dialect::SkeletonSecrets;
use serde_json::Value;

/// A new `config.yaml` holding the given secrets. The secrets are written as quoted strings
/// (JSON's quoting is valid YAML), so YAML never reads them as numbers.
pub(crate) fn skeleton(secrets: &SkeletonSecrets) -> String {
    let token = Value::from(secrets.password.expose());
    let secret = Value::from(secrets.sso_salt.expose());
    format!(
        "# Where your add-on serves `/provision` and `/login`. Use https for anything but a\n\
         # server on this machine: the shared token travels with every provisioning call.\n\
         addon-url: http://localhost:4567\n\
         # Sent by Bitrise in the `Authentication` header of every provisioning call.\n\
         auth-token: {token}\n\
         # Shared with Bitrise to sign single sign-on logins; never sent over the network.\n\
         sso-secret: {secret}\n"
    )
}

#[cfg(test)]
mod tests {
    use manifest_core::{Credentials, Dialect, Secret, Source};

    use super::*;
    use crate::Bitrise;

    #[test]
    fn the_skeleton_loads_back_without_findings() {
        let secrets = SkeletonSecrets {
            password: Secret::new("0123456789"),
            sso_salt: Secret::new("salt \"with\" quotes\\ and: colons #"),
        };
        let text = Bitrise.manifest_skeleton(&secrets, manifest_core::SsoTransport::Post);
        let manifest = Bitrise
            .load_manifest(Source::new("config.yaml", text))
            .unwrap();
        let findings = Bitrise.manifest_findings(&manifest);
        assert!(findings.is_empty(), "{findings:#?}");
        assert_eq!(
            Bitrise.recognizes(&manifest.document.value),
            manifest_core::Recognition::Own
        );
        assert_eq!(
            manifest.credentials,
            Credentials::Header {
                name: "Authentication".into(),
                token: secrets.password.clone(),
            }
        );
        assert_eq!(manifest.sso_salt, Some(secrets.sso_salt));
        assert_eq!(
            manifest.test.unwrap().base_url.as_str(),
            "http://localhost:4567/"
        );
    }
}
