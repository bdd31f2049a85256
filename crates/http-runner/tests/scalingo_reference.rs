//! Every Scalingo check proven both ways against the reference add-on: the correct provider
//! passes it, and the provider switched into the fault that targets it fails it (or, for
//! `should` checks, warns).

use std::time::Duration;

use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Dialect, Platform, Report, Source};
use reference_addon::{Fault, ReferenceAddon};
use scalingo_adapter::Scalingo;

/// Scalingo's only deadline is 30 s, so the slow faults are run with a shorter `--timeout`
/// and an add-on that takes twice as long, which keeps the verdict clear on a loaded machine.
const SLOW_RUN_TIMEOUT: Duration = Duration::from_millis(2500);
const SLOW_DELAY: Duration = Duration::from_secs(5);

async fn run_against(addon: ReferenceAddon, options: RunOptions) -> (Report, Vec<String>) {
    let running = addon.start().await.expect("reference add-on starts");
    let manifest = Scalingo
        .load_manifest(Source::new("manifest.json", running.manifest_json()))
        .expect("the reference manifest loads");
    let report = run_suite(&Scalingo, manifest, options, std::future::pending())
        .await
        .expect("the run starts");
    let live = running.live_resources();
    running.shutdown().await;
    (report, live)
}

fn options() -> RunOptions {
    RunOptions {
        seed: 7,
        cases: 1,
        ..RunOptions::default()
    }
}

fn failures(report: &Report) -> Vec<String> {
    report
        .checks
        .iter()
        .filter(|check| check.status == Status::Fail || check.status == Status::Warn)
        .map(|check| format!("{} ({:?}): {}", check.id, check.status, check.message))
        .collect()
}

#[tokio::test]
async fn the_correct_provider_passes_every_check_and_leaves_nothing_behind() {
    let (report, live) = run_against(ReferenceAddon::new(Platform::Scalingo), options()).await;
    assert_eq!(failures(&report), Vec::<String>::new());
    assert!(live.is_empty(), "left behind: {live:?}");
    assert!(report.leftovers.is_empty());
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Skip)
        .map(|c| (c.id.as_str(), c.message.as_str()))
        .collect();
    // Generated sequences of operations are not part of any run yet.
    assert_eq!(
        skipped,
        [(
            "lifecycle.model",
            "generated sequences of operations are not part of this version"
        )]
    );
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = manifest_core::catalog::for_platform(Platform::Scalingo)
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids, expected,
        "every applicable check appears once, in catalog order"
    );
}

#[tokio::test]
async fn every_scalingo_fault_is_caught_by_the_checks_it_targets() {
    let mut handles = Vec::new();
    let scalingo_faults = Fault::ALL
        .into_iter()
        .filter(|f| f.platforms().contains(&Platform::Scalingo));
    for fault in scalingo_faults {
        handles.push(tokio::spawn(async move {
            let slow = fault
                .proves()
                .iter()
                .any(|check| check.ends_with(".deadline"));
            let mut options = options();
            let mut addon = ReferenceAddon::new(Platform::Scalingo).fault(fault);
            if slow {
                options.timeout = Some(SLOW_RUN_TIMEOUT);
                addon = addon.slow_delay(SLOW_DELAY);
            }
            let (report, _) = run_against(addon, options).await;
            let missed: Vec<&str> = fault
                .proves()
                .iter()
                .copied()
                .filter(|id| {
                    !matches!(
                        report.check(id).map(|c| c.status),
                        Some(Status::Fail | Status::Warn)
                    )
                })
                .collect();
            (fault, missed, failures(&report))
        }));
    }
    let mut uncaught = Vec::new();
    for handle in handles {
        let (fault, missed, failures) = handle.await.expect("the run does not panic");
        if !missed.is_empty() {
            uncaught.push(format!(
                "{fault}: {missed:?} did not fail; failures were {failures:#?}"
            ));
        }
    }
    assert!(uncaught.is_empty(), "{}", uncaught.join("\n"));
}

#[tokio::test]
async fn the_scalingo_faults_fail_for_the_reasons_scalingo_gives() {
    let reasons = [
        (
            Fault::DeprovisionBody,
            "deprovision.status",
            "deprovision: expected 204, got 200",
        ),
        (Fault::EmptyId, "provision.id", "`id` is blank"),
        (
            Fault::LongId,
            "provision.id",
            "the id is 300 characters long; the platform stores at most 255",
        ),
        (
            Fault::NoLogDrainUrl,
            "provision.log-drain",
            "the manifest asks for a log drain but the answer has no `log_drain_url`",
        ),
    ];
    for (fault, check, reason) in reasons {
        let addon = ReferenceAddon::new(Platform::Scalingo).fault(fault);
        let (report, live) = run_against(addon, options()).await;
        let verdict = report.check(check).unwrap();
        assert_eq!(verdict.status, Status::Fail, "{fault}");
        assert!(
            verdict.message.starts_with(reason),
            "{fault}: {}",
            verdict.message
        );
        assert!(live.is_empty(), "{fault} left {live:?}");
    }
}

#[tokio::test]
async fn no_secret_reaches_the_report() {
    let running = ReferenceAddon::new(Platform::Scalingo)
        .start()
        .await
        .unwrap();
    let manifest = Scalingo
        .load_manifest(Source::new("manifest.json", running.manifest_json()))
        .unwrap();
    let secrets: Vec<String> = manifest
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .collect();
    let report = run_suite(&Scalingo, manifest, options(), std::future::pending())
        .await
        .unwrap();
    running.shutdown().await;
    let json = serde_json::to_string(&report).unwrap();
    for secret in secrets {
        assert!(!json.contains(&secret), "a secret reached the report");
    }
    assert!(json.contains("[REDACTED]"));
}

#[tokio::test]
async fn an_interrupted_run_cleans_up() {
    let running = ReferenceAddon::new(Platform::Scalingo)
        .start()
        .await
        .unwrap();
    let manifest = Scalingo
        .load_manifest(Source::new("manifest.json", running.manifest_json()))
        .unwrap();
    // Interrupt the moment the provider holds a resource: the run is then mid-suite.
    let provisioned = async {
        while running.live_resources().is_empty() {
            tokio::task::yield_now().await;
        }
    };
    let report = run_suite(&Scalingo, manifest, options(), provisioned)
        .await
        .unwrap();
    assert!(report.interrupted);
    assert!(
        running.live_resources().is_empty(),
        "left behind: {:?}",
        running.live_resources()
    );
    running.shutdown().await;
}
