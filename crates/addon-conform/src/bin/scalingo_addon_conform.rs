//! `scalingo-addon-conform`: single operations in the vocabulary of Scalingo's
//! `scalingo-addon-api-tester`, for providers whose scripts already speak it. Its local cache of
//! provisioned add-ons is the ledger, so `list` and `purge` also see what a killed `test` run
//! left behind.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use addon_conform::args::{ListFormat, ManifestArgs, ManifestCheckArgs, ManifestFormat};
use addon_conform::commands::ledger::{list_document, open_ledger};
use addon_conform::commands::operations::{failed, load, operations, print_resource};
use addon_conform::{CliError, ColorChoice};
use clap::{Args, Parser, Subcommand};
use http_runner::{Deprovisioned, LedgerEntry, Operations, OperationsOptions};
use manifest_core::{Environment, exit};
use serde_json::json;

#[derive(Debug, Parser)]
#[command(
    name = "scalingo-addon-conform",
    version,
    about = "Provisions, updates and deprovisions Scalingo add-ons by hand, with the commands of \
             `scalingo-addon-api-tester`",
    max_term_width = 100
)]
struct ScalingoCli {
    #[command(flatten)]
    global: Global,
    /// Without a command, the manifest is checked.
    #[command(subcommand)]
    command: Option<ScalingoCommand>,
}

#[derive(Debug, Args)]
struct Global {
    /// The manifest.
    #[arg(
        long,
        short,
        global = true,
        env = "MANIFEST_PATH",
        default_value = "manifest.json"
    )]
    manifest: PathBuf,
    /// Target the manifest's production URLs instead of its test URLs.
    #[arg(long, global = true)]
    production: bool,
    /// The ledger that serves as the local cache of provisioned add-ons [default: the user's
    /// ledger].
    #[arg(long, global = true, value_name = "PATH")]
    ledger: Option<PathBuf>,
    /// `json` prints one JSON document instead of text.
    #[arg(long, global = true, value_enum, default_value_t = ListFormat::Human)]
    format: ListFormat,
    /// When to colour the output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Subcommand)]
enum ScalingoCommand {
    /// Provision an add-on (on the manifest's first plan unless `--plan` says).
    Provision {
        #[arg(long, value_name = "NAME")]
        plan: Option<String>,
        /// The app's id sent as `app_id` [default: a fresh one].
        #[arg(long, value_name = "NAME")]
        app: Option<String>,
    },
    /// Move an add-on to another plan.
    Update {
        /// The add-on's id.
        id: String,
        #[arg(long, value_name = "NAME", required = true)]
        plan: String,
    },
    /// Deprovision an add-on.
    Deprovision {
        /// The add-on's id.
        id: String,
    },
    /// List the add-ons provisioned on this provider and not deprovisioned.
    List,
    /// Deprovision every add-on `list` shows.
    Purge,
}

impl Global {
    fn manifest_args(&self) -> ManifestArgs {
        ManifestArgs {
            platform: Some(scalingo_adapter::PLATFORM),
            manifest: Some(self.manifest.clone()),
        }
    }

    fn options(&self) -> OperationsOptions {
        OperationsOptions {
            environment: if self.production {
                Environment::Production
            } else {
                Environment::Test
            },
            ..OperationsOptions::default()
        }
    }
}

fn print_json(document: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(document)
        .map_err(|error| CliError::io("cannot write the JSON answer", error.into()))?;
    println!("{text}");
    Ok(())
}

fn shown_id(entry: &LedgerEntry) -> String {
    entry
        .resource_id
        .clone()
        .unwrap_or_else(|| format!("(provision {}, answer never read)", entry.uuid))
}

async fn provision(
    operations: &Operations<'_>,
    plan: Option<String>,
    app: Option<String>,
    format: ListFormat,
) -> Result<i32, CliError> {
    let plan = plan.unwrap_or_else(|| operations.default_plan());
    let mut input = match operations.fresh_input(&plan, BTreeMap::new()) {
        Ok(input) => input,
        Err(error) => return failed(error),
    };
    if let Some(app) = app {
        input.app_name = app.clone();
        input.app_slug = app;
    }
    match operations.provision_input(&input).await {
        Ok(resource) => {
            match format {
                ListFormat::Human => {
                    println!("→ OK");
                    eprintln!("provisioned {} on plan {plan}", resource.id);
                }
                ListFormat::Json => print_resource(&resource, format)?,
            }
            Ok(exit::PASSED)
        }
        Err(error) => failed(error),
    }
}

async fn update(
    operations: &Operations<'_>,
    id: &str,
    plan: &str,
    format: ListFormat,
) -> Result<i32, CliError> {
    match operations.change_plan(id, plan).await {
        Ok(resource) => {
            match format {
                ListFormat::Human => println!("→ OK"),
                ListFormat::Json => print_resource(&resource, format)?,
            }
            Ok(exit::PASSED)
        }
        Err(error) => failed(error),
    }
}

