//! The GitHub Action's shell steps, run here against the reference add-on: they produce the
//! JUnit and JSON reports, and fail on a fault.

use std::path::{Path, PathBuf};
use std::process::Command;

use reference_addon::{Fault, ReferenceAddon};
use serde_json::Value;

use crate::harness::{BIN, data_home};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../.github/action")
        .join(name)
}

struct Step {
    code: i32,
    stdout: String,
    github_output: String,
}

fn run_step(name: &str, dir: &Path, envs: &[(&str, &str)]) -> Step {
    let github_output = dir.join("github-output");
    let output = Command::new("bash")
        .arg(script(name))
        .current_dir(dir)
        .envs(envs.iter().copied())
        .env("GITHUB_OUTPUT", &github_output)
        .env("GITHUB_PATH", dir.join("github-path"))
        .env("XDG_DATA_HOME", data_home())
        .output()
        .unwrap();
    Step {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        github_output: std::fs::read_to_string(github_output).unwrap_or_default(),
    }
}

async fn test_step(faults: &[Fault]) -> (Step, tempfile::TempDir) {
    let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
        .faults(faults.iter().copied())
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();
    let path = dir.path().to_path_buf();
    let step = tokio::task::spawn_blocking(move || {
        run_step(
            "test.sh",
            &path,
            &[
                ("MANIFEST", "addon-manifest.json"),
                ("PLATFORM", "heroku"),
                ("ARGS", "--only 'provision.*' --seed 7"),
                ("OUT_DIR", "reports"),
                ("ADDON_CONFORM", BIN),
            ],
        )
    })
    .await
    .unwrap();
    addon.shutdown().await;
    (step, dir)
}

fn reports(dir: &Path) -> (String, Value) {
    let junit = std::fs::read_to_string(dir.join("reports/junit.xml")).unwrap();
    let report = std::fs::read_to_string(dir.join("reports/report.json")).unwrap();
    (junit, serde_json::from_str(&report).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_step_passes_a_correct_provider_and_keeps_both_reports() {
    let (step, dir) = test_step(&[]).await;
    assert_eq!(step.code, 0, "{}", step.stdout);
    let (junit, report) = reports(dir.path());
    assert!(
        junit.contains("<testsuites") && junit.contains("provision.auth"),
        "{junit}"
    );
    assert!(!junit.contains("<failure"), "{junit}");
    assert_eq!(report["schema"], "addon-conform/report/v1");
    assert_eq!(report["seed"], 7);
    assert!(
        step.github_output.contains("exit-code=0"),
        "{}",
        step.github_output
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_test_step_fails_on_a_fault_with_the_reports_kept() {
    let (step, dir) = test_step(&[Fault::AcceptsWrongPassword]).await;
    assert_eq!(step.code, 1, "{}", step.stdout);
    let (junit, report) = reports(dir.path());
    assert!(junit.contains("<failure"), "{junit}");
    let auth = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["id"] == "provision.auth")
        .unwrap();
    assert_eq!(auth["status"], "fail");
    assert!(
        step.github_output.contains("exit-code=1"),
        "{}",
        step.github_output
    );
}

#[test]
fn the_install_step_uses_a_cached_binary_and_puts_it_on_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::copy(BIN, root.join("bin/addon-conform")).unwrap();
    let action = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let step = run_step(
        "install.sh",
        dir.path(),
        &[
            ("ACTION_PATH", action.to_str().unwrap()),
            ("INSTALL_ROOT", root.to_str().unwrap()),
        ],
    );
    assert_eq!(step.code, 0, "{}", step.stdout);
    assert!(
        step.stdout
            .contains("restored from the cache: addon-conform "),
        "{}",
        step.stdout
    );
    let path = std::fs::read_to_string(dir.path().join("github-path")).unwrap();
    assert_eq!(path.trim(), root.join("bin").to_str().unwrap());
}
