//! `test`: the whole suite against a provider, reported as text, JSON or JUnit.

use std::io;
use std::path::Path;

use http_runner::{Redactor, RunOptions, glob_matches, run_suite};
use manifest_core::names::closest;
use manifest_core::{Dialect, Platform, Report, catalog, exit};

use crate::args::{ColorChoice, ReportFormat, TestArgs};
use crate::commands::ledger::open_run_ledger;
use crate::error::CliError;
use crate::load::ManifestFile;
use crate::private_file::{Links, write_private};
use crate::progress::Progress;
use crate::render;
use crate::server;

/// Completes on Ctrl-C, or on SIGTERM (what CI runners and `kill` send), so both get the same
/// cleanup. Where no handler can be installed the run is simply never interrupted by that
/// signal: completing at once would cancel every run before it starts.
pub async fn ctrl_c() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate() => {}
    }
}

#[cfg(unix)]
async fn terminate() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            terminate.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn terminate() {
    std::future::pending::<()>().await;
}

/// A seed from the operating system, for runs that do not name one.
pub fn random_seed() -> Result<u64, CliError> {
    getrandom::u64().map_err(|error| {
        CliError::io(
            "cannot get random bytes from the operating system",
            io::Error::other(error),
        )
    })
}

pub fn run_options(args: &TestArgs, seed: u64) -> RunOptions {
    RunOptions {
        environment: args.environment,
        base_url: args.base_url.clone(),
        sso_url: args.sso_url.clone(),
        only: args.only.clone(),
        skip: args.skip.clone(),
        plan: args.plan.clone(),
        plan_change_to: args.plan_change_to.clone(),
        options: args.options_map(),
        timeout: args.timeout,
        max_duration: args.max_duration,
        seed,
        cases: args.cases,
        resource: args.resource.clone(),
        resource_uuid: args.uuid.clone(),
        sso_window: args.sso_window,
        legacy_sso: args.legacy_sso,
        ledger: None,
        manifest_path: None,
        concurrency: Some(args.concurrency as usize),
        progress: None,
    }
}

/// The report in the chosen format. Colour applies to the human format only.
pub fn render_report(
    report: &Report,
    format: ReportFormat,
    color: bool,
) -> Result<String, CliError> {
    match format {
        ReportFormat::Human => Ok(render::human::render(report, color)),
        ReportFormat::Json => render::json::render(report)
            .map_err(|error| CliError::io("cannot write the JSON report", error.into())),
        ReportFormat::Junit => render::junit::render(report).map_err(|error| {
            CliError::io("cannot write the JUnit report", io::Error::other(error))
        }),
        ReportFormat::Html => Ok(render::html::render(report)),
    }
}

/// Refuses `--only` and `--skip` globs that match no check of `platform`: a misspelt selection
/// would otherwise pass by running nothing.
pub fn check_selection(dialect: &dyn Dialect, args: &TestArgs) -> Result<(), CliError> {
    let platform = dialect.platform();
    let ids: Vec<&str> = catalog::for_dialect(dialect)
        .map(|check| check.id)
        .collect();
    for (flag, globs) in [("--only", &args.only), ("--skip", &args.skip)] {
        for glob in globs {
            if ids.iter().any(|id| glob_matches(glob, id)) {
                continue;
            }
            let hint = closest(glob, &ids)
                .map(|id| format!("; did you mean `{id}`?"))
                .unwrap_or_else(|| "; `addon-conform checks` lists them".to_string());
            return Err(CliError::usage(format!(
                "{flag} `{glob}` matches no check of {platform}{hint}"
            )));
        }
    }
    Ok(())
}

