//! `init` and `manifest check`, on manifests written by the tests themselves.

use std::fs;
use std::path::Path;

use crate::harness::addon_conform;

/// A complete, valid Heroku manifest with the current (POST) single sign-on.
const VALID: &str = r#"{
  "id": "testaddon",
  "name": "Test Add-on",
  "api": {
    "config_vars": ["TESTADDON_URL"],
    "password": "9f2c4e1b7a3d5f60b8e9c1d2a4f6e8b0",
    "sso_salt": "0b8e6f4a2d1c9e8b06f5d3a7b1e4c2f9",
    "regions": ["us"],
    "requires": [],
    "production": {
      "base_url": "https://testaddon.example/heroku/resources",
      "sso_url": "https://testaddon.example/sso/login"
    },
    "test": {
      "base_url": "http://localhost:4567/heroku/resources",
      "sso_url": "http://localhost:4567/sso/login"
    },
    "version": "3"
  }
}
"#;

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

fn secrets_of(path: &Path) -> (String, String) {
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    let field = |name: &str| manifest["api"][name].as_str().unwrap().to_string();
    (field("password"), field("sso_salt"))
}

fn is_32_hex(secret: &str) -> bool {
    secret.len() == 32
        && secret
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[test]
fn init_writes_fresh_secrets_without_printing_them() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(dir.path(), &["init", "--platform", "heroku"]);
    run.expect_code(0);
    let path = dir.path().join("addon-manifest.json");
    assert!(run.stdout.contains("addon-manifest.json"), "{}", run.stdout);
    let (password, salt) = secrets_of(&path);
    assert!(is_32_hex(&password), "{password}");
    assert!(is_32_hex(&salt), "{salt}");
    assert_ne!(password, salt);
    let printed = run.all_output();
    assert!(
        !printed.contains(&password) && !printed.contains(&salt),
        "{printed}"
    );

    // The skeleton passes its own rules.
    let check = addon_conform(dir.path(), &["manifest", "check"]);
    check.expect_code(0);
    assert!(
        check
            .stdout
            .ends_with("addon-manifest.json: heroku manifest, no problems found\n"),
        "{}",
        check.stdout
    );
    assert!(!check.all_output().contains(&password));
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("addon-manifest.json");
    addon_conform(dir.path(), &["init", "--platform", "heroku"]).expect_code(0);
    let first = fs::read_to_string(&path).unwrap();

    let refused = addon_conform(dir.path(), &["init", "--platform", "heroku"]);
    refused.expect_code(2);
    assert!(
        refused.stderr.contains("already exists"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    assert_eq!(fs::read_to_string(&path).unwrap(), first);

    addon_conform(dir.path(), &["init", "--platform", "heroku", "--force"]).expect_code(0);
    let (password, salt) = secrets_of(&path);
    let (old_password, old_salt) = secrets_of_text(&first);
    assert_ne!(password, old_password);
    assert_ne!(salt, old_salt);
}

fn secrets_of_text(text: &str) -> (String, String) {
    let manifest: serde_json::Value = serde_json::from_str(text).unwrap();
    let field = |name: &str| manifest["api"][name].as_str().unwrap().to_string();
    (field("password"), field("sso_salt"))
}

#[test]
fn init_writes_the_legacy_form_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(
        dir.path(),
        &[
            "init",
            "--platform",
            "heroku",
            "--sso",
            "get",
            "--output",
            "legacy.json",
        ],
    );
    run.expect_code(0);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("legacy.json")).unwrap()).unwrap();
    assert!(manifest["api"]["test"].is_string(), "{manifest}");
    addon_conform(
        dir.path(),
        &["manifest", "check", "--manifest", "legacy.json"],
    )
    .expect_code(0);
}

#[test]
fn a_valid_manifest_passes_and_its_platform_is_inferred() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "mine.json", VALID);
    let run = addon_conform(
        dir.path(),
        &["manifest", "check", "--manifest", "mine.json"],
    );
    run.expect_code(0);
    assert_eq!(
        run.stdout,
        "mine.json: heroku manifest, no problems found\n"
    );
    assert!(
        !run.all_output()
            .contains("9f2c4e1b7a3d5f60b8e9c1d2a4f6e8b0")
    );
}

