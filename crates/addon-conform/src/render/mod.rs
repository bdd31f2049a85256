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

/// `N passed, N failed, N warned, N skipped (seed S, T ms)`; known failures are counted after
/// `failed`.
pub fn summary_line(report: &Report) -> String {
    let summary = &report.summary;
    let known = if summary.known > 0 {
        format!(" ({} known from the baseline)", summary.known)
    } else {
        String::new()
    };
    format!(
        "{} passed, {} failed{known}, {} warned, {} skipped (seed {}, {} ms)",
        summary.passed,
        summary.failed,
        summary.warned,
        summary.skipped,
        report.seed,
        report.duration_ms
    )
}

/// Why a report's verdict is not just its checks: the provider was unreachable, or the run was
/// cut short.
pub fn run_notes(report: &Report) -> Vec<String> {
    let mut notes = Vec::new();
    if report.unreachable {
        notes.push(format!(
            "the provider could not be reached at {}",
            report.target
        ));
    }
    if report.interrupted {
        notes.push(
            "the run was interrupted; what it had provisioned was deprovisioned before it stopped"
                .to_string(),
        );
    }
    for leftover in &report.leftovers {
        notes.push(format!(
            "resource {} is still provisioned and must be removed by hand: {}",
            leftover.id, leftover.reason
        ));
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
pub(crate) mod sample {
    use std::collections::BTreeMap;

    use manifest_core::catalog::Level;
    use manifest_core::report::{RequestRecord, ResponseRecord};
    use manifest_core::{CheckResult, Environment, Exchange, Platform, Report, Status};

    fn check(id: &str, status: Status, level: Level, message: &str) -> CheckResult {
        CheckResult {
            id: id.into(),
            status,
            level,
            message: message.into(),
            duration_ms: 3,
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
        let mut report = Report::new(Platform::Heroku, Environment::Test, base.into(), 42);
        report.duration_ms = 812;
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
