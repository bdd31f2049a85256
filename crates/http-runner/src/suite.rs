//! The scenarios. Each sends what the platform would send, through the dialect, and records
//! verdicts in the check book. Nothing here knows a platform: statuses, deadlines and request
//! shapes all come from the [`Dialect`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::report::{Exchange, Leftover};
use manifest_core::{Ctx, Dialect, Expectations, ProvisionInput, Resource};
use serde_json::Value;

use crate::book::CheckBook;
use crate::callback::CallbackServer;
use crate::client::{Transport, TransportError};
use crate::config::{self, ConfigRule};
use crate::evidence::Redactor;
use crate::inputs::InputGenerator;
use crate::ledger::{Recorded, RunRecord};

/// One resource through its whole life: provisioned, moved to another plan, deprovisioned.
const LIFECYCLE_RUN: &str = "lifecycle.run";

/// How many identical provisions race in `provision.idempotent.concurrent`.
pub const CONCURRENT_REPLAYS: usize = 8;

const PROVISION_CHECKS: &[&str] = &[
    "provision.status",
    "provision.deadline",
    "provision.body",
    "provision.id",
    "provision.config.declared",
    "provision.config.complete",
    "provision.config.strings",
    "provision.config.prefix",
    "provision.config.urls",
    "provision.envs",
    "provision.log-drain",
];

/// What a successful provision answer turned out to name.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tracked {
    /// A resource of this request's own, now tracked.
    Own(String),
    /// The id of a resource created by another request (recorded as a failure).
    Collision,
    /// No usable id, or no success.
    Unnamed,
}

/// One request and what came of it.
#[derive(Debug)]
pub struct Sent {
    pub exchange: Exchange,
    pub response: Result<HttpResponse, TransportError>,
}

pub struct Suite<'a> {
    pub dialect: &'a dyn Dialect,
    pub ctx: Ctx,
    pub transport: Transport,
    pub redactor: Redactor,
    pub book: CheckBook,
    pub inputs: InputGenerator,
    pub ledger: RunRecord,
    pub callbacks: CallbackServer,
    /// Sends SSO logins: like `transport`, but to whatever origin the SSO URL names.
    pub browser: Transport,
    pub sso_window: std::time::Duration,
    pub legacy_sso: bool,
    /// How long an asynchronous provision may take to report back.
    pub async_wait: std::time::Duration,
    pub plan: String,
    pub plan_change_to: String,
    pub cases: u32,
    /// A resource named on the command line instead of one the suite provisions.
    pub given_resource: Option<String>,
    /// Set when the provider could not be reached at all.
    pub unreachable: bool,
}

impl std::fmt::Debug for Suite<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Suite")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

/// A short description of a response for messages: the status and the start of the body.
pub fn describe_response(response: &HttpResponse) -> String {
    let text = response.text();
    let text = text.trim();
    if text.is_empty() {
        return format!("{} with an empty body", response.status);
    }
    let mut excerpt: String = text.chars().take(120).collect();
    if excerpt.len() < text.len() {
        excerpt.push('…');
    }
    format!("{}: {excerpt}", response.status)
}

