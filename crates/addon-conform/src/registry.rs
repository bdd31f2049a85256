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
/// choice; `None` takes the platform's first.
pub fn skeleton(
    dialect: &dyn Dialect,
    secrets: &SkeletonSecrets,
    sso: Option<SsoTransport>,
) -> Result<String, CliError> {
    let transports = dialect.expectations().sso_transports;
    match (sso, transports) {
        (None, [first, ..]) => Ok(dialect.manifest_skeleton(secrets, *first)),
        (Some(transport), [_, _, ..]) if transports.contains(&transport) => {
            Ok(dialect.manifest_skeleton(secrets, transport))
        }
        _ => {
            let choosing: Vec<&str> = dialects::all()
                .iter()
                .filter(|dialect| dialect.expectations().sso_transports.len() > 1)
                .map(|dialect| dialect.platform().as_str())
                .collect();
            Err(CliError::usage(format!(
                "--sso applies to platforms with a choice of SSO transports ({}); {} has {}",
                choosing.join(", "),
                dialect.platform(),
                transport_names(transports)
            )))
        }
    }
}

fn transport_names(transports: &[SsoTransport]) -> String {
    let names: Vec<&str> = transports
        .iter()
        .map(|transport| match transport {
            SsoTransport::Get => "get",
            SsoTransport::Post => "post",
        })
        .collect();
    format!("only {}", names.join(", "))
}
