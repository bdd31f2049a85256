//! `replay FILE`: runs the failing sequences a JSON report saved (`lifecycle.model`'s
//! `reproduction`) again against the provider, and says of each whether it is FIXED or STILL
//! FAILING.

use std::io;

use http_runner::{ReplayOptions, ReplayVerdict, Replayed, Reproduction};
use manifest_core::{Platform, exit};
use serde_json::Value;

use crate::args::{ManifestArgs, ReplayArgs};
use crate::commands::ledger::open_run_ledger;
use crate::commands::test::ctrl_c;
use crate::error::CliError;
use crate::load::ManifestFile;

/// The saved sequences of a file, each with the name it is shown under: a report's checks that
/// carry a `reproduction`, or a bare reproduction.
fn saved_sequences(text: &str) -> Result<Vec<(String, Reproduction)>, String> {
    let document: Value =
        serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
    let read = |value: &Value| {
        serde_json::from_value::<Reproduction>(value.clone())
            .map_err(|error| format!("a reproduction cannot be read: {error}"))
    };
    if document.get("steps").is_some() {
        return Ok(vec![("reproduction".to_string(), read(&document)?)]);
    }
    let Some(checks) = document.get("checks").and_then(Value::as_array) else {
        return Err("neither a JSON report (`test --format json`) nor a reproduction".into());
    };
    let mut saved = Vec::new();
    for check in checks {
        if let Some(reproduction) = check.get("reproduction") {
            let id = check.get("id").and_then(Value::as_str).unwrap_or("a check");
            saved.push((id.to_string(), read(reproduction)?));
        }
    }
    if saved.is_empty() {
        return Err(
            "the report saved no failing sequence (only a failing lifecycle.model saves one)"
                .into(),
        );
    }
    Ok(saved)
}

/// The one platform every saved sequence was found on.
fn platform_of(saved: &[(String, Reproduction)]) -> Result<Platform, String> {
    let platform = saved[0].1.platform;
    match saved.iter().find(|(_, r)| r.platform != platform) {
        Some((_, other)) => Err(format!(
            "the file holds sequences of {platform} and of {}; replay one platform at a time",
            other.platform
        )),
        None => Ok(platform),
    }
}

fn verdict_word(verdict: ReplayVerdict) -> &'static str {
    match verdict {
        ReplayVerdict::Fixed => "FIXED",
        ReplayVerdict::StillFailing => "STILL FAILING",
        ReplayVerdict::NoAnswer => "NOT FINISHED (a request got no answer)",
        ReplayVerdict::Interrupted => "INTERRUPTED",
    }
}

fn exit_code(replayed: &Replayed) -> i32 {
    match replayed.verdict {
        ReplayVerdict::Fixed => exit::PASSED,
        ReplayVerdict::NoAnswer if replayed.unreachable => exit::UNREACHABLE,
        ReplayVerdict::StillFailing | ReplayVerdict::NoAnswer | ReplayVerdict::Interrupted => {
            exit::FAILED
        }
    }
}

/// Replays every saved sequence; exits 0 when all are fixed, 1 when one still fails, 3 when the
/// provider could not be reached.
pub async fn replay(args: &ReplayArgs) -> Result<i32, CliError> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|error| CliError::file("cannot read", &args.file, error))?;
    let in_file = |reason: String| CliError::usage(format!("{}: {reason}", args.file.display()));
    let saved = saved_sequences(&text).map_err(in_file)?;
    let platform = platform_of(&saved).map_err(in_file)?;
    if let Some(given) = args.manifest.platform
        && given != platform
    {
        return Err(CliError::usage(format!(
            "{} holds sequences found on {platform}, not {given}",
            args.file.display()
        )));
    }
    let file = ManifestFile::open(&ManifestArgs {
        platform: Some(platform),
        manifest: args.manifest.manifest.clone(),
    })?;
    let manifest = file.load_to_send()?;
    let ledger = open_run_ledger(args.ledger.as_deref())?;
    let mut code = exit::PASSED;
    for (name, reproduction) in &saved {
        let options = ReplayOptions {
            environment: args.environment,
            base_url: args.base_url.clone(),
            timeout: args.timeout,
            ledger: Some(ledger.clone()),
            manifest_path: Some(file.path.clone()),
        };
        let replayed = http_runner::replay(
            file.dialect,
            manifest.clone(),
            reproduction,
            options,
            ctrl_c(),
        )
        .await?;
        println!(
            "{name} ({platform}, seed {}, {} steps): {}",
            reproduction.seed,
            reproduction.steps.len(),
            verdict_word(replayed.verdict)
        );
        for line in replayed.transcript.lines() {
            println!("  {line}");
        }
        for leftover in &replayed.leftovers {
            eprintln!(
                "note: resource {} is still provisioned and must be removed by hand: {}",
                leftover.id, leftover.reason
            );
        }
        code = code.max(exit_code(&replayed));
        if replayed.verdict == ReplayVerdict::Interrupted {
            break;
        }
    }
    io::Write::flush(&mut io::stdout())
        .map_err(|error| CliError::io("cannot write the verdicts", error))?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_reports_and_bare_reproductions() {
        let bare =
            r#"{"platform": "heroku", "seed": 7, "steps": [{"op": "deprovision", "slot": "A"}]}"#;
        let saved = saved_sequences(bare).unwrap();
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].1.seed, 7);

        let report = format!(
            r#"{{"schema": "addon-conform/report/v1", "checks": [
                {{"id": "provision.auth", "status": "pass"}},
                {{"id": "lifecycle.model", "status": "fail", "reproduction": {bare}}}
            ]}}"#
        );
        let saved = saved_sequences(&report).unwrap();
        assert_eq!(saved[0].0, "lifecycle.model");
        assert_eq!(platform_of(&saved), Ok(heroku_adapter::PLATFORM));

        let passing = r#"{"checks": [{"id": "lifecycle.model", "status": "pass"}]}"#;
        assert!(
            saved_sequences(passing)
                .unwrap_err()
                .contains("no failing sequence")
        );
        assert!(saved_sequences("[1]").unwrap_err().contains("neither"));
        assert!(saved_sequences("{").unwrap_err().starts_with("not JSON"));
        let bad_step = r#"{"platform": "heroku", "seed": 1, "steps": [{"op": "explode"}]}"#;
        assert!(
            saved_sequences(bad_step)
                .unwrap_err()
                .contains("cannot be read")
        );
    }

    #[test]
    fn one_platform_at_a_time() {
        let sequence = |platform| Reproduction {
            platform,
            seed: 1,
            steps: Vec::new(),
        };
        let saved = vec![
            ("a".to_string(), sequence(heroku_adapter::PLATFORM)),
            ("b".to_string(), sequence(scalingo_adapter::PLATFORM)),
        ];
        assert!(
            platform_of(&saved)
                .unwrap_err()
                .contains("one platform at a time")
        );
    }
}
