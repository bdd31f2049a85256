//! Single operations — one provision, one plan change, one deprovision — sent the way the suite
//! sends them (through the same [`Transport`]: no redirects followed, bounded time and size,
//! credentials only to the provider's origin) and recorded in the [`Ledger`] the same way, so
//! that a resource made by hand is cleaned up like one made by a run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use manifest_core::http::HttpResponse;
use manifest_core::{
    Ctx, Dialect, Environment, Manifest, Platform, ProvisionInput, ProvisionReply, Resource, Secret,
};
use url::Url;

use crate::client::{Transport, TransportError};
use crate::evidence::Redactor;
use crate::inputs::uuid_v4;
use crate::ledger::{EntryState, Ledger, LedgerEntry, LedgerError, Scope};
use crate::suite::{describe_response, statuses};

/// Why an operation did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("the manifest has no {0} URL; pass a base URL or pick another environment")]
    NoEndpoint(Environment),
    #[error("could not start the HTTP client: {0}")]
    Client(String),
    #[error("cannot get random bytes from the operating system: {0}")]
    Random(String),
    /// No answer came back. For a provision, the ledger entry stays pending: the provider may
    /// have created the resource.
    #[error("{what}: {source}")]
    Transport {
        what: &'static str,
        source: TransportError,
    },
    /// The answer's status is not one the platform accepts; `answer` is redacted.
    #[error("{what}: expected {expected}, got {answer}")]
    Status {
        what: &'static str,
        status: u16,
        expected: String,
        answer: String,
    },
    /// The status was right but the answer cannot be used.
    #[error("{what}: {reason}")]
    Reply { what: &'static str, reason: String },
    #[error("{0}")]
    Ledger(#[from] LedgerError),
}

impl OpError {
    /// The provider could not be reached at all (nothing listens, no route).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            OpError::Transport {
                source: TransportError::Connect(_),
                ..
            }
        )
    }
}

/// What a deprovision found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deprovisioned {
    /// The provider deleted the resource now.
    Now,
    /// The provider says the resource does not exist (`404`) or is already gone (`410`).
    AlreadyGone(u16),
}

/// Where the operations go and how long each may take.
#[derive(Debug, Clone, Default)]
pub struct OperationsOptions {
    pub environment: Environment,
    /// Overrides the manifest's provisioning URL for the environment.
    pub base_url: Option<Url>,
    /// Overrides the platform's deadline for every request.
    pub timeout: Option<Duration>,
    /// The manifest's file, recorded in the ledger so a later cleanup can reload credentials.
    pub manifest_path: Option<PathBuf>,
}

/// Sends single operations to one provider and records them in a ledger.
///
/// ```no_run
/// # async fn example(dialect: &dyn manifest_core::Dialect, manifest: manifest_core::Manifest)
/// # -> Result<(), Box<dyn std::error::Error>> {
/// use http_runner::{Ledger, Operations, OperationsOptions};
///
/// let ledger = Ledger::open(Ledger::default_path()?)?;
/// let operations = Operations::new(dialect, manifest, OperationsOptions::default(), ledger)?;
/// let resource = operations
///     .provision(&operations.default_plan(), Default::default())
///     .await?;
/// operations.deprovision(&resource.id).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Operations<'a> {
    dialect: &'a dyn Dialect,
    ctx: Ctx,
    transport: Transport,
    redactor: Redactor,
    ledger: Ledger,
    scope: Scope,
}

/// Where a provider answering asynchronously would report back. Single operations do not wait
/// for that report, and port 9 (discard) has nothing that would take it for something else.
const NO_CALLBACK: &str = "http://127.0.0.1:9/";

