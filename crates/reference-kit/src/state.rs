//! What every platform's router shares: the faults switched on, the secrets, the resources, the
//! open single sign-on sessions, and the shutdown signal.

use std::collections::{BTreeSet, HashMap};
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::fault::Fault;
use crate::mode::Mode;
use crate::random::random_hex;
use crate::store::{Lookup, Resource, Store};

/// How long a racy provision leaves between looking the key up and recording the resource. Wide
/// enough that identical requests sent together all land inside it even on a loaded machine.
const RACE_WINDOW: Duration = Duration::from_millis(250);

/// Random bytes in the ids of an add-on made to hand out long ids: 300 hex characters, past
/// Scalingo's limit of 255.
const LONG_ID_BYTES: usize = 150;

/// The credentials the platform presents and the salt its SSO tokens are minted with.
#[derive(Debug)]
pub struct Secrets {
    pub user: String,
    pub password: String,
    pub sso_salt: String,
}

/// The resource a provision answers with, and whether this provision created it.
#[derive(Debug)]
pub struct Provisioned {
    pub resource: Resource,
    pub created: bool,
}

/// A request being answered; dropping it (the answer sent, or the connection gone) ends it.
#[derive(Debug)]
pub struct InFlight<'a> {
    counter: &'a AtomicUsize,
    /// How many requests were in flight when this one arrived, itself included.
    pub count: usize,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.counter.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Debug)]
pub struct AddonState {
    faults: BTreeSet<Fault>,
    modes: BTreeSet<Mode>,
    pub secrets: Secrets,
    /// Answer provisions with 202 and report them ready through the callback URL (Heroku).
    pub asynchronous: bool,
    slow_delay: Duration,
    store: Mutex<Store>,
    /// Idempotency key → the first answer its provision got (status and JSON body), for the
    /// add-on that replays answers from a cache.
    answers: Mutex<HashMap<String, (u16, serde_json::Value)>>,
    /// Session cookie value → the resource whose dashboard it opens.
    sessions: Mutex<HashMap<String, String>>,
    requests: AtomicUsize,
    in_flight: AtomicUsize,
    /// See [`crate::ReferenceAddon::delay_per_concurrent_request`].
    pub delay_per_concurrent_request: Duration,
    stopping: watch::Sender<bool>,
}

impl AddonState {
    pub fn new(
        faults: BTreeSet<Fault>,
        modes: BTreeSet<Mode>,
        secrets: Secrets,
        slow_delay: Duration,
    ) -> Self {
        Self {
            faults,
            modes,
            secrets,
            asynchronous: false,
            slow_delay,
            store: Mutex::default(),
            answers: Mutex::default(),
            sessions: Mutex::default(),
            requests: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            delay_per_concurrent_request: Duration::ZERO,
            stopping: watch::Sender::new(false),
        }
    }

    pub fn has(&self, fault: Fault) -> bool {
        self.faults.contains(&fault)
    }

    pub fn in_mode(&self, mode: Mode) -> bool {
        self.modes.contains(&mode)
    }

    /// The first answer the provision with idempotency key `key` got, as stored by
    /// [`AddonState::remember_answer`].
    pub fn first_answer(&self, key: &str) -> Option<(u16, serde_json::Value)> {
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Stores the answer that created the resource of `key`, replacing any earlier one (the key
    /// may have named a resource deprovisioned since).
    pub fn remember_answer(&self, key: &str, status: u16, body: serde_json::Value) {
        self.answers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), (status, body));
    }

