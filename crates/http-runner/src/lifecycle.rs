//! `lifecycle.model`: generated sequences of operations over a few resources, each sent to the
//! provider for real and its answer compared with a model of what the platform expects.
//!
//! The model is written once, in terms of the dialect's [`Expectations`]. It knows, for each of
//! three resource slots (`A`, `B`, `C`), whether the slot was never provisioned, holds a live
//! resource (its id, its plan, and the config the provider last handed out for it) or held one
//! that was deprovisioned. Slots are logical: every run of a sequence provisions with fresh
//! uuids, so a sequence can be run again and again against the same provider.
//!
//! What the model expects of each step:
//! - a provision for a slot without a live resource creates one (a provision status, an id no
//!   other live slot has); for a slot with one it is a replay of the request that created it:
//!   a replay status and the same id, answered either with the original answer again (status
//!   and body, as an idempotency-key cache does) or with the resource as it stands now (the
//!   config the provider last handed out: a freshly built answer must not undo a plan change
//!   that happened since);
//! - the same provision sent several times at once makes one resource;
//! - a plan change to an offered plan succeeds on a live resource; to a plan the add-on does not
//!   offer it may be refused with a 4xx (whether it must be is `plan-change.unknown-plan`'s
//!   rule); on a deprovisioned or never-provisioned resource it is refused with a 4xx;
//! - a login to a live resource with a valid token reaches a page; one with a token minted for
//!   another slot's resource, a stale one or a forged one is refused; any login to a resource
//!   that is not live is refused with a 4xx;
//! - a deprovision of a live resource succeeds, a repeated one answers a repeat status, one for
//!   an id never issued answers a 4xx or a repeat status.
//!
//! Sequences of 1 to [`MAX_STEPS`] steps are drawn from the run's seed, each step with the
//! state the steps before it leave in mind (a replay needs a live resource to mean anything).
//! A run tries [`SEQUENCES_PER_CASE`] sequences for each of its `--cases`, as many at once as
//! the run's concurrency allows, each on resources of its own: the model of one sequence never
//! looks at another's, so which sequences disagree does not depend on how they interleave, and
//! the first one that does (by number) is the same at every concurrency. It is shrunk:
//! the steps after the failing one are dropped (they never ran), then single steps are removed
//! and the rest simplified with their proptest value trees, each candidate run for real with
//! fresh uuids, at most [`MAX_SHRINK_ATTEMPTS`] times, until nothing smaller still disagrees. A
//! request that gets no answer stops the check without shrinking: the network, not the model,
//! decided that run. Every resource a run creates goes through the run's ledger and is
//! deprovisioned when the run ends.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use manifest_core::dialect::TokenMint;
use manifest_core::http::{HttpRequest, HttpResponse};
use manifest_core::report::{Exchange, Leftover};
use manifest_core::{
    Ctx, Dialect, Environment, Expectations, Manifest, Platform, ProvisionInput, Resource,
};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::RunError;
use crate::callback::CallbackServer;
use crate::client::{Traffic, Transport, TransportError};
use crate::evidence::Redactor;
use crate::inputs::{InputGenerator, seeded_runner};
use crate::ledger::{Ledger, RunRecord, Scope};
use crate::sso::{self, now};
use crate::suite::{self, Suite, describe_response, statuses};

const CHECK: &str = "lifecycle.model";

/// The longest sequence generated.
pub const MAX_STEPS: usize = 12;

/// How many sequences each case of a run tries: `--cases N` runs N times as many.
pub const SEQUENCES_PER_CASE: u32 = 32;

/// How many identical provisions a concurrent step sends at once.
pub const CONCURRENT_COPIES: usize = 4;

/// How many candidate sequences shrinking runs at most.
pub const MAX_SHRINK_ATTEMPTS: u32 = 200;

/// A slow provider gets fewer sequences: none starts once the run has taken this long per
/// sequence asked for.
const TIME_PER_SEQUENCE: Duration = Duration::from_secs(2);

/// How long shrinking may take in all.
const SHRINK_TIME: Duration = Duration::from_secs(60);

/// The seeded stream sequences are drawn from, apart from the provision inputs'.
const SEQUENCE_STREAM: u8 = 1;

/// A resource slot of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Slot {
    A,
    B,
    C,
}

impl Slot {
    pub const ALL: [Slot; 3] = [Slot::A, Slot::B, Slot::C];

    fn index(self) -> usize {
        self as usize
    }

    /// The slot `offset` places after this one, wrapping around.
    fn after(self, offset: usize) -> Slot {
        Slot::ALL[(self.index() + offset) % Slot::ALL.len()]
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// The tokens of a single sign-on step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Token {
    /// Valid, minted now for the resource logged in to.
    Own,
    /// Valid and minted now, but for the resource of another slot.
    MintedFor(Slot),
    /// Minted for the resource, but older than the platform's window.
    Stale,
    /// Minted now for the resource with a salt that is not the shared one.
    Forged,
}

/// One operation of a sequence. Its JSON form is what a report's `reproduction` lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Step {
    /// Provisions a new resource for the slot on `plan`, or, when the slot's resource is live,
    /// replays the request that created it.
    Provision { slot: Slot, plan: String },
    /// Deprovisions the slot's resource: a live one, one already deprovisioned, or, for a slot
    /// never provisioned, an id the provider never issued.
    Deprovision { slot: Slot },
    /// A plan change to a plan the add-on offers.
    ChangePlan { slot: Slot, plan: String },
    /// A plan change to a plan name the add-on does not offer, drawn afresh on every run.
    ChangeToUnknownPlan { slot: Slot },
    /// A single sign-on login to the slot's resource.
    Sso { slot: Slot, token: Token },
    /// A [`Step::Provision`] sent [`CONCURRENT_COPIES`] times at once.
    ConcurrentProvision { slot: Slot, plan: String },
}

/// A failing sequence, as a report keeps it: enough to run it again with [`replay`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reproduction {
    pub platform: Platform,
    /// The seed of the run that found it.
    pub seed: u64,
    pub steps: Vec<Step>,
}

/// What the model holds for one slot.
#[derive(Debug, Clone)]
enum Held {
    Empty,
    Live(Live),
    /// Deprovisioned in step `at`.
    Deleted {
        resource: Resource,
        at: usize,
    },
}

#[derive(Debug, Clone)]
struct Live {
    resource: Resource,
    /// The provision was accepted to finish in the background (the platform's asynchronous
    /// status): a replay may find it still provisioning and answer that status again.
    asynchronous: bool,
    /// The value the provider last handed out for each of the resource's config vars, and the
    /// step that did; `None` once a plan change succeeded without saying what the config is now.
    config: Option<BTreeMap<String, (String, usize)>>,
    /// The answer that created the resource, its status and its JSON body, when there is one
    /// (identical copies sent at once that were answered differently have none).
    original: Option<(u16, serde_json::Value)>,
}

impl Live {
    fn new(
        resource: Resource,
        asynchronous: bool,
        config: BTreeMap<String, String>,
        number: usize,
        original: Option<(u16, serde_json::Value)>,
    ) -> Self {
        let mut live = Self {
            resource,
            asynchronous,
            config: Some(BTreeMap::new()),
            original,
        };
        live.handed_out(config, number);
        live
    }

    /// Whether a replay was answered with the answer that created the resource, status and
    /// body: a cache keyed by the request's idempotency key. Such an answer repeats what was
    /// true then and says nothing of the resource now.
    fn repeats_original(&self, response: &HttpResponse) -> bool {
        self.original
            .as_ref()
            .is_some_and(|original| Some(original) == answer_of(response).as_ref())
    }

    /// Step `number` handed out these config vars. A platform sets the vars an answer carries
    /// and keeps the others, so the others keep their values.
    fn handed_out(&mut self, config: BTreeMap<String, String>, number: usize) {
        self.config.get_or_insert_with(BTreeMap::new).extend(
            config
                .into_iter()
                .map(|(key, value)| (key, (value, number))),
        );
    }

    /// Why a replay answering with `config` would undo what happened to the resource since:
    /// the vars it hands out with other values than the provider last gave them.
    fn undone(&self, slot: Slot, config: &BTreeMap<String, String>) -> Option<String> {
        let known = self.config.as_ref()?;
        let stale: Vec<String> = config
            .iter()
            .filter_map(|(key, value)| match known.get(key) {
                Some((last, from)) if last != value => Some(format!("`{key}` (step {from})")),
                _ => None,
            })
            .collect();
        (!stale.is_empty()).then(|| {
            format!(
                "the replay hands out other values than the provider last gave {slot} for {}, \
                 and it is not the original answer repeated either: a replay answers with the \
                 original answer or with the resource as it stands now, and must not undo what \
                 happened to the resource since",
                stale.join(", ")
            )
        })
    }
}