pub fn statuses(list: &[u16]) -> String {
    match list {
        [] => "nothing".into(),
        [one] => one.to_string(),
        [init @ .., last] => format!(
            "{} or {last}",
            init.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A provision's success statuses plus the platform's asynchronous one: an asynchronous
/// provider answers every provision, replays included, that way.
fn with_async(statuses: &[u16], expectations: &Expectations) -> Vec<u16> {
    statuses
        .iter()
        .copied()
        .chain(expectations.provision_async)
        .collect()
}

fn has_message(response: &HttpResponse) -> bool {
    response
        .json()
        .ok()
        .and_then(|body| {
            body.get("message")
                .and_then(Value::as_str)
                .map(|m| !m.trim().is_empty())
        })
        .unwrap_or(false)
}

impl Suite<'_> {
    fn expectations(&self) -> &Expectations {
        self.dialect.expectations()
    }

    async fn send(&mut self, request: HttpRequest) -> Sent {
        let started = Instant::now();
        let response = self.transport.send(&request).await;
        let elapsed = started.elapsed();
        let exchange = match &response {
            Ok(response) => self.redactor.exchange(&request, Ok(response), elapsed),
            Err(error) => self
                .redactor
                .exchange(&request, Err(&error.to_string()), elapsed),
        };
        Sent { exchange, response }
    }

    fn evidence(&mut self, ids: &[&str], sent: &Sent) {
        for id in ids {
            self.book.evidence(id, &sent.exchange);
        }
    }

    /// Records a resource the provider created. A resource whose id already belongs to another
    /// request's resource fails `provision.distinct` and is not recorded twice.
    fn track(&mut self, resource: Resource) -> bool {
        let id = resource.id.clone();
        match self.ledger.record(resource) {
            Recorded::Fresh => true,
            Recorded::Collision { existing_uuid } => {
                self.book.fail(
                    "provision.distinct",
                    format!("a provision for another resource was answered with `{id}`, the id of the resource created for `{existing_uuid}`"),
                );
                false
            }
        }
    }

    fn untrack(&mut self, id: &str) {
        self.ledger.remove(id);
    }

    /// Tracks whatever resource a successful answer names, so cleanup can remove it.
    fn track_created(&mut self, input: &ProvisionInput, response: &HttpResponse) -> Tracked {
        let id = response
            .is_success()
            .then(|| self.dialect.read_provision(input, response).ok())
            .flatten()
            .and_then(|reply| reply.id)
            .and_then(Result::ok);
        let Some(id) = id else {
            return Tracked::Unnamed;
        };
        let resource = Resource {
            id: id.clone(),
            input: input.clone(),
            plan: input.plan.clone(),
            config: BTreeMap::new(),
        };
        if self.track(resource) {
            Tracked::Own(id)
        } else {
            Tracked::Collision
        }
    }

    /// Sends a provision with the platform's credentials, recorded as pending until its
    /// answer has been read.
    async fn send_provision(&mut self, input: &ProvisionInput) -> Sent {
        self.ledger.intend(input);
        let request = self.dialect.provision(&self.ctx, input);
        self.send(request).await
    }

    /// Records the deadline verdict of one exchange.
    fn deadline(&mut self, id: &str, sent: &Sent) {
        let must = self.transport.timeout();
        let should = self
            .expectations()
            .deadline_should
            .filter(|should| *should < must);
        match &sent.response {
            Ok(response) if response.elapsed > must => self.book.fail(
                id,
                format!(
                    "answered after {} ms; the limit is {} ms",
                    response.elapsed.as_millis(),
                    must.as_millis()
                ),
            ),
            Ok(response) if should.is_some_and(|should| response.elapsed > should) => {
                self.book.warn(
                    id,
                    format!(
                        "answered after {} ms; the platform expects an answer within {} ms",
                        response.elapsed.as_millis(),
                        should.unwrap_or_default().as_millis()
                    ),
                )
            }
            Ok(_) => self.book.pass(id),
            Err(error @ TransportError::Timeout(_)) => self.book.fail(id, error.to_string()),
            Err(_) => {}
        }
    }

    /// Records a status verdict: `Ok(response)` when the status is one of `expected`.
    fn expect_status<'s>(
        &mut self,
        id: &str,
        sent: &'s Sent,
        expected: &[u16],
        what: &str,
    ) -> Option<&'s HttpResponse> {
        match &sent.response {
            Ok(response) if expected.contains(&response.status) => {
                self.book.pass(id);
                Some(response)
            }
            Ok(response) if response.is_redirect() => {
                let location = response.header("location").unwrap_or("nowhere");
                self.book.fail(
                    id,
                    format!(
                        "{what}: redirected ({} to {}); the platform does not follow redirects on this API",
                        response.status,
                        self.redactor.redact(location)
                    ),
                );
                None
            }
            Ok(response) => {
                self.book.fail(
                    id,
                    format!(
                        "{what}: expected {}, got {}",
                        statuses(expected),
                        describe_response(response)
                    ),
                );
                None
            }
            Err(error) => {
                self.book.fail(id, format!("{what}: {error}"));
                None
            }
        }
    }

    /// Runs every scenario. Returns early, leaving checks unrecorded, when the provider cannot
    /// be reached.
    pub async fn run(&mut self) {
        if self.given_resource.is_some() {
            self.book.skip(
                LIFECYCLE_RUN,
                "a resource was given with --resource; the run provisions none to follow through",
            );
            self.book.skip(
                "lifecycle.model",
                "a resource was given with --resource; generated sequences provision their own",
            );
        }
        let resources = match self.given_resource.clone() {
            Some(id) => Some((self.named_resource(id), None)),
            None => self.provision_scenarios().await,
        };
        if self.unreachable {
            return;
        }
        let Some((resource, other)) = resources else {
            self.book
                .fail(LIFECYCLE_RUN, "no resource could be provisioned");
            return;
        };
        self.sso_scenarios(&resource, other.as_ref(), self.legacy_sso)
            .await;
        if let Some(other) = &other {
            self.deprovision_quietly(other).await;
        }
        self.plan_change_scenarios(&resource).await;
        if self.given_resource.is_some() && !self.book.selection().asks_for("deprovision.status") {
            for id in [
                "deprovision.status",
                "deprovision.deadline",
                "deprovision.auth",
                "deprovision.repeat",
                "deprovision.effective",
            ] {
                self.book.skip(
                    id,
                    "not run against a resource given with --resource unless selected with --only",
                );
            }
            return;
        }
        self.deprovision_scenarios(&resource).await;
        self.book.pass(LIFECYCLE_RUN);
        self.lifecycle_model().await;
    }

    fn named_resource(&mut self, id: String) -> Resource {
        let input = self.inputs.provision(&self.plan);
        for check in PROVISION_CHECKS.iter().chain(&[
            "provision.auth",
            "provision.idempotent",
            "provision.idempotent.concurrent",
            "provision.distinct",
            "provision.unknown-plan",
            "provision.async",
        ]) {
            self.book.skip(
                check,
                "a resource was given with --resource; nothing was provisioned",
            );
        }
        Resource {
            id,
            plan: self.plan.clone(),
            input,
            config: BTreeMap::new(),
        }
    }

    /// Provisions the main resource and checks everything about the answer.
    async fn provision_one(&mut self, input: &ProvisionInput, main: bool) -> Option<Resource> {
        let sent = self.send_provision(input).await;
        let resource = self.read_provisioned(input, &sent, main).await;
        self.ledger.settle(&input.uuid, sent.response.is_ok());
        resource
    }

    async fn read_provisioned(
        &mut self,
        input: &ProvisionInput,
        sent: &Sent,
        main: bool,
    ) -> Option<Resource> {
        if main {
            self.evidence(PROVISION_CHECKS, sent);
            self.book.evidence(LIFECYCLE_RUN, &sent.exchange);
            if matches!(sent.response, Err(TransportError::Connect(_))) {
                self.unreachable = true;
                return None;
            }
            self.deadline("provision.deadline", sent);
        }
        let ok = with_async(self.expectations().provision_ok, self.expectations());
        let response = self
            .expect_status("provision.status", sent, &ok, "provision")?
            .clone();
        if main && Some(response.status) == self.expectations().provision_async {
            if self
                .callbacks
                .wait_provisioned(&input.uuid, self.async_wait)
                .await
            {
                self.book.pass("provision.async");
            } else {
                self.book.fail(
                    "provision.async",
                    format!(
                        "the provider answered {} but did not report the resource provisioned through the callback URL within {} s",
                        response.status,
                        self.async_wait.as_secs()
                    ),
                );
            }
        } else if main {
            self.book
                .skip("provision.async", "the provider answered synchronously");
        }
        let reply = match self.dialect.read_provision(input, &response) {
            Ok(reply) => {
                self.book.pass("provision.body");
                reply
            }
            Err(reason) => {
                self.book.fail("provision.body", reason);
                // A resource may exist even when its answer is unreadable; nothing names it.
                return None;
            }
        };
        let id = match reply.id {
            None => {
                self.book.fail("provision.id", "the answer has no `id`");
                return None;
            }
            Some(Err(reason)) => {
                self.book.fail("provision.id", reason);
                return None;
            }
            Some(Ok(id)) => id,
        };
        match self.expectations().id_max_len {
            Some(max) if id.chars().count() > max => self.book.fail(
                "provision.id",
                format!(
                    "the id is {} characters long; the platform stores at most {max}",
                    id.chars().count()
                ),
            ),
            _ => self.book.pass("provision.id"),
        }
        let resource = Resource {
            id,
            input: input.clone(),
            plan: input.plan.clone(),
            config: reply
                .config
                .iter()
                .map(|(key, value)| {
                    (
                        key.clone(),
                        value
                            .as_str()
                            .map_or_else(|| value.to_string(), str::to_string),
                    )
                })
                .collect(),
        };
        if !self.track(resource.clone()) {
            return None;
        }
        if main {
            let problems = config::config_problems(
                &self.ctx.manifest,
                self.ctx.environment,
                &reply.config,
                true,
            );
            for rule in ConfigRule::ALL {
                let id = rule.provision_check();
                let messages: Vec<&String> = problems
                    .iter()
                    .filter(|(r, _)| *r == rule)
                    .map(|(_, m)| m)
                    .collect();
                if messages.is_empty() {
                    self.book.pass(id);
                } else {
                    for message in messages {
                        self.book.fail(id, message.clone());
                    }
                }
            }
            if self.ctx.manifest.log_drain {
                let problem = config::log_drain_problem(
                    reply.log_drain_url.as_ref(),
                    self.expectations().log_drain_schemes,
                );
                self.book.verdict("provision.log-drain", problem);
            } else {
                self.book.skip(
                    "provision.log-drain",
                    "the manifest does not ask for a log drain",
                );
            }
        }
        Some(resource)
    }

    /// Provisions the main resource and a second one, checking everything on the way.
    async fn provision_scenarios(&mut self) -> Option<(Resource, Option<Resource>)> {
        let mut main = None;
        for case in 0..self.cases.max(1) {
            let input = self.inputs.provision(&self.plan);
            let resource = self.provision_one(&input, case == 0).await;
            if self.unreachable {
                return None;
            }
            let Some(resource) = resource else { continue };
            if self.book.wants("provision.idempotent") {
                self.replay(&resource).await;
            }
            if case == 0 {
                main = Some(resource);
            } else {
                self.deprovision_quietly(&resource).await;
            }
        }
        let main = main?;
        if self.book.wants("provision.idempotent.concurrent") {
            self.concurrent_replay().await;
        }
        let other = if self
            .book
            .wants_any(&["provision.distinct", "sso.rejects-other-resource"])
        {
            self.distinct().await
        } else {
            None
        };
        if self.book.wants("provision.unknown-plan") {
            self.provision_unknown_plan().await;
        }
        if self.book.wants("provision.auth") {
            self.provision_auth().await;
        }
        Some((main, other))
    }

    async fn replay(&mut self, original: &Resource) {
        let request = self.dialect.provision(&self.ctx, &original.input);
        let sent = self.send(request).await;
        self.evidence(&["provision.idempotent"], &sent);
        let replay_ok = with_async(self.expectations().provision_replay_ok, self.expectations());
        let Some(response) = self.expect_status(
            "provision.idempotent",
            &sent,
            &replay_ok,
            "replayed provision",
        ) else {
            if let Ok(response) = &sent.response {
                self.track_created(&original.input, response);
            }
            return;
        };
        let response = response.clone();
        let reply = match self.dialect.read_provision(&original.input, &response) {
            Ok(reply) => reply,
            Err(reason) => {
                self.book.fail(
                    "provision.idempotent",
                    format!("replayed provision: {reason}"),
                );
                return;
            }
        };
        match reply.id {
            Some(Ok(id)) if id == original.id => {
                let config: BTreeMap<String, String> = reply
                    .config
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map_or_else(|| v.to_string(), str::to_string),
                        )
                    })
                    .collect();
                if config != original.config {
                    let changed: Vec<&String> = original
                        .config
                        .keys()
                        .chain(config.keys())
                        .filter(|key| original.config.get(*key) != config.get(*key))
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    self.book.fail(
                        "provision.idempotent",
                        format!(
                            "the replay returned different config for {}",
                            changed
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            Some(Ok(id)) => {
                self.book.fail(
                    "provision.idempotent",
                    format!("the replay created another resource: `{}` then `{id}` for the same request", original.id),
                );
                self.track_created(&original.input, &response);
            }
            _ => self.book.fail(
                "provision.idempotent",
                "the replay's answer names no resource",
            ),
        }
    }

    async fn concurrent_replay(&mut self) {
        let input = self.inputs.provision(&self.plan);
        self.ledger.intend(&input);
        let request = self.dialect.provision(&self.ctx, &input);
        let answers = self
            .transport
            .send_together(&request, CONCURRENT_REPLAYS)
            .await;
        let mut ids = BTreeSet::new();
        let mut failures = Vec::new();
        let mut answered = false;
        for (response, elapsed) in answers {
            let exchange = match &response {
                Ok(r) => self.redactor.exchange(&request, Ok(r), elapsed),
                Err(e) => self
                    .redactor
                    .exchange(&request, Err(&e.to_string()), elapsed),
            };
            self.book
                .evidence("provision.idempotent.concurrent", &exchange);
            answered |= response.is_ok();
            match response {
                Ok(response) if response.is_success() => {
                    match self.track_created(&input, &response) {
                        Tracked::Own(id) => {
                            ids.insert(id);
                        }
                        Tracked::Collision => {}
                        Tracked::Unnamed => failures.push(format!(
                            "an answer named no resource ({})",
                            describe_response(&response)
                        )),
                    }
                }
                Ok(response) => failures.push(format!(
                    "one copy was answered {}",
                    describe_response(&response)
                )),
                Err(error) => failures.push(format!("one copy got no answer: {error}")),
            }
        }
        if ids.len() > 1 {
            failures.push(format!(
                "{CONCURRENT_REPLAYS} identical provisions sent at once created {} resources: {}",
                ids.len(),
                ids.iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for failure in failures {
            self.book.fail("provision.idempotent.concurrent", failure);
        }
        self.book.pass("provision.idempotent.concurrent");
        self.ledger.settle(&input.uuid, answered);
        for id in ids {
            if let Some(resource) = self.ledger.find(&id) {
                self.deprovision_quietly(&resource).await;
            }
        }
    }

    /// Provisions a second resource; returns it, still live, when it is really another one.
    async fn distinct(&mut self) -> Option<Resource> {
        let input = self.inputs.provision(&self.plan);
        let sent = self.send_provision(&input).await;
        let other = self.read_distinct(&input, &sent);
        self.ledger.settle(&input.uuid, sent.response.is_ok());
        other
    }

    fn read_distinct(&mut self, input: &ProvisionInput, sent: &Sent) -> Option<Resource> {
        self.evidence(&["provision.distinct"], sent);
        let ok = with_async(self.expectations().provision_ok, self.expectations());
        let response = self
            .expect_status("provision.distinct", sent, &ok, "second provision")
            .cloned()?;
        match self.track_created(input, &response) {
            Tracked::Own(id) => {
                self.book.pass("provision.distinct");
                self.ledger.find(&id)
            }
            // `track` has recorded the failure.
            Tracked::Collision => None,
            Tracked::Unnamed => {
                self.book.fail(
                    "provision.distinct",
                    "the second provision's answer names no resource",
                );
                None
            }
        }
    }

    async fn provision_unknown_plan(&mut self) {
        let plan = self.inputs.unknown_plan();
        let input = self.inputs.provision(&plan);
        let sent = self.send_provision(&input).await;
        self.evidence(&["provision.unknown-plan"], &sent);
        self.refusal_with_message(
            "provision.unknown-plan",
            &sent,
            &format!("provision for plan `{plan}`"),
        );
        if let Ok(response) = &sent.response
            && let Tracked::Own(id) = self.track_created(&input, response)
            && let Some(resource) = self.ledger.find(&id)
        {
            self.deprovision_quietly(&resource).await;
        }
        self.ledger.settle(&input.uuid, sent.response.is_ok());
    }

    /// A refusal is a 4xx carrying a `message`.
    fn refusal_with_message(&mut self, id: &str, sent: &Sent, what: &str) {
        match &sent.response {
            Ok(response) if (400..500).contains(&response.status) && has_message(response) => {
                self.book.pass(id)
            }
            Ok(response) if (400..500).contains(&response.status) => self.book.fail(
                id,
                format!(
                    "{what} was refused with {} but without a `message` to show",
                    response.status
                ),
            ),
            Ok(response) => self.book.fail(
                id,
                format!(
                    "{what}: expected a 4xx refusal, got {}",
                    describe_response(response)
                ),
            ),
            Err(error) => self.book.fail(id, format!("{what}: {error}")),
        }
    }

    async fn provision_auth(&mut self) {
        let unauthorized = self.expectations().unauthorized;
        for forgery in self.ctx.credentials.forgeries() {
            let input = self.inputs.provision(&self.plan);
            let mut request = self.dialect.provision(&self.ctx, &input);
            request.credentials = forgery.credentials.clone();
            let sent = self.send(request).await;
            self.evidence(&["provision.auth"], &sent);
            match &sent.response {
                Ok(response) if unauthorized.contains(&response.status) => {
                    self.book.pass("provision.auth")
                }
                Ok(response) => {
                    self.book.fail(
                        "provision.auth",
                        format!(
                            "{}: expected {}, got {}",
                            forgery.label,
                            statuses(unauthorized),
                            describe_response(response)
                        ),
                    );
                    if let Tracked::Own(id) = self.track_created(&input, response)
                        && let Some(resource) = self.ledger.find(&id)
                    {
                        self.deprovision_quietly(&resource).await;
                    }
                }
                Err(error) => self
                    .book
                    .fail("provision.auth", format!("{}: {error}", forgery.label)),
            }
        }
    }

    async fn plan_change_scenarios(&mut self, resource: &Resource) {
        let target = self.plan_change_to.clone();
        if self.book.wants_any(&[
            "plan-change.status",
            "plan-change.deadline",
            "plan-change.config",
            LIFECYCLE_RUN,
        ]) {
            let request = self.dialect.change_plan(&self.ctx, resource, &target);
            let sent = self.send(request).await;
            self.evidence(
                &[
                    "plan-change.status",
                    "plan-change.deadline",
                    "plan-change.config",
                    LIFECYCLE_RUN,
                ],
                &sent,
            );
            self.deadline("plan-change.deadline", &sent);
            let ok = self.expectations().plan_change_ok;
            if !matches!(&sent.response, Ok(response) if ok.contains(&response.status)) {
                self.book.fail(
                    LIFECYCLE_RUN,
                    format!("the resource could not be changed to plan `{target}`"),
                );
            }
            if let Some(response) = self
                .expect_status(
                    "plan-change.status",
                    &sent,
                    ok,
                    &format!("change to plan `{target}`"),
                )
                .cloned()
            {
                let config = self.dialect.plan_change_config(&response);
                if config.is_empty() {
                    self.book
                        .skip("plan-change.config", "the plan change returned no config");
                } else {
                    let problems = config::config_problems(
                        &self.ctx.manifest,
                        self.ctx.environment,
                        &config,
                        false,
                    );
                    for (_, message) in &problems {
                        self.book.fail("plan-change.config", message.clone());
                    }
                    self.book.pass("plan-change.config");
                }
            } else {
                self.book
                    .skip("plan-change.config", "the plan change did not succeed");
            }
        }
        if self.book.wants("plan-change.auth") {
            let unauthorized = self.expectations().unauthorized;
            for forgery in self.ctx.credentials.forgeries() {
                let mut request = self
                    .dialect
                    .change_plan(&self.ctx, resource, &self.plan.clone());
                request.credentials = forgery.credentials.clone();
                let sent = self.send(request).await;
                self.evidence(&["plan-change.auth"], &sent);
                match &sent.response {
                    Ok(response) if unauthorized.contains(&response.status) => {
                        self.book.pass("plan-change.auth")
                    }
                    Ok(response) => self.book.fail(
                        "plan-change.auth",
                        format!(
                            "{}: expected {}, got {}",
                            forgery.label,
                            statuses(unauthorized),
                            describe_response(response)
                        ),
                    ),
                    Err(error) => self
                        .book
                        .fail("plan-change.auth", format!("{}: {error}", forgery.label)),
                }
            }
        }
        if self.book.wants("plan-change.unknown-plan") {
            let plan = self.inputs.unknown_plan();
            let request = self.dialect.change_plan(&self.ctx, resource, &plan);
            let sent = self.send(request).await;
            self.evidence(&["plan-change.unknown-plan"], &sent);
            self.refusal_with_message(
                "plan-change.unknown-plan",
                &sent,
                &format!("change to plan `{plan}`"),
            );
        }
        if self.book.wants("plan-change.unknown-resource") {
            let mut unknown = resource.clone();
            unknown.id = self.inputs.unknown_id();
            let request = self.dialect.change_plan(&self.ctx, &unknown, &target);
            let sent = self.send(request).await;
            self.evidence(&["plan-change.unknown-resource"], &sent);
            self.expect_client_error(
                "plan-change.unknown-resource",
                &sent,
                &format!("plan change for unknown id `{}`", unknown.id),
            );
        }
    }

    /// A 4xx of any kind: the request named something that does not exist.
    fn expect_client_error(&mut self, id: &str, sent: &Sent, what: &str) {
        match &sent.response {
            Ok(response) if (400..500).contains(&response.status) => self.book.pass(id),
            Ok(response) => self.book.fail(
                id,
                format!(
                    "{what}: expected a 4xx, got {}",
                    describe_response(response)
                ),
            ),
            Err(error) => self.book.fail(id, format!("{what}: {error}")),
        }
    }

    async fn deprovision_scenarios(&mut self, resource: &Resource) {
        if self.book.wants("deprovision.auth") {
            let unauthorized = self.expectations().unauthorized;
            let mut unknown = resource.clone();
            unknown.id = self.inputs.unknown_id();
            for forgery in self.ctx.credentials.forgeries() {
                for (target, what) in [(resource, "live resource"), (&unknown, "unknown id")] {
                    let mut request = self.dialect.deprovision(&self.ctx, target);
                    request.credentials = forgery.credentials.clone();
                    let sent = self.send(request).await;
                    self.evidence(&["deprovision.auth"], &sent);
                    match &sent.response {
                        Ok(response) if unauthorized.contains(&response.status) => self.book.pass("deprovision.auth"),
                        Ok(response) if target.id == unknown.id && (400..500).contains(&response.status) => self.book.fail(
                            "deprovision.auth",
                            format!(
                                "{} on an {what}: answered {} instead of {}: the credentials were accepted, or the resource was looked up before they were checked (which tells strangers which ids exist)",
                                forgery.label,
                                response.status,
                                statuses(unauthorized)
                            ),
                        ),
                        Ok(response) => self.book.fail(
                            "deprovision.auth",
                            format!("{} on a {what}: expected {}, got {}", forgery.label, statuses(unauthorized), describe_response(response)),
                        ),
                        Err(error) => self.book.fail("deprovision.auth", format!("{} on a {what}: {error}", forgery.label)),
                    }
                }
            }
        }
        let request = self.dialect.deprovision(&self.ctx, resource);
        let sent = self.send(request).await;
        self.evidence(
            &["deprovision.status", "deprovision.deadline", LIFECYCLE_RUN],
            &sent,
        );
        self.deadline("deprovision.deadline", &sent);
        let ok = self.expectations().deprovision_ok;
        let Some(response) = self
            .expect_status("deprovision.status", &sent, ok, "deprovision")
            .cloned()
        else {
            self.book
                .fail(LIFECYCLE_RUN, "the resource could not be deprovisioned");
            for id in ["deprovision.repeat", "deprovision.effective"] {
                self.book.skip(id, "the deprovision did not succeed");
            }
            return;
        };
        self.untrack(&resource.id);
        if self.expectations().deprovision_empty_body
            && !response.body.iter().all(u8::is_ascii_whitespace)
        {
            self.book.fail(
                "deprovision.status",
                format!(
                    "the platform expects an empty body, got {}",
                    describe_response(&response)
                ),
            );
        }
        if self.book.wants("deprovision.repeat") {
            let request = self.dialect.deprovision(&self.ctx, resource);
            let sent = self.send(request).await;
            self.evidence(&["deprovision.repeat"], &sent);
            let repeat_ok = self.expectations().deprovision_repeat_ok;
            self.expect_status(
                "deprovision.repeat",
                &sent,
                repeat_ok,
                "repeated deprovision",
            );
        }
        if self.book.wants("deprovision.effective") {
            let request =
                self.dialect
                    .change_plan(&self.ctx, resource, &self.plan_change_to.clone());
            let sent = self.send(request).await;
            self.evidence(&["deprovision.effective"], &sent);
            self.expect_client_error(
                "deprovision.effective",
                &sent,
                "plan change after deprovision",
            );
        }
    }

    /// Deletes a resource the scenarios no longer need; failures are left to the final cleanup.
    pub(crate) async fn deprovision_quietly(&mut self, resource: &Resource) {
        let request = self.dialect.deprovision(&self.ctx, resource);
        if let Ok(response) = self.transport.send(&request).await
            && (response.is_success() || matches!(response.status, 404 | 410))
        {
            self.untrack(&resource.id);
        }
    }
}

/// Deletes everything the run created: first replays provisions whose answer was never read
/// (provisioning is idempotent, so this only reveals their ids), then deprovisions every live
/// resource. Returns what could not be deleted; it stays in the ledger for `ledger cleanup`.
pub async fn cleanup(
    dialect: &dyn Dialect,
    ctx: &Ctx,
    transport: &Transport,
    record: &mut RunRecord,
) -> Vec<Leftover> {
    for input in record.pending() {
        let request = dialect.provision(ctx, &input);
        let Ok(response) = transport.send(&request).await else {
            continue;
        };
        let id = response
            .is_success()
            .then(|| dialect.read_provision(&input, &response).ok())
            .flatten()
            .and_then(|reply| reply.id)
            .and_then(Result::ok);
        if let Some(id) = id {
            record.record(Resource {
                id,
                plan: input.plan.clone(),
                input: input.clone(),
                config: BTreeMap::new(),
            });
        }
        record.settle(&input.uuid, true);
    }
    let mut leftovers = Vec::new();
    for resource in record.live() {
        let request = dialect.deprovision(ctx, &resource);
        let reason = match transport.send(&request).await {
            Ok(response) if response.is_success() || matches!(response.status, 404 | 410) => {
                record.remove(&resource.id);
                continue;
            }
            Ok(response) => format!("deprovision answered {}", describe_response(&response)),
            Err(error) => format!("deprovision failed: {error}"),
        };
        leftovers.push(Leftover {
            id: resource.id,
            reason,
        });
    }
    leftovers
}
