//! The scenarios. Each sends what the platform would send, through the dialect, and records
//! verdicts in the check book. Nothing here knows a platform: statuses, deadlines and request
//! shapes all come from the [`Dialect`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use manifest_core::dialect::TokenMint;
use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::report::Exchange;
use manifest_core::{Ctx, Dialect, Expectations, ProvisionInput, Resource};
use serde_json::Value;

use crate::book::CheckBook;
use crate::callback::CallbackServer;
use crate::client::{Transport, TransportError};
use crate::evidence::Redactor;
use crate::inputs::InputGenerator;
use crate::ledger::{Recorded, RunRecord};
use crate::needs::{Facts, Unmet};

mod deprovision;
mod plan_change;
mod probes;
mod provision;
mod schedule;

pub use deprovision::cleanup;

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
    pub callbacks: Arc<CallbackServer>,
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
    /// The platform's id of the given resource (Heroku's uuid), when known.
    pub given_uuid: Option<String>,
    /// Set when the provider could not be reached at all.
    pub unreachable: bool,
    /// What the scenarios so far have established, for the needs of the next ones.
    pub(crate) facts: Facts,
    /// What the units that are done recorded, by their place in `Scenario::ORDER`, until it
    /// is merged into `book`.
    pub(crate) finished: Vec<Option<CheckBook>>,
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

impl<'a> Suite<'a> {
    fn expectations(&self) -> &Expectations {
        self.dialect.expectations()
    }

    async fn send(&self, request: HttpRequest) -> Sent {
        let started = Instant::now();
        let response = self.transport.send(&request).await;
        self.sent(&request, response, started)
    }

    /// Sends a request with nothing else in flight, for a check that times the answer: a
    /// provider busy with other requests of the run would answer later than it does alone.
    async fn send_alone(&self, request: HttpRequest) -> Sent {
        let started = Instant::now();
        let response = self.transport.send_alone(&request).await;
        self.sent(&request, response, started)
    }

    /// Sends requests that do not depend on each other side by side; the answers come back in
    /// the order of the requests.
    async fn send_each(&self, requests: Vec<HttpRequest>) -> Vec<Sent> {
        futures_util::future::join_all(requests.into_iter().map(|request| self.send(request))).await
    }

    fn sent(
        &self,
        request: &HttpRequest,
        response: Result<HttpResponse, TransportError>,
        started: Instant,
    ) -> Sent {
        let elapsed = started.elapsed();
        let exchange = match &response {
            Ok(response) => self.redactor.exchange(request, Ok(response), elapsed),
            Err(error) => self
                .redactor
                .exchange(request, Err(&error.to_string()), elapsed),
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
        self.intend(input).await;
        let request = self.dialect.provision(&self.ctx, input);
        self.send(request).await
    }

    /// Records a provision about to be sent; one the ledger cannot record is never sent.
    async fn intend(&mut self, input: &ProvisionInput) {
        if !self.ledger.intend(input) {
            crate::stop_unrecorded().await;
        }
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

    fn sso_configured(&self) -> bool {
        let probe = self.made_up_resource_with("probe".into());
        let login = crate::sso::login(&probe, &probe, 0, TokenMint::Valid, Vec::new());
        self.dialect.sso(&self.ctx, &login).is_some()
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

    /// The main resource, which scenarios needing [`Need::ResourceId`] are only run with.
    pub(crate) fn main_resource(&self) -> Option<Resource> {
        self.facts.resource.clone().ok()
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
}