impl<'a> Operations<'a> {
    /// Operations on the provider `manifest` names for `options.environment` (or at
    /// `options.base_url`), with `dialect`'s requests, recorded in `ledger`.
    pub fn new(
        dialect: &'a dyn Dialect,
        manifest: Manifest,
        options: OperationsOptions,
        ledger: Ledger,
    ) -> Result<Self, OpError> {
        let endpoints = crate::endpoints(&manifest, options.environment, options.base_url.as_ref())
            .ok_or(OpError::NoEndpoint(options.environment))?;
        let timeout = options
            .timeout
            .unwrap_or(dialect.expectations().deadline_must);
        let redactor = crate::run_redactor(&manifest, &endpoints);
        let transport = Transport::new(&endpoints.base_url, timeout, Arc::default())
            .map_err(OpError::Client)?
            .learning_into(&redactor);
        let scope = Scope {
            platform: dialect.platform(),
            target: endpoints.base_url.clone(),
            manifest_path: options.manifest_path,
            environment: options.environment,
        };
        let ctx = Ctx {
            credentials: manifest.credentials.clone(),
            manifest: Arc::new(manifest),
            environment: options.environment,
            endpoints,
            callback_base: Url::parse(NO_CALLBACK).map_err(|error| {
                OpError::Client(format!("the callback URL {NO_CALLBACK}: {error}"))
            })?,
        };
        Ok(Self {
            dialect,
            ctx,
            transport,
            redactor,
            ledger,
            scope,
        })
    }

    /// The provisioning URL the operations go to.
    pub fn target(&self) -> &Url {
        &self.scope.target
    }

    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The plan to provision when none is named: the manifest's first, else the platform's
    /// usual test plan.
    pub fn default_plan(&self) -> String {
        crate::first_plan(&self.ctx.manifest, self.dialect.expectations())
    }

    /// A plan to change to from `plan` when none is named.
    pub fn other_plan(&self, plan: &str) -> String {
        crate::other_plan(&self.ctx.manifest, self.dialect.expectations(), plan)
    }

