//! `sso` against the reference add-on: the printed login opens the resource's dashboard.

use manifest_core::SsoTransport;
use reference_addon::{ReferenceAddon, RunningAddon};
use serde_json::{Value, json};

use crate::harness::addon_conform_async;

async fn start(transport: SsoTransport) -> (RunningAddon, tempfile::TempDir, Value) {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .sso_transport(transport)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = addon.manifest_json();
    std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
    (addon, dir, serde_json::from_str(&manifest).unwrap())
}

/// Provisions one resource straight through the provider's API; returns its id.
async fn provision(addon: &RunningAddon, manifest: &Value) -> String {
    let reply: Value = reqwest::Client::new()
        .post(format!("http://{}/heroku/resources", addon.addr()))
        .basic_auth(
            manifest["id"].as_str().unwrap(),
            manifest["api"]["password"].as_str(),
        )
        .json(&json!({"uuid": "0f4c2a86-55c6-4d3e-9d1b-1b2c3d4e5f60", "plan": "test"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_get_login_url_opens_the_dashboard() {
    let (addon, dir, manifest) = start(SsoTransport::Get).await;
    let id = provision(&addon, &manifest).await;
    let run = addon_conform_async(dir.path(), &["sso", &id]).await;
    run.expect_code(0);
    assert!(run.stderr.contains("live login token"), "{run:#?}");
    let url = run.stdout.trim();
    assert!(url.starts_with("http://"), "{url}");
    let response = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(!run.stderr.contains(url), "the token is printed once");
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_post_login_becomes_a_page_that_submits_it() {
    let (addon, dir, manifest) = start(SsoTransport::Post).await;
    let id = provision(&addon, &manifest).await;
    let run = addon_conform_async(dir.path(), &["sso", &id]).await;
    run.expect_code(0);
    let path = run
        .stdout
        .trim()
        .strip_prefix("file://")
        .expect("a file URL")
        .to_string();
    let page = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(page.contains("method=\"post\""), "{page}");
    assert!(page.contains("/heroku/sso"), "{page}");
    assert!(
        page.contains(&format!("name=\"id\" value=\"{id}\"")),
        "{page}"
    );
    assert!(page.contains("name=\"token\""), "{page}");
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert!(
        !run.all_output().contains(token),
        "the token stays in the page"
    );
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_without_the_environment_is_a_usage_error() {
    let (addon, dir, _) = start(SsoTransport::Post).await;
    let run = addon_conform_async(dir.path(), &["sso", "x", "--env", "nowhere"]).await;
    run.expect_code(2);
    addon.shutdown().await;
}
