//! `replay`: a failing sequence that `test` saved in its JSON report runs again — STILL FAILING
//! against the provider that has the fault, FIXED against one that does not.

use std::fs;
use std::path::{Path, PathBuf};

use manifest_core::Report;
use manifest_core::report::Status;
use reference_addon::{Fault, ReferenceAddon, RunningAddon};
use serde_json::Value;

use crate::harness::{addon_conform_async, redact};

/// A Scalingo reference add-on with its manifest written into a directory of its own.
struct Served {
    addon: RunningAddon,
    dir: tempfile::TempDir,
    secrets: Vec<String>,
}

impl Served {
    async fn start(faults: &[Fault]) -> Self {
        let addon = ReferenceAddon::new(scalingo_adapter::PLATFORM)
            .faults(faults.iter().copied())
            .start()
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let manifest = addon.manifest_json();
        fs::write(dir.path().join("manifest.json"), &manifest).unwrap();
        let parsed: Value = serde_json::from_str(&manifest).unwrap();
        let secrets = ["password", "sso_salt"]
            .iter()
            .map(|field| parsed[field].as_str().unwrap().to_string())
            .collect();
        Self {
            addon,
            dir,
            secrets,
        }
    }

    fn manifest(&self) -> String {
        self.dir.path().join("manifest.json").display().to_string()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
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
            "left provisioned"
        );
        self.addon.shutdown().await;
    }
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_failure_still_fails_against_the_faulty_provider_and_is_fixed_by_the_correct_one() {
    let faulty = Served::start(&[Fault::ForgetsPlanAfterReplay]).await;
    let report_path = arg(&faulty.path("report.json"));
    let ledger = arg(&faulty.path("ledger.sqlite3"));
    let manifest = faulty.manifest();
    let run = addon_conform_async(
        faulty.dir(),
        &[
            "test",
            "--manifest",
            &manifest,
            "--only",
            "lifecycle.model",
            "--seed",
            "7",
            "--cases",
            "2",
            "--format",
            "json",
            "--output",
            &report_path,
            "--ledger",
            &ledger,
        ],
    )
    .await;
    run.expect_code(1);
    let report: Report = serde_json::from_str(&fs::read_to_string(&report_path).unwrap()).unwrap();
    let check = report.check("lifecycle.model").unwrap();
    assert_eq!(check.status, Status::Fail, "{}", check.message);
    let steps = check.reproduction.as_ref().unwrap()["steps"]
        .as_array()
        .unwrap()
        .len();
    assert!((1..=4).contains(&steps), "{}", check.message);

    let replay = [
        "replay",
        &report_path,
        "--manifest",
        &manifest,
        "--ledger",
        &ledger,
    ];
    let run = addon_conform_async(faulty.dir(), &replay).await;
    faulty.assert_no_secret_in(&run.all_output());
    run.expect_code(1);
    assert!(
        run.stdout.starts_with(&format!(
            "lifecycle.model (scalingo, seed 7, {steps} steps): STILL FAILING\n  1. "
        )),
        "{}",
        run.stdout
    );
    redact().bind(|| insta::assert_snapshot!("replay_still_failing", run.stdout));

    // The same file against a provider without the fault: the same steps agree.
    let correct = Served::start(&[]).await;
    let correct_manifest = correct.manifest();
    let run = addon_conform_async(
        correct.dir(),
        &[
            "replay",
            &report_path,
            "--manifest",
            &correct_manifest,
            "--ledger",
            &ledger,
        ],
    )
    .await;
    correct.assert_no_secret_in(&run.all_output());
    run.expect_code(0);
    assert!(
        run.stdout.starts_with(&format!(
            "lifecycle.model (scalingo, seed 7, {steps} steps): FIXED\n"
        )),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1 + steps, "{}", run.stdout);

    // A reproduction taken out of the report replays the same way.
    let bare = correct.path("reproduction.json");
    fs::write(
        &bare,
        serde_json::to_string(check.reproduction.as_ref().unwrap()).unwrap(),
    )
    .unwrap();
    let run = addon_conform_async(
        correct.dir(),
        &[
            "replay",
            &arg(&bare),
            "--manifest",
            &correct_manifest,
            "--ledger",
            &ledger,
        ],
    )
    .await;
    run.expect_code(0);
    assert!(
        run.stdout.starts_with("reproduction (scalingo, seed 7, "),
        "{}",
        run.stdout
    );

    faulty.stop().await;
    correct.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_refuses_files_without_a_sequence_and_other_platforms() {
    let served = Served::start(&[]).await;
    let manifest = served.manifest();
    let passing = served.path("passing.json");
    fs::write(
        &passing,
        r#"{"checks": [{"id": "lifecycle.model", "status": "pass"}]}"#,
    )
    .unwrap();
    let run = addon_conform_async(
        served.dir(),
        &["replay", &arg(&passing), "--manifest", &manifest],
    )
    .await;
    run.expect_code(2);
    assert!(
        run.stderr.contains("the report saved no failing sequence"),
        "{}",
        run.stderr
    );

    let heroku = served.path("heroku.json");
    fs::write(
        &heroku,
        r#"{"platform": "heroku", "seed": 1, "steps": [{"op": "deprovision", "slot": "A"}]}"#,
    )
    .unwrap();
    let run = addon_conform_async(
        served.dir(),
        &[
            "replay",
            &arg(&heroku),
            "--manifest",
            &manifest,
            "--platform",
            "scalingo",
        ],
    )
    .await;
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("holds sequences found on heroku, not scalingo"),
        "{}",
        run.stderr
    );
    assert_eq!(served.addon.requests_seen(), 0, "nothing was sent");
    served.stop().await;
}
