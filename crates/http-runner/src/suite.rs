//! The scenarios. Each sends what the platform would send, through the dialect, and records
//! verdicts in the check book. Nothing here knows a platform: statuses, deadlines and request
//! shapes all come from the [`Dialect`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use manifest_core::dialect::{ProvisionReply, TokenMint};
use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::report::{Exchange, Leftover};
use manifest_core::{Ctx, Dialect, Expectations, Forgery, ProvisionInput, Resource};
use serde_json::Value;

use crate::book::CheckBook;
use crate::callback::CallbackServer;
use crate::client::{Transport, TransportError};
use crate::config::{self, ConfigRule};
use crate::evidence::Redactor;
use crate::inputs::InputGenerator;
use crate::ledger::{Recorded, RunRecord};
use crate::needs::{Facts, Need, Unmet};
use crate::sso::SSO_CHECKS;

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

/// One unit of the suite: the checks it decides and what it needs to decide them. Every unit
/// also needs the provider to be reachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// The main resource, and everything about its answer.
    Provision,
    /// Provisions of further generated inputs (`--cases`).
    GeneratedProvisions,
    Replay,
    ConcurrentReplay,
    /// A second resource: distinct from the first, and the one crossed logins use.
    Distinct,
    UnknownPlan,
    ProvisionAuth,
    SsoLogin,
    /// Logins that must be refused.
    SsoRefusals,
    SsoTokenKinds,
    PlanChange,
    PlanChangeAuth,
    PlanChangeUnknownPlan,
    PlanChangeUnknownResource,
    DeprovisionAuth,
    Deprovision,
    Model,
}

impl Scenario {
    /// The order the suite runs them in: each after the units that establish what it needs,
    /// and the deprovision of the main resource after everything that uses it.
    pub(crate) const ORDER: [Scenario; 17] = [
        Scenario::Provision,
        Scenario::GeneratedProvisions,
        Scenario::Replay,
        Scenario::ConcurrentReplay,
        Scenario::Distinct,
        Scenario::UnknownPlan,
        Scenario::ProvisionAuth,
        Scenario::SsoLogin,
        Scenario::SsoRefusals,
        Scenario::SsoTokenKinds,
        Scenario::PlanChange,
        Scenario::PlanChangeAuth,
        Scenario::PlanChangeUnknownPlan,
        Scenario::PlanChangeUnknownResource,
        Scenario::DeprovisionAuth,
        Scenario::Deprovision,
        Scenario::Model,
    ];

