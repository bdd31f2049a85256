//! The result of a run. The serde form of [`Report`] is the JSON report, schema
//! `addon-conform/report/v1`: fields may be added, never renamed or removed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Level};
use crate::exit;
use crate::model::{Environment, Platform};

pub const SCHEMA: &str = "addon-conform/report/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// A `should` rule was broken.
    Warn,
    /// Not applicable to this run; the message says why.
    Skip,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Skip => "skip",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Self {
            name: "addon-conform".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    /// How many of the failed checks also failed in the baseline (`test --baseline`): they are
    /// counted in `failed` too, but do not fail the run.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub known: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// How a failed check stands against the baseline the run was compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    /// It failed in the baseline too: reported as a failure, but it does not fail the run.
    Known,
}

/// The request half of an [`Exchange`], secrets already redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// The response half of an [`Exchange`], secrets already redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// One request and what came of it: the evidence behind a check's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RequestRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseRecord>,
    /// Why no response came (timeout, refused connection, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub duration_ms: u64,
    /// The same request as a curl command, secrets redacted.
    pub curl: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub status: Status,
    pub level: Level,
    pub message: String,
    /// From the start of the first request or verdict for the check to the end of the last.
    pub duration_ms: u64,
    /// When the check's first request went out or its first verdict was recorded, in
    /// microseconds since the run started.
    #[serde(default)]
    pub start_us: u64,
    /// `duration_ms` in microseconds.
    #[serde(default)]
    pub duration_us: u64,
    pub exchanges: Vec<Exchange>,
    /// What reproduces a failure found by generated sequences (`lifecycle.model`): the
    /// platform, the seed and the shortest sequence of steps that still failed, for
    /// `addon-conform replay` to run again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduction: Option<serde_json::Value>,
    /// Set on a failure that the baseline already had (`test --baseline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub tool: Tool,
    pub platform: Platform,
    pub environment: Environment,
    pub target: String,
    pub seed: u64,
    pub duration_ms: u64,
    /// How many requests the run sent to the provider, cleanup included.
    #[serde(default)]
    pub requests: u64,
    /// The longest chain of requests each sent after the one before it was answered: the
    /// round trips the run waited for one after another.
    #[serde(default)]
    pub request_depth: u64,
    pub summary: Summary,
    /// Set when the provider could not be reached at all (exit code 3).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unreachable: bool,
    /// Set when the run was interrupted (Ctrl-C) and cleaned up early.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    pub checks: Vec<CheckResult>,
    /// Resources the run provisioned and could not deprovision: the user must remove them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leftovers: Vec<Leftover>,
    /// The provider the tool started (`--server`), with its last lines of output, when a check
    /// failed or the provider could not be reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<ServerOutput>,
}

/// The command that started the provider under test and the last lines it printed, secrets
/// redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerOutput {
    pub command: String,
    pub last_lines: Vec<String>,
}

/// A resource left on the provider, and why cleaning it up failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Leftover {
    pub id: String,
    pub reason: String,
}

impl Report {
    pub fn new(platform: Platform, environment: Environment, target: String, seed: u64) -> Self {
        Self {
            schema: SCHEMA.into(),
            tool: Tool::default(),
            platform,
            environment,
            target,
            seed,
            duration_ms: 0,
            requests: 0,
            request_depth: 0,
            summary: Summary::default(),
            unreachable: false,
            interrupted: false,
            checks: Vec::new(),
            leftovers: Vec::new(),
            server: None,
        }
    }

    /// Recounts the summary and puts the checks in catalog order.
    pub fn finish(&mut self) {
        let position = |id: &str| {
            catalog::CATALOG
                .iter()
                .position(|check| check.id == id)
                .unwrap_or(usize::MAX)
        };
        self.checks.sort_by_key(|check| position(&check.id));
        let mut summary = Summary::default();
        for check in &self.checks {
            match check.status {
                Status::Pass => summary.passed += 1,
                Status::Fail => summary.failed += 1,
                Status::Warn => summary.warned += 1,
                Status::Skip => summary.skipped += 1,
            }
            if check.status == Status::Fail && check.baseline == Some(Baseline::Known) {
                summary.known += 1;
            }
        }
        self.summary = summary;
    }

