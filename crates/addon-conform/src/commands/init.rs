//! `init`: a manifest skeleton with fresh secrets.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::PathBuf;

use manifest_core::dialect::SkeletonSecrets;
use manifest_core::{Secret, exit};

use crate::args::InitArgs;
use crate::error::CliError;
use crate::private_file::{Links, write_private};
use crate::registry;

/// 16 random bytes from the operating system, as 32 lowercase hex characters.
pub fn random_hex_secret() -> Result<Secret, CliError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|error| {
        CliError::io(
            "cannot get random bytes from the operating system",
            io::Error::other(error),
        )
    })?;
    let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(Secret::new(hex))
}

pub fn init(args: &InitArgs) -> Result<i32, CliError> {
    let dialect = registry::dialect(args.platform)?;
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(dialect.default_manifest_file()));
    let secrets = SkeletonSecrets {
        password: random_hex_secret()?,
        sso_salt: random_hex_secret()?,
    };
    let text = registry::skeleton(dialect, &secrets, args.sso.map(Into::into))?;

    if !args.force {
        // `create_new` refuses atomically, so a file appearing meanwhile is not overwritten.
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            // The file holds the provisioning password and the SSO salt.
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&path).map_err(|error| {
            if error.kind() == io::ErrorKind::AlreadyExists {
                CliError::usage(format!(
                    "{} already exists; pass --force to replace it (its password and SSO salt \
                     would change)",
                    path.display()
                ))
            } else {
                CliError::file("cannot create", &path, error)
            }
        })?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|error| CliError::file("cannot write", &path, error))?;
    } else {
        write_private(&path, &text, Links::Replace)
            .map_err(|error| CliError::file("cannot write", &path, error))?;
    }

    println!(
        "wrote a {} manifest to {} with a fresh password and SSO salt",
        args.platform,
        path.display()
    );
    println!(
        "next: fill in the URLs, then `addon-conform manifest check --manifest {}`",
        path.display()
    );
    Ok(exit::PASSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_32_hex_characters_and_differ() {
        let first = random_hex_secret().unwrap();
        let second = random_hex_secret().unwrap();
        assert_eq!(first.expose().len(), 32);
        assert!(
            first
                .expose()
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(first.expose(), second.expose());
    }
}
