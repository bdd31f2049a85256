//! Finding, reading and recognising a manifest: the part `manifest check` and `test` share.

use std::path::{Path, PathBuf};

use dialects::Detection;
use manifest_core::{
    Credentials, Diagnostics, Dialect, JsonDocument, Manifest, Recognition, Source,
};

use crate::args::ManifestArgs;
use crate::error::CliError;
use crate::registry;

/// A manifest file read from disk, with the dialect that will interpret it.
#[derive(Debug)]
pub struct ManifestFile {
    pub dialect: &'static dyn Dialect,
    /// Where it was read from, as given (relative paths stay relative).
    pub path: PathBuf,
    pub source: Source,
}

impl ManifestFile {
    /// Finds the file (`--manifest`, or the platform's default name in the current directory),
    /// reads it, and settles the dialect (`--platform`, the default name it was found under, or
    /// the shape of its content).
    ///
    /// A file that is neither valid JSON nor read by a dialect of another format, and whose
    /// platform has to be guessed, is reported as [`CliError::Manifest`], with the position of
    /// the JSON syntax error.
    pub fn open(args: &ManifestArgs) -> Result<Self, CliError> {
        let given = args.platform.map(registry::dialect).transpose()?;
        let (path, found_for) = match (&args.manifest, &given) {
            (Some(path), _) => (path.clone(), None),
            (None, Some(dialect)) => (PathBuf::from(dialect.default_manifest_file()), None),
            (None, None) => {
                let (path, dialect) = find_default()?;
                (path, Some(dialect))
            }
        };
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error)
                if error.kind() == std::io::ErrorKind::NotFound && args.manifest.is_none() =>
            {
                return Err(CliError::usage(format!(
                    "{} not found; pass --manifest FILE, or create one with `addon-conform init`",
                    path.display()
                )));
            }
            Err(error) => return Err(CliError::file("cannot read", &path, error)),
        };
        let source = Source::new(path.display().to_string(), text);
        let dialect = match given.or(found_for) {
            Some(dialect) => dialect,
            None => recognize(&source, &path)?,
        };
        Ok(Self {
            dialect,
            path,
            source,
        })
    }

    /// Reads the manifest with its dialect; `Err` holds why it cannot be read at all.
    pub fn load(&self) -> Result<Manifest, Diagnostics> {
        self.dialect.load_manifest(self.source.clone())
    }

    /// Reads the manifest for a command that sends requests with its credentials. One without a
    /// password (or token) is a usage error before any request: every call would carry an empty
    /// secret, and the provider's answers would say nothing about the protocol.
    pub fn load_to_send(&self) -> Result<Manifest, CliError> {
        let manifest = self
            .load()
            .map_err(|diagnostics| CliError::Manifest(Box::new(diagnostics)))?;
        let missing = match &manifest.credentials {
            Credentials::Basic { password, .. } if password.expose().trim().is_empty() => {
                Some("password".to_string())
            }
            Credentials::Header { name, token } if token.expose().trim().is_empty() => {
                Some(format!("token (sent as the `{name}` header)"))
            }
            _ => None,
        };
        match missing {
            Some(what) => Err(CliError::usage(format!(
                "{} has no {what}; set one (`addon-conform manifest check` shows where) before \
                 testing a provider with it",
                self.path.display()
            ))),
            None => Ok(manifest),
        }
    }
}

/// The first supported platform whose default manifest exists in the current directory.
fn find_default() -> Result<(PathBuf, &'static dyn Dialect), CliError> {
    let dialects = dialects::all();
    let names: Vec<&str> = dialects
        .iter()
        .map(|dialect| dialect.default_manifest_file())
        .collect();
    let message = format!(
        "no manifest found here (looked for {}); pass --manifest FILE, or create one with \
         `addon-conform init --platform PLATFORM`",
        names.join(", ")
    );
    dialects
        .iter()
        .copied()
        .find(|dialect| Path::new(dialect.default_manifest_file()).is_file())
        .map(|dialect| (PathBuf::from(dialect.default_manifest_file()), dialect))
        .ok_or_else(|| CliError::usage(message))
}

fn recognize(source: &Source, path: &Path) -> Result<&'static dyn Dialect, CliError> {
    let document = match JsonDocument::parse(source.clone()) {
        Ok(document) => document,
        // Not JSON: a dialect that reads another format (Bitrise's YAML) may still read it, and
        // a file named like a dialect's own (`.yaml`) is that dialect's to diagnose.
        Err(diagnostics) => {
            let readable = dialects::all().iter().copied().find(|dialect| {
                dialect.load_manifest(source.clone()).is_ok_and(|manifest| {
                    dialect.recognizes(&manifest.document.value) != Recognition::Foreign
                })
            });
            let format = format_of(path).filter(|format| *format != "json");
            return readable
                .or_else(|| {
                    dialects::all().iter().copied().find(|dialect| {
                        format.is_some()
                            && format_of(Path::new(dialect.default_manifest_file())) == format
                    })
                })
                .ok_or_else(|| CliError::Manifest(Box::new(diagnostics)));
        }
    };
    match dialects::detect(&document.value) {
        Detection::One(dialect) => Ok(dialect),
        Detection::Ambiguous(candidates) => {
            let names: Vec<String> = candidates
                .iter()
                .map(|dialect| format!("{} ({})", dialect.platform(), dialect.display_name()))
                .collect();
            Err(CliError::usage(format!(
                "{} could be a manifest of {}; pass --platform to say which",
                path.display(),
                names.join(" or ")
            )))
        }
        Detection::Unknown => Err(CliError::usage(format!(
            "{} does not look like a manifest of a supported platform ({}); pass --platform",
            path.display(),
            dialects::names()
        ))),
    }
}

/// The format a file's name says it is in: its extension, `.yml` read as `.yaml`.
fn format_of(path: &Path) -> Option<&str> {
    match path.extension()?.to_str()? {
        "yml" => Some("yaml"),
        extension => Some(extension),
    }
}
