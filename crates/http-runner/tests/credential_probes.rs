//! Each credential probe is its own case: a provider that lets exactly one near miss through
//! fails every auth check with a message naming that probe and the call, and no other probe.

use http_runner::{RunOptions, run_suite};
use manifest_core::report::Status;
use manifest_core::{Platform, Report, Source};
use reference_addon::{Fault, ReferenceAddon};

const PROBES: [&str; 14] = [
    "a request without credentials",
    "a wrong user",
    "an empty user",
    "a wrong password",
    "an empty password",
    "the password with a character appended",
    "the password with an extra `:` field",
    "a Basic value without a colon (the password alone)",
    "the password with its case changed",
    "a truncated password",
    "a wrong token",
    "an empty token",
    "the token with its case changed",
    "a truncated token",
];

async fn run(platform: Platform, fault: Fault) -> Report {
    let dialect = dialects::find(platform).expect("a registered platform");
    let running = ReferenceAddon::new(platform)
        .faults([fault])
        .start()
        .await
        .expect("reference add-on starts");
    let name = if platform == bitrise_adapter::PLATFORM {
        "config.yaml"
    } else {
        "manifest.json"
    };
    let manifest = dialect
        .load_manifest(Source::new(name, running.manifest_json()))
        .expect("the reference manifest loads");
    let options = RunOptions {
        seed: 5,
        cases: 1,
        only: vec![
            "provision.auth".into(),
            "plan-change.auth".into(),
            "deprovision.auth".into(),
        ],
        ..RunOptions::default()
    };
    let report = run_suite(dialect, manifest, options, std::future::pending())
        .await
        .expect("the run starts");
    running.shutdown().await;
    report
}

async fn only_this_probe_gets_through(platform: Platform, fault: Fault, probe: &str) {
    let report = run(platform, fault).await;
    for (id, on) in [
        ("provision.auth", "provision"),
        ("plan-change.auth", "plan change"),
        ("deprovision.auth", "deprovision"),
    ] {
        let check = report
            .checks
            .iter()
            .find(|check| check.id == id)
            .unwrap_or_else(|| panic!("{id} is in the report"));
        assert_eq!(check.status, Status::Fail, "{platform} {fault}: {id}");
        // Without a live resource an accepted probe meets a 404 for the id, which is no refusal.
        assert!(
            check
                .message
                .contains(&format!("{probe} was accepted on {on}"))
                || check
                    .message
                    .contains(&format!("{probe} was not refused on {on}"))
                || check.message.contains(&format!("{probe} on {on}")),
            "{platform} {fault}: {id}: {}",
            check.message
        );
        for other in PROBES.iter().filter(|other| **other != probe) {
            assert!(
                !check.message.contains(&format!("{other} was"))
                    && !check.message.contains(&format!("{other} on ")),
                "{platform} {fault}: {id} also let {other} through: {}",
                check.message
            );
        }
        let probes_sent = check
            .exchanges
            .iter()
            .filter(|exchange| exchange.curl.starts_with("curl"))
            .count();
        assert!(probes_sent >= 6, "{id}: one exchange per probe");
    }
}

#[tokio::test]
async fn basic_probes_each_catch_their_own_fault() {
    for platform in [heroku_adapter::PLATFORM, scalingo_adapter::PLATFORM] {
        for (fault, probe) in [
            (Fault::AcceptsEmptyUser, "an empty user"),
            (Fault::AcceptsEmptyPassword, "an empty password"),
            (
                Fault::IgnoresFieldsAfterPassword,
                "the password with an extra `:` field",
            ),
            (
                Fault::AcceptsBasicWithoutColon,
                "a Basic value without a colon (the password alone)",
            ),
            (
                Fault::AcceptsCaseInsensitivePassword,
                "the password with its case changed",
            ),
            (Fault::AcceptsTruncatedPassword, "a truncated password"),
        ] {
            only_this_probe_gets_through(platform, fault, probe).await;
        }
    }
}

#[tokio::test]
async fn token_probes_each_catch_their_own_fault() {
    for (fault, probe) in [
        (Fault::AcceptsEmptyPassword, "an empty token"),
        (
            Fault::AcceptsCaseInsensitivePassword,
            "the token with its case changed",
        ),
        (Fault::AcceptsTruncatedPassword, "a truncated token"),
    ] {
        only_this_probe_gets_through(bitrise_adapter::PLATFORM, fault, probe).await;
    }
}
