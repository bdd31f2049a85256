//! The ledger: a durable record of every resource the engine asks a provider to create, so that
//! nothing is left behind on the provider, also after a crash or `kill -9`.
//!
//! An entry is written as `pending` before its provision request is sent. It becomes `live`
//! once an answer names the resource, `failed` once the provider has shown that nothing exists
//! (a refusal, or a replay that names nothing), or `unsent` when the request never reached the
//! provider (no connection). A `live` entry becomes `deprovisioned` once the provider confirms
//! the deletion. An entry still `pending` means no answer has shown what exists: cleanup
//! replays the same provision (provisioning is idempotent by contract) to learn the id, then
//! deprovisions that.
//!
//! The store is SQLite, in WAL mode, so that a reader (`ledger list`) never waits for a run and
//! every committed write survives the process being killed. What is stored is enough to replay
//! and delete — the platform, the provider's URL, the absolute path of the manifest to reload
//! credentials from, the provision input — and never the provider's credentials or SSO salt.
//! The engine-generated `api_token` is not stored either: a provider may use it to call the
//! platform, so a replay sends a new one. The file is created readable by its owner only.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use manifest_core::{Environment, Platform, ProvisionInput, Resource, Secret};
use rusqlite::{Connection, Row, params};
use serde::{Deserialize, Serialize};
use url::Url;

/// The schema this version reads and writes, kept in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE entries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    platform      TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    manifest_path TEXT,
    environment   TEXT    NOT NULL,
    uuid          TEXT    NOT NULL,
    app_slug      TEXT    NOT NULL,
    input         TEXT    NOT NULL,
    resource_id   TEXT,
    plan          TEXT    NOT NULL,
    state         TEXT    NOT NULL
                  CHECK (state IN ('pending', 'live', 'deprovisioned', 'failed', 'unsent')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX entries_outstanding ON entries (state) WHERE state IN ('pending', 'live');
";

/// Schema 1 lacked the `unsent` state; SQLite cannot change a CHECK, so the table is rebuilt.
const MIGRATE_FROM_1: &str = "
DROP INDEX entries_outstanding;
ALTER TABLE entries RENAME TO entries_schema_1;
";

const MIGRATE_FROM_1_COPY: &str = "
INSERT INTO entries SELECT * FROM entries_schema_1;
DROP TABLE entries_schema_1;
";

const COLUMNS: &str = "id, platform, target, manifest_path, environment, uuid, app_slug, input, \
                       resource_id, plan, state, created_at, updated_at";

/// How long a write waits for another process (a second run, `ledger list`) to let go of the
/// database before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the ledger could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot create the directory {}: {source}", path.display())]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the ledger {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the ledger {} was written by a newer version (schema {found}; this one knows {SCHEMA_VERSION})",
        path.display()
    )]
    NewerSchema { path: PathBuf, found: i64 },
    #[error("neither XDG_DATA_HOME nor HOME names a directory for the ledger; pass --ledger PATH")]
    NoHome,
    #[error("{0}")]
    Sql(#[from] rusqlite::Error),
    #[error("ledger entry {id} cannot be read: {reason}")]
    Corrupt { id: i64, reason: String },
}

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryState {
    /// The provision was (or was about to be) sent; its answer was never read.
    Pending,
    /// The provider named the resource and it has not been deleted.
    Live,
    /// The provider confirmed the deletion, or said the resource is already gone.
    Deprovisioned,
    /// The provider has shown that nothing exists to delete: it refused the provision, or a
    /// replay of it named no resource.
    Failed,
    /// The request never reached the provider (no connection), so nothing exists.
    Unsent,
}

impl EntryState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Live => "live",
            EntryState::Deprovisioned => "deprovisioned",
            EntryState::Failed => "failed",
            EntryState::Unsent => "unsent",
        }
    }
}

impl fmt::Display for EntryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EntryState {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        [
            EntryState::Pending,
            EntryState::Live,
            EntryState::Deprovisioned,
            EntryState::Failed,
            EntryState::Unsent,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or_else(|| format!("unknown state `{text}`"))
    }
}

/// Where the resources of an entry live and how to reach them again: the same for every
/// entry of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub platform: Platform,
    /// The provisioning URL the requests went to.
    pub target: Url,
    /// The manifest the credentials come from; made absolute when recorded. Without it, only the
    /// process that recorded the entry can clean it up.
    pub manifest_path: Option<PathBuf>,
    pub environment: Environment,
}

