//! The ledger from the command line: single operations are recorded until deprovisioned, and a
//! run killed with SIGKILL mid-suite leaves a ledger that names its resource and a cleanup that
//! removes it from the provider.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::Duration;

use http_runner::{EntryState, Ledger};
use reference_addon::{Fault, ReferenceAddon, RunningAddon};
use serde_json::Value;

use crate::harness::{addon_conform_async, spawn_addon_conform};

/// An upper bound on waiting for something the test is sure will happen, so that a broken
/// build fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(60);

fn write_manifest(addon: &RunningAddon, dir: &Path) -> String {
    let path = dir.join("addon-manifest.json");
    std::fs::write(&path, addon.manifest_json()).unwrap();
    path.display().to_string()
}

fn listed(stdout: &str) -> Vec<Value> {
    let list: Value = serde_json::from_str(stdout).expect("ledger list prints JSON");
    assert_eq!(list["schema"], "addon-conform/ledger/v1");
    list["entries"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_killed_mid_suite_is_cleaned_up_from_the_ledger() {
    // Every provision is held back: the run's first resource exists after one delay, and the
    // run then waits a second delay on its replay — that is when it is killed. Cleanup only
    // deprovisions, which is not slowed.
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .fault(Fault::ProvisionSlow)
        .slow_delay(Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(&addon, dir.path());
    let db = dir.path().join("ledger.sqlite3");
    let db_arg = db.display().to_string();
    let mut child = spawn_addon_conform(
        dir.path(),
        &["test", "--manifest", &manifest, "--ledger", &db_arg],
    );

    let resource = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(id) = addon.live_resources().pop() {
                return id;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the run provisions a resource");
    // The run records the resource as soon as it reads the answer, long before the replay's
    // delay is over.
    let ledger = Ledger::open(&db).unwrap();
    tokio::time::timeout(PATIENCE, async {
        while !ledger.entries().unwrap().iter().any(|entry| {
            entry.state == EntryState::Live && entry.resource_id.as_deref() == Some(&resource)
        }) {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the run records the resource as live");

    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "the run must still be going when it is killed: {status}"
    );
    assert_eq!(addon.live_resources(), std::slice::from_ref(&resource));

    let list = addon_conform_async(
        dir.path(),
        &["ledger", "list", "--ledger", &db_arg, "--format", "json"],
    )
    .await;
    list.expect_code(0);
    let entries = listed(&list.stdout);
    let named: Vec<&Value> = entries
        .iter()
        .filter(|entry| entry["id"] == resource.as_str())
        .collect();
    assert_eq!(named.len(), 1, "{}", list.stdout);
    assert_eq!(named[0]["state"], "live");
    assert_eq!(named[0]["platform"], "heroku");
    assert_eq!(named[0]["manifest"], manifest.as_str());
    let password =
        serde_json::from_str::<Value>(&addon.manifest_json()).unwrap()["api"]["password"]
            .as_str()
            .unwrap()
            .to_string();
    assert!(!list.all_output().contains(&password));

    let cleanup =
        addon_conform_async(dir.path(), &["ledger", "cleanup", "--ledger", &db_arg]).await;
    cleanup.expect_code(0);
    assert!(
        cleanup.stdout.contains(&format!("removed {resource}")),
        "{cleanup:#?}"
    );
    assert_eq!(addon.live_resources(), Vec::<String>::new());

    let after = addon_conform_async(dir.path(), &["ledger", "list", "--ledger", &db_arg]).await;
    after.expect_code(0);
    assert!(
        after.stdout.starts_with("nothing outstanding"),
        "{after:#?}"
    );
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn single_operations_are_recorded_until_deprovisioned() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(&addon, dir.path());
    let db = dir.path().join("ledger.sqlite3").display().to_string();
    let common = ["--manifest", manifest.as_str(), "--ledger", db.as_str()];
    let with = |command: &[&str]| -> Vec<String> {
        command
            .iter()
            .chain(common.iter())
            .map(ToString::to_string)
            .collect()
    };
    let run = |args: Vec<String>| {
        let dir = dir.path().to_path_buf();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            addon_conform_async(&dir, &args).await
        }
    };

    let provision = run(with(&[
        "provision",
        "--option",
        "size=large",
        "--format",
        "json",
    ]))
    .await;
    provision.expect_code(0);
    let provisioned: Value = serde_json::from_str(&provision.stdout).unwrap();
    let id = provisioned["id"].as_str().unwrap().to_string();
    assert!(provisioned["config"]["REFERENCE_DB_URL"].is_string());
    assert_eq!(addon.live_resources(), std::slice::from_ref(&id));

    let ledger_only = |command: &[&str]| -> Vec<String> {
        command
            .iter()
            .chain(["--ledger", db.as_str()].iter())
            .map(ToString::to_string)
            .collect()
    };
    let list = run(ledger_only(&["ledger", "list"])).await;
    list.expect_code(0);
    let header = list.stdout.lines().next().unwrap_or_default();
    assert!(
        header.starts_with("ID") && header.contains("STATE") && header.ends_with("AGE"),
        "{list:#?}"
    );
    assert!(
        list.stdout
            .lines()
            .any(|line| line.starts_with(&id) && line.contains(" live ")),
        "{list:#?}"
    );

    let change = run(with(&["plan-change", &id, "premium"])).await;
    change.expect_code(0);
    assert!(change.stdout.starts_with(&id), "{change:#?}");

    let deprovision = run(with(&["deprovision", &id])).await;
    deprovision.expect_code(0);
    assert_eq!(deprovision.stdout.trim(), format!("deprovisioned {id}"));
    assert_eq!(addon.live_resources(), Vec::<String>::new());

    let cleanup = run(ledger_only(&["ledger", "cleanup"])).await;
    cleanup.expect_code(0);
    assert!(
        cleanup.stdout.starts_with("nothing outstanding"),
        "{cleanup:#?}"
    );

    addon.shutdown().await;
    let unreachable = run(with(&["deprovision", &id])).await;
    unreachable.expect_code(3);
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_exits_1_while_the_provider_cannot_be_reached() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = write_manifest(&addon, dir.path());
    let db = dir.path().join("ledger.sqlite3").display().to_string();
    let provision = addon_conform_async(
        dir.path(),
        &["provision", "--manifest", &manifest, "--ledger", &db],
    )
    .await;
    provision.expect_code(0);
    let id = provision.stdout.lines().next().unwrap().to_string();
    addon.shutdown().await;

    let cleanup = addon_conform_async(dir.path(), &["ledger", "cleanup", "--ledger", &db]).await;
    cleanup.expect_code(1);
    assert!(
        cleanup.stdout.starts_with(&format!(
            "could not remove {id} from heroku at http://127.0.0.1:"
        )),
        "{cleanup:#?}"
    );
    assert!(cleanup.stderr.contains("0 removed, 1 left"), "{cleanup:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_ledger_that_cannot_be_opened_leaves_run_in_memory_with_a_warning() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_manifest(&addon, dir.path());
    // A data home that is a file: the ledger's directory cannot be created under it.
    let blocked = dir.path().join("not-a-directory");
    std::fs::write(&blocked, "").unwrap();
    let output = tokio::process::Command::new(crate::harness::BIN)
        .args(["run", "--", "true"])
        .current_dir(dir.path())
        .env("XDG_DATA_HOME", &blocked)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("recorded in memory only"), "{stderr}");
    assert_eq!(addon.live_resources(), Vec::<String>::new());

    let provision = tokio::process::Command::new(crate::harness::BIN)
        .arg("provision")
        .current_dir(dir.path())
        .env("XDG_DATA_HOME", &blocked)
        .output()
        .await
        .unwrap();
    assert_eq!(
        provision.status.code(),
        Some(2),
        "a resource that outlives the command needs a ledger"
    );
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    addon.shutdown().await;
}