    /// A provision request never sent before: a fresh uuid, and app names derived from it.
    pub fn fresh_input(
        &self,
        plan: &str,
        options: BTreeMap<String, String>,
    ) -> Result<ProvisionInput, OpError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|error| OpError::Random(error.to_string()))?;
        let (uuid_bytes, token_bytes) = bytes.split_at(16);
        let uuid = uuid_v4(uuid_bytes.try_into().unwrap_or_default());
        let short = &uuid[..8];
        Ok(ProvisionInput {
            uuid: uuid.clone(),
            app_slug: format!("conform-{short}"),
            app_name: format!("conform-{short}"),
            resource_name: format!("conform-{short}"),
            plan: plan.to_string(),
            region: crate::region(&self.ctx.manifest, self.dialect.expectations()),
            options,
            api_token: Secret::new(hex::encode(token_bytes)),
            log_drain_token: format!("d.{short}"),
        })
    }

    /// Provisions a new resource on `plan`.
    pub async fn provision(
        &self,
        plan: &str,
        options: BTreeMap<String, String>,
    ) -> Result<Resource, OpError> {
        let input = self.fresh_input(plan, options)?;
        self.provision_input(&input).await
    }

    /// Sends the provision `input` (new, or a replay). Recorded as pending before it is sent;
    /// afterwards live when the answer names a resource, failed when it names none.
    pub async fn provision_input(&self, input: &ProvisionInput) -> Result<Resource, OpError> {
        let entry = self.ledger.begin(&self.scope, input)?;
        let response = match self.send_provision(input).await {
            Ok(response) => response,
            Err(error) => {
                if matches!(
                    error,
                    OpError::Transport {
                        source: TransportError::Connect(_) | TransportError::ForeignOrigin(_),
                        ..
                    }
                ) {
                    self.ledger.mark_unsent(entry)?;
                }
                return Err(error);
            }
        };
        let reply = response
            .is_success()
            .then(|| self.dialect.read_provision(input, &response));
        // A faulty answer may still have created something: it stays pending (cleanup replays
        // it) unless it names the resource or refuses.
        match answered_id(self.dialect, input, &response) {
            Some(id) => self.ledger.mark_live(entry, &id)?,
            None if response.is_client_error() => self.ledger.mark_failed(entry)?,
            None => {}
        }
        let expectations = self.dialect.expectations();
        let mut accepted = expectations.provision_ok.to_vec();
        accepted.extend(expectations.provision_async);
        self.expect("provision", &response, &accepted)?;
        let reply = reply.unwrap_or_else(|| self.dialect.read_provision(input, &response));
        provisioned("provision", input, reply)
    }

    /// Sends the provision `input` again, as a platform retrying it does, and expects the
    /// platform's answer to a replay (Bitrise: 200, where a new resource gets 201). Nothing is
    /// recorded: the ledger holds the resource since the first provision.
    pub async fn replay_provision(&self, input: &ProvisionInput) -> Result<Resource, OpError> {
        const WHAT: &str = "replayed provision";
        let request = self.dialect.provision(&self.ctx, input);
        let response = self
            .transport
            .send(&request)
            .await
            .map_err(|source| OpError::Transport { what: WHAT, source })?;
        self.expect(
            WHAT,
            &response,
            self.dialect.expectations().provision_replay_ok,
        )?;
        provisioned(WHAT, input, self.dialect.read_provision(input, &response))
    }

    async fn send_provision(&self, input: &ProvisionInput) -> Result<HttpResponse, OpError> {
        let request = self.dialect.provision(&self.ctx, input);
        self.transport
            .send(&request)
            .await
            .map_err(|source| OpError::Transport {
                what: "provision",
                source,
            })
    }

    /// The resource `id` as the dialect needs it: from the ledger when recorded there (so the
    /// platform's own id goes along), else known by its id alone.
    fn known(&self, id: &str) -> Result<(Option<LedgerEntry>, Resource), OpError> {
        let entry = self.ledger.find_live(&self.scope.target, id)?;
        let resource = entry
            .as_ref()
            .and_then(LedgerEntry::resource)
            .unwrap_or_else(|| self.bare_resource(id));
        Ok((entry, resource))
    }

    fn bare_resource(&self, id: &str) -> Resource {
        let plan = self.default_plan();
        Resource {
            id: id.to_string(),
            input: ProvisionInput {
                uuid: id.to_string(),
                app_slug: id.to_string(),
                app_name: id.to_string(),
                resource_name: id.to_string(),
                plan: plan.clone(),
                region: crate::region(&self.ctx.manifest, self.dialect.expectations()),
                options: BTreeMap::new(),
                api_token: Secret::default(),
                log_drain_token: String::new(),
            },
            plan,
            config: BTreeMap::new(),
        }
    }

    /// Moves resource `id` to `plan`; returns it with the config the answer carried.
    pub async fn change_plan(&self, id: &str, plan: &str) -> Result<Resource, OpError> {
        let (entry, resource) = self.known(id)?;
        let request = self.dialect.change_plan(&self.ctx, &resource, plan);
        let response =
            self.transport
                .send(&request)
                .await
                .map_err(|source| OpError::Transport {
                    what: "plan change",
                    source,
                })?;
        self.expect(
            "plan change",
            &response,
            self.dialect.expectations().plan_change_ok,
        )?;
        if let Some(entry) = entry {
            self.ledger.set_plan(entry.id, plan)?;
        }
        Ok(Resource {
            plan: plan.to_string(),
            config: strings(self.dialect.plan_change_config(&response)),
            ..resource
        })
    }

    /// Deletes resource `id`. A provider that says it is already gone counts as done, and the
    /// ledger marks it deprovisioned either way.
    pub async fn deprovision(&self, id: &str) -> Result<Deprovisioned, OpError> {
        let (entry, resource) = self.known(id)?;
        let outcome = self.deprovision_resource(&resource).await?;
        if let Some(entry) = entry {
            self.ledger.mark_deprovisioned(entry.id)?;
        }
        Ok(outcome)
    }

    async fn deprovision_resource(&self, resource: &Resource) -> Result<Deprovisioned, OpError> {
        let request = self.dialect.deprovision(&self.ctx, resource);
        let response =
            self.transport
                .send(&request)
                .await
                .map_err(|source| OpError::Transport {
                    what: "deprovision",
                    source,
                })?;
        match response.status {
            status if self.dialect.expectations().deprovision_ok.contains(&status) => {
                Ok(Deprovisioned::Now)
            }
            status @ (404 | 410) => Ok(Deprovisioned::AlreadyGone(status)),
            _ => Err(self.status_error(
                "deprovision",
                &response,
                self.dialect.expectations().deprovision_ok,
            )),
        }
    }

    fn expect(
        &self,
        what: &'static str,
        response: &HttpResponse,
        accepted: &[u16],
    ) -> Result<(), OpError> {
        if accepted.contains(&response.status) {
            Ok(())
        } else {
            Err(self.status_error(what, response, accepted))
        }
    }

    fn status_error(
        &self,
        what: &'static str,
        response: &HttpResponse,
        accepted: &[u16],
    ) -> OpError {
        OpError::Status {
            what,
            status: response.status,
            expected: statuses(accepted),
            answer: self.redactor.redact(&describe_response(response)),
        }
    }

    /// The ledger's pending and live entries for this provider (platform and target), oldest
    /// first.
    pub fn outstanding(&self) -> Result<Vec<LedgerEntry>, LedgerError> {
        Ok(self
            .ledger
            .entries()?
            .into_iter()
            .filter(|entry| {
                entry.platform == self.scope.platform && entry.target == self.scope.target
            })
            .collect())
    }

    /// Removes everything the ledger still holds for this provider, with this manifest's
    /// credentials: [`cleanup_leftovers`] for one provider. Returns each entry with what came
    /// of it.
    pub async fn purge(&self) -> Result<Vec<(LedgerEntry, Result<(), String>)>, LedgerError> {
        let mut outcomes = Vec::new();
        for entry in self.outstanding()? {
            let outcome = self.settle(&entry).await;
            outcomes.push((entry, outcome));
        }
        Ok(outcomes)
    }

    /// Settles one outstanding entry of this provider: a pending provision is replayed to learn
    /// whether it created something (and what), then whatever is live is deprovisioned.
    async fn settle(&self, entry: &LedgerEntry) -> Result<(), String> {
        let resource = match entry.state {
            EntryState::Pending => match self.replay(entry).await? {
                Some(resource) => resource,
                None => return Ok(()),
            },
            EntryState::Live => entry
                .resource()
                .ok_or_else(|| "the entry is live but names no resource".to_string())?,
            EntryState::Deprovisioned | EntryState::Failed | EntryState::Unsent => return Ok(()),
        };
        self.deprovision_resource(&resource)
            .await
            .map_err(|error| error.to_string())?;
        self.ledger
            .mark_deprovisioned(entry.id)
            .map_err(|error| error.to_string())
    }

    /// Replays a pending entry's provision. `Some` names the resource it created (now marked
    /// live); `None` means it created nothing (now marked failed).
    async fn replay(&self, entry: &LedgerEntry) -> Result<Option<Resource>, String> {
        let input = entry.replayable_input();
        let response = self
            .send_provision(&input)
            .await
            .map_err(|error| format!("replaying the provision: {error}"))?;
        if let Some(id) = answered_id(self.dialect, &input, &response) {
            self.ledger
                .mark_live(entry.id, &id)
                .map_err(|error| error.to_string())?;
            return Ok(Some(Resource {
                id,
                input: entry.input.clone(),
                plan: entry.plan.clone(),
                config: BTreeMap::new(),
            }));
        }
        // Provisioning is idempotent: a replay of a request that created something names it.
        // So an answer that names nothing means nothing addressable was created — except a
        // refusal of the credentials or a request to come back later, which says nothing.
        let status = response.status;
        let succeeded = (200..300).contains(&status);
        let refused = (400..500).contains(&status)
            && !self.dialect.expectations().unauthorized.contains(&status)
            && !matches!(status, 408 | 429);
        let failed = (500..600).contains(&status) && !matches!(status, 502..=504);
        if !(succeeded || refused || failed) {
            return Err(format!(
                "replaying the provision: {}",
                self.redactor.redact(&describe_response(&response))
            ));
        }
        self.ledger
            .mark_failed(entry.id)
            .map_err(|error| error.to_string())?;
        Ok(None)
    }
}