/// One provision the engine sent (or was about to send), and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    /// The row id: stable, increasing in the order entries were written.
    pub id: i64,
    pub platform: Platform,
    /// The provisioning URL the request went to.
    pub target: Url,
    /// The absolute path of the manifest to reload credentials from.
    pub manifest_path: Option<PathBuf>,
    pub environment: Environment,
    pub uuid: String,
    pub app_slug: String,
    /// The request exactly as sent, to replay a pending provision.
    pub input: ProvisionInput,
    /// The provider's id, once an answer named it.
    pub resource_id: Option<String>,
    /// The plan the resource is on (the provisioned one, or the last successful change).
    pub plan: String,
    pub state: EntryState,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

impl LedgerEntry {
    /// The provision input to replay: the stored one with a new API token, since the one sent
    /// first is never stored.
    pub fn replayable_input(&self) -> ProvisionInput {
        let mut bytes = [0u8; 16];
        // Without a random source the token is merely predictable; it grants nothing.
        let _ = getrandom::fill(&mut bytes);
        ProvisionInput {
            api_token: Secret::new(hex::encode(bytes)),
            ..self.input.clone()
        }
    }

    /// The resource this entry names, as dialects take it; `None` until an id is known.
    pub fn resource(&self) -> Option<Resource> {
        self.resource_id.as_ref().map(|id| Resource {
            id: id.clone(),
            input: self.input.clone(),
            plan: self.plan.clone(),
            config: BTreeMap::new(),
        })
    }
}

/// The stored form of a [`ProvisionInput`].
#[derive(Debug, Serialize, Deserialize)]
struct StoredInput {
    uuid: String,
    app_slug: String,
    app_name: String,
    resource_name: String,
    plan: String,
    region: String,
    options: BTreeMap<String, String>,
    log_drain_token: String,
}

impl From<&ProvisionInput> for StoredInput {
    fn from(input: &ProvisionInput) -> Self {
        Self {
            uuid: input.uuid.clone(),
            app_slug: input.app_slug.clone(),
            app_name: input.app_name.clone(),
            resource_name: input.resource_name.clone(),
            plan: input.plan.clone(),
            region: input.region.clone(),
            options: input.options.clone(),
            log_drain_token: input.log_drain_token.clone(),
        }
    }
}

impl From<StoredInput> for ProvisionInput {
    fn from(stored: StoredInput) -> Self {
        Self {
            uuid: stored.uuid,
            app_slug: stored.app_slug,
            app_name: stored.app_name,
            resource_name: stored.resource_name,
            plan: stored.plan,
            region: stored.region,
            options: stored.options,
            // Not stored; a replay makes up a new one (`LedgerEntry::replayable_input`).
            api_token: Secret::default(),
            log_drain_token: stored.log_drain_token,
        }
    }
}

/// The durable record of provisioned resources. Cheap to clone: clones share one connection.
#[derive(Clone)]
pub struct Ledger {
    connection: Arc<Mutex<Connection>>,
    /// Where it is stored; `None` in memory.
    path: Option<PathBuf>,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).finish()
    }
}

