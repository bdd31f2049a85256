//! `test --baseline`: failures an earlier report already had are known and do not fail the run;
//! any new failure does.

use std::path::Path;

use reference_addon::{Fault, ReferenceAddon};
use serde_json::Value;

use crate::harness::addon_conform_async;

/// Tests a Heroku reference add-on with `faults` (provision checks only), with `extra` flags.
async fn test_with(dir: &Path, faults: &[Fault], extra: &[&str]) -> (i32, Value) {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .faults(faults.iter().copied())
        .start()
        .await
        .unwrap();
    std::fs::write(dir.join("addon-manifest.json"), addon.manifest_json()).unwrap();
    let mut args = vec!["test", "--only", "provision.*", "--format", "json"];
    args.extend_from_slice(extra);
    let run = addon_conform_async(dir, &args).await;
    addon.shutdown().await;
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{run:#?}"));
    (run.code, report)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == id)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn known_failures_pass_and_new_ones_fail() {
    let dir = tempfile::tempdir().unwrap();
    let known = [Fault::AcceptsWrongPassword];
    let (code, written) = test_with(dir.path(), &known, &["--write-baseline", "base.json"]).await;
    assert_eq!(code, 1);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("base.json")).unwrap())
            .unwrap();
    assert_eq!(saved["summary"], written["summary"]);
    assert_eq!(check(&saved, "provision.auth")["status"], "fail");

    let (code, report) = test_with(dir.path(), &known, &["--baseline", "base.json"]).await;
    assert_eq!(code, 0, "{report:#}");
    let auth = check(&report, "provision.auth");
    assert_eq!(
        (&auth["status"], &auth["baseline"]),
        (&"fail".into(), &"known".into())
    );
    assert_eq!(report["summary"]["known"], report["summary"]["failed"]);

    let worse = [Fault::AcceptsWrongPassword, Fault::SameIdForEveryResource];
    let (code, report) = test_with(dir.path(), &worse, &["--baseline", "base.json"]).await;
    assert_eq!(code, 1, "a failure the baseline did not have fails the run");
    let distinct = check(&report, "provision.distinct");
    assert_eq!(distinct["status"], "fail");
    assert!(distinct.get("baseline").is_none(), "{distinct}");
    assert_eq!(check(&report, "provision.auth")["baseline"], "known");

    let (code, report) = test_with(dir.path(), &[], &["--baseline", "base.json"]).await;
    assert_eq!(code, 0);
    assert!(report["summary"].get("known").is_none(), "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_baseline_of_another_platform_or_no_report_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-a-report.json"), "{\"checks\": 3}").unwrap();
    let scalingo = Path::new(dir.path()).join("scalingo.json");
    std::fs::write(
        &scalingo,
        serde_json::json!({
            "schema": "addon-conform/report/v1",
            "tool": {"name": "addon-conform", "version": "0.1.0"},
            "platform": "scalingo", "environment": "test", "target": "http://x",
            "seed": 1, "duration_ms": 1,
            "summary": {"passed": 0, "failed": 0, "warned": 0, "skipped": 0},
            "checks": []
        })
        .to_string(),
    )
    .unwrap();
    for baseline in ["not-a-report.json", "scalingo.json", "missing.json"] {
        let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
            .start()
            .await
            .unwrap();
        std::fs::write(
            dir.path().join("addon-manifest.json"),
            addon.manifest_json(),
        )
        .unwrap();
        let run = addon_conform_async(dir.path(), &["test", "--baseline", baseline]).await;
        run.expect_code(2);
        assert_eq!(
            addon.requests_seen(),
            0,
            "{baseline}: refused before any request"
        );
        addon.shutdown().await;
    }
}