/// The id of what a provision answer may have created: none after a refusal (4xx), else
/// whatever the dialect reads from it, however faulty the answer.
pub(crate) fn answered_id(
    dialect: &dyn Dialect,
    input: &ProvisionInput,
    response: &HttpResponse,
) -> Option<String> {
    if response.is_client_error() {
        return None;
    }
    dialect.answered_id(input, response)
}

/// The resource a provision answer (`what`) names, or why it names none.
fn provisioned(
    what: &'static str,
    input: &ProvisionInput,
    reply: Result<ProvisionReply, String>,
) -> Result<Resource, OpError> {
    let reply = reply.map_err(|reason| OpError::Reply { what, reason })?;
    let id = match reply.id {
        Some(Ok(id)) => id,
        Some(Err(reason)) => return Err(OpError::Reply { what, reason }),
        None => {
            return Err(OpError::Reply {
                what,
                reason: "the answer names no resource id".into(),
            });
        }
    };
    Ok(Resource {
        id,
        input: input.clone(),
        plan: input.plan.clone(),
        config: strings(reply.config),
    })
}

/// Config values as strings; a value that is not a string keeps its JSON form.
fn strings(config: Vec<(String, serde_json::Value)>) -> BTreeMap<String, String> {
    config
        .into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(text) => (key, text),
            other => (key, other.to_string()),
        })
        .collect()
}