/// Creates the ledger's file readable and writable by its owner only (SQLite gives its `-wal`
/// and `-shm` files the same mode), and tightens an existing file of ours that is looser.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = file.metadata()?;
        if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl Ledger {
    /// Opens the ledger stored at `path`, creating the file (and its directory) when missing.
    /// Several processes may have it open at once.
    pub fn open(path: impl AsRef<Path>) -> Result<Ledger, LedgerError> {
        let path = path.as_ref().to_path_buf();
        if let Some(directory) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder
                .create(directory)
                .map_err(|source| LedgerError::Directory {
                    path: directory.to_path_buf(),
                    source,
                })?;
        }
        create_private(&path).map_err(|source| LedgerError::Directory {
            path: path.clone(),
            source,
        })?;
        let open_error = |source| LedgerError::Open {
            path: path.clone(),
            source,
        };
        let connection = Connection::open(&path).map_err(open_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(open_error)?;
        // WAL: readers never block the run, and a commit survives the process being killed.
        connection
            .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get::<_, String>(0))
            .map_err(open_error)?;
        connection
            .pragma_update(None, "synchronous", "normal")
            .map_err(open_error)?;
        Self::prepare(connection, Some(path))
    }

    /// A ledger that lives as long as the process: for library callers and tests that need no
    /// record across runs.
    pub fn in_memory() -> Result<Ledger, LedgerError> {
        let connection = Connection::open_in_memory()?;
        Self::prepare(connection, None)
    }

    fn prepare(mut connection: Connection, path: Option<PathBuf>) -> Result<Ledger, LedgerError> {
        let shown = || path.clone().unwrap_or_else(|| PathBuf::from(":memory:"));
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|source| LedgerError::Open {
                path: shown(),
                source,
            })?;
        if version > SCHEMA_VERSION {
            return Err(LedgerError::NewerSchema {
                path: shown(),
                found: version,
            });
        }
        if version < SCHEMA_VERSION {
            // Another process may be creating the schema at the same moment: the exclusive
            // transaction makes one of them wait, and the second sees the version already set.
            let transaction =
                connection.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
            let current: i64 =
                transaction.pragma_query_value(None, "user_version", |row| row.get(0))?;
            match current {
                0 => transaction.execute_batch(SCHEMA)?,
                1 => {
                    transaction.execute_batch(MIGRATE_FROM_1)?;
                    transaction.execute_batch(SCHEMA)?;
                    transaction.execute_batch(MIGRATE_FROM_1_COPY)?;
                }
                _ => {}
            }
            if current < SCHEMA_VERSION {
                transaction.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            transaction.commit()?;
        }
        Ok(Ledger {
            connection: Arc::new(Mutex::new(connection)),
            path,
        })
    }

    /// Where the command line keeps its ledger: `$XDG_DATA_HOME/addon-conform/ledger.sqlite3`,
    /// else `$HOME/.local/share/addon-conform/ledger.sqlite3`. Never a shared directory such as
    /// the temporary one, where another user could plant or read it: without either variable
    /// there is no default. [`Ledger::open`] creates the directory, readable by its owner only.
    pub fn default_path() -> Result<PathBuf, LedgerError> {
        let absolute = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
        };
        let data_home = absolute("XDG_DATA_HOME")
            .or_else(|| absolute("HOME").map(|home| home.join(".local").join("share")))
            .ok_or(LedgerError::NoHome)?;
        Ok(data_home.join("addon-conform").join("ledger.sqlite3"))
    }

    /// Where the ledger is stored; `None` in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `work` on the connection. SQLite may wait up to [`BUSY_TIMEOUT`] for another
    /// process; on a multi-threaded runtime that wait happens off the async workers, so the
    /// run's other requests, timers and Ctrl-C are served meanwhile.
    fn with_connection<T>(&self, work: impl FnOnce(&Connection) -> T) -> T {
        let run = || work(&self.lock());
        match tokio::runtime::Handle::try_current().map(|handle| handle.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(run),
            _ => run(),
        }
    }

    /// Records a provision about to be sent, as `pending`; returns the entry's id.
    pub fn begin(&self, scope: &Scope, input: &ProvisionInput) -> Result<i64, LedgerError> {
        let manifest_path = scope
            .manifest_path
            .as_ref()
            .map(|path| std::path::absolute(path).unwrap_or_else(|_| path.clone()))
            .map(|path| path.to_string_lossy().into_owned());
        let stored = serde_json::to_string(&StoredInput::from(input))
            .map_err(|error| rusqlite::Error::ToSqlConversionFailure(Box::new(error)))?;
        let at = now();
        self.with_connection(|connection| {
            connection.execute(
            "INSERT INTO entries (platform, target, manifest_path, environment, uuid, app_slug, \
             input, resource_id, plan, state, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, 'pending', ?9, ?9)",
            params![
                scope.platform.as_str(),
                scope.target.as_str(),
                manifest_path,
                scope.environment.as_str(),
                input.uuid,
                input.app_slug,
                stored,
                input.plan,
                at
            ],
        )?;
            Ok(connection.last_insert_rowid())
        })
    }

    fn update(&self, sql: &str, values: impl rusqlite::Params) -> Result<(), LedgerError> {
        self.with_connection(|connection| connection.execute(sql, values))?;
        Ok(())
    }

    /// The provider named the resource of entry `id`.
    pub fn mark_live(&self, id: i64, resource_id: &str) -> Result<(), LedgerError> {
        self.update(
            "UPDATE entries SET state = 'live', resource_id = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, resource_id, now()],
        )
    }

    /// The answer to entry `id`'s provision named nothing; a `live` entry stays live.
    pub fn mark_failed(&self, id: i64) -> Result<(), LedgerError> {
        self.update(
            "UPDATE entries SET state = 'failed', updated_at = ?2 \
             WHERE id = ?1 AND state = 'pending'",
            params![id, now()],
        )
    }

    /// Entry `id`'s provision never reached the provider; a `live` entry stays live.
    pub fn mark_unsent(&self, id: i64) -> Result<(), LedgerError> {
        self.update(
            "UPDATE entries SET state = 'unsent', updated_at = ?2 \
             WHERE id = ?1 AND state = 'pending'",
            params![id, now()],
        )
    }

    /// The provider deleted entry `id`'s resource, or says it is gone.
    pub fn mark_deprovisioned(&self, id: i64) -> Result<(), LedgerError> {
        self.update(
            "UPDATE entries SET state = 'deprovisioned', updated_at = ?2 WHERE id = ?1",
            params![id, now()],
        )
    }

    /// Entry `id`'s resource is now on `plan`.
    pub fn set_plan(&self, id: i64, plan: &str) -> Result<(), LedgerError> {
        self.update(
            "UPDATE entries SET plan = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, plan, now()],
        )
    }

    /// Everything that may still exist on a provider: `pending` and `live` entries, oldest
    /// first. `failed`, `unsent` and `deprovisioned` entries are kept as history but not listed.
    pub fn entries(&self) -> Result<Vec<LedgerEntry>, LedgerError> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM entries WHERE state IN ('pending', 'live') ORDER BY id"
            ),
            [],
        )
    }

    /// One entry, whatever its state.
    pub fn entry(&self, id: i64) -> Result<Option<LedgerEntry>, LedgerError> {
        Ok(self
            .query(
                &format!("SELECT {COLUMNS} FROM entries WHERE id = ?1"),
                [id],
            )?
            .pop())
    }

    /// The live entry of resource `resource_id` on the provider at `target`, if one is recorded.
    pub fn find_live(
        &self,
        target: &Url,
        resource_id: &str,
    ) -> Result<Option<LedgerEntry>, LedgerError> {
        Ok(self
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM entries \
                     WHERE target = ?1 AND resource_id = ?2 AND state = 'live' \
                     ORDER BY id DESC LIMIT 1"
                ),
                params![target.as_str(), resource_id],
            )?
            .pop())
    }

    fn query(
        &self,
        sql: &str,
        values: impl rusqlite::Params,
    ) -> Result<Vec<LedgerEntry>, LedgerError> {
        self.with_connection(|connection| {
            let mut statement = connection.prepare(sql)?;
            let rows = statement.query_map(values, RawEntry::read)?;
            let mut entries = Vec::new();
            for row in rows {
                entries.push(row?.parse()?);
            }
            Ok(entries)
        })
    }
}