/// An earlier JSON report of the same platform, to compare this run's failures with.
fn read_baseline(path: &Path, platform: Platform) -> Result<Report, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| CliError::file("cannot read", path, error))?;
    let baseline: Report = serde_json::from_str(&text).map_err(|error| {
        CliError::usage(format!(
            "{} is not a JSON report of `addon-conform test --format json`: {error}",
            path.display()
        ))
    })?;
    if baseline.platform != platform {
        return Err(CliError::usage(format!(
            "{} is a report of a {} add-on; this run tests a {platform} one",
            path.display(),
            baseline.platform
        )));
    }
    Ok(baseline)
}

/// Whether the selected checks include any beyond the manifest's static rules.
fn sends_requests(args: &TestArgs, dialect: &dyn Dialect) -> bool {
    catalog::for_dialect(dialect).any(|check| {
        check.area() != "manifest"
            && (args.only.is_empty() || args.only.iter().any(|glob| glob_matches(glob, check.id)))
            && !args.skip.iter().any(|glob| glob_matches(glob, check.id))
    })
}

/// Runs the suite; the exit code is the report's (0 passed, 1 failed, 3 unreachable).
pub async fn test(args: &TestArgs, color: ColorChoice, quiet: bool) -> Result<i32, CliError> {
    let file = ManifestFile::open(&args.manifest)?;
    check_selection(file.dialect, args)?;
    let manifest = if sends_requests(args, file.dialect) {
        file.load_to_send()?
    } else {
        file.load()
            .map_err(|diagnostics| CliError::Manifest(Box::new(diagnostics)))?
    };
    let baseline = match &args.baseline.baseline {
        Some(path) => Some(read_baseline(path, file.dialect.platform())?),
        None => None,
    };
    let ledger = open_run_ledger(args.ledger.as_deref())?;
    let seed = match args.seed {
        Some(seed) => seed,
        None => random_seed()?,
    };
    // A report for a machine on standard output shares the screen with standard error.
    let report_on_stdout = args.output.is_none() && args.format != ReportFormat::Human;
    let progress = Progress::on_stderr(!quiet && !report_on_stdout);
    let options = RunOptions {
        ledger: Some(ledger),
        manifest_path: Some(file.path.clone()),
        progress: progress.suite_hook(),
        ..run_options(args, seed)
    };
    let provisioning_url = args.base_url.clone().or_else(|| {
        manifest
            .endpoints(args.environment)
            .map(|endpoints| endpoints.base_url.clone())
    });
    let redactor = Redactor::new(manifest.secrets());
    let ran = server::around(
        &args.server,
        provisioning_url.as_ref(),
        run_suite(file.dialect, manifest, options, ctrl_c()),
    )
    .await;
    progress.finish();
    let (report, server) = ran?;
    let mut report = report?;
    if let Some(server) = server
        && report.exit_code() != exit::PASSED
    {
        report.server = Some(server.to_report(&redactor));
    }
    if let Some(baseline) = &baseline {
        let fixed = report.compare_with(baseline);
        if !fixed.is_empty() {
            eprintln!(
                "note: {} failed in the baseline and pass now: {}; renew it with \
                 --write-baseline",
                if fixed.len() == 1 {
                    "one check"
                } else {
                    "some checks"
                },
                fixed.join(", ")
            );
        }
    }
    if let Some(path) = &args.baseline.write_baseline {
        let text = render_report(&report, ReportFormat::Json, false)?;
        std::fs::write(path, text).map_err(|error| CliError::file("cannot write", path, error))?;
    }

    match &args.output {
        Some(path) => {
            let text = render_report(&report, args.format, false)?;
            write_private(path, &text, Links::Follow)
                .map_err(|error| CliError::file("cannot write", path, error))?;
            for note in render::run_notes(&report) {
                eprintln!("note: {note}");
            }
            for line in render::server_lines(&report) {
                eprintln!("{line}");
            }
            eprintln!(
                "{} (report: {})",
                render::summary_line(&report),
                path.display()
            );
        }
        None => {
            let text = render_report(&report, args.format, color.enabled_for(&io::stdout()))?;
            print!("{text}");
        }
    }
    Ok(report.exit_code())
}