    /// The store, even after a handler panicked while holding it: every update is a single
    /// insert or remove, so the data is never left half-written.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn sessions(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.sessions.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a request that arrived; it stays in flight until the guard is dropped.
    pub fn begin_request(&self) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let others = self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight {
            counter: &self.in_flight,
            count: others + 1,
        }
    }

    /// Holds a request back for the `in_flight` requests there were when it arrived (not at
    /// all unless the add-on was built to slow down under load), cut short by shutdown.
    pub async fn hold_back(&self, in_flight: usize) {
        let delay = self
            .delay_per_concurrent_request
            .saturating_mul(u32::try_from(in_flight).unwrap_or(u32::MAX));
        if delay.is_zero() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            () = self.stopped() => {}
        }
    }

    pub fn requests_seen(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }

    /// Resolves once [`AddonState::stop`] has been called.
    pub fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopping = self.stopping.subscribe();
        async move {
            // An error means the sender is gone, which is as stopped as it gets.
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
    }

    /// The slow faults' delay, cut short by shutdown so a slow add-on still stops promptly.
    pub async fn pause(&self) {
        tokio::select! {
            () = tokio::time::sleep(self.slow_delay) => {}
            () = self.stopped() => {}
        }
    }

    /// Provisions the resource `key` names on `plan`, or hands back the one it already names.
    pub async fn provision(&self, key: &str, plan: &str) -> io::Result<Provisioned> {
        if !self.has(Fault::RacyReplay) {
            let mut store = self.store();
            return match self.replayed(&mut store, key, plan) {
                Some(replayed) => Ok(replayed),
                None => self.create(&mut store, key, plan),
            };
        }
        let replayed = self.replayed(&mut self.store(), key, plan);
        if let Some(replayed) = replayed {
            return Ok(replayed);
        }
        // The fault: the lock is not held while the resource is being set up.
        tokio::time::sleep(RACE_WINDOW).await;
        self.create(&mut self.store(), key, plan)
    }

    /// The live resource a replay of `key` gets back. A replay names the plan of the original
    /// request, which a plan change may have moved away from since: the resource keeps its
    /// current plan, unless the add-on is made to forget it.
    fn replayed(&self, store: &mut Store, key: &str, plan: &str) -> Option<Provisioned> {
        if self.has(Fault::NewIdOnReplay) {
            return None;
        }
        let resource = store.by_key_mut(key)?;
        if self.has(Fault::ForgetsPlanAfterReplay) {
            plan.clone_into(&mut resource.plan);
        }
        Some(Provisioned {
            resource: resource.clone(),
            created: false,
        })
    }

    fn create(&self, store: &mut Store, key: &str, plan: &str) -> io::Result<Provisioned> {
        if self.has(Fault::SameIdForEveryResource) {
            let shared = store
                .shared
                .as_deref()
                .and_then(|id| store.live(id))
                .cloned();
            if let Some(shared) = shared {
                store.alias(key, &shared.id);
                return Ok(Provisioned {
                    resource: shared,
                    created: false,
                });
            }
        }
        let id = if self.has(Fault::LongId) {
            store.fresh_id_of(LONG_ID_BYTES)?
        } else if self.in_mode(Mode::NumericIds) {
            store.fresh_numeric_id()?
        } else {
            store.fresh_id()?
        };
        let resource = Resource {
            id,
            key: key.to_owned(),
            plan: plan.to_owned(),
            token: random_hex(16)?,
        };
        store.insert(resource.clone());
        if self.has(Fault::SameIdForEveryResource) {
            store.shared = Some(resource.id.clone());
        }
        Ok(Provisioned {
            resource,
            created: true,
        })
    }

    pub fn lookup(&self, id: &str) -> Lookup {
        self.store().lookup(id)
    }

    /// Moves a live resource to `plan`, with a new `token` when one is given; `None` when `id`
    /// is not live.
    pub fn change_plan(&self, id: &str, plan: &str, token: Option<String>) -> Option<Resource> {
        let mut store = self.store();
        let resource = store.live_mut(id)?;
        resource.plan = plan.to_owned();
        if let Some(token) = token {
            resource.token = token;
        }
        Some(resource.clone())
    }

    /// Deprovisions `id`, answering with what `id` was before.
    pub fn deprovision(&self, id: &str) -> Lookup {
        let mut store = self.store();
        let found = store.lookup(id);
        if matches!(found, Lookup::Live(_)) && !self.has(Fault::DeprovisionKeepsResource) {
            store.remove(id);
        }
        found
    }

    pub fn live_resources(&self) -> Vec<String> {
        let mut ids: Vec<_> = self
            .store()
            .resources()
            .map(|resource| resource.id.clone())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Opens a dashboard session for a resource; the answer is the session cookie's value.
    pub fn open_session(&self, resource_id: &str) -> io::Result<String> {
        let session = random_hex(16)?;
        self.sessions()
            .insert(session.clone(), resource_id.to_owned());
        Ok(session)
    }

    pub fn session_resource(&self, session: &str) -> Option<String> {
        self.sessions().get(session).cloned()
    }
}
