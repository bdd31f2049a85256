//! Reports as text: a human summary for terminals, the JSON report for scripts, JUnit XML for CI
//! dashboards, one self-contained HTML page for people reading a CI artifact.

pub mod html;
pub mod human;
pub mod json;
pub mod junit;

use manifest_core::catalog::area_of;
use manifest_core::{CheckResult, Report};

/// The checks of a report grouped by area (`manifest`, `provision`, ...), areas in the order
/// they first appear (the catalog's order once the report is finished).
pub fn by_area(checks: &[CheckResult]) -> Vec<(&str, Vec<&CheckResult>)> {
    let mut areas: Vec<(&str, Vec<&CheckResult>)> = Vec::new();
    for check in checks {
        let area = area_of(&check.id);
        match areas.iter_mut().find(|(name, _)| *name == area) {
            Some((_, members)) => members.push(check),
            None => areas.push((area, vec![check])),
        }
    }
    areas
}

/// The text with every character that could steer a terminal written as an escape instead:
/// control characters (ESC, OSC's BEL, NUL, CR, ...) but line feeds and tabs, and the Unicode
/// controls that reorder or hide text. A provider's answer cannot rewrite or hide lines.
pub fn terminal_safe(text: &str) -> String {
    let steers = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(steers) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if steers(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A copy of the report whose every provider-controlled string is [`terminal_safe`].
pub fn terminal_safe_report(report: &Report) -> Report {
    let mut report = report.clone();
    report.target = terminal_safe(&report.target);
    for check in &mut report.checks {
        check.message = terminal_safe(&check.message);
        for exchange in &mut check.exchanges {
            exchange.curl = terminal_safe(&exchange.curl);
            if let Some(error) = &mut exchange.error {
                *error = terminal_safe(error);
            }
        }
    }
    for leftover in &mut report.leftovers {
        leftover.id = terminal_safe(&leftover.id);
        leftover.reason = terminal_safe(&leftover.reason);
    }
    report
}

/// `N passed, N failed, N warned, N skipped (seed S, T ms, R requests)`; known failures are
/// counted after `failed`.
pub fn summary_line(report: &Report) -> String {
    let summary = &report.summary;
    let known = if summary.known > 0 {
        format!(" ({} known from the baseline)", summary.known)
    } else {
        String::new()
    };
    format!(
        "{} passed, {} failed{known}, {} warned, {} skipped (seed {}, {} ms, {} requests)",
        summary.passed,
        summary.failed,
        summary.warned,
        summary.skipped,
        report.seed,
        report.duration_ms,
        report.requests
    )
}

/// Why a report's verdict is not just its checks: the provider was unreachable, or the run was
/// cut short.
pub fn run_notes(report: &Report) -> Vec<String> {
    let mut notes = Vec::new();
    if report.unreachable {
        let first_error = report
            .checks
            .iter()
            .flat_map(|check| &check.exchanges)
            .find_map(|exchange| exchange.error.as_deref());
        notes.push(match first_error {
            Some(error) if is_tls_refusal(error) => format!(
                "the provider at {} could not be reached: its TLS certificate was refused \
                 ({error}); for a private CA, point SSL_CERT_FILE at its certificate",
                report.target
            ),
            Some(error) => format!(
                "the provider could not be reached at {} ({error})",
                report.target
            ),
            None => format!("the provider could not be reached at {}", report.target),
        });
    }
    let unfinished: Vec<&str> = report
        .checks
        .iter()
        .filter(|check| check.message.starts_with("not finished:"))
        .map(|check| check.id.as_str())
        .collect();
    if !unfinished.is_empty() {
        notes.push(format!(
            "the run reached its time limit (--max-duration); {} checks did not finish: {}",
            unfinished.len(),
            unfinished.join(", ")
        ));
    }
    if report.interrupted && report.leftovers.is_empty() {
        notes.push(
            "the run was interrupted; what it had provisioned was deprovisioned before it stopped"
                .to_string(),
        );
    } else if report.interrupted {
        notes.push(format!(
            "the run was interrupted; {} of what it provisioned may still exist on the provider",
            report.leftovers.len()
        ));
    }
    for leftover in &report.leftovers {
        notes.push(format!(
            "resource {} is still provisioned: {}",
            leftover.id, leftover.reason
        ));
    }
    for note in &mut notes {
        *note = terminal_safe(note);
    }
    if !report.leftovers.is_empty() {
        notes.push(
            "`addon-conform ledger cleanup` deprovisions what the ledger still lists (see \
             `addon-conform ledger list`)"
                .to_string(),
        );
    }
    notes
}

/// The provider's last lines of output, when the tool started it and the run did not pass.
pub fn server_lines(report: &Report) -> Vec<String> {
    let Some(server) = &report.server else {
        return Vec::new();
    };
    let mut lines = vec![if server.last_lines.is_empty() {
        format!("the server `{}` printed nothing", server.command)
    } else {
        format!("the server `{}` printed last:", server.command)
    }];
    lines.extend(server.last_lines.iter().map(|line| format!("  | {line}")));
    lines
}

/// Whether a transport error is the TLS handshake refusing the provider's certificate.
fn is_tls_refusal(error: &str) -> bool {
    let error = error.to_ascii_lowercase();
    ["certificate", "unknownissuer", "tls", "handshake"]
        .iter()
        .any(|word| error.contains(word))
}

/// The last request of a check and what came of it, as lines: the curl command that reproduces
/// it, then the status or the transport error.
pub fn evidence(check: &CheckResult) -> Vec<String> {
    let Some(exchange) = check.exchanges.last() else {
        return Vec::new();
    };
    let mut lines: Vec<String> = exchange
        .curl
        .lines()
        .enumerate()
        .map(|(index, line)| {
            if index == 0 {
                format!("$ {line}")
            } else {
                format!("  {line}")
            }
        })
        .collect();
    match (&exchange.response, &exchange.error) {
        (Some(response), _) => lines.push(format!("-> HTTP {}", response.status)),
        (None, Some(error)) => lines.push(format!("-> no response: {error}")),
        (None, None) => {}
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_certificate_is_named_with_its_reason() {
        let mut report = sample::report();
        report.unreachable = true;
        report.checks[5].exchanges[0].error =
            Some("could not connect: invalid peer certificate: UnknownIssuer".into());
        let notes = run_notes(&report).join("\n");
        assert!(
            notes.contains(
                "its TLS certificate was refused (could not connect: invalid peer \
                            certificate: UnknownIssuer)"
            ),
            "{notes}"
        );
        assert!(notes.contains("SSL_CERT_FILE"), "{notes}");
        report.checks[5].exchanges[0].error = Some("could not connect: Connection refused".into());
        let notes = run_notes(&report).join("\n");
        assert!(
            notes.contains("(could not connect: Connection refused)"),
            "{notes}"
        );
        assert!(!notes.contains("TLS"), "{notes}");
    }

    #[test]
    fn terminal_controls_are_escaped() {
        let hostile = "ok\x1b]0;pwned\x07\x1b[2K\rPASS\0\u{202e}txt\nnext\tline";
        let safe = terminal_safe(hostile);
        for control in ['\x1b', '\x07', '\r', '\0', '\u{202e}'] {
            assert!(!safe.contains(control), "{control:?} in {safe:?}");
        }
        assert!(safe.contains("\\u{1b}]0;pwned\\u{7}"), "{safe}");
        assert!(safe.contains("\nnext\tline"));
        assert_eq!(terminal_safe("plain text"), "plain text");
    }
}

#[cfg(test)]
pub(crate) mod sample {
    use std::collections::BTreeMap;

    use manifest_core::catalog::Level;
    use manifest_core::report::{RequestRecord, ResponseRecord};
    use manifest_core::{CheckResult, Environment, Exchange, Report, Status};

    fn check(id: &str, status: Status, level: Level, message: &str) -> CheckResult {
        CheckResult {
            id: id.into(),
            status,
            level,
            message: message.into(),
            duration_ms: 3,
            start_us: 1_500,
            duration_us: 3_250,
            exchanges: Vec::new(),
            reproduction: None,
            baseline: None,
        }
    }

    fn exchange(method: &str, url: &str, status: Option<u16>, curl: &str) -> Exchange {
        Exchange {
            request: RequestRecord {
                method: method.into(),
                url: url.into(),
                headers: BTreeMap::from([("authorization".to_string(), "[REDACTED]".to_string())]),
                body: "{\"plan\":\"test\"}".into(),
            },
            response: status.map(|status| ResponseRecord {
                status,
                headers: BTreeMap::new(),
                body: "{\"id\":\"42\"}".into(),
                truncated: false,
            }),
            error: match status {
                Some(_) => None,
                None => Some("timed out after 25 s".into()),
            },
            duration_ms: 2,
            curl: curl.into(),
        }
    }

    /// A report with every status, every area, a failure with evidence and a transport error.
    pub fn report() -> Report {
        let base = "http://127.0.0.1:4567/heroku/resources";
        let mut report = Report::new(heroku_adapter::PLATFORM, Environment::Test, base.into(), 42);
        report.duration_ms = 812;
        report.requests = 57;
        report.request_depth = 31;
        let mut auth = check(
            "provision.auth",
            Status::Fail,
            Level::Must,
            "wrong password was accepted: expected 401, got 200",
        );
        auth.exchanges = vec![exchange(
            "POST",
            base,
            Some(200),
            "curl -X POST 'http://127.0.0.1:4567/heroku/resources' -u 'myaddon:[REDACTED]' \
             -H 'Content-Type: application/json' --data '{\"plan\":\"test\"}'",
        )];
        let mut deadline = check(
            "deprovision.deadline",
            Status::Fail,
            Level::Must,
            "no answer within 25 s",
        );
        deadline.exchanges = vec![exchange(
            "DELETE",
            &format!("{base}/42"),
            None,
            "curl -X DELETE 'http://127.0.0.1:4567/heroku/resources/42' \\\n  -u 'myaddon:[REDACTED]'",
        )];
        report.checks = vec![
            check("manifest.parse", Status::Pass, Level::Must, ""),
            check(
                "manifest.urls.https",
                Status::Warn,
                Level::Should,
                "the test URL is not https",
            ),
            check(
                "provision.status",
                Status::Pass,
                Level::Must,
                "answered 201",
            ),
            auth,
            check(
                "plan-change.status",
                Status::Pass,
                Level::Must,
                "answered 200",
            ),
            deadline,
            check(
                "sso.nav-cookie",
                Status::Skip,
                Level::Should,
                "legacy SSO checks run only with --legacy-sso",
            ),
            check(
                "sso.layout",
                Status::Skip,
                Level::Should,
                "legacy SSO checks run only with --legacy-sso",
            ),
            check(
                "lifecycle.model",
                Status::Pass,
                Level::Must,
                "12 operations over 3 resources",
            ),
        ];
        report.finish();
        report
    }
}
