//! Runs the real `addon-conform` binary and collects what it printed.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_addon-conform");
pub const HEROKU_BIN: &str = env!("CARGO_BIN_EXE_heroku-addon-conform");

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(output: Output) -> Self {
        Self {
            code: output.status.code().expect("the binary ended by a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Everything printed, for asserting that a secret appears nowhere.
    pub fn all_output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit code; {self:#?}");
        self
    }
}

fn command(dir: &Path, args: &[&str]) -> std::process::Command {
    command_of(BIN, dir, args)
}

fn command_of(bin: &str, dir: &Path, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(bin);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("RUST_BACKTRACE", "0")
        // The user's ledger lives under the data home: tests that name no --ledger must not
        // write into the real one.
        .env("XDG_DATA_HOME", data_home());
    command
}

/// The data home every test process shares, inside the build's scratch directory.
/// A fresh directory holding `addon`'s manifest as `addon-manifest.json`, where the binary
/// finds it without `--manifest`.
pub fn dir_with_manifest(addon: &reference_addon::RunningAddon) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("addon-manifest.json"),
        addon.manifest_json(),
    )
    .unwrap();
    dir
}

pub fn data_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("data-home")
}

/// Starts `addon-conform ARGS` in `dir` without waiting for it, its output discarded.
pub fn spawn_addon_conform(dir: &Path, args: &[&str]) -> std::process::Child {
    command(dir, args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("addon-conform starts")
}

/// Runs `addon-conform ARGS` in `dir` to completion.
pub fn addon_conform(dir: &Path, args: &[&str]) -> Run {
    Run::from_output(command(dir, args).output().expect("addon-conform starts"))
}

/// The same, without blocking the async runtime that serves the reference add-on.
pub async fn addon_conform_async(dir: &Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::from(command(dir, args))
        .output()
        .await
        .expect("addon-conform starts");
    Run::from_output(output)
}

/// Runs `heroku-addon-conform ARGS` in `dir` without blocking the async runtime.
pub async fn heroku_addon_conform_async(dir: &Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::from(command_of(HEROKU_BIN, dir, args))
        .output()
        .await
        .expect("heroku-addon-conform starts");
    Run::from_output(output)
}

/// Snapshot settings that replace what differs between runs (ports, uuids, ids, timestamps,
/// durations, the seed), so a report can be compared with its snapshot.
pub fn redact() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (pattern, replacement) in [
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (
            r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
            "[uuid]",
        ),
        (r"\b[0-9a-f]{16,}\b", "[id]"),
        (r"\b1[0-9]{9}\b", "[timestamp]"),
        (r"\b\d+ ms\b", "[n] ms"),
        (r"\b\d+ requests\b", "[n] requests"),
        (r"seed \d+", "seed [seed]"),
    ] {
        settings.add_filter(pattern, replacement);
    }
    settings
}

pub const SCALINGO_BIN: &str = env!("CARGO_BIN_EXE_scalingo-addon-conform");

/// Runs `scalingo-addon-conform ARGS` in `dir` without blocking the async runtime.
pub async fn scalingo_addon_conform_async(dir: &Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::from(command_of(SCALINGO_BIN, dir, args))
        .output()
        .await
        .expect("scalingo-addon-conform starts");
    Run::from_output(output)
}

pub const BITRISE_BIN: &str = env!("CARGO_BIN_EXE_bitrise-addon-conform");

/// Runs `bitrise-addon-conform ARGS` in `dir` without blocking the async runtime.
pub async fn bitrise_addon_conform_async(dir: &Path, args: &[&str]) -> Run {
    let output = tokio::process::Command::from(command_of(BITRISE_BIN, dir, args))
        .output()
        .await
        .expect("bitrise-addon-conform starts");
    Run::from_output(output)
}