/// A row as stored, before its text columns are parsed.
struct RawEntry {
    id: i64,
    platform: String,
    target: String,
    manifest_path: Option<String>,
    environment: String,
    uuid: String,
    app_slug: String,
    input: String,
    resource_id: Option<String>,
    plan: String,
    state: String,
    created_at: i64,
    updated_at: i64,
}

impl RawEntry {
    fn read(row: &Row<'_>) -> rusqlite::Result<RawEntry> {
        Ok(RawEntry {
            id: row.get(0)?,
            platform: row.get(1)?,
            target: row.get(2)?,
            manifest_path: row.get(3)?,
            environment: row.get(4)?,
            uuid: row.get(5)?,
            app_slug: row.get(6)?,
            input: row.get(7)?,
            resource_id: row.get(8)?,
            plan: row.get(9)?,
            state: row.get(10)?,
            created_at: row.get(11)?,
            updated_at: row.get(12)?,
        })
    }

    fn parse(self) -> Result<LedgerEntry, LedgerError> {
        let id = self.id;
        let corrupt = |reason: String| LedgerError::Corrupt { id, reason };
        let environment = match self.environment.as_str() {
            "test" => Environment::Test,
            "production" => Environment::Production,
            other => return Err(corrupt(format!("unknown environment `{other}`"))),
        };
        let input: StoredInput = serde_json::from_str(&self.input)
            .map_err(|error| corrupt(format!("the provision input: {error}")))?;
        Ok(LedgerEntry {
            id,
            platform: self.platform.parse().map_err(corrupt)?,
            target: Url::parse(&self.target)
                .map_err(|error| corrupt(format!("the target `{}`: {error}", self.target)))?,
            manifest_path: self.manifest_path.map(PathBuf::from),
            environment,
            uuid: self.uuid,
            app_slug: self.app_slug,
            input: input.into(),
            resource_id: self.resource_id,
            plan: self.plan,
            state: self.state.parse().map_err(corrupt)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// What recording a resource found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A resource not seen before, or the same request's resource again.
    Fresh,
    /// The id already belongs to a resource created by a different request.
    Collision { existing_uuid: String },
}

/// What one run has created, kept in memory (with the config the provider returned, which is
/// never stored) and mirrored into the ledger. The run's own cleanup works from memory, so a
/// ledger that stops accepting writes costs durability, not cleanup; the first such error is
/// kept for the run to report. Clones share one record: the scenarios a run has in flight at
/// once all write to it, so that an id handed out twice is noticed whichever asked first.
#[derive(Debug, Clone)]
pub struct RunRecord {
    state: Arc<std::sync::Mutex<RecordState>>,
    failed: Arc<tokio::sync::Notify>,
}

#[derive(Debug)]
struct RecordState {
    ledger: Ledger,
    scope: Scope,
    /// Provisions whose answer was not read, by uuid, with their entry.
    pending: Vec<(ProvisionInput, i64)>,
    /// Live resources, with their entry (`None` when the ledger could not record it).
    live: Vec<(Resource, Option<i64>)>,
    /// Entries of this run by uuid, to attach an answer to the entry its request wrote.
    entries_by_uuid: HashMap<String, i64>,
    error: Option<LedgerError>,
}

impl RunRecord {
    pub fn new(ledger: Ledger, scope: Scope) -> Self {
        Self {
            state: Arc::new(std::sync::Mutex::new(RecordState {
                ledger,
                scope,
                pending: Vec::new(),
                live: Vec::new(),
                entries_by_uuid: HashMap::new(),
                error: None,
            })),
            failed: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// The state, whoever panicked while holding it: every change to it is complete before
    /// anything that could panic.
    fn state(&self) -> std::sync::MutexGuard<'_, RecordState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Completes once a write to the ledger has failed.
    pub fn write_failed(&self) -> impl Future<Output = ()> + Send + 'static {
        let failed = Arc::clone(&self.failed);
        async move { failed.notified().await }
    }

    /// The first write that failed, if any.
    pub fn error(&self) -> Option<String> {
        self.state().error.as_ref().map(ToString::to_string)
    }

    /// A provision with the real credentials is about to be sent: records it, and says whether
    /// it may be sent. A provision the ledger could not record must not be sent, since nothing
    /// would remember it if the process died before its answer.
    #[must_use = "a provision that was not recorded must not be sent"]
    pub fn intend(&mut self, input: &ProvisionInput) -> bool {
        self.state().intend(input, &self.failed)
    }

    /// The provision for `uuid` is over: `answered` says whether an answer was read. Without
    /// an answer it stays pending, for cleanup to replay; with one, whatever it named has been
    /// recorded, so an entry still without an id names nothing.
    pub fn settle(&mut self, uuid: &str, answered: bool) {
        if answered {
            self.state()
                .close_pending(uuid, Ledger::mark_failed, &self.failed);
        }
    }

    /// The provider refused the provision for `uuid`: nothing exists for it.
    pub fn refused(&mut self, uuid: &str) {
        self.state()
            .close_pending(uuid, Ledger::mark_failed, &self.failed);
    }

    /// The provision for `uuid` never reached the provider: nothing exists for it.
    pub fn never_sent(&mut self, uuid: &str) {
        self.state()
            .close_pending(uuid, Ledger::mark_unsent, &self.failed);
    }

    pub fn record(&mut self, resource: Resource) -> Recorded {
        self.state().record(resource, &self.failed)
    }

    /// The resource `id` is gone from the provider.
    pub fn remove(&mut self, id: &str) {
        self.state().remove(id, &self.failed);
    }

    pub fn find(&self, id: &str) -> Option<Resource> {
        self.state()
            .live
            .iter()
            .find(|(r, _)| r.id == id)
            .map(|(r, _)| r.clone())
    }

    /// Provisions whose answer was never read.
    pub fn pending(&self) -> Vec<ProvisionInput> {
        self.state()
            .pending
            .iter()
            .map(|(p, _)| p.clone())
            .collect()
    }

    /// Live resources.
    pub fn live(&self) -> Vec<Resource> {
        self.state().live.iter().map(|(r, _)| r.clone()).collect()
    }
}

impl RecordState {
    fn keep<T>(
        &mut self,
        result: Result<T, LedgerError>,
        failed: &tokio::sync::Notify,
    ) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                if self.error.is_none() {
                    self.error = Some(error);
                    failed.notify_one();
                }
                None
            }
        }
    }

    fn intend(&mut self, input: &ProvisionInput, failed: &tokio::sync::Notify) -> bool {
        if self.error.is_some() {
            return false;
        }
        if self.pending.iter().any(|(p, _)| p.uuid == input.uuid)
            || self.live.iter().any(|(r, _)| r.input.uuid == input.uuid)
        {
            return true;
        }
        let begun = self.ledger.begin(&self.scope, input);
        match self.keep(begun, failed) {
            Some(entry) => {
                self.entries_by_uuid.insert(input.uuid.clone(), entry);
                self.pending.push((input.clone(), entry));
                true
            }
            None => false,
        }
    }

    fn close_pending(
        &mut self,
        uuid: &str,
        mark: fn(&Ledger, i64) -> Result<(), LedgerError>,
        failed: &tokio::sync::Notify,
    ) {
        let Some(position) = self.pending.iter().position(|(p, _)| p.uuid == uuid) else {
            return;
        };
        let (_, entry) = self.pending.remove(position);
        let marked = mark(&self.ledger, entry);
        self.keep(marked, failed);
    }

    fn record(&mut self, resource: Resource, failed: &tokio::sync::Notify) -> Recorded {
        if let Some((existing, _)) = self.live.iter().find(|(r, _)| r.id == resource.id) {
            if existing.input.uuid != resource.input.uuid {
                return Recorded::Collision {
                    existing_uuid: existing.input.uuid.clone(),
                };
            }
            return Recorded::Fresh;
        }
        // The first id for a request goes to the entry its request wrote; any further id for
        // the same request (a provider that creates again on replay) gets an entry of its own.
        let unnamed_entry = self
            .pending
            .iter()
            .position(|(p, _)| p.uuid == resource.input.uuid)
            .map(|position| self.pending.remove(position).1)
            .or_else(|| {
                self.entries_by_uuid
                    .get(&resource.input.uuid)
                    .copied()
                    .filter(|entry| !self.live.iter().any(|(_, e)| *e == Some(*entry)))
            });
        let entry = match unnamed_entry {
            Some(entry) => Some(entry),
            None => {
                let begun = self.ledger.begin(&self.scope, &resource.input);
                self.keep(begun, failed)
            }
        };
        if let Some(entry) = entry {
            self.entries_by_uuid
                .entry(resource.input.uuid.clone())
                .or_insert(entry);
            let marked = self.ledger.mark_live(entry, &resource.id);
            self.keep(marked, failed);
        }
        self.live.push((resource, entry));
        Recorded::Fresh
    }

    fn remove(&mut self, id: &str, failed: &tokio::sync::Notify) {
        let Some(position) = self.live.iter().position(|(r, _)| r.id == id) else {
            return;
        };
        if let (_, Some(entry)) = self.live.remove(position) {
            let marked = self.ledger.mark_deprovisioned(entry);
            self.keep(marked, failed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(uuid: &str) -> ProvisionInput {
        ProvisionInput {
            uuid: uuid.into(),
            app_slug: format!("slug-{uuid}"),
            app_name: "app 日本 🚀".into(),
            resource_name: "quiet-lake-42".into(),
            plan: "test".into(),
            region: "us".into(),
            options: BTreeMap::from([("size".to_string(), "large".to_string())]),
            api_token: Secret::new("generated-token"),
            log_drain_token: "d.0123".into(),
        }
    }

    fn scope() -> Scope {
        Scope {
            platform: Platform::new("example"),
            target: Url::parse("http://127.0.0.1:4567/resources").unwrap(),
            manifest_path: Some(PathBuf::from("/srv/addon/addon-manifest.json")),
            environment: Environment::Test,
        }
    }

    fn resource(id: &str, uuid: &str) -> Resource {
        Resource {
            id: id.into(),
            input: input(uuid),
            plan: "test".into(),
            config: BTreeMap::from([("DB_URL".to_string(), "postgres://u:p@h/db".to_string())]),
        }
    }

    #[test]
    fn an_entry_round_trips() {
        let ledger = Ledger::in_memory().unwrap();
        let id = ledger.begin(&scope(), &input("u-1")).unwrap();
        let entry = ledger.entry(id).unwrap().unwrap();
        assert_eq!(entry.platform, Platform::new("example"));
        assert_eq!(entry.target, scope().target);
        assert_eq!(
            entry.manifest_path.as_deref(),
            Some(Path::new("/srv/addon/addon-manifest.json"))
        );
        assert_eq!(entry.environment, Environment::Test);
        assert_eq!(entry.uuid, "u-1");
        assert_eq!(entry.app_slug, "slug-u-1");
        let stored = ProvisionInput {
            api_token: Secret::default(),
            ..input("u-1")
        };
        assert_eq!(entry.input, stored);
        assert_eq!(entry.replayable_input().api_token.expose().len(), 32);
        assert_eq!(entry.resource_id, None);
        assert_eq!(entry.state, EntryState::Pending);
        assert!(entry.created_at > 1_600_000_000);
        assert_eq!(ledger.entries().unwrap(), vec![entry]);
    }

    #[test]
    fn an_entry_goes_from_pending_to_live_to_deprovisioned() {
        let ledger = Ledger::in_memory().unwrap();
        let id = ledger.begin(&scope(), &input("u-1")).unwrap();
        ledger.mark_live(id, "res-1").unwrap();
        ledger.set_plan(id, "premium").unwrap();
        let live = ledger.entry(id).unwrap().unwrap();
        assert_eq!(live.state, EntryState::Live);
        assert_eq!(live.resource_id.as_deref(), Some("res-1"));
        assert_eq!(live.plan, "premium");
        assert_eq!(
            ledger.find_live(&scope().target, "res-1").unwrap(),
            Some(live)
        );
        ledger.mark_deprovisioned(id).unwrap();
        assert_eq!(
            ledger.entry(id).unwrap().unwrap().state,
            EntryState::Deprovisioned
        );
        assert_eq!(ledger.entries().unwrap(), Vec::new());
        assert_eq!(ledger.find_live(&scope().target, "res-1").unwrap(), None);
    }

    #[test]
    fn a_failed_provision_leaves_nothing_outstanding_and_a_live_one_stays_live() {
        let ledger = Ledger::in_memory().unwrap();
        let failed = ledger.begin(&scope(), &input("u-1")).unwrap();
        ledger.mark_failed(failed).unwrap();
        let live = ledger.begin(&scope(), &input("u-2")).unwrap();
        ledger.mark_live(live, "res-2").unwrap();
        ledger.mark_failed(live).unwrap();
        let states: Vec<_> = ledger
            .entries()
            .unwrap()
            .iter()
            .map(|e| (e.id, e.state))
            .collect();
        assert_eq!(states, [(live, EntryState::Live)]);
    }

    #[test]
    fn reopening_shows_the_same_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join("ledger.sqlite3");
        let before = {
            let ledger = Ledger::open(&path).unwrap();
            let pending = ledger.begin(&scope(), &input("u-1")).unwrap();
            let live = ledger.begin(&scope(), &input("u-2")).unwrap();
            ledger.mark_live(live, "res-2").unwrap();
            let gone = ledger.begin(&scope(), &input("u-3")).unwrap();
            ledger.mark_live(gone, "res-3").unwrap();
            ledger.mark_deprovisioned(gone).unwrap();
            assert_eq!(ledger.path(), Some(path.as_path()));
            let entries = ledger.entries().unwrap();
            assert_eq!(
                entries.iter().map(|e| e.id).collect::<Vec<_>>(),
                [pending, live]
            );
            entries
        };
        let reopened = Ledger::open(&path).unwrap();
        assert_eq!(reopened.entries().unwrap(), before);
    }

    #[test]
    fn a_schema_1_ledger_keeps_its_entries_and_gains_the_unsent_state() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(&SCHEMA.replace(", 'unsent'", ""))
            .unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        let stored = serde_json::to_string(&StoredInput::from(&input("u-1"))).unwrap();
        old.execute(
            "INSERT INTO entries (platform, target, manifest_path, environment, uuid, app_slug, \
             input, resource_id, plan, state, created_at, updated_at) \
             VALUES ('example', ?1, NULL, 'test', 'u-1', 'slug-u-1', ?2, 'res-1', 'test', 'live', 1, 1)",
            params![scope().target.as_str(), stored],
        )
        .unwrap();
        drop(old);
        let ledger = Ledger::open(&path).unwrap();
        let entries = ledger.entries().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].resource_id.as_deref(), Some("res-1"));
        let unsent = ledger.begin(&scope(), &input("u-2")).unwrap();
        ledger.mark_unsent(unsent).unwrap();
        assert_eq!(
            ledger.entry(unsent).unwrap().unwrap().state,
            EntryState::Unsent
        );
        assert_eq!(
            ledger.entries().unwrap().len(),
            1,
            "unsent is not outstanding"
        );
    }

