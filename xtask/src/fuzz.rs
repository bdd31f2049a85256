//! `cargo xtask fuzz`: each cargo-fuzz target of `fuzz/` for a while, one after another, seeded
//! with the committed corpus; per target, how many inputs it ran and what made it fail.
//!
//! Targets build without a sanitizer and with debug assertions: the code under test forbids
//! `unsafe`, so what there is to find are panics (overflow included), hangs and runaway memory,
//! and a sanitizer would halve the executions in the same time.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use addon_conform::fuzzing::TARGETS;

/// How long to fuzz each target when `--seconds` is not given.
pub const DEFAULT_SECONDS: u64 = 60;

/// How long one input may run before libFuzzer reports it as a hang, in seconds: inputs are a
/// few KiB, read in microseconds.
const HANG_SECONDS: u64 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzOptions {
    pub seconds: u64,
    /// The targets to run; empty: every one.
    pub targets: Vec<String>,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        Self {
            seconds: DEFAULT_SECONDS,
            targets: Vec::new(),
        }
    }
}

/// Parses `[--seconds N] [--target T]...`.
pub fn parse(args: &[String]) -> Result<FuzzOptions, String> {
    let mut options = FuzzOptions::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--seconds" => options.seconds = crate::number::<u64>(arg, value)?.max(1),
            "--target" => {
                if !TARGETS.iter().any(|target| target.name == value) {
                    return Err(format!(
                        "--target: no fuzz target `{value}` (there are {})",
                        target_names().join(", ")
                    ));
                }
                options.targets.push(value.clone());
            }
            other => return Err(format!("fuzz: unexpected argument `{other}`")),
        }
    }
    Ok(options)
}

fn target_names() -> Vec<&'static str> {
    TARGETS.iter().map(|target| target.name).collect()
}

/// What one target's run came to.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcome {
    /// Inputs run, as libFuzzer counted them; `None` when its output never said.
    executions: Option<u64>,
    /// The inputs libFuzzer wrote out because they crashed, hung or ran out of memory.
    failures: Vec<PathBuf>,
}

/// Reads libFuzzer's output: its final `stat::number_of_executed_units` (printed after a crash
/// too), else its `Done N runs` line, else the count of its last status line (`#N ...`); and
/// each `Test unit written to PATH`.
fn outcome(log: &str) -> Outcome {
    let mut outcome = Outcome::default();
    let mut final_count = None;
    let mut done = None;
    let mut status = None;
    for line in log.lines() {
        let number = |text: &str| text.split_whitespace().next()?.parse::<u64>().ok();
        if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
            final_count = number(rest).or(final_count);
        } else if let Some(rest) = line.strip_prefix("Done ") {
            done = number(rest).or(done);
        } else if let Some(rest) = line.strip_prefix('#') {
            status = number(rest).or(status);
        }
        if let Some((_, path)) = line.split_once("Test unit written to ") {
            outcome.failures.push(PathBuf::from(path.trim()));
        }
    }
    outcome.executions = final_count.or(done).or(status);
    outcome
}

