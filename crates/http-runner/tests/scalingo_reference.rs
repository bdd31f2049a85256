//! Every Scalingo check proven both ways against the reference add-on: the correct provider
//! passes it, and the provider switched into the fault that targets it fails it (or, for
//! `should` checks, warns).

use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Dialect, Report, Source};
use reference_addon::{Fault, ReferenceAddon};
use scalingo_adapter::Scalingo;

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
    let (report, live) =
        run_against(ReferenceAddon::new(scalingo_adapter::PLATFORM), options()).await;
    assert_eq!(failures(&report), Vec::<String>::new());
    assert!(live.is_empty(), "left behind: {live:?}");
    assert!(report.leftovers.is_empty());
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| c.status == Status::Skip)
        .map(|c| (c.id.as_str(), c.message.as_str()))
        .collect();
    assert_eq!(skipped, []);
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = manifest_core::catalog::for_dialect(&scalingo_adapter::Scalingo)
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids, expected,
        "every applicable check appears once, in catalog order"
    );
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
        let addon = ReferenceAddon::new(scalingo_adapter::PLATFORM).fault(fault);
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
    let running = ReferenceAddon::new(scalingo_adapter::PLATFORM)
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
    let running = ReferenceAddon::new(scalingo_adapter::PLATFORM)
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
