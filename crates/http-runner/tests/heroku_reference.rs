//! Every Heroku check proven both ways against the reference add-on: the correct provider passes
//! it, and the provider switched into the fault that targets it fails it (or, for `should`
//! checks, warns).

use heroku_adapter::Heroku;
use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Dialect, Report, Source, SsoTransport};
use reference_addon::ReferenceAddon;

async fn run_against(addon: ReferenceAddon, options: RunOptions) -> (Report, Vec<String>) {
    let running = addon.start().await.expect("reference add-on starts");
    let manifest = Heroku
        .load_manifest(Source::new("reference.json", running.manifest_json()))
        .expect("the reference manifest loads");
    let report = run_suite(&Heroku, manifest, options, std::future::pending())
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
        legacy_sso: true,
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
    for transport in [SsoTransport::Post, SsoTransport::Get] {
        let addon = ReferenceAddon::new(heroku_adapter::PLATFORM).sso_transport(transport);
        let (report, live) = run_against(addon, options()).await;
        assert_eq!(failures(&report), Vec::<String>::new(), "{transport:?}");
        assert!(live.is_empty(), "left behind: {live:?}");
        assert!(report.leftovers.is_empty());
        let skipped: Vec<_> = report
            .checks
            .iter()
            .filter(|c| c.status == Status::Skip)
            .map(|c| c.id.as_str())
            .collect();
        // Checks that only apply to situations the correct provider does not create.
        for id in &skipped {
            assert!(
                ["provision.async", "lifecycle.run", "sso.token-kinds"].contains(id)
                    || (transport == SsoTransport::Get && *id == "sso.token-kinds"),
                "{id} was skipped: {:?}",
                report.check(id).map(|c| &c.message)
            );
        }
    }
}

#[tokio::test]
async fn the_same_seed_sends_the_same_requests() {
    let bodies = |report: &Report| -> Vec<String> {
        report
            .check("provision.status")
            .unwrap()
            .exchanges
            .iter()
            .map(|e| {
                // The callback listener's port differs between runs, and so does the uuid (a
                // per-run nonce keeps two runs with one seed apart); everything else must not.
                let mut body: serde_json::Value = serde_json::from_str(&e.request.body).unwrap();
                body.as_object_mut().unwrap().remove("callback_url");
                body.as_object_mut().unwrap().remove("uuid");
                body.to_string()
            })
            .collect()
    };
    let (first, _) = run_against(ReferenceAddon::new(heroku_adapter::PLATFORM), options()).await;
    let (second, _) = run_against(ReferenceAddon::new(heroku_adapter::PLATFORM), options()).await;
    assert_eq!(bodies(&first), bodies(&second));
    let uuid = |report: &Report| {
        let body = &report.check("provision.status").unwrap().exchanges[0]
            .request
            .body;
        serde_json::from_str::<serde_json::Value>(body).unwrap()["uuid"].clone()
    };
    assert_ne!(uuid(&first), uuid(&second), "two runs never share a uuid");
    let mut other = options();
    other.seed = 8;
    let (third, _) = run_against(ReferenceAddon::new(heroku_adapter::PLATFORM), other).await;
    assert_ne!(bodies(&first), bodies(&third));
}

#[tokio::test]
async fn no_secret_reaches_the_report() {
    let running = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let text = running.manifest_json();
    let manifest = Heroku
        .load_manifest(Source::new("reference.json", text.clone()))
        .unwrap();
    let secrets: Vec<String> = manifest
        .secrets()
        .iter()
        .map(|s| s.expose().to_string())
        .collect();
    let report = run_suite(&Heroku, manifest, options(), std::future::pending())
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
async fn only_and_skip_select_checks() {
    let mut options = options();
    options.only = vec!["provision.*".into()];
    options.skip = vec!["provision.auth".into()];
    let (report, live) = run_against(ReferenceAddon::new(heroku_adapter::PLATFORM), options).await;
    assert!(live.is_empty());
    assert_eq!(
        report.check("provision.status").unwrap().status,
        Status::Pass
    );
    for id in ["provision.auth", "sso.login", "deprovision.status"] {
        let check = report.check(id).unwrap();
        assert_eq!(check.status, Status::Skip, "{id}");
        assert_eq!(check.message, "not selected (--only/--skip)");
    }
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    let expected: Vec<&str> = manifest_core::catalog::for_dialect(&heroku_adapter::Heroku)
        .map(|c| c.id)
        .collect();
    assert_eq!(
        ids, expected,
        "every applicable check appears once, in catalog order"
    );
}

#[tokio::test]
async fn an_interrupted_run_cleans_up() {
    let running = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let manifest = Heroku
        .load_manifest(Source::new("reference.json", running.manifest_json()))
        .unwrap();
    // Interrupt the moment the provider holds a resource: the run is then mid-suite.
    let provisioned = async {
        while running.live_resources().is_empty() {
            tokio::task::yield_now().await;
        }
    };
    let report = run_suite(&Heroku, manifest, options(), provisioned)
        .await
        .unwrap();
    assert!(report.interrupted);
    assert_eq!(report.exit_code(), manifest_core::exit::FAILED);
    assert!(
        running.live_resources().is_empty(),
        "left behind: {:?}",
        running.live_resources()
    );
    running.shutdown().await;
}

#[tokio::test]
async fn an_asynchronous_provider_that_reports_back_passes() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM).asynchronous();
    let (report, live) = run_against(addon, options()).await;
    assert_eq!(
        report.check("provision.async").unwrap().status,
        Status::Pass
    );
    assert!(
        report.check("provision.status").unwrap().exchanges[0]
            .response
            .as_ref()
            .is_some_and(|response| response.status == 202)
    );
    assert_eq!(failures(&report), Vec::<String>::new());
    assert!(live.is_empty(), "left behind: {live:?}");
}

/// At a concurrency of one every request waits for the answer to the one before it (the
/// racing copies of the concurrent replay, the one exception, left out); at the default the
/// scenarios and the requests that do not depend on each other go out together. The report
/// reads the same either way.
#[tokio::test]
async fn at_a_concurrency_of_one_requests_go_one_after_another_and_the_report_does_not_change() {
    let at = |concurrency| RunOptions {
        concurrency: Some(concurrency),
        skip: vec![
            "lifecycle.model".into(),
            "provision.idempotent.concurrent".into(),
        ],
        ..options()
    };
    let (one, _) = run_against(ReferenceAddon::new(heroku_adapter::PLATFORM), at(1)).await;
    let (eight, _) = run_against(ReferenceAddon::new(heroku_adapter::PLATFORM), at(8)).await;
    assert_eq!(one.request_depth, one.requests);
    assert_eq!(eight.requests, one.requests);
    assert!(
        eight.request_depth < eight.requests,
        "{} requests {} deep",
        eight.requests,
        eight.request_depth
    );
    let shape = |report: &Report| {
        report
            .checks
            .iter()
            .map(|check| (check.id.clone(), check.status, check.message.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&one), shape(&eight));
}
