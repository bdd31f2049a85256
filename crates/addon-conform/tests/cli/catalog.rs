//! `checks` and `explain`.

use manifest_core::catalog::{CATALOG, for_dialect, lookup};
use reference_addon::Fault;

use crate::harness::addon_conform;

fn here() -> std::path::PathBuf {
    std::env::temp_dir()
}

#[test]
fn checks_lists_every_check_once() {
    let run = addon_conform(&here(), &["checks"]);
    run.expect_code(0);
    assert_eq!(run.stdout.lines().count(), CATALOG.len(), "{}", run.stdout);
    for check in CATALOG {
        assert_eq!(
            run.stdout
                .lines()
                .filter(|line| line.split_whitespace().next() == Some(check.id))
                .count(),
            1,
            "{}",
            check.id
        );
    }
}

#[test]
fn checks_filters_by_platform() {
    let run = addon_conform(&here(), &["checks", "--platform", "bitrise"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout.lines().count(),
        for_dialect(&bitrise_adapter::Bitrise).count()
    );
    assert!(
        !run.stdout.contains("sso.nav-cookie"),
        "a Heroku-only check"
    );
    assert!(run.stdout.contains("sso.html"));
    let beam = run
        .stdout
        .lines()
        .find(|line| line.starts_with("sso.html "))
        .unwrap();
    assert!(beam.ends_with("[proven by: login-without-beam]"), "{beam}");
}

#[test]
fn checks_as_json_carry_the_whole_entry() {
    let run = addon_conform(
        &here(),
        &["checks", "--format", "json", "--platform", "heroku"],
    );
    run.expect_code(0);
    let checks: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(checks.len(), for_dialect(&heroku_adapter::Heroku).count());
    let auth = checks
        .iter()
        .find(|check| check["id"] == "provision.auth")
        .unwrap();
    assert_eq!(auth["level"], "must");
    assert!(
        auth["platforms"]
            .as_array()
            .unwrap()
            .contains(&"heroku".into())
    );
    assert!(auth["explanation"].as_str().unwrap().len() > 20);
    assert!(auth["source"]["kind"].is_string());
}

#[test]
fn explain_prints_the_rule_its_source_and_its_faults() {
    let run = addon_conform(&here(), &["explain", "provision.auth"]);
    run.expect_code(0);
    let check = lookup("provision.auth").unwrap();
    assert!(run.stdout.starts_with("provision.auth\n"), "{}", run.stdout);
    assert!(run.stdout.contains("level:     must"));
    assert!(run.stdout.contains(&check.source.describe()));
    // The explanation is wrapped, so compare words.
    let words: Vec<&str> = run.stdout.split_whitespace().collect();
    let explanation: Vec<&str> = check.explanation.split_whitespace().collect();
    assert!(
        words
            .windows(explanation.len())
            .any(|window| window == explanation.as_slice()),
        "{}",
        run.stdout
    );
    assert!(run.stdout.lines().all(|line| line.chars().count() <= 100));
    let proving: Vec<Fault> = Fault::ALL
        .into_iter()
        .filter(|fault| fault.proves().contains(&"provision.auth"))
        .collect();
    assert!(!proving.is_empty());
    for fault in proving {
        assert!(run.stdout.contains(&fault.to_string()), "{fault}");
    }
}

#[test]
fn explain_an_unknown_check_suggests_the_nearest() {
    let run = addon_conform(&here(), &["explain", "nope"]);
    run.expect_code(2);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr
            .starts_with("error: unknown check `nope`; did you mean "),
        "{}",
        run.stderr
    );

    let run = addon_conform(&here(), &["explain", "provision.aut"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("did you mean `provision.auth`"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    addon_conform(&here(), &["test", "--format", "yaml"]).expect_code(2);
    addon_conform(&here(), &["checks", "--platform", "clever"]).expect_code(2);
    addon_conform(&here(), &["no-such-command"]).expect_code(2);
}

#[test]
fn unknown_platforms_name_the_supported_ones() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(dir.path(), &["init", "--platform", "clever"]);
    run.expect_code(2);
    for platform in ["heroku", "scalingo", "bitrise"] {
        assert!(run.stderr.contains(platform), "{}", run.stderr);
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}