/// One step as it ran.
#[derive(Debug, Clone)]
struct Taken {
    description: String,
    /// The statuses it was answered with.
    answer: String,
}

/// A run of one sequence: its steps as they ran, every exchange in order (only kept when the
/// run failed), and how it ended.
#[derive(Debug)]
struct Run {
    taken: Vec<Taken>,
    exchanges: Vec<Exchange>,
    /// Where among `exchanges` the last step's begin: the request its verdict judged (a
    /// login, not the page it led to).
    judged: Option<usize>,
    end: Verdict,
}

impl Run {
    /// The steps, numbered, each with its answer, and under the last why it did not agree.
    fn transcript(&self) -> String {
        let mut lines = Vec::new();
        for (index, taken) in self.taken.iter().enumerate() {
            lines.push(format!(
                "{}. {} → {}",
                index + 1,
                taken.description,
                taken.answer
            ));
        }
        match &self.end {
            Verdict::Agrees => {}
            Verdict::Disagrees(reason) | Verdict::NoAnswer { reason, .. } => {
                lines.push(format!("   {reason}"));
            }
        }
        lines.join("\n")
    }
}

/// What a step came to; a run ends with the verdict of its last step, since it stops at the
/// first that does not agree.
#[derive(Debug, Clone)]
enum Verdict {
    Agrees,
    Disagrees(String),
    /// A request got no answer; `connect` when nothing could be reached at all.
    NoAnswer {
        reason: String,
        connect: bool,
    },
}

impl Verdict {
    fn no_answer(error: &TransportError) -> Self {
        Verdict::NoAnswer {
            reason: error.to_string(),
            connect: matches!(error, TransportError::Connect(_)),
        }
    }
}

/// A request of a run and what came of it. Most runs agree and their requests are forgotten,
/// so a request becomes report evidence (redacted, with its curl command) only once its run
/// has failed.
#[derive(Debug)]
enum Sent {
    Raw {
        request: HttpRequest,
        response: Result<HttpResponse, TransportError>,
        elapsed: Duration,
    },
    Recorded(Exchange),
}

/// The state of one run of a sequence.
#[derive(Debug)]
struct Attempt {
    slots: [Held; 3],
    /// Ids of every resource the provider named during the run, to delete afterwards.
    created: Vec<String>,
    sent: Vec<Sent>,
}

impl Attempt {
    fn new() -> Self {
        Self {
            slots: [Held::Empty, Held::Empty, Held::Empty],
            created: Vec::new(),
            sent: Vec::new(),
        }
    }

    fn held(&self, slot: Slot) -> &Held {
        &self.slots[slot.index()]
    }

    /// The slot, other than `except`, whose live resource has `id`.
    fn live_with_id(&self, id: &str, except: Slot) -> Option<Slot> {
        Slot::ALL.into_iter().find(|slot| {
            *slot != except
                && matches!(self.held(*slot), Held::Live(live) if live.resource.id == id)
        })
    }
}

/// Everything needed to send a sequence's requests and read their answers: borrowed from the
/// suite, or set up by [`replay`].
struct Machine<'a> {
    dialect: &'a dyn Dialect,
    ctx: &'a Ctx,
    transport: &'a Transport,
    browser: &'a Transport,
    redactor: &'a Redactor,
    /// Shared by the sequences that run at once; locked only between requests.
    record: Mutex<&'a mut RunRecord>,
    inputs: Mutex<&'a mut InputGenerator>,
    sso_window: Duration,
    /// The plan of requests for resources that do not exist.
    plan: String,
}

/// The resource a successful provision answer names, with the config it hands out.
#[derive(Debug, Clone)]
struct Named {
    id: String,
    config: BTreeMap<String, String>,
}

/// What a provision answer named: `None` when it was no success, else the resource or why the
/// answer names none.
type Reading = Option<Result<Named, String>>;

fn config_strings(config: &[(String, serde_json::Value)]) -> BTreeMap<String, String> {
    config
        .iter()
        .map(|(key, value)| {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            (key.clone(), text)
        })
        .collect()
}

