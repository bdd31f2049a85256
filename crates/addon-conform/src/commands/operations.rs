//! `provision`, `plan-change ID PLAN` and `deprovision ID`: one request each, sent and recorded
//! in the ledger the way the suite does it.

use std::collections::BTreeMap;

use http_runner::{Deprovisioned, Ledger, OpError, Operations, OperationsOptions};
use manifest_core::{Manifest, Resource, exit};
use serde_json::json;

use crate::args::{DeprovisionArgs, ListFormat, PlanChangeArgs, ProvisionArgs, TargetArgs};
use crate::commands::ledger::open_ledger;
use crate::error::CliError;
use crate::load::ManifestFile;

/// The manifest a command targets, read and loaded.
pub fn load(args: &crate::args::ManifestArgs) -> Result<(ManifestFile, Manifest), CliError> {
    let file = ManifestFile::open(args)?;
    let manifest = file.load_to_send()?;
    Ok((file, manifest))
}

/// Operations on the provider `file`'s manifest names, recorded in `ledger`.
pub fn operations<'a>(
    file: &'a ManifestFile,
    manifest: Manifest,
    options: OperationsOptions,
    ledger: Ledger,
) -> Result<Operations<'a>, CliError> {
    let options = OperationsOptions {
        manifest_path: Some(file.path.clone()),
        ..options
    };
    Operations::new(file.dialect, manifest, options, ledger).map_err(setup_error)
}

/// An operation that could not even be prepared is a usage problem.
fn setup_error(error: OpError) -> CliError {
    match error {
        OpError::Ledger(error) => CliError::Ledger(error),
        other => CliError::usage(other.to_string()),
    }
}

/// The exit code of an operation that failed: 3 when the provider could not be reached, else 1.
/// A ledger that cannot be written is the user's problem to fix, not the provider's.
pub fn failed(error: OpError) -> Result<i32, CliError> {
    if let OpError::Ledger(error) = error {
        return Err(CliError::Ledger(error));
    }
    eprintln!("error: {error}");
    Ok(if error.is_unreachable() {
        exit::UNREACHABLE
    } else {
        exit::FAILED
    })
}

fn target_operations<'a>(
    args: &TargetArgs,
    file: &'a ManifestFile,
    manifest: Manifest,
) -> Result<Operations<'a>, CliError> {
    operations(
        file,
        manifest,
        OperationsOptions {
            environment: args.environment,
            base_url: args.base_url.clone(),
            timeout: args.timeout,
            manifest_path: None,
        },
        open_ledger(args.ledger.as_deref())?,
    )
}

/// Prints a resource: its id and config vars as `KEY=VALUE` lines, or one JSON object.
pub fn print_resource(resource: &Resource, format: ListFormat) -> Result<(), CliError> {
    match format {
        ListFormat::Human => {
            println!("{}", resource.id);
            for (key, value) in &resource.config {
                println!("{key}={value}");
            }
        }
        ListFormat::Json => {
            let document = json!({
                "id": resource.id,
                "uuid": resource.input.uuid,
                "plan": resource.plan,
                "config": resource.config,
            });
            let text = serde_json::to_string_pretty(&document)
                .map_err(|error| CliError::io("cannot write the JSON answer", error.into()))?;
            println!("{text}");
        }
    }
    Ok(())
}

pub async fn provision(args: &ProvisionArgs) -> Result<i32, CliError> {
    let (file, manifest) = load(&args.target.manifest)?;
    let operations = target_operations(&args.target, &file, manifest)?;
    let plan = args
        .plan
        .clone()
        .unwrap_or_else(|| operations.default_plan());
    let options: BTreeMap<String, String> = args.options.iter().cloned().collect();
    match operations.provision(&plan, options).await {
        Ok(resource) => {
            print_resource(&resource, args.format)?;
            eprintln!(
                "provisioned {} on plan {plan}; remove it with `addon-conform deprovision {}` \
                 or `addon-conform ledger cleanup`",
                resource.id, resource.id
            );
            Ok(exit::PASSED)
        }
        Err(error) => failed(error),
    }
}

pub async fn plan_change(args: &PlanChangeArgs) -> Result<i32, CliError> {
    let (file, manifest) = load(&args.target.manifest)?;
    let operations = target_operations(&args.target, &file, manifest)?;
    match operations.change_plan(&args.id, &args.plan).await {
        Ok(resource) => {
            print_resource(&resource, args.format)?;
            eprintln!("{} is now on plan {}", resource.id, resource.plan);
            Ok(exit::PASSED)
        }
        Err(error) => failed(error),
    }
}

pub async fn deprovision(args: &DeprovisionArgs) -> Result<i32, CliError> {
    let (file, manifest) = load(&args.target.manifest)?;
    let operations = target_operations(&args.target, &file, manifest)?;
    match operations.deprovision(&args.id).await {
        Ok(Deprovisioned::Now) => {
            println!("deprovisioned {}", args.id);
            Ok(exit::PASSED)
        }
        Ok(Deprovisioned::AlreadyGone(status)) => {
            println!(
                "{} was already gone (the provider answered {status})",
                args.id
            );
            Ok(exit::PASSED)
        }
        Err(error) => failed(error),
    }
}
