//! The check book: where scenarios record verdicts. Each check accumulates evidence and
//! messages; its status is the worst verdict recorded, with `should` checks warning instead of
//! failing. Checks nobody recorded anything for end as skipped with the reason given.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use manifest_core::Capability;
use manifest_core::catalog::{self, CheckDef, Level};
use manifest_core::dialect::LevelOverride;
use manifest_core::report::{CheckResult, Exchange, Status};

use crate::{ProgressEvent, ProgressHook};

#[derive(Debug)]
struct Entry {
    def: &'static CheckDef,
    /// The check's level on this platform: the catalog's unless the dialect says otherwise.
    level: Level,
    status: Option<Status>,
    messages: Vec<String>,
    exchanges: Vec<Exchange>,
    /// From the start of the first request or verdict recorded for the check to the end of
    /// the last.
    span: Option<(Instant, Instant)>,
    reproduction: Option<serde_json::Value>,
    /// The exchange the first failure was judged on: listed last, where a report's reader (and
    /// the human renderer) looks for the request that broke the rule.
    judged: Option<Exchange>,
}

impl Entry {
    fn new(def: &'static CheckDef, level: Level) -> Self {
        Self {
            def,
            level,
            status: None,
            messages: Vec::new(),
            exchanges: Vec::new(),
            span: None,
            reproduction: None,
            judged: None,
        }
    }

    /// Widens the check's span to cover `from..to`.
    fn covers(&mut self, from: Instant, to: Instant) {
        self.span = Some(match self.span {
            Some((start, end)) => (start.min(from), end.max(to)),
            None => (from, to),
        });
    }

    fn touched(&mut self, at: Instant) {
        self.covers(at, at);
    }
}

/// One thing recorded for a check, when it was recorded.
#[derive(Debug)]
struct Mark {
    id: String,
    at: Instant,
    what: What,
}

#[derive(Debug)]
enum What {
    Begin,
    Pass,
    Fail(String),
    Warn(String),
    Note(String),
    Skip(String),
    Evidence(Exchange),
    /// The exchange a failure was judged on.
    Judged(Exchange),
    Reproduction(serde_json::Value),
}

/// Verdicts for every check that applies to one platform.
#[derive(Debug)]
pub struct CheckBook {
    entries: BTreeMap<&'static str, Entry>,
    selection: Selection,
    /// When the run started: checks' start offsets count from here.
    started: Instant,
    observer: Option<ProgressHook>,
    /// In a fork, what was recorded, in order, for [`CheckBook::merge`] to apply.
    journal: Option<Vec<Mark>>,
}

