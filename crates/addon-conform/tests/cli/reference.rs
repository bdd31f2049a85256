//! `test` and `serve-reference` against the reference add-on, served in process on loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use manifest_core::Report;
use manifest_core::catalog::for_dialect;
use reference_addon::{Fault, ReferenceAddon, RunningAddon};
use serde_json::Value;

use crate::harness::{BIN, addon_conform, addon_conform_async, redact};

/// A reference add-on and its manifest, written to a temporary directory.
struct Target {
    addon: RunningAddon,
    dir: tempfile::TempDir,
    secrets: Vec<String>,
}

impl Target {
    async fn start(faults: &[Fault]) -> Self {
        let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
            .faults(faults.iter().copied())
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = addon.manifest_json();
        std::fs::write(dir.path().join("addon-manifest.json"), &manifest).unwrap();
        Self {
            secrets: secrets_in(&manifest),
            addon,
            dir,
        }
    }

    fn dir(&self) -> &Path {
        self.dir.path()
    }

    #[track_caller]
    fn assert_no_secret_in(&self, text: &str) {
        for secret in &self.secrets {
            assert!(!text.contains(secret.as_str()), "a secret was printed");
        }
    }

    async fn stop(self) {
        assert_eq!(
            self.addon.live_resources(),
            Vec::<String>::new(),
            "the run left resources"
        );
        self.addon.shutdown().await;
    }
}

fn secrets_in(manifest: &str) -> Vec<String> {
    let manifest: Value = serde_json::from_str(manifest).unwrap();
    ["password", "sso_salt"]
        .iter()
        .map(|field| manifest["api"][field].as_str().unwrap().to_string())
        .collect()
}

fn manifest_arg(target: &Target) -> PathBuf {
    target.dir().join("addon-manifest.json")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correct_addon_passes_every_check() {
    let target = Target::start(&[]).await;
    let run = addon_conform_async(target.dir(), &["test", "--format", "json", "--seed", "7"]).await;
    target.assert_no_secret_in(&run.all_output());
    run.expect_code(0);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["summary"]["failed"], 0, "{}", run.stdout);
    assert_eq!(report["seed"], 7);
    let ids: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|check| check["id"].as_str().unwrap())
        .collect();
    let catalog: Vec<&str> = for_dialect(&heroku_adapter::Heroku)
        .map(|check| check.id)
        .collect();
    assert_eq!(
        ids, catalog,
        "every applicable check once, in catalog order"
    );
    let report: Report = serde_json::from_str(&run.stdout).unwrap();
    let provision = report.check("provision.status").unwrap();
    assert!(!provision.exchanges.is_empty());
    assert!(
        report
            .checks
            .iter()
            .flat_map(|check| &check.exchanges)
            .all(|exchange| exchange.curl.starts_with("curl "))
    );
    // Exchanges carry headers and bodies that change from run to run; the evidence is checked
    // above and in the failing runs below.
    redact().bind(|| {
        insta::assert_json_snapshot!("correct_addon_json", report, {
            ".seed" => "[seed]",
            ".duration_ms" => "[duration]",
            ".requests" => "[requests]",
            ".request_depth" => "[depth]",
            ".checks[].duration_ms" => "[duration]",
            ".checks[].start_us" => "[start]",
            ".checks[].duration_us" => "[duration]",
            ".checks[].exchanges" => "[exchanges]",
        });
    });
    target.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_human_report_of_a_correct_addon() {
    let target = Target::start(&[]).await;
    let manifest = manifest_arg(&target);
    let run = addon_conform_async(
        target.dir(),
        &[
            "test",
            "--manifest",
            manifest.to_str().unwrap(),
            "--seed",
            "7",
        ],
    )
    .await;
    target.assert_no_secret_in(&run.all_output());
    run.expect_code(0);
    assert!(
        !run.stdout.contains('\x1b'),
        "no colour when not on a terminal"
    );
    let last = run.stdout.lines().last().unwrap();
    assert!(last.contains(" 0 failed, "), "{last}");
    assert!(last.contains("(seed 7, "), "{last}");
    redact().bind(|| insta::assert_snapshot!("correct_addon_human", run.stdout));
    target.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fault_fails_its_check_with_evidence() {
    let target = Target::start(&[Fault::AcceptsWrongPassword]).await;
    let run = addon_conform_async(
        target.dir(),
        &["test", "--only", "provision.*", "--color", "never"],
    )
    .await;
    target.assert_no_secret_in(&run.all_output());
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let failed = lines
        .iter()
        .position(|line| *line == "  FAIL  provision.auth")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    let evidence = &lines[failed + 1..];
    assert!(
        evidence
            .iter()
            .take_while(|line| line.starts_with("        "))
            .any(|line| line.trim_start().starts_with("$ curl ")),
        "{}",
        run.stdout
    );
    target.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn junit_to_a_file_with_the_summary_on_stderr() {
    let target = Target::start(&[]).await;
    let run = addon_conform_async(
        target.dir(),
        &[
            "test",
            "--only",
            "provision.*",
            "--format",
            "junit",
            "--output",
            "report.xml",
            "--seed",
            "11",
        ],
    )
    .await;
    run.expect_code(0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(" 0 failed, ") && run.stderr.contains("(report: report.xml)"),
        "{}",
        run.stderr
    );
    let xml = std::fs::read_to_string(target.dir().join("report.xml")).unwrap();
    target.assert_no_secret_in(&xml);
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains(
            r#"<testcase name="provision.auth" classname="addon-conform.heroku.provision""#
        ),
        "{xml}"
    );
    assert!(!xml.contains("<failure"), "{xml}");
    target.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_provider_exits_3() {
    let target = Target::start(&[]).await;
    // A port that was free a moment ago and that nothing listens on now.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let base_url = format!("http://{closed}/heroku/resources");
    let run = addon_conform_async(
        target.dir(),
        &["test", "--base-url", &base_url, "--format", "json"],
    )
    .await;
    run.expect_code(3);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["unreachable"], true);
    target.stop().await;
}

#[test]
fn serve_reference_serves_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("reference.json");
    let mut server = std::process::Command::new(BIN)
        .args(["serve-reference", "--manifest-out"])
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(server.stdout.take().unwrap());
    let mut banner = String::new();
    while !banner.contains("press Ctrl-C to stop") {
        let read = stdout.read_line(&mut banner).unwrap();
        assert_ne!(read, 0, "serve-reference ended early: {banner}");
    }
    assert!(
        banner.starts_with("reference heroku add-on (no faults) listening on http://127.0.0.1:"),
        "{banner}"
    );
    let secrets = secrets_in(&std::fs::read_to_string(&manifest).unwrap());
    for secret in &secrets {
        assert!(!banner.contains(secret.as_str()));
    }

    let run = addon_conform(
        dir.path(),
        &[
            "test",
            "--manifest",
            manifest.to_str().unwrap(),
            "--only",
            "provision.*",
        ],
    );
    run.expect_code(0);

    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = server.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert_eq!(rest, "stopped; no resources were left provisioned\n");
}

#[test]
fn serve_reference_lists_its_faults() {
    let run = addon_conform(&std::env::temp_dir(), &["serve-reference", "--list-faults"]);
    run.expect_code(0);
    assert_eq!(run.stdout.lines().count(), Fault::ALL.len());
    for fault in Fault::ALL {
        assert!(run.stdout.contains(fault.description()), "{fault}");
    }
    let run = addon_conform(
        &std::env::temp_dir(),
        &["serve-reference", "--fault", "nonsense"],
    );
    run.expect_code(2);
    assert!(run.stderr.contains("known faults: "), "{}", run.stderr);
}