    pub(crate) fn needs(self) -> &'static [Need] {
        match self {
            Scenario::Provision
            | Scenario::GeneratedProvisions
            | Scenario::UnknownPlan
            | Scenario::ProvisionAuth
            | Scenario::PlanChangeAuth
            | Scenario::PlanChangeUnknownResource
            | Scenario::DeprovisionAuth => &[],
            Scenario::Replay => &[Need::ResourceId, Need::Config],
            Scenario::ConcurrentReplay
            | Scenario::Distinct
            | Scenario::SsoLogin
            | Scenario::PlanChange
            | Scenario::PlanChangeUnknownPlan
            | Scenario::Deprovision
            | Scenario::Model => &[Need::ResourceId],
            Scenario::SsoRefusals | Scenario::SsoTokenKinds => {
                &[Need::ResourceId, Need::ValidLogin]
            }
        }
    }

    /// What it establishes for the scenarios after it.
    pub(crate) fn provides(self) -> &'static [Need] {
        match self {
            Scenario::Provision => &[Need::ResourceId, Need::Config],
            Scenario::SsoLogin => &[Need::ValidLogin],
            _ => &[],
        }
    }

    /// The checks it decides (others may get its evidence).
    pub(crate) fn checks(self) -> &'static [&'static str] {
        match self {
            Scenario::Provision => &[
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
                "provision.async",
                LIFECYCLE_RUN,
            ],
            Scenario::GeneratedProvisions => &["provision.status", "provision.idempotent"],
            Scenario::Replay => &["provision.idempotent"],
            Scenario::ConcurrentReplay => &["provision.idempotent.concurrent"],
            Scenario::Distinct => &["provision.distinct", "sso.rejects-other-resource"],
            Scenario::UnknownPlan => &["provision.unknown-plan"],
            Scenario::ProvisionAuth => &["provision.auth"],
            Scenario::SsoLogin => &["sso.login", "sso.nav-cookie", "sso.layout", "sso.html"],
            Scenario::SsoRefusals => &[
                "sso.rejects-bad-token",
                "sso.rejects-stale-timestamp",
                "sso.rejects-future-timestamp",
                "sso.rejects-other-resource",
            ],
            Scenario::SsoTokenKinds => &["sso.token-kinds"],
            Scenario::PlanChange => &[
                "plan-change.status",
                "plan-change.deadline",
                "plan-change.config",
                LIFECYCLE_RUN,
            ],
            Scenario::PlanChangeAuth => &["plan-change.auth"],
            Scenario::PlanChangeUnknownPlan => &["plan-change.unknown-plan"],
            Scenario::PlanChangeUnknownResource => &["plan-change.unknown-resource"],
            Scenario::DeprovisionAuth => &["deprovision.auth"],
            Scenario::Deprovision => &[
                "deprovision.status",
                "deprovision.deadline",
                "deprovision.repeat",
                "deprovision.effective",
                LIFECYCLE_RUN,
            ],
            Scenario::Model => &["lifecycle.model"],
        }
    }
}

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
    /// What the scenarios so far have established, for the needs of the next ones.
    pub(crate) facts: Facts,
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