    #[test]
    fn two_handles_on_one_file_see_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let writer = Ledger::open(&path).unwrap();
        let reader = Ledger::open(&path).unwrap();
        let id = writer.begin(&scope(), &input("u-1")).unwrap();
        assert_eq!(reader.entry(id).unwrap().unwrap().uuid, "u-1");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        drop(Ledger::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            Ledger::open(&path),
            Err(LedgerError::NewerSchema { found, .. }) if found == SCHEMA_VERSION + 1
        ));
    }

    #[test]
    fn neither_credentials_nor_config_are_stored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.sqlite3");
        let ledger = Ledger::open(&path).unwrap();
        let mut record = RunRecord::new(ledger.clone(), scope());
        assert!(record.intend(&input("u-1")));
        record.record(resource("res-1", "u-1"));
        drop(record);
        drop(ledger);
        let bytes = std::fs::read(&path).unwrap();
        let wal = std::fs::read(path.with_extension("sqlite3-wal")).unwrap_or_default();
        for haystack in [bytes, wal] {
            let text = String::from_utf8_lossy(&haystack);
            assert!(!text.contains("postgres://u:p@h/db"));
            assert!(
                !text.contains("generated-token"),
                "the API token is not stored"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "the ledger is private");
        }
    }

    #[tokio::test]
    async fn a_failed_write_is_kept_and_announced_while_memory_still_tracks_the_resource() {
        let ledger = Ledger::in_memory().unwrap();
        ledger
            .lock()
            .pragma_update(None, "query_only", true)
            .unwrap();
        let mut record = RunRecord::new(ledger, scope());
        let failed = record.write_failed();
        assert!(
            !record.intend(&input("u-1")),
            "a provision the ledger did not record may not be sent"
        );
        assert!(record.error().is_some());
        assert!(!record.intend(&input("u-2")), "nor any after it");
        tokio::time::timeout(Duration::from_secs(10), failed)
            .await
            .expect("the failure is announced");
        assert_eq!(record.record(resource("res-1", "u-1")), Recorded::Fresh);
        assert_eq!(record.live().len(), 1, "cleanup still knows the resource");
    }

    #[test]
    fn a_run_record_mirrors_its_resources_into_the_ledger() {
        let ledger = Ledger::in_memory().unwrap();
        let mut record = RunRecord::new(ledger.clone(), scope());
        assert!(record.intend(&input("u-1")));
        assert!(record.intend(&input("u-1")));
        assert_eq!(ledger.entries().unwrap().len(), 1, "one entry per request");
        assert_eq!(record.record(resource("res-1", "u-1")), Recorded::Fresh);
        record.settle("u-1", true);
        let entries = ledger.entries().unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].state, EntryState::Live);
        assert_eq!(entries[0].resource_id.as_deref(), Some("res-1"));

        // A second id for the same request is a second resource to clean up.
        assert_eq!(record.record(resource("res-1b", "u-1")), Recorded::Fresh);
        assert_eq!(ledger.entries().unwrap().len(), 2);
        assert_eq!(
            record.record(resource("res-1", "u-9")),
            Recorded::Collision {
                existing_uuid: "u-1".into()
            }
        );

        assert!(record.intend(&input("u-2")));
        record.settle("u-2", false);
        assert_eq!(record.pending().len(), 1, "unanswered stays pending");
        assert!(record.intend(&input("u-3")));
        record.settle("u-3", true);
        let states: Vec<_> = ledger
            .entries()
            .unwrap()
            .iter()
            .map(|e| (e.uuid.clone(), e.state))
            .collect();
        assert_eq!(
            states,
            [
                ("u-1".to_string(), EntryState::Live),
                ("u-1".to_string(), EntryState::Live),
                ("u-2".to_string(), EntryState::Pending),
            ]
        );

        record.remove("res-1");
        record.remove("res-1b");
        assert!(record.find("res-1").is_none());
        assert_eq!(record.live(), Vec::new());
        assert_eq!(ledger.entries().unwrap().len(), 1);
        assert!(record.error().is_none());
    }
}
