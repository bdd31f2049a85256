//! What the cli adds to the registry of dialects (the `dialects` crate).

use manifest_core::dialect::SkeletonSecrets;
use manifest_core::{Dialect, Platform, SsoTransport};

use crate::error::CliError;

/// The dialect of a platform named on the command line or in a file; a usage error when none is
/// registered.
pub fn dialect(platform: Platform) -> Result<&'static dyn Dialect, CliError> {
    dialects::named(platform.as_str()).map_err(CliError::usage)
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
        (heroku_adapter::PLATFORM, Some(transport)) => {
            Ok(heroku_adapter::skeleton_with_transport(secrets, transport))
        }
        (platform, Some(_)) => Err(CliError::usage(format!(
            "--sso applies to heroku only; {platform} has a single SSO transport"
        ))),
    }
}