/// Everything one set of entries shares: the dialect, the manifest and the provider.
#[derive(Debug, PartialEq, Eq)]
struct Group {
    platform: Platform,
    manifest_path: Option<PathBuf>,
    environment: Environment,
    target: Url,
}

/// Removes everything the ledger still holds: for every pending or live entry, reloads its
/// manifest with the dialect `dialect_for` gives for its platform, replays pending provisions
/// to learn their ids, and deprovisions what is live, marking each entry as it settles.
/// Returns every entry it looked at with what came of it, oldest first; an `Err` entry is still
/// outstanding. `timeout` overrides the platforms' deadlines. `on_settled` hears of each entry
/// as soon as it is settled or given up on, for a display of the progress.
///
/// Run it while no suite records into the same ledger: it cannot tell a run in progress from a
/// run that was killed.
pub async fn cleanup_leftovers(
    ledger: &Ledger,
    dialect_for: &dyn Fn(Platform) -> Option<&'static dyn Dialect>,
    timeout: Option<Duration>,
    on_settled: &dyn Fn(&LedgerEntry, &Result<(), String>),
) -> Result<Vec<(LedgerEntry, Result<(), String>)>, LedgerError> {
    let mut groups: Vec<(Group, Vec<LedgerEntry>)> = Vec::new();
    for entry in ledger.entries()? {
        let group = Group {
            platform: entry.platform,
            manifest_path: entry.manifest_path.clone(),
            environment: entry.environment,
            target: entry.target.clone(),
        };
        match groups.iter_mut().find(|(known, _)| *known == group) {
            Some((_, entries)) => entries.push(entry),
            None => groups.push((group, vec![entry])),
        }
    }
    let mut outcomes = Vec::new();
    for (group, entries) in groups {
        let operations = dialect_for(group.platform)
            .ok_or_else(|| format!("{} is not supported by this version", group.platform))
            .and_then(|dialect| group.operations(dialect, ledger, timeout));
        for entry in entries {
            let outcome = match &operations {
                Ok(operations) => operations.settle(&entry).await,
                Err(reason) => Err(reason.clone()),
            };
            on_settled(&entry, &outcome);
            outcomes.push((entry, outcome));
        }
    }
    outcomes.sort_by_key(|(entry, _)| entry.id);
    Ok(outcomes)
}

impl Group {
    fn operations<'d>(
        &self,
        dialect: &'d dyn Dialect,
        ledger: &Ledger,
        timeout: Option<Duration>,
    ) -> Result<Operations<'d>, String> {
        let path = self
            .manifest_path
            .as_ref()
            .ok_or("no manifest was recorded, so there are no credentials to clean up with")?;
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read the manifest {}: {error}", path.display()))?;
        let manifest = dialect
            .load_manifest(manifest_core::Source::new(path.display().to_string(), text))
            .map_err(|_| format!("the manifest {} cannot be read", path.display()))?;
        // The row says where to go, but a row can be planted: the manifest's credentials only
        // ever go to a provider the manifest itself names.
        let named: Vec<Url> = [Environment::Test, Environment::Production]
            .into_iter()
            .filter_map(|environment| manifest.endpoints(environment))
            .map(|endpoints| endpoints.base_url.clone())
            .collect();
        if !named.iter().any(|url| url.origin() == self.target.origin()) {
            return Err(format!(
                "refused: the ledger names {}, which the manifest {} does not name, so its \
                 credentials are not sent there (the manifest names {})",
                self.target.origin().ascii_serialization(),
                path.display(),
                named
                    .iter()
                    .map(|url| url.origin().ascii_serialization())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        Operations::new(
            dialect,
            manifest,
            OperationsOptions {
                environment: self.environment,
                base_url: Some(self.target.clone()),
                timeout,
                manifest_path: Some(path.clone()),
            },
            ledger.clone(),
        )
        .map_err(|error| error.to_string())
    }
}