async fn deprovision(
    operations: &Operations<'_>,
    id: &str,
    format: ListFormat,
) -> Result<i32, CliError> {
    let gone = match operations.deprovision(id).await {
        Ok(Deprovisioned::Now) => None,
        Ok(Deprovisioned::AlreadyGone(status)) => Some(status),
        Err(error) => return failed(error),
    };
    match format {
        ListFormat::Human => {
            println!("→ OK");
            if let Some(status) = gone {
                eprintln!("{id} was already gone (the provider answered {status})");
            }
        }
        ListFormat::Json => print_json(&json!({"id": id, "already_gone": gone.is_some()}))?,
    }
    Ok(exit::PASSED)
}

fn list(operations: &Operations<'_>, format: ListFormat) -> Result<i32, CliError> {
    let entries = operations.outstanding()?;
    match format {
        ListFormat::Human => {
            for entry in &entries {
                println!("- {} → {}", shown_id(entry), entry.plan);
            }
        }
        ListFormat::Json => print_json(&list_document(operations.ledger(), &entries))?,
    }
    Ok(exit::PASSED)
}

async fn purge(operations: &Operations<'_>, format: ListFormat) -> Result<i32, CliError> {
    let outcomes = operations.purge().await?;
    let left = outcomes
        .iter()
        .filter(|(_, outcome)| outcome.is_err())
        .count();
    match format {
        ListFormat::Human => {
            for (entry, outcome) in &outcomes {
                match outcome {
                    Ok(()) => println!("- {} → deprovisioned", shown_id(entry)),
                    Err(reason) => println!("- {} → FAIL: {reason}", shown_id(entry)),
                }
            }
            println!("{}", if left == 0 { "→ OK" } else { "→ FAIL" });
        }
        ListFormat::Json => print_json(&json!({
            "entries": outcomes.iter().map(|(entry, outcome)| json!({
                "entry": entry.id,
                "id": entry.resource_id,
                "uuid": entry.uuid,
                "removed": outcome.is_ok(),
                "error": outcome.as_ref().err(),
            })).collect::<Vec<_>>(),
        }))?,
    }
    Ok(if left == 0 {
        exit::PASSED
    } else {
        exit::FAILED
    })
}

async fn dispatch(
    global: &Global,
    command: ScalingoCommand,
    format: ListFormat,
) -> Result<i32, CliError> {
    let (file, manifest) = load(&global.manifest_args())?;
    let ledger = open_ledger(global.ledger.as_deref())?;
    let operations = operations(&file, manifest, global.options(), ledger)?;
    match command {
        ScalingoCommand::Provision { plan, app } => provision(&operations, plan, app, format).await,
        ScalingoCommand::Update { id, plan } => update(&operations, &id, &plan, format).await,
        ScalingoCommand::Deprovision { id } => deprovision(&operations, &id, format).await,
        ScalingoCommand::List => list(&operations, format),
        ScalingoCommand::Purge => purge(&operations, format).await,
    }
}

fn run(scalingo: ScalingoCli) -> Result<i32, CliError> {
    let global = scalingo.global;
    match scalingo.command {
        None => addon_conform::run(addon_conform::Cli {
            color: global.color,
            quiet: false,
            command: addon_conform::Command::Manifest(addon_conform::ManifestCommand::Check(
                ManifestCheckArgs {
                    manifest: global.manifest_args(),
                    format: match global.format {
                        ListFormat::Human => ManifestFormat::Human,
                        ListFormat::Json => ManifestFormat::Json,
                    },
                },
            )),
        }),
        Some(command) => {
            let format = global.format;
            addon_conform::block_on(dispatch(&global, command, format))
        }
    }
}

fn main() -> ExitCode {
    addon_conform::main_of(|scalingo: &ScalingoCli| scalingo.global.color, run)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        ScalingoCli::command().debug_assert();
    }

    #[test]
    fn the_testers_vocabulary_parses() {
        let update = ScalingoCli::try_parse_from([
            "scalingo-addon-conform",
            "update",
            "--plan",
            "premium",
            "addon-id-1",
            "-m",
            "other.json",
        ])
        .unwrap();
        assert_eq!(update.global.manifest, PathBuf::from("other.json"));
        assert!(matches!(
            update.command,
            Some(ScalingoCommand::Update { ref id, ref plan }) if id == "addon-id-1" && plan == "premium"
        ));
        let provision = ScalingoCli::try_parse_from([
            "scalingo-addon-conform",
            "provision",
            "--app",
            "my-app",
            "--format",
            "json",
        ])
        .unwrap();
        assert_eq!(provision.global.format, ListFormat::Json);
        assert!(
            ScalingoCli::try_parse_from(["scalingo-addon-conform", "update", "addon-id-1"])
                .is_err(),
            "update needs --plan"
        );
    }
}
