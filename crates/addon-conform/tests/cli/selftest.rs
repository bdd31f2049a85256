//! The conformance matrix inside `cargo test`: for each platform, the correct reference add-on
//! passes every check and each fault is caught by the checks meant for it and by no other. The
//! matrix goes through the same public API a provider's own tests would use.

use addon_conform::selftest::{run_matrix, run_matrix_at, verdict_differences};
use manifest_core::Platform;

async fn matrix_of(platform: Platform) {
    let matrix = run_matrix(&[platform], 7).await;
    assert!(matrix.passed(), "{}", matrix.render());
    // How many resources a fault that keeps them leaves depends on how many generated
    // sequences were in flight when the first failing one was found; that it is not zero is
    // what the row shows.
    insta::assert_json_snapshot!(format!("matrix_{platform}"), matrix, {
        ".rows[].leftover_count" => insta::dynamic_redaction(|value, _| {
            if value.as_u64() == Some(0) { value } else { "[some]".into() }
        }),
    });
}

/// Every registered platform's matrix, each with a snapshot of its own: a platform added to the
/// registry is proven here without a test of its own.
#[tokio::test]
async fn every_registered_platform_matrix() {
    for platform in dialects::platforms() {
        matrix_of(platform).await;
    }
}

/// Heroku has every fault that only a generated sequence shows: strictly one request after
/// another and sixteen at once, each fault is caught by the same checks.
#[tokio::test]
async fn verdicts_do_not_depend_on_the_concurrency() {
    let sequential = run_matrix_at(&[heroku_adapter::PLATFORM], 11, 1).await;
    let concurrent = run_matrix_at(&[heroku_adapter::PLATFORM], 11, 16).await;
    assert!(sequential.passed(), "{}", sequential.render());
    assert!(concurrent.passed(), "{}", concurrent.render());
    let differences = verdict_differences(&sequential, &concurrent);
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

#[test]
fn the_selftest_command_prints_the_matrix() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_addon-conform"))
        .args(["selftest", "--platform", "bitrise", "--seed", "7"])
        .output()
        .expect("addon-conform runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("bitrise post   (correct)"), "{stdout}");
    assert!(stdout.contains("rows, 0 failed, seed 7"), "{stdout}");
}