#[test]
fn a_broken_rule_exits_1_with_file_line_column() {
    let dir = tempfile::tempdir().unwrap();
    let blank_password = VALID.replace("9f2c4e1b7a3d5f60b8e9c1d2a4f6e8b0", "");
    write(dir.path(), "addon-manifest.json", &blank_password);
    let run = addon_conform(dir.path(), &["manifest", "check", "--platform", "heroku"]);
    run.expect_code(1);
    assert!(
        run.stdout
            .contains("addon-manifest.json:6:17: error[manifest.credentials]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .ends_with("\naddon-manifest.json: heroku manifest, 1 error, 0 warnings\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_manifest_that_is_not_json_exits_2_with_the_position() {
    let dir = tempfile::tempdir().unwrap();
    let trailing_comma = VALID.replace("\"version\": \"3\"", "\"version\": \"3\",");
    write(dir.path(), "addon-manifest.json", &trailing_comma);
    for args in [
        &["manifest", "check"][..],
        &["manifest", "check", "--platform", "heroku"][..],
    ] {
        let run = addon_conform(dir.path(), args);
        run.expect_code(2);
        assert!(
            run.stdout
                .contains("addon-manifest.json:18:19: error[manifest.parse]"),
            "{args:?}: {}",
            run.stdout
        );
        assert!(
            run.stdout
                .ends_with("addon-manifest.json: cannot be read, 1 error\n"),
            "{}",
            run.stdout
        );
    }

    // `test` stops before contacting anyone, with the same pointer on standard error.
    let run = addon_conform(dir.path(), &["test"]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("addon-manifest.json:18:19: error[manifest.parse]"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .ends_with("error: addon-manifest.json cannot be read\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_diagnostics_carry_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let blank_password = VALID.replace("9f2c4e1b7a3d5f60b8e9c1d2a4f6e8b0", "");
    write(dir.path(), "m.json", &blank_password);
    let run = addon_conform(
        dir.path(),
        &[
            "manifest",
            "check",
            "--manifest",
            "m.json",
            "--format",
            "json",
        ],
    );
    run.expect_code(1);
    let output: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(output["file"], "m.json");
    assert_eq!(output["platform"], "heroku");
    assert_eq!(output["readable"], true);
    let credentials = output["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["check"] == "manifest.credentials")
        .unwrap();
    assert_eq!(credentials["severity"], "error");
    assert_eq!(credentials["line"], 6);
    assert_eq!(credentials["column"], 17);
    assert!(credentials["message"].is_string());
}

#[test]
fn a_missing_or_unrecognisable_manifest_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = addon_conform(dir.path(), &["manifest", "check"]);
    run.expect_code(2);
    // Every registered platform's default file, in registry order.
    let defaults: Vec<&str> = dialects::all()
        .iter()
        .map(|dialect| dialect.default_manifest_file())
        .collect();
    let looked_for = format!(
        "no manifest found here (looked for {})",
        defaults.join(", ")
    );
    assert!(
        defaults.starts_with(&["addon-manifest.json", "manifest.json", "config.yaml"]),
        "{defaults:?}"
    );
    assert!(run.stderr.contains(&looked_for), "{}", run.stderr);

    write(dir.path(), "other.json", r#"{"hello": "world"}"#);
    let run = addon_conform(
        dir.path(),
        &["manifest", "check", "--manifest", "other.json"],
    );
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("other.json does not look like a manifest of a supported platform"),
        "{}",
        run.stderr
    );

    let run = addon_conform(
        dir.path(),
        &["manifest", "check", "--manifest", "absent.json"],
    );
    run.expect_code(2);
    assert!(
        run.stderr.starts_with("error: cannot read absent.json"),
        "{}",
        run.stderr
    );
}

/// The platforms' own example manifests (copied under each adapter's
/// `fixtures/platform-examples/`, sources in the `fixtures/README.md` beside them) are correct
/// by definition.
#[test]
fn every_platform_example_manifest_passes_its_platform_check() {
    let mut checked = 0;
    for provider in dialects::providers() {
        let platform = provider.dialect.platform().as_str();
        let Ok(examples) = fs::read_dir(Path::new(provider.fixtures).join("platform-examples"))
        else {
            continue;
        };
        for example in examples {
            let path = example.unwrap().path();
            let dir = tempfile::tempdir().unwrap();
            addon_conform(
                dir.path(),
                &[
                    "manifest",
                    "check",
                    "--platform",
                    platform,
                    "--manifest",
                    path.to_str().unwrap(),
                ],
            )
            .expect_code(0);
            checked += 1;
        }
    }
    assert!(checked > 0, "no platform example manifests found");
}

/// A misspelt `--only` would otherwise pass by running nothing.
#[test]
fn a_selection_that_matches_no_check_is_refused_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "addon-manifest.json", VALID);
    let run = addon_conform(dir.path(), &["test", "--only", "provison.auth"]);
    run.expect_code(2);
    assert!(
        run.all_output().contains(
            "--only `provison.auth` matches no check of heroku; did you mean `provision.auth`?"
        ),
        "{}",
        run.all_output()
    );
    addon_conform(dir.path(), &["test", "--skip", "nothing-like-it"]).expect_code(2);
}
