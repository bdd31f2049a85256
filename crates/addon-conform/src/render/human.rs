//! The report for people: one line per check grouped by area, the reason under every check that
//! did not pass, the curl command behind every failure, and a one-line summary.

use std::fmt::Write;

use manifest_core::{CheckResult, Report, Status};

use super::{by_area, evidence, run_notes, server_lines, summary_line, terminal_safe_report};

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const DIM: &str = "2";
const BOLD: &str = "1";

/// Indentation of the lines under a check, so they line up after the `PASS  ` label.
const DETAIL: &str = "        ";

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn label(status: Status, color: bool) -> String {
    let (text, code) = match status {
        Status::Pass => ("PASS", GREEN),
        Status::Fail => ("FAIL", RED),
        Status::Warn => ("WARN", YELLOW),
        Status::Skip => ("SKIP", DIM),
    };
    paint(text, code, color)
}

/// The common reason when an area has several checks and all were skipped for it.
fn skipped_alike<'a>(checks: &[&'a CheckResult]) -> Option<&'a str> {
    let (first, rest) = checks.split_first()?;
    let alike = !rest.is_empty()
        && checks.iter().all(|check| check.status == Status::Skip)
        && rest.iter().all(|check| check.message == first.message);
    alike.then_some(first.message.as_str())
}

pub fn render(report: &Report, color: bool) -> String {
    let report = &terminal_safe_report(report);
    let mut out = String::new();
    let header = format!(
        "addon-conform {}: {}, {} environment, {}",
        report.tool.version, report.platform, report.environment, report.target
    );
    // Writing to a String cannot fail.
    let _ = writeln!(out, "{}", paint(&header, BOLD, color));
    for (area, checks) in by_area(&report.checks) {
        let _ = writeln!(out, "\n{}", paint(area, BOLD, color));
        if let Some(reason) = skipped_alike(&checks) {
            // An area left out by --only/--skip (or not applicable) reads as one line, not one
            // per check.
            let _ = writeln!(
                out,
                "  {}  all {} {area} checks",
                label(Status::Skip, color),
                checks.len()
            );
            for line in reason.lines() {
                let _ = writeln!(out, "{DETAIL}{line}");
            }
            continue;
        }
        for check in checks {
            let known = if check.baseline.is_some() {
                paint("  (known from the baseline)", DIM, color)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {}  {}{known}", label(check.status, color), check.id);
            if check.status == Status::Pass {
                continue;
            }
            for line in check.message.lines() {
                let _ = writeln!(out, "{DETAIL}{line}");
            }
            if check.status == Status::Fail {
                for line in evidence(check) {
                    let _ = writeln!(out, "{DETAIL}{}", paint(&line, DIM, color));
                }
            }
        }
    }
    out.push('\n');
    for note in run_notes(report) {
        let _ = writeln!(out, "{}", paint(&format!("note: {note}"), YELLOW, color));
    }
    for line in server_lines(report) {
        let _ = writeln!(out, "{}", paint(&line, DIM, color));
    }
    let verdict = if report.exit_code() == manifest_core::exit::PASSED {
        GREEN
    } else {
        RED
    };
    let _ = writeln!(out, "{}", paint(&summary_line(report), verdict, color));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn plain_report() {
        insta::assert_snapshot!(render(&sample::report(), false));
    }

    #[test]
    fn colour_only_wraps_labels_and_lines() {
        let report = sample::report();
        let coloured = render(&report, true);
        assert!(coloured.contains("\x1b[31mFAIL\x1b[0m"));
        let stripped = coloured
            .split('\x1b')
            .enumerate()
            .map(|(index, part)| {
                if index == 0 {
                    part
                } else {
                    part.split_once('m').map_or(part, |(_, rest)| rest)
                }
            })
            .collect::<String>();
        assert_eq!(stripped, render(&report, false));
    }

    #[test]
    fn notes_say_why_the_run_is_incomplete() {
        let mut report = sample::report();
        report.unreachable = true;
        report.interrupted = true;
        report.leftovers = vec![manifest_core::report::Leftover {
            id: "42".into(),
            reason: "the deprovision answered 500".into(),
        }];
        let text = render(&report, false);
        assert!(text.contains(
            "note: the provider could not be reached at http://127.0.0.1:4567/heroku/resources"
        ));
        assert!(text.contains(
            "note: the run was interrupted; 1 of what it provisioned may still exist on the \
             provider"
        ));
        assert!(!text.contains("was deprovisioned"), "{text}");
        assert!(
            text.contains("note: resource 42 is still provisioned: the deprovision answered 500")
        );
        assert!(
            text.contains("`addon-conform ledger cleanup` deprovisions"),
            "{text}"
        );
    }
}
