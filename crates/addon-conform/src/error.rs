//! Why a command could not do its work. Every variant is a usage problem or an unreadable input
//! (exit code 2), except a provider started with `--server` that never accepted connections (3,
//! the provider could not be reached); failed checks are not errors, they are a report with
//! exit code 1.

use std::io;
use std::path::PathBuf;

use http_runner::{LedgerError, RunError};
use manifest_core::{Diagnostics, exit};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{action} {}: {source}", path.display())]
    File {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("{} cannot be read", .0.source.name)]
    Manifest(Box<Diagnostics>),
    #[error("the run could not start: {0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Ledger(#[from] LedgerError),
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    #[error("{message}")]
    Server {
        message: String,
        last_lines: Vec<String>,
    },
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    pub fn file(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        CliError::File {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn io(context: impl Into<String>, source: io::Error) -> Self {
        CliError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Server { .. } => exit::UNREACHABLE,
            _ => exit::USAGE,
        }
    }

    /// The text to print on standard error: the manifest's diagnostics with their
    /// `file:line:column`, then one `error:` line. A URL's password or `token=` value quoted in
    /// an error is redacted like in reports.
    pub fn render(&self, color: bool) -> String {
        let redactor = http_runner::Redactor::default();
        match self {
            CliError::Manifest(diagnostics) => format!(
                "{}error: {} cannot be read\n",
                diagnostics.render(color),
                diagnostics.source.name
            ),
            CliError::Server {
                message,
                last_lines,
            } => {
                let mut text = format!("error: {}\n", redactor.redact(message));
                if last_lines.is_empty() {
                    text.push_str("the server printed nothing\n");
                } else {
                    text.push_str("its last lines of output:\n");
                    for line in last_lines {
                        text.push_str(&format!("  | {}\n", redactor.redact(line)));
                    }
                }
                text
            }
            other => format!("error: {}\n", redactor.redact(&other.to_string())),
        }
    }
}
