//! Checks against an existing resource (`test --resource ID`, `heroku-addon-conform test sso
//! ID`, `sso ID`): logins carry the resource's own uuid, from `--uuid` or the ledger, so a
//! correct provider lets them in; without one, the token kinds minted from it are skipped.

use reference_addon::{ReferenceAddon, RunningAddon};
use serde_json::Value;

use crate::harness::{Run, addon_conform_async, heroku_addon_conform_async};

struct Provided {
    addon: RunningAddon,
    dir: tempfile::TempDir,
    ledger: String,
    id: String,
    uuid: String,
}

/// A reference add-on with one resource provisioned through `addon-conform provision`, which
/// recorded it in a ledger of the test's own.
async fn provided() -> Provided {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();
    let ledger = dir.path().join("ledger.sqlite3").display().to_string();
    let provision = addon_conform_async(
        dir.path(),
        &["provision", "--ledger", &ledger, "--format", "json"],
    )
    .await;
    provision.expect_code(0);
    let id = serde_json::from_str::<Value>(&provision.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let list = addon_conform_async(
        dir.path(),
        &["ledger", "list", "--ledger", &ledger, "--format", "json"],
    )
    .await;
    let entries: Value = serde_json::from_str(&list.stdout).unwrap();
    let uuid = entries["entries"][0]["uuid"].as_str().unwrap().to_string();
    Provided {
        addon,
        dir,
        ledger,
        id,
        uuid,
    }
}

fn report(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("a JSON report: {run:#?}"))
}

fn check<'r>(report: &'r Value, id: &str) -> (&'r str, &'r str) {
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == id)
        .unwrap_or_else(|| panic!("{id} is in the report"));
    (
        check["status"].as_str().unwrap(),
        check["message"].as_str().unwrap(),
    )
}

async fn sso_checks(provided: &Provided, extra: &[&str]) -> Value {
    let mut args = vec![
        "test",
        "--resource",
        provided.id.as_str(),
        "--only",
        "sso.*",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let run = addon_conform_async(provided.dir.path(), &args).await;
    run.expect_code(0);
    report(&run)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_gives_the_uuid_of_a_resource_it_recorded() {
    let provided = provided().await;
    let report = sso_checks(&provided, &["--ledger", &provided.ledger]).await;
    for id in ["sso.login", "sso.rejects-bad-token", "sso.token-kinds"] {
        assert_eq!(
            check(&report, id).0,
            "pass",
            "{id}: {}",
            check(&report, id).1
        );
    }
    assert_eq!(
        provided.addon.live_resources(),
        std::slice::from_ref(&provided.id),
        "an existing resource is left alone"
    );
    provided.addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_uuid_given_on_the_command_line_is_used() {
    let provided = provided().await;
    let report = sso_checks(&provided, &["--uuid", &provided.uuid]).await;
    assert_eq!(check(&report, "sso.token-kinds").0, "pass");
    assert_eq!(check(&report, "sso.login").0, "pass");
    provided.addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_uuid_the_kinds_minted_from_it_are_skipped_and_the_login_still_works() {
    let provided = provided().await;
    // The run's own ledger (the shared data home's) never recorded this resource.
    let report = sso_checks(&provided, &[]).await;
    assert_eq!(check(&report, "sso.login").0, "pass");
    assert_eq!(check(&report, "sso.rejects-bad-token").0, "pass");
    let (status, message) = check(&report, "sso.token-kinds");
    assert_eq!(status, "skip");
    assert!(message.contains("uuid"), "{message}");
    assert!(message.contains("--uuid"), "{message}");
    provided.addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn heroku_test_sso_checks_an_existing_resource() {
    let provided = provided().await;
    let run = heroku_addon_conform_async(
        provided.dir.path(),
        &["test", "sso", &provided.id, "--format", "json"],
    )
    .await;
    run.expect_code(0);
    assert_eq!(check(&report(&run), "sso.login").0, "pass");
    provided.addon.shutdown().await;
}

/// The fields of the form a `sso ID` page posts.
fn form_fields(run: &Run) -> Vec<(String, String)> {
    let path = run.stdout.trim().strip_prefix("file://").expect("a page");
    let page = std::fs::read_to_string(path).unwrap();
    std::fs::remove_file(path).unwrap();
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|input| {
            let (name, rest) = input.split_once("\" value=\"").unwrap();
            let value = rest.split('"').next().unwrap();
            (name.to_string(), value.replace("&amp;", "&"))
        })
        .collect()
}

async fn logs_in(provided: &Provided, fields: &[(String, String)]) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("http://{}/heroku/sso", provided.addon.addr()))
        .form(fields)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_sso_login_carries_the_recorded_uuid_or_none() {
    let provided = provided().await;
    let recorded = addon_conform_async(
        provided.dir.path(),
        &["sso", &provided.id, "--ledger", &provided.ledger],
    )
    .await;
    recorded.expect_code(0);
    let fields = form_fields(&recorded);
    assert!(
        fields.contains(&("resource_id".to_string(), provided.uuid.clone())),
        "{fields:?}"
    );
    assert_eq!(logs_in(&provided, &fields).await, 302);

    let unknown = addon_conform_async(provided.dir.path(), &["sso", &provided.id]).await;
    unknown.expect_code(0);
    assert!(unknown.stderr.contains("--uuid"), "{unknown:#?}");
    let fields = form_fields(&unknown);
    assert!(
        fields.iter().all(|(name, _)| name != "resource_id"),
        "{fields:?}"
    );
    assert_eq!(logs_in(&provided, &fields).await, 302);
    provided.addon.shutdown().await;
}
