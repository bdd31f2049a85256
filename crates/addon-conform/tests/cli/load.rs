//! `load` against the reference add-on: the correct one holds the deadlines under load and is
//! left with nothing provisioned; one that slows down under concurrency misses them.

use std::path::Path;
use std::time::Duration;

use reference_addon::{ReferenceAddon, RunningAddon};

use crate::harness::{Run, addon_conform_async, spawn_addon_conform};

async fn load(addon: &RunningAddon, dir: &Path, extra: &[&str]) -> Run {
    std::fs::write(dir.join("addon-manifest.json"), addon.manifest_json()).unwrap();
    let ledger = dir.join("ledger.sqlite3");
    let mut args = vec![
        "load",
        "--ledger",
        ledger.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    addon_conform_async(dir, &args).await
}

fn verdicts(run: &Run) -> Vec<String> {
    let document: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(document["schema"], "addon-conform/load/v1");
    document["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|operation| {
            format!(
                "{} {}",
                operation["operation"].as_str().unwrap(),
                operation["verdict"].as_str().unwrap()
            )
        })
        .collect()
}

async fn nothing_outstanding(dir: &Path) {
    let ledger = dir.join("ledger.sqlite3");
    let list = addon_conform_async(
        dir,
        &["ledger", "list", "--ledger", ledger.to_str().unwrap()],
    )
    .await;
    list.expect_code(0);
    assert!(list.stdout.contains("nothing outstanding"), "{list:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_correct_addon_holds_the_deadlines_and_keeps_nothing() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = load(
        &addon,
        dir.path(),
        &["--concurrency", "8", "--cycles", "24"],
    )
    .await;
    run.expect_code(0);
    assert_eq!(
        verdicts(&run),
        ["provision pass", "plan change pass", "deprovision pass"],
        "{run:#?}"
    );
    let document: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(document["cycles"], 24);
    assert_eq!(document["operations"][0]["count"], 24);
    assert_eq!(document["deadlines"]["must_ms"], 25000.0);
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    nothing_outstanding(dir.path()).await;
    assert!(!run.all_output().contains("password"), "{run:#?}");
    addon.shutdown().await;
}

/// Holds every request back a quarter of a second for each request in flight, itself included.
async fn slowing_addon() -> RunningAddon {
    ReferenceAddon::new(heroku_adapter::PLATFORM)
        .delay_per_concurrent_request(Duration::from_millis(250))
        .start()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_addon_slowing_down_under_concurrency_misses_the_must_deadline() {
    // Eight clients starting together hold up to eight requests at once: up to twice the
    // deadline, where a lone request takes a quarter of it.
    let addon = slowing_addon().await;
    let dir = tempfile::tempdir().unwrap();
    let run = load(
        &addon,
        dir.path(),
        &[
            "--concurrency",
            "8",
            "--cycles",
            "8",
            "--must-deadline",
            "1",
        ],
    )
    .await;
    run.expect_code(1);
    assert!(
        verdicts(&run)
            .iter()
            .any(|verdict| verdict.ends_with(" fail")),
        "{run:#?}"
    );
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    nothing_outstanding(dir.path()).await;
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_slow_addon_passes_when_requests_come_one_at_a_time() {
    let addon = slowing_addon().await;
    let dir = tempfile::tempdir().unwrap();
    let run = load(
        &addon,
        dir.path(),
        &[
            "--concurrency",
            "1",
            "--cycles",
            "2",
            "--must-deadline",
            "1",
        ],
    )
    .await;
    run.expect_code(0);
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn load_needs_a_bound_and_reports_an_unreachable_provider() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    load(&addon, dir.path(), &[]).await.expect_code(2);
    load(&addon, dir.path(), &["--cycles", "0"])
        .await
        .expect_code(2);
    load(&addon, dir.path(), &["--duration", "7200"])
        .await
        .expect_code(2);
    let run = load(
        &addon,
        dir.path(),
        &[
            "--cycles",
            "2",
            "--base-url",
            "http://127.0.0.1:9/resources",
        ],
    )
    .await;
    run.expect_code(3);
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_starts_no_new_cycle_and_the_ones_under_way_deprovision() {
    let addon = slowing_addon().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();
    let ledger = dir.path().join("ledger.sqlite3");
    let mut child = spawn_addon_conform(
        dir.path(),
        &[
            "load",
            "--ledger",
            ledger.to_str().unwrap(),
            "--concurrency",
            "2",
            "--duration",
            "600",
        ],
    );
    tokio::time::timeout(Duration::from_secs(60), async {
        while addon.live_resources().is_empty() {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the load provisions a resource");
    let terminated = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(terminated.success());
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(
        status.code(),
        Some(1),
        "an interrupted load exits 1: {status}"
    );
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    nothing_outstanding(dir.path()).await;
    addon.shutdown().await;
}
