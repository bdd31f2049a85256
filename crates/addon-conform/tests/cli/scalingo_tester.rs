//! `scalingo-addon-conform` against the Scalingo reference add-on: the official tester's
//! commands, with the ledger as the local cache of provisioned add-ons.

use reference_addon::ReferenceAddon;

use crate::harness::scalingo_addon_conform_async;

#[tokio::test(flavor = "multi_thread")]
async fn provision_update_list_deprovision_and_purge() {
    let addon = ReferenceAddon::new(scalingo_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("manifest.json"), addon.manifest_json()).unwrap();
    let ledger = dir.path().join("ledger.sqlite3").display().to_string();
    let run = |args: &[&str]| {
        let mut all: Vec<String> = args.iter().map(ToString::to_string).collect();
        all.extend(["--ledger".to_string(), ledger.clone()]);
        let dir = dir.path().to_path_buf();
        async move {
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            scalingo_addon_conform_async(&dir, &all).await
        }
    };

    let check = run(&[]).await;
    check.expect_code(0);

    let first = run(&["provision", "--app", "my-app", "--format", "json"]).await;
    first.expect_code(0);
    let first: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let first_id = first["id"].as_str().unwrap().to_string();
    assert_eq!(first["plan"], "free", "the manifest's first plan");

    let second = run(&["provision", "--plan", "pro"]).await;
    second.expect_code(0);
    assert_eq!(second.stdout.trim(), "→ OK");
    assert_eq!(addon.live_resources().len(), 2);

    let update = run(&["update", &first_id, "--plan", "enterprise"]).await;
    update.expect_code(0);
    assert_eq!(update.stdout.trim(), "→ OK");

    let list = run(&["list"]).await;
    list.expect_code(0);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{list:#?}");
    assert_eq!(lines[0], format!("- {first_id} → enterprise"));
    assert!(lines[1].ends_with(" → pro"), "{list:#?}");

    let deprovision = run(&["deprovision", &first_id]).await;
    deprovision.expect_code(0);
    assert_eq!(addon.live_resources().len(), 1);

    let purge = run(&["purge"]).await;
    purge.expect_code(0);
    assert!(purge.stdout.ends_with("→ OK\n"), "{purge:#?}");
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    let empty = run(&["list", "--format", "json"]).await;
    empty.expect_code(0);
    let empty: serde_json::Value = serde_json::from_str(&empty.stdout).unwrap();
    assert_eq!(empty["entries"], serde_json::json!([]));
    addon.shutdown().await;
}