/// Config values as strings; a value that is not a string keeps its JSON form.
fn config_strings(config: &[(String, Value)]) -> BTreeMap<String, String> {
    config
        .iter()
        .map(|(key, value)| {
            (
                key.clone(),
                value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_string),
            )
        })
        .collect()
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

    /// Tracks whatever resource an answer may have created, however faulty the answer (see
    /// [`Dialect::answered_id`]), so cleanup can remove it.
    fn track_created(&mut self, input: &ProvisionInput, response: &HttpResponse) -> Tracked {
        let Some(id) = crate::ops::answered_id(self.dialect, input, response) else {
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

    /// [`Suite::track_created`] for an answer the scenario will not use.
    fn track_answered(&mut self, input: &ProvisionInput, sent: &Sent) {
        if let Ok(response) = &sent.response {
            self.track_created(input, response);
        }
    }

    /// A resource nobody provisioned, with an id no provider handed out: what credential
    /// probes address when the run has no resource of its own (wrong credentials must be
    /// refused before any lookup).
    fn made_up_resource(&mut self) -> Resource {
        let id = self.inputs.unknown_id();
        let mut resource = self.made_up_resource_with(id);
        resource.input = self.inputs.provision(&self.plan);
        resource
    }

    fn made_up_resource_with(&self, id: String) -> Resource {
        Resource {
            id,
            input: ProvisionInput {
                uuid: "00000000-0000-4000-8000-000000000000".into(),
                app_slug: "conform-made-up".into(),
                app_name: "conform made-up".into(),
                resource_name: "conform-made-up".into(),
                plan: self.plan.clone(),
                region: String::new(),
                options: BTreeMap::new(),
                api_token: manifest_core::Secret::new(""),
                log_drain_token: String::new(),
            },
            plan: self.plan.clone(),
            config: BTreeMap::new(),
        }
    }

    /// Sends a provision with the platform's credentials, recorded as pending until its
    /// answer has been read.
    async fn send_provision(&mut self, input: &ProvisionInput) -> Sent {
        if !self.ledger.intend(input) {
            crate::stop_unrecorded().await;
        }
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

    /// Runs every scenario whose needs are met, in [`Scenario::ORDER`]; the checks of a
    /// scenario whose needs are not met are skipped with the unmet need. Returns early, leaving
    /// checks unrecorded, when the provider cannot be reached at all.
    pub async fn run(&mut self) {
        if !self.sso_configured() {
            for id in SSO_CHECKS {
                self.book
                    .skip(id, "the manifest sets no SSO salt or SSO URL");
            }
            self.facts.login = Err(Unmet::new(
                "no single sign-on",
                "the manifest sets no SSO salt or SSO URL",
            ));
        }
        if let Some(id) = self.given_resource.clone() {
            self.adopt_given_resource(id);
        }
        for scenario in Scenario::ORDER {
            if !self.wanted(scenario) || self.skipped_for_given(scenario) {
                continue;
            }
            if let Some(unmet) = self.facts.unmet(scenario.needs()).cloned() {
                for id in scenario.checks() {
                    self.book.skip(id, unmet.to_string());
                }
                continue;
            }
            self.run_scenario(scenario).await;
            if self.unreachable {
                return;
            }
        }
    }

    /// Whether a scenario is to run: some of its checks are selected, or it establishes what a
    /// scenario that is to run needs.
    fn wanted(&self, scenario: Scenario) -> bool {
        self.book.wants_any(scenario.checks())
            || Scenario::ORDER.into_iter().any(|other| {
                other
                    .needs()
                    .iter()
                    .any(|need| scenario.provides().contains(need))
                    && self.wanted(other)
            })
    }

    async fn run_scenario(&mut self, scenario: Scenario) {
        match scenario {
            Scenario::Provision => self.provision_main().await,
            Scenario::GeneratedProvisions => self.generated_provisions().await,
            Scenario::Replay => {
                if let Ok(resource) = self.facts.resource.clone() {
                    self.replay(&resource).await;
                }
            }
            Scenario::ConcurrentReplay => self.concurrent_replay().await,
            Scenario::Distinct => self.distinct().await,
            Scenario::UnknownPlan => self.provision_unknown_plan().await,
            Scenario::ProvisionAuth => self.provision_auth().await,
            Scenario::SsoLogin => self.sso_login().await,
            Scenario::SsoRefusals => self.sso_refusals().await,
            Scenario::SsoTokenKinds => self.sso_token_kinds().await,
            Scenario::PlanChange => self.plan_change().await,
            Scenario::PlanChangeAuth => self.plan_change_auth().await,
            Scenario::PlanChangeUnknownPlan => self.plan_change_unknown_plan().await,
            Scenario::PlanChangeUnknownResource => self.plan_change_unknown_resource().await,
            Scenario::DeprovisionAuth => self.deprovision_auth().await,
            Scenario::Deprovision => self.deprovision_main().await,
            Scenario::Model => self.lifecycle_model().await,
        }
    }

    /// Scenarios a resource given with `--resource` rules out (their checks are skipped with
    /// that reason when it is adopted), or leaves alone unless asked for.
    fn skipped_for_given(&mut self, scenario: Scenario) -> bool {
        if self.given_resource.is_none() {
            return false;
        }
        match scenario {
            Scenario::Provision
            | Scenario::GeneratedProvisions
            | Scenario::Replay
            | Scenario::ConcurrentReplay
            | Scenario::Distinct
            | Scenario::UnknownPlan
            | Scenario::ProvisionAuth
            | Scenario::Model => true,
            Scenario::Deprovision if !self.book.selection().asks_for("deprovision.status") => {
                for id in Scenario::Deprovision.checks() {
                    self.book.skip(
                        id,
                        "not run against a resource given with --resource unless selected with --only",
                    );
                }
                true
            }
            _ => false,
        }
    }

    fn sso_configured(&self) -> bool {
        let probe = self.made_up_resource_with("probe".into());
        let login = crate::sso::login(&probe, &probe, 0, TokenMint::Valid, Vec::new());
        self.dialect.sso(&self.ctx, &login).is_some()
    }

    /// Takes the resource named with `--resource` as the main one; what needs a provision of
    /// the run's own is skipped.
    fn adopt_given_resource(&mut self, id: String) {
        const GIVEN: &str = "a resource was given with --resource; nothing was provisioned";
        for scenario in [
            Scenario::Provision,
            Scenario::GeneratedProvisions,
            Scenario::Replay,
            Scenario::ConcurrentReplay,
            Scenario::Distinct,
            Scenario::UnknownPlan,
            Scenario::ProvisionAuth,
        ] {
            for check in scenario.checks() {
                if !check.starts_with("sso.") {
                    self.book.skip(check, GIVEN);
                }
            }
        }
        self.book.skip(
            LIFECYCLE_RUN,
            "a resource was given with --resource; the run provisions none to follow through",
        );
        self.book.skip(
            "lifecycle.model",
            "a resource was given with --resource; generated sequences provision their own",
        );
        let input = self.inputs.provision(&self.plan);
        self.facts.resource = Ok(Resource {
            id,
            plan: self.plan.clone(),
            input,
            config: BTreeMap::new(),
        });
        self.facts.config = Err(Unmet::new("no config", GIVEN));
        self.facts.second = Err(Unmet::new("no second resource", GIVEN));
    }

    /// Provisions the main resource and checks everything about the answer.
    async fn provision_main(&mut self) {
        let input = self.inputs.provision(&self.plan);
        let sent = self.send_provision(&input).await;
        self.evidence(PROVISION_CHECKS, &sent);
        self.book.evidence(LIFECYCLE_RUN, &sent.exchange);
        if matches!(sent.response, Err(TransportError::Connect(_))) {
            self.unreachable = true;
            self.ledger.never_sent(&input.uuid);
            return;
        }
        self.deadline("provision.deadline", &sent);
        let read = self.read_provisioned(&input, &sent, true).await;
        self.settle_provision(&input, &sent);
        match read {
            Ok((resource, config)) => {
                self.facts.resource = Ok(resource);
                self.facts.config = config;
            }
            Err(unmet) => {
                let unread = format!("no answer to read: {}", unmet.because);
                for id in PROVISION_CHECKS.iter().chain(&["provision.async"]) {
                    self.book.skip(id, unread.clone());
                }
                self.book.fail(
                    LIFECYCLE_RUN,
                    format!("the resource's life could not start ({unmet})"),
                );
                self.facts.config = Err(Unmet::new("no config", unmet.because.clone()));
                self.facts.resource = Err(unmet);
            }
        }
    }

    /// Closes the ledger entry of a provision whose answer has been read: a refusal shows that
    /// nothing exists, no answer for want of a connection that nothing was sent. Anything else
    /// that named no resource stays pending, for the cleanup to replay.
    fn settle_provision(&mut self, input: &ProvisionInput, sent: &Sent) {
        match &sent.response {
            Ok(response) if response.is_client_error() => self.ledger.refused(&input.uuid),
            Err(TransportError::Connect(_) | TransportError::ForeignOrigin(_)) => {
                self.ledger.never_sent(&input.uuid)
            }
            _ => {}
        }
    }

    /// Reads a provision answer: `Ok` with the resource it names (tracked for cleanup) and
    /// whether its config is known, or the unmet need with the check that showed it. A faulty
    /// answer that still names a resource (another success status, a numeric id, no config) is
    /// reported and used.
    async fn read_provisioned(
        &mut self,
        input: &ProvisionInput,
        sent: &Sent,
        main: bool,
    ) -> Result<(Resource, Result<(), Unmet>), Unmet> {
        const NO_ID: &str = "no resource id";
        let ok = with_async(self.expectations().provision_ok, self.expectations());
        let response = match self.expect_status("provision.status", sent, &ok, "provision") {
            Some(response) => response.clone(),
            // Another success status is a fault of its own; the answer may still name one.
            None => match &sent.response {
                Ok(response) if response.is_success() => response.clone(),
                _ => {
                    self.track_answered(input, sent);
                    return Err(Unmet::failed(NO_ID, "provision.status"));
                }
            },
        };
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
                if main {
                    self.skip_config_checks(&Unmet::failed("no config", "provision.body"));
                }
                self.track_answered(input, sent);
                return Err(Unmet::failed(NO_ID, "provision.body"));
            }
        };
        if main {
            self.config_checks(&reply);
        }
        let id = match &reply.id {
            None => {
                self.book.fail("provision.id", "the answer has no `id`");
                None
            }
            Some(Err(reason)) => {
                self.book.fail("provision.id", reason.clone());
                None
            }
            Some(Ok(id)) => Some(id.clone()),
        };
        let Some(id) = id else {
            self.track_answered(input, sent);
            return Err(Unmet::failed(NO_ID, "provision.id"));
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
        if let Some(doubt) = &reply.id_doubt {
            self.book.warn("provision.id", doubt.clone());
        }
        if let Some(broken) = &reply.id_broken_rule {
            self.book.fail("provision.id", broken.clone());
        }
        let resource = Resource {
            id,
            input: input.clone(),
            plan: input.plan.clone(),
            config: config_strings(&reply.config),
        };
        if !self.track(resource.clone()) {
            return Err(Unmet::failed(NO_ID, "provision.distinct"));
        }
        Ok((resource, Ok(())))
    }

    fn config_checks(&mut self, reply: &ProvisionReply) {
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

    fn skip_config_checks(&mut self, unmet: &Unmet) {
        for rule in ConfigRule::ALL {
            self.book.skip(rule.provision_check(), unmet.to_string());
        }
        self.book.skip("provision.log-drain", unmet.to_string());
    }

    /// The provisions of generated inputs beyond the first (`--cases`), each replayed once.
    async fn generated_provisions(&mut self) {
        for _ in 1..self.cases.max(1) {
            let input = self.inputs.provision(&self.plan);
            let sent = self.send_provision(&input).await;
            let read = self.read_provisioned(&input, &sent, false).await;
            self.settle_provision(&input, &sent);
            if let Ok((resource, _)) = read {
                if self.book.wants("provision.idempotent") {
                    self.replay(&resource).await;
                }
                self.deprovision_quietly(&resource).await;
            }
        }
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
                let config = config_strings(&reply.config);
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
        if !self.ledger.intend(&input) {
            crate::stop_unrecorded().await;
        }
        let request = self.dialect.provision(&self.ctx, &input);
        let answers = self
            .transport
            .send_together(&request, CONCURRENT_REPLAYS)
            .await;
        let mut ids = BTreeSet::new();
        let mut failures = Vec::new();
        let mut answered = false;
        let mut refused_only = true;
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
            refused_only &= response.as_ref().is_ok_and(HttpResponse::is_client_error);
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
        if refused_only {
            self.ledger.refused(&input.uuid);
        } else if !answered {
            self.ledger.never_sent(&input.uuid);
        }
        for id in ids {
            if let Some(resource) = self.ledger.find(&id) {
                self.deprovision_quietly(&resource).await;
            }
        }
    }

    /// Provisions a second resource: when it is really another one, it stays live as the
    /// second resource that crossed logins need (the final cleanup deletes it).
    async fn distinct(&mut self) {
        let input = self.inputs.provision(&self.plan);
        let sent = self.send_provision(&input).await;
        self.evidence(&["provision.distinct"], &sent);
        let ok = with_async(self.expectations().provision_ok, self.expectations());
        // Another success status is provision.status's business; distinct judges the id.
        let answered = match &sent.response {
            Ok(response) if response.is_success() && !ok.contains(&response.status) => {
                self.book.evidence("provision.status", &sent.exchange);
                self.expect_status("provision.status", &sent, &ok, "second provision");
                Some(response.clone())
            }
            _ => self
                .expect_status("provision.distinct", &sent, &ok, "second provision")
                .cloned(),
        };
        let second = match answered {
            None => {
                self.track_answered(&input, &sent);
                Err(Unmet::failed("no second resource", "provision.distinct"))
            }
            Some(response) => match self.track_created(&input, &response) {
                Tracked::Own(id) => {
                    self.book.pass("provision.distinct");
                    self.ledger
                        .find(&id)
                        .ok_or_else(|| Unmet::failed("no second resource", "provision.distinct"))
                }
                // `track` has recorded the failure.
                Tracked::Collision => {
                    Err(Unmet::failed("no second resource", "provision.distinct"))
                }
                Tracked::Unnamed => {
                    self.book.fail(
                        "provision.distinct",
                        "the second provision's answer names no resource",
                    );
                    Err(Unmet::failed("no second resource", "provision.distinct"))
                }
            },
        };
        self.settle_provision(&input, &sent);
        self.facts.second = second;
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
        self.settle_provision(&input, &sent);
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

    /// Whether a credential probe was refused, judged by the dialect's refusal statuses; a
    /// failure names the probe and the call it was sent on.
    fn judge_probe(&mut self, id: &str, forgery: &Forgery, on: &str, sent: &Sent) -> bool {
        let unauthorized = self.expectations().unauthorized;
        match &sent.response {
            Ok(response) if unauthorized.contains(&response.status) => {
                self.book.pass(id);
                true
            }
            Ok(response) => {
                let verdict = if response.is_success() {
                    "was accepted"
                } else {
                    "was not refused"
                };
                self.book.fail(
                    id,
                    format!(
                        "{} {verdict} on {on}: expected {}, got {}",
                        forgery.label,
                        statuses(unauthorized),
                        describe_response(response)
                    ),
                );
                false
            }
            Err(error) => {
                self.book
                    .fail(id, format!("{} on {on}: {error}", forgery.label));
                false
            }
        }
    }

    async fn provision_auth(&mut self) {
        for forgery in self.ctx.credentials.forgeries() {
            let input = self.inputs.provision(&self.plan);
            let mut request = self.dialect.provision(&self.ctx, &input);
            request.credentials = forgery.credentials.clone();
            let sent = self.send(request).await;
            self.evidence(&["provision.auth"], &sent);
            if !self.judge_probe("provision.auth", &forgery, "provision", &sent)
                && let Ok(response) = &sent.response
                && let Tracked::Own(id) = self.track_created(&input, response)
                && let Some(resource) = self.ledger.find(&id)
            {
                self.deprovision_quietly(&resource).await;
            }
            // A provider that does not answer would make every further probe wait as long.
            if sent.response.is_err() {
                break;
            }
        }
    }

    /// The main resource, which scenarios needing [`Need::ResourceId`] are only run with.
    pub(crate) fn main_resource(&self) -> Option<Resource> {
        self.facts.resource.clone().ok()
    }

    async fn plan_change(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        let target = self.plan_change_to.clone();
        {
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
    }

    /// Wrong credentials on a plan change, for the provider's resource when there is one, else
    /// for a made-up id.
    async fn plan_change_auth(&mut self) {
        let resource = match &self.facts.resource {
            Ok(resource) => resource.clone(),
            Err(_) => self.made_up_resource(),
        };
        for forgery in self.ctx.credentials.forgeries() {
            let mut request = self
                .dialect
                .change_plan(&self.ctx, &resource, &self.plan.clone());
            request.credentials = forgery.credentials.clone();
            let sent = self.send(request).await;
            self.evidence(&["plan-change.auth"], &sent);
            self.judge_probe("plan-change.auth", &forgery, "plan change", &sent);
            if sent.response.is_err() {
                break;
            }
        }
    }

    async fn plan_change_unknown_plan(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        {
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
    }

    async fn plan_change_unknown_resource(&mut self) {
        let target = self.plan_change_to.clone();
        {
            let unknown = match &self.facts.resource {
                Ok(resource) => Resource {
                    id: self.inputs.unknown_id(),
                    ..resource.clone()
                },
                Err(_) => self.made_up_resource(),
            };
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

    /// Wrong credentials on a deprovision, for the live resource when there is one and for an
    /// unknown id.
    async fn deprovision_auth(&mut self) {
        let live = self.facts.resource.clone().ok();
        let unknown = self.made_up_resource();
        let unauthorized = self.expectations().unauthorized;
        let targets: Vec<(&Resource, &str)> = live
            .iter()
            .map(|resource| (resource, "deprovision of the live resource"))
            .chain([(&unknown, "deprovision of an unknown id")])
            .collect();
        'probes: for forgery in self.ctx.credentials.forgeries() {
            for &(target, on) in &targets {
                let mut request = self.dialect.deprovision(&self.ctx, target);
                request.credentials = forgery.credentials.clone();
                let sent = self.send(request).await;
                self.evidence(&["deprovision.auth"], &sent);
                match &sent.response {
                    Ok(response)
                        if target.id == unknown.id
                            && !unauthorized.contains(&response.status)
                            && (400..500).contains(&response.status) =>
                    {
                        self.book.fail(
                            "deprovision.auth",
                            format!(
                                "{} on {on}: answered {} instead of {}: the credentials were accepted, or the resource was looked up before they were checked (which tells strangers which ids exist)",
                                forgery.label,
                                response.status,
                                statuses(unauthorized)
                            ),
                        )
                    }
                    _ => {
                        self.judge_probe("deprovision.auth", &forgery, on, &sent);
                    }
                }
                if sent.response.is_err() {
                    break 'probes;
                }
            }
        }
    }

    async fn deprovision_main(&mut self) {
        let Some(resource) = self.main_resource() else {
            return;
        };
        let resource = &resource;
        let request = self.dialect.deprovision(&self.ctx, resource);
        let sent = self.send(request).await;
        self.evidence(
            &["deprovision.status", "deprovision.deadline", LIFECYCLE_RUN],
            &sent,
        );
        self.deadline("deprovision.deadline", &sent);
        let ok = self.expectations().deprovision_ok;
        match self
            .expect_status("deprovision.status", &sent, ok, "deprovision")
            .cloned()
        {
            Some(response) => {
                self.untrack(&resource.id);
                self.book.pass(LIFECYCLE_RUN);
                self.deprovision_body(&response);
            }
            None => {
                self.book
                    .fail(LIFECYCLE_RUN, "the resource could not be deprovisioned");
                if let Ok(response) = &sent.response
                    && matches!(response.status, 404 | 410)
                {
                    // Already gone: nothing is left to clean up.
                    self.untrack(&resource.id);
                }
            }
        }
        // A repeat and a plan change afterwards mean something whatever the deprovision
        // answered, as long as it was answered.
        if sent.response.is_err() {
            let unmet = Unmet::failed("no answered deprovision", "deprovision.status");
            for id in ["deprovision.repeat", "deprovision.effective"] {
                self.book.skip(id, unmet.to_string());
            }
            return;
        }
        self.deprovision_after(resource).await;
    }

    fn deprovision_body(&mut self, response: &HttpResponse) {
        if self.expectations().deprovision_empty_body
            && !response.body.iter().all(u8::is_ascii_whitespace)
        {
            self.book.fail(
                "deprovision.status",
                format!(
                    "the platform expects an empty body, got {}",
                    describe_response(response)
                ),
            );
        }
    }

    async fn deprovision_after(&mut self, resource: &Resource) {
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
        // No answer to the replay says nothing about the original: it stays pending.
        let Ok(response) = transport.send(&request).await else {
            continue;
        };
        if let Some(id) = crate::ops::answered_id(dialect, &input, &response) {
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
