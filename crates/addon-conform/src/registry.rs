//! The one place that knows which platforms have a dialect. Adding a platform means adding its
//! adapter crate and one arm here.

use manifest_core::dialect::SkeletonSecrets;
use manifest_core::{Dialect, Platform, SsoTransport};

use crate::error::CliError;

/// The dialect of a platform. A new platform is a new `Platform` variant, so the compiler
/// points here.
pub fn dialect(platform: Platform) -> Box<dyn Dialect> {
    match platform {
        Platform::Heroku => Box::new(heroku_adapter::Heroku),
        Platform::Scalingo => Box::new(scalingo_adapter::Scalingo),
        Platform::Bitrise => Box::new(bitrise_adapter::Bitrise),
    }
}

/// Every platform's dialect, in [`Platform::ALL`] order.
pub fn supported() -> Vec<Box<dyn Dialect>> {
    Platform::ALL.into_iter().map(dialect).collect()
}

/// The names of the platforms, for messages.
pub fn supported_names() -> String {
    let names: Vec<&str> = Platform::ALL.into_iter().map(Platform::as_str).collect();
    names.join(", ")
}

/// A manifest skeleton. `sso` picks the single sign-on transport where the platform offers a
/// choice (Heroku); `None` takes the dialect's default.
pub fn skeleton(
    dialect: &dyn Dialect,
    secrets: &SkeletonSecrets,
    sso: Option<SsoTransport>,
) -> Result<String, CliError> {
    match (dialect.platform(), sso) {
        (_, None) => Ok(dialect.manifest_skeleton(secrets)),
        (Platform::Heroku, Some(transport)) => {
            Ok(heroku_adapter::skeleton_with_transport(secrets, transport))
        }
        (platform, Some(_)) => Err(CliError::usage(format!(
            "--sso applies to heroku only; {platform} has a single SSO transport"
        ))),
    }
}