/// The keys whose values differ between two configs, for messages (values may be secrets).
fn changed_keys(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A response for messages: a refusal with the start of its body, which says why; a success by
/// its status alone, since its body may carry the resource's secrets (the evidence keeps it,
/// redacted).
fn described(response: &HttpResponse) -> String {
    if response.is_success() {
        response.status.to_string()
    } else {
        describe_response(response)
    }
}

/// A provision answer as a replay from a cache would repeat it: its status and JSON body.
fn answer_of(response: &HttpResponse) -> Option<(u16, serde_json::Value)> {
    Some((response.status, response.json().ok()?))
}

fn is_client_error(response: &HttpResponse) -> bool {
    (400..500).contains(&response.status)
}

impl<'a> Machine<'a> {
    fn expectations(&self) -> &'a Expectations {
        self.dialect.expectations()
    }

    fn record(&self) -> MutexGuard<'_, &'a mut RunRecord> {
        self.record.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn inputs(&self) -> MutexGuard<'_, &'a mut InputGenerator> {
        self.inputs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A resource the provider never issued, to address requests to.
    fn stranger(&self) -> Resource {
        let mut inputs = self.inputs();
        Resource {
            id: inputs.unknown_id(),
            input: inputs.provision(&self.plan),
            plan: self.plan.clone(),
            config: BTreeMap::new(),
        }
    }

    /// Whether the manifest lets the engine log in at all.
    fn sso_available(&self) -> bool {
        let probe = self.stranger();
        let login = sso::login(&probe, &probe, now(), TokenMint::Valid, Vec::new());
        self.dialect.sso(self.ctx, &login).is_some()
    }

    fn evidence(&self, sent: Vec<Sent>) -> Vec<Exchange> {
        sent.into_iter()
            .map(|sent| match sent {
                Sent::Raw {
                    request,
                    response: Ok(response),
                    elapsed,
                } => self.redactor.exchange(&request, Ok(&response), elapsed),
                Sent::Raw {
                    request,
                    response: Err(error),
                    elapsed,
                } => self
                    .redactor
                    .exchange(&request, Err(&error.to_string()), elapsed),
                Sent::Recorded(exchange) => exchange,
            })
            .collect()
    }

    async fn send(
        &self,
        attempt: &mut Attempt,
        request: HttpRequest,
    ) -> Result<HttpResponse, TransportError> {
        let started = Instant::now();
        let response = self.transport.send(&request).await;
        attempt.sent.push(Sent::Raw {
            request,
            response: response.clone(),
            elapsed: started.elapsed(),
        });
        response
    }

    /// Runs `steps` from a model with every slot empty, then deletes what the run created.
    async fn run(&self, steps: &[Step]) -> Run {
        let mut attempt = Attempt::new();
        let mut taken = Vec::new();
        let mut end = Verdict::Agrees;
        let mut last_step_start = 0;
        for (index, step) in steps.iter().enumerate() {
            last_step_start = attempt.sent.len();
            let (description, answer, verdict) = self.step(&mut attempt, index + 1, step).await;
            taken.push(Taken {
                description,
                answer,
            });
            end = verdict;
            if !matches!(end, Verdict::Agrees) {
                break;
            }
        }
        self.clean_up(&attempt.created).await;
        let exchanges = match end {
            Verdict::Agrees => Vec::new(),
            Verdict::Disagrees(_) | Verdict::NoAnswer { .. } => self.evidence(attempt.sent),
        };
        let judged = (last_step_start < exchanges.len()).then_some(last_step_start);
        Run {
            taken,
            exchanges,
            judged,
            end,
        }
    }

    /// Deprovisions what a run left live. Whatever fails stays recorded for the final cleanup.
    async fn clean_up(&self, created: &[String]) {
        for id in created {
            let Some(resource) = self.record().find(id) else {
                continue;
            };
            let request = self.dialect.deprovision(self.ctx, &resource);
            if let Ok(response) = self.transport.send(&request).await
                && (response.is_success() || matches!(response.status, 404 | 410))
            {
                self.record().remove(id);
            }
        }
    }

    async fn step(
        &self,
        attempt: &mut Attempt,
        number: usize,
        step: &Step,
    ) -> (String, String, Verdict) {
        match step {
            Step::Provision { slot, plan } => self.provision(attempt, number, *slot, plan).await,
            Step::ConcurrentProvision { slot, plan } => {
                self.concurrent_provision(attempt, number, *slot, plan)
                    .await
            }
            Step::Deprovision { slot } => self.deprovision(attempt, number, *slot).await,
            Step::ChangePlan { slot, plan } => {
                self.change_plan(attempt, number, *slot, plan.clone(), true)
                    .await
            }
            Step::ChangeToUnknownPlan { slot } => {
                let plan = self.inputs().unknown_plan();
                self.change_plan(attempt, number, *slot, plan, false).await
            }
            Step::Sso { slot, token } => self.sso(attempt, *slot, *token).await,
        }
    }

    /// Records whatever resource an answer (of any status but a refusal) may have created,
    /// however faulty the answer and whatever the model makes of it (see
    /// [`Dialect::answered_id`]), so that it is deleted afterwards.
    fn track(&self, attempt: &mut Attempt, input: &ProvisionInput, response: &HttpResponse) {
        let Some(id) = crate::ops::answered_id(self.dialect, input, response) else {
            return;
        };
        self.record().record(Resource {
            id: id.clone(),
            input: input.clone(),
            plan: input.plan.clone(),
            config: BTreeMap::new(),
        });
        if !attempt.created.contains(&id) {
            attempt.created.push(id);
        }
    }

    /// The resource a successful provision answer names, with its config, or why it names
    /// none.
    fn read_answer(
        &self,
        input: &ProvisionInput,
        response: &HttpResponse,
    ) -> Result<Named, String> {
        let reply = self.dialect.read_provision(input, response)?;
        let id = match reply.id {
            Some(Ok(id)) => id,
            Some(Err(reason)) => return Err(reason),
            None => return Err("the answer has no `id`".into()),
        };
        Ok(Named {
            id,
            config: config_strings(&reply.config),
        })
    }

    /// Closes the ledger entry of a provision once its answers are in: when every one was a
    /// refusal, nothing exists. Anything else that named no resource (a success naming nothing,
    /// a 5xx) stays pending, for the final cleanup to replay.
    fn settle(&self, input: &ProvisionInput, answers: &[&HttpResponse]) {
        if answers.iter().all(|response| response.is_client_error()) {
            self.record().refused(&input.uuid);
        }
    }

    async fn provision(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
        plan: &str,
    ) -> (String, String, Verdict) {
        let live = match attempt.held(slot) {
            Held::Live(live) => Some(live.clone()),
            Held::Empty | Held::Deleted { .. } => None,
        };
        let (description, input) = match &live {
            Some(live) => (
                format!("replay the provision of {slot}"),
                live.resource.input.clone(),
            ),
            None => (
                format!("provision {slot} (plan {plan})"),
                self.inputs().provision(plan),
            ),
        };
        if !self.record().intend(&input) {
            crate::stop_unrecorded().await;
        }
        let request = self.dialect.provision(self.ctx, &input);
        let response = match self.send(attempt, request).await {
            Ok(response) => response,
            Err(error) => return (description, "no answer".into(), Verdict::no_answer(&error)),
        };
        self.track(attempt, &input, &response);
        self.settle(&input, &[&response]);
        let named = response
            .is_success()
            .then(|| self.read_answer(&input, &response));
        let answer = response.status.to_string();
        let verdict = match live {
            None => self.created(attempt, number, slot, &input, &response, named),
            Some(live) => self.replayed(attempt, number, slot, live, &response, named),
        };
        (description, answer, verdict)
    }

    /// Judges the answer to a provision that should have created a resource, and holds the
    /// resource in `slot` when it did.
    fn created(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
        input: &ProvisionInput,
        response: &HttpResponse,
        named: Reading,
    ) -> Verdict {
        let expectations = self.expectations();
        let mut ok = expectations.provision_ok.to_vec();
        ok.extend(expectations.provision_async);
        if !ok.contains(&response.status) {
            return Verdict::Disagrees(format!(
                "expected {}, got {}",
                statuses(&ok),
                described(response)
            ));
        }
        let Named { id, config } = match named {
            Some(Ok(named)) => named,
            Some(Err(reason)) => {
                return Verdict::Disagrees(format!("the answer names no resource: {reason}"));
            }
            None => return Verdict::Disagrees("the answer names no resource".into()),
        };
        if let Some(other) = attempt.live_with_id(&id, slot) {
            return Verdict::Disagrees(format!(
                "the answer names `{id}`, the id of {other}'s resource: two requests, one resource"
            ));
        }
        let resource = Resource {
            id,
            input: input.clone(),
            plan: input.plan.clone(),
            config: config.clone(),
        };
        let asynchronous = expectations.provision_async == Some(response.status);
        let live = Live::new(resource, asynchronous, config, number, answer_of(response));
        attempt.slots[slot.index()] = Held::Live(live);
        Verdict::Agrees
    }

    /// The statuses a replay of `live`'s provision may answer.
    fn replay_statuses(&self, live: &Live) -> Vec<u16> {
        let expectations = self.expectations();
        let mut ok = expectations.provision_replay_ok.to_vec();
        if live.asynchronous {
            ok.extend(expectations.provision_async);
        }
        ok
    }

    /// Judges the answer to a replay of the provision that created `live`.
    fn replayed(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
        mut live: Live,
        response: &HttpResponse,
        named: Reading,
    ) -> Verdict {
        let replay_ok = self.replay_statuses(&live);
        if !replay_ok.contains(&response.status) {
            return Verdict::Disagrees(format!(
                "a replay must answer {}, got {}",
                statuses(&replay_ok),
                described(response)
            ));
        }
        let Named { id, config } = match named {
            Some(Ok(named)) => named,
            Some(Err(reason)) => {
                return Verdict::Disagrees(format!(
                    "the replay's answer names no resource: {reason}"
                ));
            }
            None => return Verdict::Disagrees("the replay's answer names no resource".into()),
        };
        if let Some(verdict) = self.same_resource(&live, slot, &id, &config, response) {
            return verdict;
        }
        if !live.repeats_original(response) {
            live.handed_out(config, number);
        }
        attempt.slots[slot.index()] = Held::Live(live);
        Verdict::Agrees
    }

    /// Why a replay's answer (`id`, `config`) is not the live resource of `slot` as it stands.
    fn same_resource(
        &self,
        live: &Live,
        slot: Slot,
        id: &str,
        config: &BTreeMap<String, String>,
        response: &HttpResponse,
    ) -> Option<Verdict> {
        if id != live.resource.id {
            return Some(Verdict::Disagrees(format!(
                "the replay named `{id}` instead of `{}`: the provider created another resource \
                 for a request it had already answered",
                live.resource.id
            )));
        }
        if live.repeats_original(response) {
            return None;
        }
        live.undone(slot, config).map(Verdict::Disagrees)
    }

    async fn concurrent_provision(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
        plan: &str,
    ) -> (String, String, Verdict) {
        let live = match attempt.held(slot) {
            Held::Live(live) => Some(live.clone()),
            Held::Empty | Held::Deleted { .. } => None,
        };
        let (description, input) = match &live {
            Some(live) => (
                format!("replay the provision of {slot}, {CONCURRENT_COPIES} copies at once"),
                live.resource.input.clone(),
            ),
            None => (
                format!("provision {slot} (plan {plan}), {CONCURRENT_COPIES} copies at once"),
                self.inputs().provision(plan),
            ),
        };
        if !self.record().intend(&input) {
            crate::stop_unrecorded().await;
        }
        let request = self.dialect.provision(self.ctx, &input);
        let copies = self
            .transport
            .send_together(&request, CONCURRENT_COPIES)
            .await;
        let mut responses = Vec::new();
        for (response, elapsed) in copies {
            attempt.sent.push(Sent::Raw {
                request: request.clone(),
                response: response.clone(),
                elapsed,
            });
            responses.push(response);
        }
        let answer = responses
            .iter()
            .map(|response| match response {
                Ok(response) => response.status.to_string(),
                Err(_) => "no answer".to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let mut answers = Vec::new();
        let mut silent = None;
        for response in &responses {
            match response {
                Ok(response) => {
                    self.track(attempt, &input, response);
                    let named = response
                        .is_success()
                        .then(|| self.read_answer(&input, response));
                    answers.push((response, named));
                }
                Err(error) => silent = Some(error),
            }
        }
        if let Some(error) = silent {
            // A copy without an answer may have created a resource nobody knows the id of: the
            // entry stays pending for the final cleanup to replay.
            return (description, answer, Verdict::no_answer(error));
        }
        let answered: Vec<&HttpResponse> = answers.iter().map(|(response, _)| *response).collect();
        self.settle(&input, &answered);
        let verdict = self.judge_copies(attempt, number, slot, &input, live, &answers);
        (description, answer, verdict)
    }

    /// Judges the answers to identical provisions sent at once: all successful, all naming the
    /// one resource of `slot`.
    fn judge_copies(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
        input: &ProvisionInput,
        live: Option<Live>,
        answers: &[(&HttpResponse, Reading)],
    ) -> Verdict {
        let expectations = self.expectations();
        let mut ok = match &live {
            Some(live) => self.replay_statuses(live),
            None => expectations.provision_replay_ok.to_vec(),
        };
        if live.is_none() {
            ok.extend(expectations.provision_ok);
            ok.extend(expectations.provision_async);
        }
        let mut named = Vec::new();
        for (response, reply) in answers {
            if !ok.contains(&response.status) {
                return Verdict::Disagrees(format!(
                    "a copy was answered {}; expected {}",
                    described(response),
                    statuses(&ok)
                ));
            }
            match reply {
                Some(Ok(reply)) => named.push((reply.id.clone(), reply.config.clone(), *response)),
                Some(Err(reason)) => {
                    return Verdict::Disagrees(format!(
                        "a copy's answer names no resource: {reason}"
                    ));
                }
                None => return Verdict::Disagrees("a copy's answer names no resource".into()),
            }
        }
        let ids: BTreeSet<&String> = named.iter().map(|(id, _, _)| id).collect();
        if ids.len() > 1 {
            return Verdict::Disagrees(format!(
                "{CONCURRENT_COPIES} identical provisions sent at once made {} resources: {}",
                ids.len(),
                ids.iter()
                    .map(|id| format!("`{id}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let Some((id, config, _)) = named.first().cloned() else {
            return Verdict::Disagrees("no copy was answered".into());
        };
        if let Some(mut live) = live {
            for (id, config, response) in &named {
                if let Some(verdict) = self.same_resource(&live, slot, id, config, response) {
                    return verdict;
                }
            }
            // What the copies built afresh say the resource is now; repeats of the original
            // answer say nothing new.
            if let Some((_, config, _)) = named
                .into_iter()
                .find(|(_, _, response)| !live.repeats_original(response))
            {
                live.handed_out(config, number);
            }
            attempt.slots[slot.index()] = Held::Live(live);
            return Verdict::Agrees;
        }
        if let Some((_, other, _)) = named.iter().find(|(_, other, _)| *other != config) {
            return Verdict::Disagrees(format!(
                "the copies named one resource but answered with different config ({} differ)",
                changed_keys(&config, other)
            ));
        }
        if let Some(other) = attempt.live_with_id(&id, slot) {
            return Verdict::Disagrees(format!(
                "the answers name `{id}`, the id of {other}'s resource: two requests, one resource"
            ));
        }
        let resource = Resource {
            id,
            input: input.clone(),
            plan: input.plan.clone(),
            config: config.clone(),
        };
        let asynchronous = answers
            .iter()
            .any(|(response, _)| expectations.provision_async == Some(response.status));
        // Which copy created the resource is unknown: only copies answered all alike leave an
        // original answer a cache could repeat.
        let first = answer_of(answers[0].0);
        let original = answers
            .iter()
            .all(|(response, _)| answer_of(response) == first)
            .then_some(first)
            .flatten();
        let live = Live::new(resource, asynchronous, config, number, original);
        attempt.slots[slot.index()] = Held::Live(live);
        Verdict::Agrees
    }

    async fn deprovision(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
    ) -> (String, String, Verdict) {
        let held = attempt.held(slot).clone();
        let (description, resource) = match &held {
            Held::Live(live) => (format!("deprovision {slot}"), live.resource.clone()),
            Held::Deleted { resource, .. } => {
                (format!("deprovision {slot} again"), resource.clone())
            }
            Held::Empty => (
                format!("deprovision {slot}, never provisioned (an id the provider never issued)"),
                self.stranger(),
            ),
        };
        let request = self.dialect.deprovision(self.ctx, &resource);
        let response = match self.send(attempt, request).await {
            Ok(response) => response,
            Err(error) => return (description, "no answer".into(), Verdict::no_answer(&error)),
        };
        let answer = response.status.to_string();
        let expectations = self.expectations();
        let repeat_ok = expectations.deprovision_repeat_ok;
        let ok = expectations.deprovision_ok;
        let verdict = match held {
            Held::Live(_) if !ok.contains(&response.status) => Verdict::Disagrees(format!(
                "expected {}, got {}",
                statuses(ok),
                described(&response)
            )),
            Held::Live(_) => {
                self.record().remove(&resource.id);
                attempt.slots[slot.index()] = Held::Deleted {
                    resource,
                    at: number,
                };
                if expectations.deprovision_empty_body
                    && !response.body.iter().all(u8::is_ascii_whitespace)
                {
                    Verdict::Disagrees(format!(
                        "the platform expects an empty body, got {} with one",
                        response.status
                    ))
                } else {
                    Verdict::Agrees
                }
            }
            Held::Deleted { at, .. } if !repeat_ok.contains(&response.status) => {
                Verdict::Disagrees(format!(
                    "{slot} was deprovisioned in step {at}: a repeated deprovision must answer {}, \
                     got {}",
                    statuses(repeat_ok),
                    described(&response)
                ))
            }
            Held::Empty
                if !(is_client_error(&response) || repeat_ok.contains(&response.status)) =>
            {
                Verdict::Disagrees(format!(
                    "expected a 4xx or {}, got {}",
                    statuses(repeat_ok),
                    described(&response)
                ))
            }
            Held::Deleted { .. } | Held::Empty => Verdict::Agrees,
        };
        (description, answer, verdict)
    }

    async fn change_plan(
        &self,
        attempt: &mut Attempt,
        number: usize,
        slot: Slot,
        plan: String,
        offered: bool,
    ) -> (String, String, Verdict) {
        let held = attempt.held(slot).clone();
        let target = if offered {
            plan.clone()
        } else {
            format!("`{plan}`, a plan the add-on does not offer")
        };
        let (description, resource) = match &held {
            Held::Live(live) => (
                format!("change the plan of {slot} to {target}"),
                live.resource.clone(),
            ),
            Held::Deleted { resource, at } => (
                format!("change the plan of {slot} (deprovisioned in step {at}) to {target}"),
                resource.clone(),
            ),
            Held::Empty => (
                format!(
                    "change the plan of {slot}, never provisioned (an id the provider never \
                     issued), to {target}"
                ),
                self.stranger(),
            ),
        };
        let request = self.dialect.change_plan(self.ctx, &resource, &plan);
        let response = match self.send(attempt, request).await {
            Ok(response) => response,
            Err(error) => return (description, "no answer".into(), Verdict::no_answer(&error)),
        };
        let answer = response.status.to_string();
        let ok = self.expectations().plan_change_ok;
        let verdict = match held {
            Held::Live(mut live) if ok.contains(&response.status) => {
                live.resource.plan = plan;
                let returned = config_strings(&self.dialect.plan_change_config(&response));
                if returned.is_empty() {
                    live.config = None;
                } else {
                    live.handed_out(returned, number);
                }
                attempt.slots[slot.index()] = Held::Live(live);
                Verdict::Agrees
            }
            Held::Live(_) if offered => Verdict::Disagrees(format!(
                "expected {}, got {}",
                statuses(ok),
                described(&response)
            )),
            Held::Live(_) if !is_client_error(&response) => Verdict::Disagrees(format!(
                "expected a 4xx refusal (or {}), got {}",
                statuses(ok),
                described(&response)
            )),
            Held::Deleted { at, .. } if !is_client_error(&response) => Verdict::Disagrees(format!(
                "{slot} was deprovisioned in step {at}, so the change must be refused with a \
                     4xx; got {}",
                described(&response)
            )),
            Held::Empty if !is_client_error(&response) => Verdict::Disagrees(format!(
                "no such resource exists, so the change must be refused with a 4xx; got {}",
                described(&response)
            )),
            Held::Live(_) | Held::Deleted { .. } | Held::Empty => Verdict::Agrees,
        };
        (description, answer, verdict)
    }

    async fn sso(
        &self,
        attempt: &mut Attempt,
        slot: Slot,
        token: Token,
    ) -> (String, String, Verdict) {
        let held = attempt.held(slot).clone();
        let (resource, gone) = match &held {
            Held::Live(live) => (live.resource.clone(), None),
            Held::Deleted { resource, at } => (
                resource.clone(),
                Some(format!("{slot} was deprovisioned in step {at}")),
            ),
            Held::Empty => (
                self.stranger(),
                Some(format!("{slot} was never provisioned")),
            ),
        };
        let minted_for = match token {
            Token::MintedFor(other) => match attempt.held(other).clone() {
                Held::Live(live) => live.resource,
                Held::Deleted { resource, .. } => resource,
                Held::Empty => self.stranger(),
            },
            Token::Own | Token::Stale | Token::Forged => resource.clone(),
        };
        let window = i64::try_from(self.sso_window.as_secs()).unwrap_or(i64::MAX);
        let (timestamp, mint, tokens) = match token {
            Token::Own => (now(), TokenMint::Valid, format!("a valid token for {slot}")),
            Token::MintedFor(other) => (
                now(),
                TokenMint::Valid,
                format!("a valid token minted for {other}"),
            ),
            Token::Stale => (
                now().saturating_sub(window.saturating_add(60)),
                TokenMint::Valid,
                "a token older than the window".into(),
            ),
            Token::Forged => (now(), TokenMint::Forged, "a forged token".into()),
        };
        let description = format!("log in to {slot} with {tokens}");
        let login = sso::login(&resource, &minted_for, timestamp, mint, Vec::new());
        let Some(visit) =
            sso::visit(self.dialect, self.ctx, self.browser, self.redactor, &login).await
        else {
            let reason = "the manifest sets no SSO salt or SSO URL, so no login can be sent";
            return (
                description,
                "not sent".into(),
                Verdict::NoAnswer {
                    reason: reason.into(),
                    connect: false,
                },
            );
        };
        attempt
            .sent
            .extend(visit.exchanges.iter().cloned().map(Sent::Recorded));
        let first = match &visit.first {
            Ok(first) => first,
            Err(error) => return (description, "no answer".into(), Verdict::no_answer(error)),
        };
        let answer = match &visit.last {
            Ok(page) if visit.exchanges.len() > 1 => format!("{} → {}", first.status, page.status),
            _ => first.status.to_string(),
        };
        let refusal = self.expectations().sso_refusal;
        let refused = refusal.refuses(first, visit.opened_session());
        let verdict = match (gone, token) {
            (Some(gone), _) if !(is_client_error(first) || refused) => {
                let how = if refusal.redirect_without_session {
                    "a 4xx or a redirect that opens no session"
                } else {
                    "a 4xx"
                };
                Verdict::Disagrees(format!(
                    "{gone}, so a login must be refused with {how}; got {}",
                    described(first)
                ))
            }
            (Some(_), _) => Verdict::Agrees,
            (None, Token::Own) => match &visit.last {
                _ if refused => {
                    Verdict::Disagrees(format!("a valid login was refused: {}", described(first)))
                }
                Ok(page) if page.status == 200 => Verdict::Agrees,
                Ok(page) => {
                    Verdict::Disagrees(format!("a valid login ended on {}", described(page)))
                }
                Err(reason) => {
                    Verdict::Disagrees(format!("a valid login did not reach a page: {reason}"))
                }
            },
            (None, _) if refused => Verdict::Agrees,
            (None, _) => Verdict::Disagrees(format!(
                "a login with {tokens} must be refused with {}; got {}",
                refusal.describe(),
                described(first)
            )),
        };
        (description, answer, verdict)
    }
}

/// What a slot holds after the steps drawn so far, if the provider agrees with the model.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Drawn {
    Empty,
    Live { plan: String },
    Deleted,
}

/// The model's state as generation sees it: each step is drawn with the state the steps before
/// it leave, so that most steps act on something that exists (a replay of a live resource, a
/// plan change to a plan it is not on, a login with the tokens of a resource that exists). Every
/// step still means something in any state, which is what lets shrinking remove and simplify
/// steps freely.
#[derive(Debug, Clone)]
struct Outline {
    slots: [Drawn; 3],
}

impl Outline {
    fn new() -> Self {
        Self {
            slots: [Drawn::Empty, Drawn::Empty, Drawn::Empty],
        }
    }

    fn apply(&mut self, step: &Step) {
        match step {
            Step::Provision { slot, plan } | Step::ConcurrentProvision { slot, plan } => {
                let held = &mut self.slots[slot.index()];
                if !matches!(held, Drawn::Live { .. }) {
                    *held = Drawn::Live { plan: plan.clone() };
                }
            }
            Step::ChangePlan { slot, plan } => {
                if let Drawn::Live { plan: current } = &mut self.slots[slot.index()] {
                    current.clone_from(plan);
                }
            }
            Step::Deprovision { slot } => {
                let held = &mut self.slots[slot.index()];
                if matches!(held, Drawn::Live { .. }) {
                    *held = Drawn::Deleted;
                }
            }
            Step::ChangeToUnknownPlan { .. } | Step::Sso { .. } => {}
        }
    }

    /// The slots whose state is `wanted`; every slot when none is.
    fn slots(&self, wanted: impl Fn(&Drawn) -> bool) -> Vec<Slot> {
        let found: Vec<Slot> = Slot::ALL
            .into_iter()
            .filter(|slot| wanted(&self.slots[slot.index()]))
            .collect();
        if found.is_empty() {
            Slot::ALL.to_vec()
        } else {
            found
        }
    }
}

/// The next step's strategy in the state `outline` describes. Shrinking moves a step towards
/// the alternative before it, so they come simplest first: provisions (a concurrent one right
/// after them, so that it can shrink into one), deprovisions, plan changes. Logins come last:
/// without SSO in the manifest their weight is zero, and shrinking never reaches them.
fn step_strategy(
    plans: &[String],
    sso: bool,
    outline: &Outline,
) -> impl Strategy<Value = Step, Tree = impl ValueTree<Value = Step> + Send + use<>> + Send + Sync + use<>
{
    let live = outline.slots(|held| matches!(held, Drawn::Live { .. }));
    let absent = outline.slots(|held| !matches!(held, Drawn::Live { .. }));
    let issued = outline.slots(|held| *held != Drawn::Empty);
    let gone = outline.slots(|held| *held == Drawn::Deleted);
    let mut moves: Vec<(Slot, String)> = Vec::new();
    for slot in &live {
        for plan in plans {
            if outline.slots[slot.index()] != (Drawn::Live { plan: plan.clone() }) {
                moves.push((*slot, plan.clone()));
            }
        }
    }
    if moves.is_empty() {
        moves = live
            .iter()
            .flat_map(|slot| plans.iter().map(|plan| (*slot, plan.clone())))
            .collect();
    }
    // Logins to a live resource with the tokens of another resource that was issued an id, or
    // of a slot never provisioned when there is none.
    let crossed: Vec<(Slot, Slot)> = live
        .iter()
        .flat_map(|slot| {
            let issued_others: Vec<Slot> = issued.iter().copied().filter(|o| o != slot).collect();
            let others = if issued_others.is_empty() {
                (1..Slot::ALL.len())
                    .map(|distance| slot.after(distance))
                    .collect()
            } else {
                issued_others
            };
            others.into_iter().map(move |other| (*slot, other))
        })
        .collect();
    let plan = || select(plans.to_vec());
    let tokens =
        prop_oneof![3 => Just(Token::Own), 1 => Just(Token::Stale), 1 => Just(Token::Forged)];
    // Steps on live resources are drawn only once there are some, steps on deprovisioned ones
    // more often once there are some: a state only matters once it has been reached.
    let any = |held: fn(&Drawn) -> bool| outline.slots.iter().any(held);
    let on_live = if any(|held| matches!(held, Drawn::Live { .. })) {
        3
    } else {
        0
    };
    let on_gone = if any(|held| *held == Drawn::Deleted) {
        2
    } else {
        1
    };
    let sso = u32::from(sso);
    let own_login = if any(|held| *held != Drawn::Empty) {
        3
    } else {
        1
    };
    prop_oneof![
        3 => (select(absent.clone()), plan()).prop_map(|(slot, plan)| Step::Provision { slot, plan }),
        on_live => (select(live.clone()), plan()).prop_map(|(slot, plan)| Step::Provision { slot, plan }),
        1 => (select(Slot::ALL.to_vec()), plan())
            .prop_map(|(slot, plan)| Step::ConcurrentProvision { slot, plan }),
        on_live => select(live).prop_map(|slot| Step::Deprovision { slot }),
        1 => select(absent.clone()).prop_map(|slot| Step::Deprovision { slot }),
        on_live + 1 => select(moves).prop_map(|(slot, plan)| Step::ChangePlan { slot, plan }),
        on_gone => (select(gone), plan()).prop_map(|(slot, plan)| Step::ChangePlan { slot, plan }),
        1 => select(Slot::ALL.to_vec()).prop_map(|slot| Step::ChangeToUnknownPlan { slot }),
        sso * own_login => (select(issued), tokens).prop_map(|(slot, token)| Step::Sso { slot, token }),
        sso * on_live => select(crossed).prop_map(|(slot, other)| Step::Sso {
            slot,
            token: Token::MintedFor(other),
        }),
    ]
}

/// Where shrinking a sequence stands: removing the step at an index, or simplifying it.
#[derive(Debug, Clone, Copy)]
enum Phase {
    Remove(usize),
    Simplify(usize),
}

/// A generated sequence as a proptest value tree. Shrinking removes single steps first, then
/// simplifies each remaining step with its own value tree; when that pass kept anything, it
/// starts over, since a simpler step may make another one unnecessary.
struct SequenceTree<T> {
    steps: Vec<T>,
    included: Vec<bool>,
    phase: Phase,
    /// What the last simplification did, for `complicate` to undo.
    last: Option<Phase>,
    /// Whether a simplification was kept since removals last started over.
    kept: bool,
}

impl<T: ValueTree<Value = Step>> SequenceTree<T> {
    /// Draws a sequence of 1 to [`MAX_STEPS`] steps, each from the strategy `strategy` gives
    /// for the state the steps before it leave.
    fn generate<S, F>(strategy: &F, runner: &mut TestRunner) -> Self
    where
        S: Strategy<Tree = T>,
        F: Fn(&Outline) -> S,
    {
        let length = (1..=MAX_STEPS)
            .new_tree(runner)
            .map(|tree| tree.current())
            .unwrap_or(MAX_STEPS);
        let mut outline = Outline::new();
        let mut steps = Vec::with_capacity(length);
        for _ in 0..length {
            let step = strategy(&outline)
                .new_tree(runner)
                .unwrap_or_else(|reason| panic!("step strategies never reject: {reason}"));
            outline.apply(&step.current());
            steps.push(step);
        }
        Self {
            included: vec![true; steps.len()],
            steps,
            phase: Phase::Remove(0),
            last: None,
            kept: false,
        }
    }

    fn len(&self) -> usize {
        self.included.iter().filter(|included| **included).count()
    }

    /// Keeps the first `len` steps only: the current sequence failed at step `len`, and a run
    /// stops at its first failure, so the steps after it never ran. Marks the simplification
    /// that led here as kept.
    fn keep_failing_prefix(&mut self, len: usize) {
        let mut seen = 0;
        for included in &mut self.included {
            if *included {
                seen += 1;
                *included = seen <= len;
            }
        }
        self.kept = true;
    }
}

impl<T: ValueTree<Value = Step>> ValueTree for SequenceTree<T> {
    type Value = Vec<Step>;

    fn current(&self) -> Vec<Step> {
        self.steps
            .iter()
            .zip(&self.included)
            .filter(|(_, included)| **included)
            .map(|(step, _)| step.current())
            .collect()
    }

    fn simplify(&mut self) -> bool {
        self.last = None;
        loop {
            match self.phase {
                Phase::Remove(index) if index >= self.steps.len() => {
                    self.phase = Phase::Simplify(0);
                }
                Phase::Remove(index) => {
                    self.phase = Phase::Remove(index + 1);
                    if self.included[index] && self.len() > 1 {
                        self.included[index] = false;
                        self.last = Some(Phase::Remove(index));
                        return true;
                    }
                }
                Phase::Simplify(index) if index >= self.steps.len() => {
                    if !std::mem::take(&mut self.kept) {
                        return false;
                    }
                    self.phase = Phase::Remove(0);
                }
                Phase::Simplify(index) => {
                    if self.included[index] && self.steps[index].simplify() {
                        self.last = Some(Phase::Simplify(index));
                        return true;
                    }
                    self.phase = Phase::Simplify(index + 1);
                }
            }
        }
    }

    fn complicate(&mut self) -> bool {
        match self.last {
            None => false,
            Some(Phase::Remove(index)) => {
                self.included[index] = true;
                self.last = None;
                true
            }
            Some(Phase::Simplify(index)) => {
                if self.steps[index].complicate() {
                    true
                } else {
                    self.last = None;
                    false
                }
            }
        }
    }
}

/// The shortest failing sequence shrinking found.
#[derive(Debug)]
struct Shrunk {
    steps: Vec<Step>,
    run: Run,
    attempts: u32,
    /// Why shrinking stopped before it ran out of candidates.
    stopped: Option<String>,
}

/// Shrinks `tree`, whose current sequence `steps` failed as `run` did, to the shortest sequence
/// that still fails, running each candidate for real.
async fn shrink<T: ValueTree<Value = Step>>(
    machine: &Machine<'_>,
    tree: &mut SequenceTree<T>,
    steps: Vec<Step>,
    run: Run,
) -> Shrunk {
    let started = Instant::now();
    let mut best = Shrunk {
        steps,
        run,
        attempts: 0,
        stopped: None,
    };
    'search: while tree.simplify() {
        loop {
            let candidate = tree.current();
            if candidate == best.steps {
                // The known failure: nothing to learn from running it again.
                break;
            }
            if best.attempts >= MAX_SHRINK_ATTEMPTS {
                best.stopped = Some(format!("after {MAX_SHRINK_ATTEMPTS} attempts"));
                break 'search;
            }
            if started.elapsed() > SHRINK_TIME {
                best.stopped = Some(format!("after {} s", SHRINK_TIME.as_secs()));
                break 'search;
            }
            best.attempts += 1;
            let run = machine.run(&candidate).await;
            match &run.end {
                Verdict::Disagrees(_) => {
                    let len = run.taken.len();
                    tree.keep_failing_prefix(len);
                    best.steps = candidate[..len].to_vec();
                    best.run = run;
                    break;
                }
                Verdict::Agrees => {
                    if !tree.complicate() {
                        break;
                    }
                }
                Verdict::NoAnswer { reason, .. } => {
                    best.stopped = Some(format!("a candidate got no answer: {reason}"));
                    break 'search;
                }
            }
        }
    }
    best
}

/// What the sequences of one run came to.
#[derive(Debug)]
enum Exploration {
    Agreed { ran: u32, operations: usize },
    NoAnswer { sequence: u32, run: Run },
    Disagreed { sequence: u32, shrunk: Shrunk },
}

/// A sequence that did not agree, as it ran.
struct Failed<T> {
    sequence: u32,
    tree: SequenceTree<T>,
    steps: Vec<Step>,
    run: Run,
}

/// What the sequences running at once share: the draw of the next sequence, and what the
/// finished ones came to.
struct Exploring<T> {
    /// Sequences are drawn in order under this lock, so the seed decides each one whatever
    /// order they finish in.
    next: Mutex<(TestRunner, u32)>,
    deadline: Instant,
    stop: AtomicBool,
    ran: AtomicU32,
    operations: AtomicUsize,
    failed: Mutex<Vec<Failed<T>>>,
}

impl<T: ValueTree<Value = Step>> Exploring<T> {
    /// The next sequence up to number `last`, unless the exploration is over.
    fn take<S, F>(&self, strategy: &F, last: u32) -> Option<(u32, SequenceTree<T>)>
    where
        S: Strategy<Tree = T>,
        F: Fn(&Outline) -> S,
    {
        if self.stop.load(Ordering::Relaxed) || Instant::now() > self.deadline {
            return None;
        }
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let (runner, taken) = &mut *next;
        if *taken >= last {
            return None;
        }
        *taken += 1;
        Some((*taken, SequenceTree::generate(strategy, runner)))
    }

    /// Runs sequences until number `last` has been taken or one does not agree.
    async fn work<S, F>(&self, machine: &Machine<'_>, strategy: &F, last: u32)
    where
        S: Strategy<Tree = T>,
        F: Fn(&Outline) -> S,
    {
        while let Some((sequence, tree)) = self.take(strategy, last) {
            let steps = tree.current();
            let run = machine.run(&steps).await;
            self.ran.fetch_add(1, Ordering::Relaxed);
            self.operations
                .fetch_add(run.taken.len(), Ordering::Relaxed);
            if !matches!(run.end, Verdict::Agrees) {
                self.stop.store(true, Ordering::Relaxed);
                self.failed
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Failed {
                        sequence,
                        tree,
                        steps,
                        run,
                    });
            }
        }
    }
}

/// Runs up to `sequences` generated sequences, `workers` at a time: each worker draws the next
/// sequence (in order, under a lock, so the seed decides each one) and runs it. Once one does
/// not agree no more are drawn, but those already running finish, so every sequence numbered
/// below the first disagreeing one has run: the lowest-numbered disagreeing sequence, the one
/// shrunk, is the same whatever `workers` is. Shrinking runs one candidate at a time.
async fn explore<S, F>(
    machine: &Machine<'_>,
    strategy: &F,
    sequences: u32,
    seed: u64,
    workers: usize,
) -> Exploration
where
    S: Strategy<Value = Step>,
    S::Tree: Send,
    F: Fn(&Outline) -> S + Sync,
{
    let exploring = Exploring {
        next: Mutex::new((seeded_runner(seed, SEQUENCE_STREAM), 0)),
        deadline: Instant::now() + TIME_PER_SEQUENCE * sequences,
        stop: AtomicBool::new(false),
        ran: AtomicU32::new(0),
        operations: AtomicUsize::new(0),
        failed: Mutex::new(Vec::new()),
    };
    let workers = workers.clamp(1, sequences.max(1) as usize);
    futures_util::future::join_all(
        (0..workers).map(|_| exploring.work(machine, strategy, sequences)),
    )
    .await;
    let mut failed = exploring
        .failed
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    failed.sort_by_key(|failed| failed.sequence);
    let Some(Failed {
        sequence,
        mut tree,
        steps,
        run,
    }) = failed.into_iter().next()
    else {
        return Exploration::Agreed {
            ran: exploring.ran.into_inner(),
            operations: exploring.operations.into_inner(),
        };
    };
    if let Verdict::NoAnswer { .. } = run.end {
        return Exploration::NoAnswer { sequence, run };
    }
    let len = run.taken.len();
    tree.keep_failing_prefix(len);
    let shrunk = shrink(machine, &mut tree, steps[..len].to_vec(), run).await;
    Exploration::Disagreed { sequence, shrunk }
}

/// The plans steps move between: the run's two plans first, then the manifest's others.
fn offered_plans(manifest: &Manifest, plan: &str, plan_change_to: &str) -> Vec<String> {
    let mut plans = vec![plan.to_string()];
    let others =
        std::iter::once(plan_change_to).chain(manifest.plans.iter().map(|p| p.name.as_str()));
    for name in others {
        if !plans.iter().any(|known| known == name) {
            plans.push(name.to_string());
        }
    }
    plans
}

impl Suite<'_> {
    /// Runs `lifecycle.model`: [`SEQUENCES_PER_CASE`] generated sequences for each case.
    pub(crate) async fn lifecycle_model(&mut self) {
        if !self.book.wants(CHECK) {
            return;
        }
        self.book.begin(CHECK);
        let seed = self.inputs.seed();
        let sequences = self.cases.max(1).saturating_mul(SEQUENCES_PER_CASE);
        let plans = offered_plans(&self.ctx.manifest, &self.plan, &self.plan_change_to);
        let machine = Machine {
            dialect: self.dialect,
            ctx: &self.ctx,
            transport: &self.transport,
            browser: &self.browser,
            redactor: &self.redactor,
            record: Mutex::new(&mut self.ledger),
            inputs: Mutex::new(&mut self.inputs),
            sso_window: self.sso_window,
            plan: self.plan.clone(),
        };
        let sso = machine.sso_available();
        let strategy = |outline: &Outline| step_strategy(&plans, sso, outline);
        let workers = self.transport.concurrency();
        let exploration = explore(&machine, &strategy, sequences, seed, workers).await;
        let slots = Slot::ALL.len();
        match exploration {
            Exploration::Agreed { ran, operations } => {
                self.book.pass(CHECK);
                let mut note = format!(
                    "{ran} generated sequences ({operations} operations over {slots} resources) \
                     agreed with the model"
                );
                if ran < sequences {
                    note.push_str(&format!(
                        "; {} of the {sequences} asked for were not run, the provider being \
                         slower than {} s a sequence",
                        sequences - ran,
                        TIME_PER_SEQUENCE.as_secs()
                    ));
                }
                self.book.note(CHECK, note);
            }
            Exploration::NoAnswer { sequence, run } => {
                for exchange in &run.exchanges {
                    self.book.evidence(CHECK, exchange);
                }
                self.book.fail(
                    CHECK,
                    format!(
                        "sequence {sequence} of {sequences} (seed {seed}) was cut short by a \
                         request that got no answer; a sequence the network decided is not \
                         shrunk:\n{}",
                        run.transcript()
                    ),
                );
            }
            Exploration::Disagreed { sequence, shrunk } => {
                for exchange in &shrunk.run.exchanges {
                    self.book.evidence(CHECK, exchange);
                }
                let mut message = format!(
                    "sequence {sequence} of {sequences} (seed {seed}) disagreed with the model; \
                     the shortest sequence found that still does ({} shrinking runs) has {} \
                     step(s):\n{}",
                    shrunk.attempts,
                    shrunk.steps.len(),
                    shrunk.run.transcript()
                );
                if let Some(stopped) = &shrunk.stopped {
                    message.push_str(&format!("\nshrinking stopped early, {stopped}"));
                }
                message.push_str(
                    "\n`addon-conform replay` runs it again from the JSON report's `reproduction`",
                );
                match shrunk
                    .run
                    .judged
                    .and_then(|at| shrunk.run.exchanges.get(at))
                {
                    Some(judged) => self.book.fail_on(CHECK, message, judged),
                    None => self.book.fail(CHECK, message),
                }
                let reproduction = Reproduction {
                    platform: self.dialect.platform(),
                    seed,
                    steps: shrunk.steps,
                };
                if let Ok(value) = serde_json::to_value(&reproduction) {
                    self.book.reproduction(CHECK, value);
                }
            }
        }
    }
}

/// How [`replay`] reaches the provider.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    pub environment: Environment,
    /// Overrides the manifest's provisioning URL for the environment.
    pub base_url: Option<Url>,
    /// Overrides the platform's deadline for every request.
    pub timeout: Option<Duration>,
    /// Where to record what the replay provisions; `None`: in memory.
    pub ledger: Option<Ledger>,
    /// The manifest's file, recorded with every ledger entry.
    pub manifest_path: Option<PathBuf>,
}

/// What running a saved sequence again found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// Every step agreed with the model.
    Fixed,
    /// A step still disagrees.
    StillFailing,
    /// A request got no answer, so the sequence could not be finished.
    NoAnswer,
    /// The run was interrupted before the sequence was finished.
    Interrupted,
}

/// The outcome of [`replay`].
#[derive(Debug)]
pub struct Replayed {
    pub verdict: ReplayVerdict,
    /// The steps as they ran, numbered, each with its answer, and under the last one why it did
    /// not agree.
    pub transcript: String,
    /// Every request of the run, redacted, with its curl command.
    pub exchanges: Vec<Exchange>,
    /// Set when the provider could not be reached at all.
    pub unreachable: bool,
    /// Resources the replay provisioned and could not deprovision.
    pub leftovers: Vec<Leftover>,
}

/// Runs a saved sequence once against the provider `manifest` names, with fresh uuids, and
/// judges it with the same model as `lifecycle.model`. Everything it provisions is recorded in
/// the ledger and deprovisioned before it returns, also when `interrupt` completes first.
pub async fn replay(
    dialect: &dyn Dialect,
    manifest: Manifest,
    reproduction: &Reproduction,
    options: ReplayOptions,
    interrupt: impl Future<Output = ()> + Send,
) -> Result<Replayed, RunError> {
    if reproduction.platform != dialect.platform() {
        return Err(RunError::WrongPlatform {
            saved: reproduction.platform,
            target: dialect.platform(),
        });
    }
    let expectations = dialect.expectations();
    let endpoints = crate::endpoints(&manifest, options.environment, options.base_url.as_ref())
        .ok_or(RunError::NoEndpoint(options.environment))?;
    let timeout = options.timeout.unwrap_or(expectations.deadline_must);
    let redactor = crate::run_redactor(&manifest, &endpoints);
    let traffic = Arc::new(Traffic::default());
    let transport = Transport::new(&endpoints.base_url, timeout, traffic.clone())
        .map_err(RunError::Client)?
        .learning_into(&redactor);
    let sso_origin = endpoints.sso_url.as_ref().unwrap_or(&endpoints.base_url);
    let browser = Transport::new(sso_origin, timeout, traffic)
        .map_err(RunError::Client)?
        .learning_into(&redactor);
    let ledger = match options.ledger {
        Some(ledger) => ledger,
        None => Ledger::in_memory()?,
    };
    let mut record = RunRecord::new(
        ledger,
        Scope {
            platform: dialect.platform(),
            target: endpoints.base_url.clone(),
            manifest_path: options.manifest_path,
            environment: options.environment,
        },
    );
    let callbacks = CallbackServer::start().await.map_err(RunError::Callback)?;
    let plan = crate::first_plan(&manifest, expectations);
    let region = crate::region(&manifest, expectations);
    let manifest = Arc::new(manifest);
    let ctx = Ctx {
        credentials: manifest.credentials.clone(),
        manifest,
        environment: options.environment,
        endpoints,
        callback_base: callbacks.base().clone(),
    };
    // Fresh uuids: the saved run's were deprovisioned, and a provider may refuse them again.
    let seed = getrandom::u64().map_err(|error| RunError::Random(error.to_string()))?;
    let mut inputs =
        InputGenerator::new(seed, BTreeMap::new(), region).issuing_into(callbacks.issued());
    let ledger_failed = record.write_failed();
    let machine = Machine {
        dialect,
        ctx: &ctx,
        transport: &transport,
        browser: &browser,
        redactor: &redactor,
        record: Mutex::new(&mut record),
        inputs: Mutex::new(&mut inputs),
        sso_window: expectations.sso_window,
        plan,
    };
    let run = tokio::select! {
        biased;
        () = ledger_failed => None,
        () = interrupt => None,
        run = machine.run(&reproduction.steps) => Some(run),
    };
    drop(machine);
    let leftovers = suite::cleanup(dialect, &ctx, &transport, &mut record).await;
    let Some(run) = run else {
        return Ok(Replayed {
            verdict: ReplayVerdict::Interrupted,
            transcript: String::new(),
            exchanges: Vec::new(),
            unreachable: false,
            leftovers,
        });
    };
    let (verdict, unreachable) = match &run.end {
        Verdict::Agrees => (ReplayVerdict::Fixed, false),
        Verdict::Disagrees(_) => (ReplayVerdict::StillFailing, false),
        Verdict::NoAnswer { connect, .. } => {
            (ReplayVerdict::NoAnswer, *connect && run.taken.len() == 1)
        }
    };
    let transcript = crate::evidence::limit(redactor.redact(&run.transcript()), 64 * 1024);
    let mut exchanges = run.exchanges;
    exchanges
        .iter_mut()
        .for_each(|exchange| redactor.redact_exchange(exchange));
    Ok(Replayed {
        verdict,
        transcript,
        exchanges,
        unreachable,
        leftovers: leftovers
            .into_iter()
            .map(|leftover| Leftover {
                reason: redactor.redact(&leftover.reason),
                ..leftover
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree_for(steps: Vec<Step>) -> SequenceTree<Just<Step>> {
        let trees = steps.into_iter().map(Just).collect::<Vec<_>>();
        SequenceTree {
            included: vec![true; trees.len()],
            steps: trees,
            phase: Phase::Remove(0),
            last: None,
            kept: false,
        }
    }

    fn provision(slot: Slot) -> Step {
        Step::Provision {
            slot,
            plan: "test".into(),
        }
    }

    /// Shrinks with a predicate standing in for the provider: the sequence fails once it has a
    /// deprovision of A followed by a plan change of A.
    fn shrink_against(mut tree: SequenceTree<Just<Step>>) -> Vec<Step> {
        let fails_at = |steps: &[Step]| {
            let deleted = steps
                .iter()
                .position(|step| *step == Step::Deprovision { slot: Slot::A })?;
            steps[deleted..]
                .iter()
                .position(|step| matches!(step, Step::ChangePlan { slot: Slot::A, .. }))
                .map(|offset| deleted + offset + 1)
        };
        let mut best = tree.current();
        let len = fails_at(&best).expect("the sequence fails to begin with");
        tree.keep_failing_prefix(len);
        best.truncate(len);
        while tree.simplify() {
            loop {
                let candidate = tree.current();
                if candidate == best {
                    break;
                }
                match fails_at(&candidate) {
                    Some(len) => {
                        tree.keep_failing_prefix(len);
                        best = candidate[..len].to_vec();
                        break;
                    }
                    None if !tree.complicate() => break,
                    None => {}
                }
            }
        }
        best
    }

    #[test]
    fn shrinking_drops_what_the_failure_does_not_need() {
        let change = Step::ChangePlan {
            slot: Slot::A,
            plan: "premium".into(),
        };
        let tree = tree_for(vec![
            provision(Slot::B),
            provision(Slot::A),
            Step::Sso {
                slot: Slot::B,
                token: Token::Own,
            },
            Step::Deprovision { slot: Slot::A },
            provision(Slot::C),
            change.clone(),
            Step::Deprovision { slot: Slot::B },
            provision(Slot::A),
        ]);
        assert_eq!(
            shrink_against(tree),
            vec![Step::Deprovision { slot: Slot::A }, change]
        );
    }

    #[test]
    fn a_sequence_never_shrinks_to_nothing() {
        let mut tree = tree_for(vec![provision(Slot::A)]);
        assert!(!tree.simplify(), "a single step has nothing left to remove");
        assert_eq!(tree.current(), vec![provision(Slot::A)]);
    }

    fn plans(names: &[&str]) -> Vec<String> {
        names.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn generated_steps_simplify_towards_plain_provisions_of_a() {
        let plans = plans(&["test", "premium"]);
        let mut runner = seeded_runner(3, SEQUENCE_STREAM);
        for _ in 0..20 {
            let mut tree = step_strategy(&plans, true, &Outline::new())
                .new_tree(&mut runner)
                .unwrap();
            while tree.simplify() {}
            assert_eq!(tree.current(), provision(Slot::A));
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_sequences() {
        let plans = plans(&["free", "pro"]);
        let strategy = |outline: &Outline| step_strategy(&plans, true, outline);
        let draw = |seed| {
            let mut runner = seeded_runner(seed, SEQUENCE_STREAM);
            (0..5)
                .map(|_| SequenceTree::generate(&strategy, &mut runner).current())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(11), draw(11));
        assert_ne!(draw(11), draw(12));
        assert!(
            draw(11)
                .iter()
                .all(|steps| (1..=MAX_STEPS).contains(&steps.len()))
        );
    }

    #[test]
    fn steps_are_drawn_for_the_state_the_steps_before_leave() {
        let plans = plans(&["test", "premium"]);
        let mut outline = Outline::new();
        for step in [
            provision(Slot::A),
            provision(Slot::B),
            Step::Deprovision { slot: Slot::B },
        ] {
            outline.apply(&step);
        }
        let mut runner = seeded_runner(9, SEQUENCE_STREAM);
        let mut kinds = BTreeSet::new();
        for _ in 0..400 {
            let step = step_strategy(&plans, true, &outline)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            match &step {
                // A is live on `test`: it moves to the other plan; B is gone: any plan.
                Step::ChangePlan { slot, plan } => {
                    assert!(*slot == Slot::B || plan == "premium", "{step:?}")
                }
                // Only A is live, and only B besides it was issued an id.
                Step::Sso {
                    slot,
                    token: Token::MintedFor(other),
                } => assert_eq!((*slot, *other), (Slot::A, Slot::B)),
                Step::Sso { slot, .. } => assert_ne!(*slot, Slot::C, "C was never provisioned"),
                _ => {}
            }
            let kind = format!("{step:?}");
            kinds.insert(
                kind.split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        assert_eq!(kinds.len(), 6, "every kind of step is drawn: {kinds:?}");
        for _ in 0..400 {
            let step = step_strategy(&plans, false, &outline)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            assert!(!matches!(step, Step::Sso { .. }), "{step:?}");
        }
    }

    #[test]
    fn steps_read_as_json() {
        let reproduction = Reproduction {
            platform: Platform::new("example"),
            seed: 7,
            steps: vec![
                provision(Slot::A),
                Step::ChangePlan {
                    slot: Slot::A,
                    plan: "premium".into(),
                },
                Step::ChangeToUnknownPlan { slot: Slot::B },
                Step::Sso {
                    slot: Slot::B,
                    token: Token::MintedFor(Slot::A),
                },
                Step::Sso {
                    slot: Slot::C,
                    token: Token::Stale,
                },
                Step::Deprovision { slot: Slot::A },
                Step::ConcurrentProvision {
                    slot: Slot::C,
                    plan: "test".into(),
                },
            ],
        };
        let json = serde_json::to_value(&reproduction).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "platform": "example",
                "seed": 7,
                "steps": [
                    {"op": "provision", "slot": "A", "plan": "test"},
                    {"op": "change-plan", "slot": "A", "plan": "premium"},
                    {"op": "change-to-unknown-plan", "slot": "B"},
                    {"op": "sso", "slot": "B", "token": {"minted-for": "A"}},
                    {"op": "sso", "slot": "C", "token": "stale"},
                    {"op": "deprovision", "slot": "A"},
                    {"op": "concurrent-provision", "slot": "C", "plan": "test"}
                ]
            })
        );
        let back: Reproduction = serde_json::from_value(json).unwrap();
        assert_eq!(back, reproduction);
    }

    #[test]
    fn transcripts_number_the_steps_and_say_why_the_last_failed() {
        let run = Run {
            judged: None,
            taken: vec![
                Taken {
                    description: "provision A (plan test)".into(),
                    answer: "201".into(),
                },
                Taken {
                    description: "deprovision A".into(),
                    answer: "204".into(),
                },
            ],
            exchanges: Vec::new(),
            end: Verdict::Disagrees("the reason".into()),
        };
        assert_eq!(
            run.transcript(),
            "1. provision A (plan test) → 201\n2. deprovision A → 204\n   the reason"
        );
    }
}