    /// Marks every failure that `baseline` (an earlier report of the same provider) also had
    /// as known, by check id, and recounts. Returns the ids that failed in the baseline and no
    /// longer fail: the baseline can be renewed.
    pub fn compare_with(&mut self, baseline: &Report) -> Vec<String> {
        let failed_before = |id: &str| {
            baseline
                .check(id)
                .is_some_and(|check| check.status == Status::Fail)
        };
        for check in &mut self.checks {
            check.baseline = (check.status == Status::Fail && failed_before(&check.id))
                .then_some(Baseline::Known);
        }
        self.finish();
        baseline
            .checks
            .iter()
            .filter(|before| before.status == Status::Fail)
            .filter(|before| {
                self.check(&before.id)
                    .is_some_and(|now| now.status != Status::Fail && now.status != Status::Skip)
            })
            .map(|before| before.id.clone())
            .collect()
    }

    pub fn check(&self, id: &str) -> Option<&CheckResult> {
        self.checks.iter().find(|check| check.id == id)
    }

    /// The process exit code this report calls for.
    pub fn exit_code(&self) -> i32 {
        if self.unreachable {
            exit::UNREACHABLE
        } else if self.summary.failed > self.summary.known || self.interrupted {
            exit::FAILED
        } else {
            exit::PASSED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, status: Status) -> CheckResult {
        CheckResult {
            id: id.into(),
            status,
            level: Level::Must,
            message: String::new(),
            duration_ms: 0,
            start_us: 0,
            duration_us: 0,
            exchanges: Vec::new(),
            reproduction: None,
            baseline: None,
        }
    }

    #[test]
    fn a_baseline_makes_old_failures_known_and_keeps_new_ones_failing() {
        let mut before = Report::new(
            Platform::new("heroku"),
            Environment::Test,
            "http://x".into(),
            1,
        );
        before.checks = vec![
            result("provision.auth", Status::Fail),
            result("sso.login", Status::Fail),
            result("deprovision.status", Status::Pass),
        ];
        before.finish();

        let mut same = before.clone();
        assert_eq!(same.compare_with(&before), Vec::<String>::new());
        assert_eq!((same.summary.failed, same.summary.known), (2, 2));
        assert_eq!(same.exit_code(), exit::PASSED);
        assert_eq!(
            same.check("provision.auth").unwrap().baseline,
            Some(Baseline::Known)
        );

        let mut worse = before.clone();
        for check in &mut worse.checks {
            check.status = match check.id.as_str() {
                "deprovision.status" => Status::Fail,
                "sso.login" => Status::Pass,
                _ => check.status,
            };
        }
        assert_eq!(worse.compare_with(&before), ["sso.login"]);
        assert_eq!((worse.summary.failed, worse.summary.known), (2, 1));
        assert_eq!(worse.exit_code(), exit::FAILED);
        assert_eq!(worse.check("deprovision.status").unwrap().baseline, None);
    }

    #[test]
    fn finish_orders_by_catalog_and_counts() {
        let mut report = Report::new(
            Platform::new("heroku"),
            Environment::Test,
            "http://x".into(),
            1,
        );
        report.checks = vec![
            result("deprovision.status", Status::Pass),
            result("manifest.parse", Status::Pass),
            result("provision.auth", Status::Fail),
            result("sso.login", Status::Skip),
            result("provision.config.complete", Status::Warn),
        ];
        report.finish();
        let ids: Vec<_> = report.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "manifest.parse",
                "provision.config.complete",
                "provision.auth",
                "deprovision.status",
                "sso.login"
            ]
        );
        assert_eq!(
            report.summary,
            Summary {
                passed: 2,
                failed: 1,
                warned: 1,
                skipped: 1,
                known: 0
            }
        );
        assert_eq!(report.exit_code(), exit::FAILED);
    }

    #[test]
    fn serialises_to_schema_v1() {
        let report = Report::new(
            Platform::new("scalingo"),
            Environment::Production,
            "https://x".into(),
            42,
        );
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["schema"], "addon-conform/report/v1");
        assert_eq!(json["platform"], "scalingo");
        assert_eq!(json["environment"], "production");
        assert!(json.get("unreachable").is_none());
    }
}
