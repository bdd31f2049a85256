//! `addon-conform` with the Scalingo dialect: `init`, `manifest check`, and `test` against the
//! Scalingo reference add-on.

use std::fs;

use manifest_core::Report;
use manifest_core::catalog::for_dialect;
use manifest_core::report::Status;
use reference_addon::{Fault, ReferenceAddon};
use serde_json::Value;

use crate::harness::{addon_conform, addon_conform_async};

fn is_32_hex(secret: &str) -> bool {
    secret.len() == 32
        && secret
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[test]
fn init_writes_a_manifest_that_passes_its_own_rules() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(dir.path(), &["init", "--platform", "scalingo"]);
    run.expect_code(0);
    assert!(run.stdout.contains("manifest.json"), "{}", run.stdout);
    let text = fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    let manifest: Value = serde_json::from_str(&text).unwrap();
    let password = manifest["password"].as_str().unwrap();
    let salt = manifest["sso_salt"].as_str().unwrap();
    assert!(is_32_hex(password) && is_32_hex(salt), "{manifest}");
    assert_ne!(password, salt);
    assert!(!run.all_output().contains(password) && !run.all_output().contains(salt));

    // The platform is recognised from the default file name alone.
    let check = addon_conform(dir.path(), &["manifest", "check"]);
    check.expect_code(0);
    assert!(
        check
            .stdout
            .ends_with("manifest.json: scalingo manifest, no problems found\n"),
        "{}",
        check.stdout
    );
    assert!(!check.all_output().contains(password));
}

#[test]
fn init_has_no_sso_transport_to_choose() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(
        dir.path(),
        &["init", "--platform", "scalingo", "--sso", "post"],
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("--sso applies to platforms with a choice of SSO transports (heroku); scalingo has only get"),
        "{}",
        run.stderr
    );
    assert!(fs::read_dir(dir.path()).unwrap().next().is_none());
}

/// Serves a Scalingo reference add-on, runs `test --format json` against its manifest in a
/// fresh directory, and hands back the exit code and the report.
async fn test_against(addon: ReferenceAddon, extra: &[&str]) -> (i32, Report) {
    let running = addon.start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = running.manifest_json();
    fs::write(dir.path().join("manifest.json"), &manifest).unwrap();
    let mut args = vec!["test", "--format", "json", "--seed", "7"];
    args.extend_from_slice(extra);
    let run = addon_conform_async(dir.path(), &args).await;
    let secrets: Value = serde_json::from_str(&manifest).unwrap();
    for field in ["password", "sso_salt"] {
        let secret = secrets[field].as_str().unwrap();
        assert!(!run.all_output().contains(secret), "a secret was printed");
    }
    assert_eq!(
        running.live_resources(),
        Vec::<String>::new(),
        "the run left resources"
    );
    running.shutdown().await;
    let report = serde_json::from_str(&run.stdout).unwrap_or_else(|error| {
        panic!("not a report ({error}): {run:#?}");
    });
    (run.code, report)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correct_addon_passes_every_check() {
    let (code, report) = test_against(ReferenceAddon::new(scalingo_adapter::PLATFORM), &[]).await;
    assert_eq!(code, 0, "{report:#?}");
    assert_eq!(report.platform, scalingo_adapter::PLATFORM);
    assert_eq!(report.summary.failed, 0);
    let ids: Vec<&str> = report
        .checks
        .iter()
        .map(|check| check.id.as_str())
        .collect();
    let catalog: Vec<&str> = for_dialect(&scalingo_adapter::Scalingo)
        .map(|check| check.id)
        .collect();
    assert_eq!(
        ids, catalog,
        "every applicable check once, in catalog order"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scalingo_fault_fails_its_check() {
    let addon = ReferenceAddon::new(scalingo_adapter::PLATFORM).fault(Fault::DeprovisionBody);
    let (code, report) = test_against(addon, &["--platform", "scalingo"]).await;
    assert_eq!(code, 1);
    let check = report.check("deprovision.status").unwrap();
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.message.contains("expected 204, got 200"),
        "{}",
        check.message
    );
    assert!(!check.exchanges.is_empty());
}