/// Runs the chosen targets for `options.seconds` each. `Ok(false)` when one of them failed;
/// `Err` when they could not be run at all.
pub fn fuzz(options: &FuzzOptions) -> Result<bool, String> {
    require_cargo_fuzz()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let scratch = crate::cargo_target_dir()?.join("fuzz");
    let chosen: Vec<&str> = if options.targets.is_empty() {
        target_names()
    } else {
        options.targets.iter().map(String::as_str).collect()
    };
    let mut passed = true;
    let mut lines = Vec::new();
    for name in chosen {
        let found = scratch.join("corpus").join(name);
        std::fs::create_dir_all(&found)
            .map_err(|error| format!("cannot create {}: {error}", found.display()))?;
        let log_path = scratch.join(format!("{name}.log"));
        println!(
            "fuzzing {name} for {} s (libFuzzer's output: {})",
            options.seconds,
            log_path.display()
        );
        let log = File::create(&log_path)
            .map_err(|error| format!("cannot create {}: {error}", log_path.display()))?;
        let stdout = log
            .try_clone()
            .map_err(|error| format!("cannot write {}: {error}", log_path.display()))?;
        // New inputs go to the scratch corpus (the first directory), so the committed one only
        // changes when someone adds a file to it.
        let status = Command::new("cargo")
            .current_dir(&root)
            .args(["+nightly", "fuzz", "run", "--sanitizer", "none"])
            .args(["--debug-assertions", name])
            .arg(&found)
            .arg(root.join("fuzz/corpus").join(name))
            .arg("--")
            .arg(format!("-max_total_time={}", options.seconds))
            .arg(format!("-timeout={HANG_SECONDS}"))
            .arg("-print_final_stats=1")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log)
            .status()
            .map_err(|error| format!("cannot run cargo fuzz: {error}"))?;
        let text = std::fs::read_to_string(&log_path)
            .map_err(|error| format!("cannot read {}: {error}", log_path.display()))?;
        let outcome = outcome(&text);
        let Some(executions) = outcome
            .executions
            .filter(|_| status.success() || !outcome.failures.is_empty())
        else {
            return Err(format!(
                "cargo fuzz run {name} stopped ({status}) before fuzzing:\n{}",
                tail(&text, 30)
            ));
        };
        let line = format!(
            "{name}: {executions} executions, {} crashes",
            outcome.failures.len()
        );
        if !outcome.failures.is_empty() {
            passed = false;
            println!("{}", tail(&text, 30));
            for failure in &outcome.failures {
                println!(
                    "{name}: failing input {} (fix the bug, then add the input to \
                     fuzz/corpus/{name}/ so the tests replay it)",
                    failure.display()
                );
            }
        }
        println!("{line}");
        lines.push(line);
    }
    println!("== fuzzing, {} s per target", options.seconds);
    for line in &lines {
        println!("{line}");
    }
    Ok(passed)
}

/// Fails with what to install when `cargo +nightly fuzz` cannot run.
fn require_cargo_fuzz() -> Result<(), String> {
    let output = Command::new("cargo")
        .args(["+nightly", "fuzz", "--version"])
        .output()
        .map_err(|error| format!("cannot run cargo: {error}"))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("no such command") {
        Err("cargo-fuzz is not installed: install it with `cargo install cargo-fuzz`".into())
    } else if stderr.contains("nightly") {
        Err(format!(
            "the fuzz targets build on nightly: `rustup toolchain install nightly` ({})",
            stderr.trim()
        ))
    } else {
        Err(format!(
            "cargo +nightly fuzz does not run: {}",
            stderr.trim()
        ))
    }
}

/// The last `count` lines of `text`.
fn tail(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn parses_seconds_and_targets() {
        assert_eq!(parse(&[]), Ok(FuzzOptions::default()));
        assert_eq!(
            parse(&args(&["--seconds", "300", "--target", "manifest"])),
            Ok(FuzzOptions {
                seconds: 300,
                targets: vec!["manifest".into()],
            })
        );
        assert!(parse(&args(&["--target", "nowhere"])).is_err());
        assert!(parse(&args(&["--seconds"])).is_err());
    }

    #[test]
    fn reads_a_clean_run() {
        let log = "\
#2\tINITED cov: 10 ft: 11 corp: 5/100b exec/s: 0 rss: 30Mb
#1048576\tpulse  cov: 900 ft: 2000 corp: 300/20Kb exec/s: 30000 rss: 60Mb
Done 1810944 runs in 61 second(s)
stat::number_of_executed_units: 1810944
stat::average_exec_per_sec:     29687
";
        assert_eq!(
            outcome(log),
            Outcome {
                executions: Some(1_810_944),
                failures: Vec::new(),
            }
        );
    }

    #[test]
    fn reads_a_crash() {
        let log = "\
#4096\tpulse  cov: 900 ft: 2000 corp: 300/20Kb exec/s: 4000 rss: 60Mb
thread '<unnamed>' panicked at crates/manifest-core/src/spanned.rs:31:22:
==1234== ERROR: libFuzzer: deadly signal
MS: 1 ChangeByte-; base unit: 0000
artifact_prefix='/w/fuzz/artifacts/manifest/'; Test unit written to /w/fuzz/artifacts/manifest/crash-ab12
stat::number_of_executed_units: 5000
";
        assert_eq!(
            outcome(log),
            Outcome {
                executions: Some(5000),
                failures: vec![PathBuf::from("/w/fuzz/artifacts/manifest/crash-ab12")],
            }
        );
    }

    #[test]
    fn falls_back_to_the_last_status_line() {
        let log = "#1\tINITED\n#512\tpulse\n";
        assert_eq!(outcome(log).executions, Some(512));
    }
}
