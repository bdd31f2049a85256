//! `run` against the reference add-on: the command sees the config vars, nothing is left behind.

use reference_addon::ReferenceAddon;

use crate::harness::{addon_conform_async, dir_with_manifest};

#[tokio::test(flavor = "multi_thread")]
async fn the_command_sees_the_config_and_the_resource_is_removed() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = dir_with_manifest(&addon);
    let run = addon_conform_async(dir.path(), &["run", "--", "env"]).await;
    run.expect_code(0);
    assert!(run.stdout.contains("REFERENCE_DB_URL="), "{run:#?}");
    assert!(run.stderr.contains("deprovision: "), "{run:#?}");
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    addon.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_still_deprovisions_and_passes_its_exit_code_on() {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .start()
        .await
        .unwrap();
    let dir = dir_with_manifest(&addon);
    let run = addon_conform_async(dir.path(), &["run", "--", "false"]).await;
    run.expect_code(1);
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    let run = addon_conform_async(dir.path(), &["run", "--", "sh", "-c", "exit 3"]).await;
    run.expect_code(3);
    assert!(run.stderr.contains("deprovision: "), "{run:#?}");
    assert_eq!(addon.live_resources(), Vec::<String>::new());
    addon.shutdown().await;
}
