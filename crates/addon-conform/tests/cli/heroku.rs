//! `heroku-addon-conform`, the kensa-style binary, against the reference add-on.

use reference_addon::ReferenceAddon;

use crate::harness::{heroku_addon_conform_async, redact};

#[tokio::test(flavor = "multi_thread")]
async fn test_all_passes_against_a_correct_addon() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let manifest = addon.manifest_json();
    let file = dir.path().join("kensa-manifest.json");
    std::fs::write(&file, &manifest).unwrap();
    let run = heroku_addon_conform_async(
        dir.path(),
        &[
            "--file",
            file.to_str().unwrap(),
            "test",
            "all",
            "--seed",
            "11",
            "--color",
            "never",
        ],
    )
    .await;
    let secrets: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    for field in ["password", "sso_salt"] {
        let secret = secrets["api"][field].as_str().unwrap();
        assert!(!run.all_output().contains(secret), "a secret was printed");
    }
    run.expect_code(0);
    redact().bind(|| insta::assert_snapshot!("heroku_test_all_human", run.stdout));
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn test_manifest_checks_the_file_offline() {
    let dir = tempfile::tempdir().unwrap();
    let init = heroku_addon_conform_async(dir.path(), &["init", "--sso", "post"]).await;
    init.expect_code(0);
    assert!(dir.path().join("addon-manifest.json").is_file());
    let check = heroku_addon_conform_async(dir.path(), &["test", "manifest"]).await;
    assert_ne!(check.code, 2, "{check:#?}");
}