/// Which checks the user asked for (`--only`, `--skip`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl Selection {
    pub fn selects(&self, id: &str) -> bool {
        (self.only.is_empty() || self.only.iter().any(|glob| glob_matches(glob, id)))
            && !self.skip.iter().any(|glob| glob_matches(glob, id))
    }

    /// Whether the user named this check explicitly, not just left it selected by default.
    pub fn asks_for(&self, id: &str) -> bool {
        self.only.iter().any(|glob| glob_matches(glob, id)) && self.selects(id)
    }
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    if parts.len() == 1 {
        return glob == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

impl CheckBook {
    /// The book of the checks that apply to a platform with `capabilities`, at the catalog's
    /// levels except those the platform's `levels` set.
    pub fn new(
        capabilities: &[Capability],
        levels: &[LevelOverride],
        selection: Selection,
    ) -> Self {
        let entries = catalog::applicable(capabilities)
            .map(|def| {
                let level = levels
                    .iter()
                    .find(|level| level.check == def.id)
                    .map_or(def.level, |level| level.level);
                (def.id, Entry::new(def, level))
            })
            .collect();
        Self {
            entries,
            selection,
            started: Instant::now(),
            observer: None,
            journal: None,
        }
    }

    /// A book for one unit of the suite that may run beside others: it records nothing itself
    /// but keeps what it is told, in order, so that [`CheckBook::merge`] applies the units'
    /// records in the suite's order whatever order they ran in. A check's messages and
    /// evidence then read the same at every concurrency.
    pub fn fork(&self) -> Self {
        Self {
            entries: self
                .entries
                .iter()
                .map(|(id, entry)| (*id, Entry::new(entry.def, entry.level)))
                .collect(),
            selection: self.selection.clone(),
            started: self.started,
            observer: None,
            journal: Some(Vec::new()),
        }
    }

    /// Applies what a fork recorded, as if it had been recorded here at the same moments.
    pub fn merge(&mut self, fork: CheckBook) {
        for mark in fork.journal.unwrap_or_default() {
            self.apply(mark);
        }
    }

    fn record(&mut self, id: &str, what: What) {
        let mark = Mark {
            id: id.to_string(),
            at: Instant::now(),
            what,
        };
        match &mut self.journal {
            Some(journal) => journal.push(mark),
            None => self.apply(mark),
        }
    }

    fn apply(&mut self, Mark { id, at, what }: Mark) {
        let Some(entry) = self.entry(&id) else {
            return;
        };
        let verdict = !matches!(
            what,
            What::Begin
                | What::Note(_)
                | What::Evidence(_)
                | What::Judged(_)
                | What::Reproduction(_)
        );
        match what {
            What::Begin => entry.touched(at),
            What::Pass => {
                entry.touched(at);
                entry.status.get_or_insert(Status::Pass);
            }
            What::Fail(message) => {
                entry.touched(at);
                let status = match entry.level {
                    Level::Must => Status::Fail,
                    Level::Should => Status::Warn,
                };
                entry.status = Some(worst(entry.status, status));
                entry.messages.push(message);
            }
            What::Warn(message) => {
                entry.touched(at);
                entry.status = Some(worst(entry.status, Status::Warn));
                entry.messages.push(message);
            }
            What::Note(message) => entry.messages.push(message),
            What::Skip(reason) => {
                if entry.status.is_none() {
                    entry.status = Some(Status::Skip);
                    entry.messages = vec![reason];
                }
            }
            What::Evidence(exchange) => {
                // Evidence is recorded once its answer is in: the request went out that long
                // ago.
                let sent = at
                    .checked_sub(Duration::from_millis(exchange.duration_ms))
                    .unwrap_or(at);
                entry.covers(sent, at);
                if !entry.exchanges.contains(&exchange) {
                    entry.exchanges.push(exchange);
                }
            }
            What::Judged(exchange) => {
                entry.judged.get_or_insert(exchange);
            }
            What::Reproduction(reproduction) => entry.reproduction = Some(reproduction),
        }
        if verdict {
            self.notify(&id);
        }
    }

    /// Marks the moment work for a check begins, for checks whose first request is not
    /// evidence of their verdict (a passing `lifecycle.model` keeps none).
    pub fn begin(&mut self, id: &str) {
        self.record(id, What::Begin);
    }

    /// From now on, tells `observer` of every verdict.
    pub fn observe(&mut self, observer: Option<ProgressHook>) {
        self.observer = observer;
    }

    fn notify(&self, id: &str) {
        let Some(observer) = &self.observer else {
            return;
        };
        let Some(status) = self.entries.get(id).and_then(|entry| entry.status) else {
            return;
        };
        let selected = || {
            self.entries
                .values()
                .filter(|entry| self.selection.selects(entry.def.id))
        };
        (observer.0)(&ProgressEvent {
            check: self.entries[id].def.id,
            status,
            decided: selected().filter(|entry| entry.status.is_some()).count(),
            total: selected().count(),
            failed: selected()
                .filter(|entry| entry.status == Some(Status::Fail))
                .count(),
        });
    }

    /// Whether a scenario feeding this check should run.
    pub fn wants(&self, id: &str) -> bool {
        self.entries.contains_key(id) && self.selection.selects(id)
    }

    pub fn wants_any(&self, ids: &[&str]) -> bool {
        ids.iter().any(|id| self.wants(id))
    }

    pub fn selection(&self) -> &Selection {
        &self.selection
    }

    fn entry(&mut self, id: &str) -> Option<&mut Entry> {
        if !self.selection.selects(id) {
            return None;
        }
        self.entries.get_mut(id)
    }

    /// Records a passed observation. A check with only passes passes.
    pub fn pass(&mut self, id: &str) {
        self.record(id, What::Pass);
    }

    /// Records a broken rule: fails a `must` check, warns a `should` check.
    pub fn fail(&mut self, id: &str, message: impl Into<String>) {
        self.record(id, What::Fail(message.into()));
    }

    /// [`CheckBook::fail`], judged on `exchange`: it becomes the check's evidence, listed last
    /// whatever else is recorded for the check afterwards.
    pub fn fail_on(&mut self, id: &str, message: impl Into<String>, exchange: &Exchange) {
        self.evidence(id, exchange);
        self.record(id, What::Judged(exchange.clone()));
        self.fail(id, message);
    }

    /// Records a problem that only warns, whatever the check's level.
    pub fn warn(&mut self, id: &str, message: impl Into<String>) {
        self.record(id, What::Warn(message.into()));
    }

    /// Adds a remark to a check's message without changing its verdict.
    pub fn note(&mut self, id: &str, message: impl Into<String>) {
        self.record(id, What::Note(message.into()));
    }

    /// Marks a check not applicable, unless something was already recorded for it.
    pub fn skip(&mut self, id: &str, reason: impl Into<String>) {
        self.record(id, What::Skip(reason.into()));
    }

    /// Records fail or pass depending on `problem`.
    pub fn verdict(&mut self, id: &str, problem: Option<String>) {
        match problem {
            Some(message) => self.fail(id, message),
            None => self.pass(id),
        }
    }

    pub fn evidence(&mut self, id: &str, exchange: &Exchange) {
        self.record(id, What::Evidence(exchange.clone()));
    }

    /// Attaches what reproduces a check's failure (see [`CheckResult::reproduction`]).
    pub fn reproduction(&mut self, id: &str, reproduction: serde_json::Value) {
        self.record(id, What::Reproduction(reproduction));
    }

    /// Every applicable check, in catalog order. `unrecorded` gives the reason for checks no
    /// scenario reached.
    pub fn into_results(self, unrecorded: impl Fn(&str) -> String) -> Vec<CheckResult> {
        let selection = self.selection;
        let started = self.started;
        self.entries
            .into_values()
            .map(|entry| {
                let (status, message) = match entry.status {
                    _ if !selection.selects(entry.def.id) => {
                        (Status::Skip, "not selected (--only/--skip)".to_string())
                    }
                    Some(status) => (status, entry.messages.join("; ")),
                    None => (Status::Skip, unrecorded(entry.def.id)),
                };
                let (start, duration) = entry
                    .span
                    .map_or((Duration::ZERO, Duration::ZERO), |(from, to)| {
                        (from.saturating_duration_since(started), to - from)
                    });
                let mut exchanges = entry.exchanges;
                if let Some(judged) = entry.judged {
                    exchanges.retain(|exchange| *exchange != judged);
                    exchanges.push(judged);
                }
                CheckResult {
                    id: entry.def.id.to_string(),
                    status,
                    level: entry.level,
                    message,
                    duration_ms: duration.as_millis() as u64,
                    start_us: start.as_micros() as u64,
                    duration_us: duration.as_micros() as u64,
                    exchanges,
                    reproduction: entry.reproduction,
                    baseline: None,
                }
            })
            .collect()
    }
}

fn worst(current: Option<Status>, new: Status) -> Status {
    let rank = |status: Status| match status {
        Status::Skip => 0,
        Status::Pass => 1,
        Status::Warn => 2,
        Status::Fail => 3,
    };
    match current {
        Some(current) if rank(current) >= rank(new) => current,
        _ => new,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A platform with asynchronous provisioning and a legacy login page.
    const ASYNC_LEGACY: &[Capability] = &[Capability::AsyncProvisioning, Capability::LegacySsoPage];

    #[test]
    fn globs() {
        assert!(glob_matches("sso.*", "sso.login"));
        assert!(glob_matches("*", "provision.auth"));
        assert!(glob_matches("provision.config.*", "provision.config.urls"));
        assert!(glob_matches("*.auth", "deprovision.auth"));
        assert!(glob_matches("p*c*", "provision.config.urls"));
        assert!(!glob_matches("sso.*", "provision.auth"));
        assert!(!glob_matches("provision.auth", "provision.authx"));
    }

    fn exchange(url: &str) -> Exchange {
        serde_json::from_value(serde_json::json!({
            "request": {"method": "POST", "url": url, "headers": {}, "body": ""},
            "curl": format!("curl -X POST '{url}'"),
            "duration_ms": 1
        }))
        .unwrap()
    }

    #[test]
    fn the_exchange_a_failure_was_judged_on_is_listed_last() {
        let mut book = CheckBook::new(ASYNC_LEGACY, &[], Selection::default());
        let refused = exchange("http://127.0.0.1:1/refused");
        let accepted = exchange("http://127.0.0.1:1/accepted");
        let later = exchange("http://127.0.0.1:1/later");
        book.evidence("provision.auth", &refused);
        book.fail_on("provision.auth", "accepted", &accepted);
        book.evidence("provision.auth", &later);
        let results = book.into_results(|_| "not reached".into());
        let auth = results.iter().find(|r| r.id == "provision.auth").unwrap();
        let urls: Vec<&str> = auth
            .exchanges
            .iter()
            .map(|e| e.request.url.as_str())
            .collect();
        assert_eq!(
            urls,
            [
                "http://127.0.0.1:1/refused",
                "http://127.0.0.1:1/later",
                "http://127.0.0.1:1/accepted"
            ]
        );
    }

    #[test]
    fn should_checks_warn_and_worst_verdict_wins() {
        let mut book = CheckBook::new(ASYNC_LEGACY, &[], Selection::default());
        book.fail("provision.unknown-plan", "accepted");
        book.pass("provision.auth");
        book.fail("provision.auth", "wrong password accepted");
        book.pass("provision.auth");
        book.skip("provision.async", "answered synchronously");
        let results = book.into_results(|_| "not reached".into());
        let status = |id: &str| results.iter().find(|r| r.id == id).unwrap().status;
        assert_eq!(status("provision.unknown-plan"), Status::Warn);
        assert_eq!(status("provision.auth"), Status::Fail);
        assert_eq!(status("provision.async"), Status::Skip);
        assert_eq!(status("provision.status"), Status::Skip);
        assert!(
            results.iter().all(|r| r.id != "sso.html"),
            "checks that need capabilities the platform lacks do not apply"
        );
    }

    #[test]
    fn a_platform_may_set_its_own_level_for_a_check() {
        let should = LevelOverride {
            check: "plan-change.status",
            level: Level::Should,
            note: "the platform documents no plan change",
        };
        let mut book = CheckBook::new(&[], &[should], Selection::default());
        book.fail("plan-change.status", "refused");
        book.fail("deprovision.status", "refused");
        let results = book.into_results(|_| String::new());
        let result = |id: &str| results.iter().find(|r| r.id == id).unwrap().clone();
        assert_eq!(result("plan-change.status").status, Status::Warn);
        assert_eq!(result("plan-change.status").level, Level::Should);
        assert_eq!(result("deprovision.status").status, Status::Fail);
    }

    #[test]
    fn a_check_spans_its_requests_and_verdicts() {
        let mut book = CheckBook::new(ASYNC_LEGACY, &[], Selection::default());
        let exchange = Exchange {
            request: manifest_core::report::RequestRecord {
                method: "POST".into(),
                url: "http://127.0.0.1:1/".into(),
                headers: BTreeMap::new(),
                body: String::new(),
            },
            response: None,
            error: Some("no answer".into()),
            duration_ms: 40,
            curl: "curl".into(),
        };
        book.begin("lifecycle.model");
        book.evidence("provision.auth", &exchange);
        book.pass("provision.auth");
        let results = book.into_results(|_| String::new());
        let check = |id: &str| results.iter().find(|r| r.id == id).unwrap().clone();
        let auth = check("provision.auth");
        assert!(
            auth.duration_us >= 40_000,
            "the check lasted at least as long as its request: {auth:?}"
        );
        assert_eq!(auth.duration_ms, auth.duration_us / 1000);
        assert_eq!(check("sso.login").duration_us, 0, "nothing recorded");
        assert_eq!(check("sso.login").start_us, 0);
    }

    #[test]
    fn unselected_checks_are_skipped_with_the_reason() {
        let selection = Selection {
            only: vec!["sso.*".into()],
            skip: vec!["sso.layout".into()],
        };
        let mut book = CheckBook::new(ASYNC_LEGACY, &[], selection);
        assert!(book.wants("sso.login"));
        assert!(!book.wants("sso.layout"));
        assert!(!book.wants("provision.auth"));
        book.fail("provision.auth", "ignored");
        let results = book.into_results(|_| String::new());
        let auth = results.iter().find(|r| r.id == "provision.auth").unwrap();
        assert_eq!(auth.status, Status::Skip);
        assert_eq!(auth.message, "not selected (--only/--skip)");
    }
}
