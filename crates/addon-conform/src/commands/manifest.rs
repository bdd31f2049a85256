//! `manifest check`: the platform's static rules, without contacting the provider.

use serde::Serialize;

use manifest_core::{Diagnostics, Platform, Severity, exit};

use crate::args::{ManifestCheckArgs, ManifestFormat};
use crate::error::CliError;
use crate::load::ManifestFile;

/// The `--format json` output of `manifest check`.
#[derive(Debug, Serialize)]
pub struct CheckOutput {
    pub file: String,
    /// `null` when the file could not be read far enough to tell.
    pub platform: Option<Platform>,
    /// Whether the file could be read at all; when not, the diagnostics say why.
    pub readable: bool,
    pub diagnostics: Vec<DiagnosticOutput>,
}

#[derive(Debug, Serialize)]
pub struct DiagnosticOutput {
    pub check: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub help: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl CheckOutput {
    fn new(platform: Option<Platform>, readable: bool, diagnostics: &Diagnostics) -> Self {
        Self {
            file: diagnostics.source.name.clone(),
            platform,
            readable,
            diagnostics: diagnostics
                .items
                .iter()
                .map(|diagnostic| {
                    let position = diagnostic
                        .span
                        .map(|span| diagnostics.source.line_column(span.offset));
                    DiagnosticOutput {
                        check: diagnostic.check,
                        severity: severity_name(diagnostic.severity),
                        message: diagnostic.message.clone(),
                        help: diagnostic.help.clone(),
                        line: position.map(|(line, _)| line),
                        column: position.map(|(_, column)| column),
                    }
                })
                .collect(),
        }
    }
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// `FILE: N errors, N warnings`, or why the file cannot be read.
fn summary(platform: Option<Platform>, readable: bool, diagnostics: &Diagnostics) -> String {
    let errors = diagnostics
        .items
        .iter()
        .filter(|diagnostic| diagnostic.severity == Severity::Error)
        .count();
    let warnings = diagnostics.items.len() - errors;
    let name = &diagnostics.source.name;
    let Some(platform) = platform.filter(|_| readable) else {
        return format!("{name}: cannot be read, {}", count(errors, "error"));
    };
    if diagnostics.items.is_empty() {
        format!("{name}: {platform} manifest, no problems found")
    } else {
        format!(
            "{name}: {platform} manifest, {}, {}",
            count(errors, "error"),
            count(warnings, "warning")
        )
    }
}

/// Exit code 2 when the file cannot be read, 1 when a rule is broken, 0 otherwise (warnings
/// allowed).
pub fn check(args: &ManifestCheckArgs, color: bool) -> Result<i32, CliError> {
    let (platform, readable, diagnostics) = match ManifestFile::open(&args.manifest) {
        Ok(file) => {
            let platform = Some(file.dialect.platform());
            match file.load() {
                Ok(manifest) => {
                    let findings = file.dialect.manifest_findings(&manifest);
                    (platform, true, Diagnostics::new(file.source, findings))
                }
                Err(diagnostics) => (platform, false, diagnostics),
            }
        }
        Err(CliError::Manifest(diagnostics)) => (None, false, *diagnostics),
        Err(other) => return Err(other),
    };
    match args.format {
        ManifestFormat::Human => {
            print!("{}", diagnostics.render(color));
            println!("{}", summary(platform, readable, &diagnostics));
        }
        ManifestFormat::Json => {
            let output = CheckOutput::new(platform, readable, &diagnostics);
            let text = serde_json::to_string_pretty(&output)
                .map_err(|error| CliError::io("cannot write JSON", error.into()))?;
            println!("{text}");
        }
    }
    Ok(if !readable {
        exit::USAGE
    } else if diagnostics.has_errors() {
        exit::FAILED
    } else {
        exit::PASSED
    })
}
