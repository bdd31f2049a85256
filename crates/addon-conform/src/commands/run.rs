//! `run`: provision one resource, run a command with its config vars, then change its plan and
//! deprovision it, so a provider can be tried by hand or from a script. The resource is in the
//! ledger from before it is requested until it is deprovisioned.

use std::collections::BTreeMap;

use http_runner::{Deprovisioned, OperationsOptions, Redactor};
use manifest_core::{Manifest, exit};

use crate::args::RunArgs;
use crate::commands::ledger::open_run_ledger;
use crate::commands::operations::{failed, load, operations};
use crate::error::CliError;
use crate::load::ManifestFile;
use crate::server;

/// Runs the command between provision and deprovision. The exit code is the command's own when
/// it failed (1 when it could not start or was killed by a signal), else 1 when a step around it
/// failed, else 0.
pub async fn run(args: &RunArgs) -> Result<i32, CliError> {
    let (program, program_args) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::usage("name the command to run after `--`"))?;
    let (file, manifest) = load(&args.manifest)?;
    let provisioning_url = manifest
        .endpoints(args.environment)
        .map(|endpoints| endpoints.base_url.clone());
    let redactor = Redactor::new(manifest.secrets());
    server::around_exit_code(
        &args.server,
        provisioning_url.as_ref(),
        &redactor,
        around_command(args, &file, manifest, program, program_args),
    )
    .await
}

/// Provisions, runs the command, changes the plan and deprovisions.
async fn around_command(
    args: &RunArgs,
    file: &ManifestFile,
    manifest: Manifest,
    program: &str,
    program_args: &[String],
) -> Result<i32, CliError> {
    let operations = operations(
        file,
        manifest,
        OperationsOptions {
            environment: args.environment,
            ..OperationsOptions::default()
        },
        open_run_ledger(args.ledger.as_deref())?,
    )?;
    let plan = args
        .plan
        .clone()
        .unwrap_or_else(|| operations.default_plan());
    let resource = match operations.provision(&plan, BTreeMap::new()).await {
        Ok(resource) => resource,
        Err(error) => return failed(error),
    };
    eprintln!("provision: resource {} on plan {plan}", resource.id);

    let command_code = match tokio::process::Command::new(program)
        .args(program_args)
        .envs(&resource.config)
        .status()
        .await
    {
        Ok(status) => {
            eprintln!("{program} exited with {status}");
            status.code().unwrap_or(exit::FAILED)
        }
        Err(error) => {
            eprintln!("cannot run {program}: {error}");
            exit::FAILED
        }
    };

    let plan_change_to = args
        .plan_change_to
        .clone()
        .unwrap_or_else(|| operations.other_plan(&plan));
    let changed = match operations.change_plan(&resource.id, &plan_change_to).await {
        Ok(_) => {
            eprintln!("plan change: now on plan {plan_change_to}");
            true
        }
        Err(error) => {
            eprintln!("plan change failed: {error}");
            false
        }
    };
    // A resource that vanished while the command ran is a provider fault, not a success.
    let deprovisioned = match operations.deprovision(&resource.id).await {
        Ok(Deprovisioned::Now) => {
            eprintln!("deprovision: {} removed", resource.id);
            true
        }
        Ok(Deprovisioned::AlreadyGone(status)) => {
            eprintln!(
                "deprovision: {} was already gone (the provider answered {status})",
                resource.id
            );
            false
        }
        Err(error) => {
            eprintln!(
                "deprovision failed: {error}; the resource stays in the ledger for \
                 `addon-conform ledger cleanup`"
            );
            false
        }
    };
    Ok(if command_code != exit::PASSED {
        command_code
    } else if changed && deprovisioned {
        exit::PASSED
    } else {
        exit::FAILED
    })
}
