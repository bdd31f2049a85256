//! What every platform's reference add-on provider shares: its state and store, the lifecycle
//! with the faults applied, the pieces of requests and answers the platforms have in common
//! (`auth`, `sso`, `reply`), the [`Fault`]s and [`Mode`]s, and the server that runs one.
//!
//! A platform's own provider lives in its adapter crate (`<adapter>::REFERENCE`, a
//! [`Provider`]): the router that reads its requests and shapes its answers, and the manifest
//! it hands out. The registry pairs each dialect with its provider; the `reference-addon`
//! crate starts the one of a platform by name.

pub mod auth;
mod collateral;
pub mod fault;
pub mod lifecycle;
mod manifest_fault;
pub mod mode;
pub mod random;
pub mod reply;
pub mod sso;
pub mod state;
pub mod store;

use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use manifest_core::{Dialect, Platform, Secret, SsoTransport};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use fault::{Fault, UnknownFault};
pub use manifest_fault::ManifestShape;
pub use mode::Mode;

use crate::random::random_hex;
use crate::state::{AddonState, Secrets};

/// Bodies beyond this are refused before any handler reads them.
const BODY_LIMIT: usize = 64 * 1024;

/// How long [`RunningAddon::shutdown`] lets open connections finish before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A platform's correct reference provider, as its adapter crate declares it.
pub struct Provider {
    /// The dialect the provider speaks, whose capabilities decide which faults exist.
    pub dialect: &'static dyn Dialect,
    /// The Basic auth user of the provisioning calls (empty where the platform sends a token
    /// alone).
    pub user: &'static str,
    /// The manifest in the platform's format, for an add-on served at an origin
    /// (`http://host:port`); the transport matters only where the platform has two.
    pub manifest: fn(&Secrets, &str, SsoTransport) -> String,
    /// Where the manifest faults edit the manifest.
    pub manifest_shape: ManifestShape,
    pub router: fn() -> Router<Arc<AddonState>>,
    /// The correct but unusual designs this provider can follow.
    pub modes: &'static [Mode],
    /// The adapter crate's `fixtures/` directory (`valid/`, `invalid/`, `platform-examples/`),
    /// which the workspace's own tests and `cargo xtask tidy` read.
    pub fixtures: &'static str,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("platform", &self.dialect.platform())
            .field("modes", &self.modes)
            .finish_non_exhaustive()
    }
}

/// How a reference add-on is to be run: its faults, its modes and its knobs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub faults: BTreeSet<Fault>,
    pub modes: BTreeSet<Mode>,
    pub sso_transport: SsoTransport,
    pub slow_delay: Duration,
    pub delay_per_concurrent_request: Duration,
    pub asynchronous: bool,
    /// The password (Bitrise: auth token) and SSO salt; fresh random ones when `None`.
    pub secrets: Option<(Secret, Secret)>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            faults: BTreeSet::new(),
            modes: BTreeSet::new(),
            sso_transport: SsoTransport::Post,
            slow_delay: Duration::from_secs(4),
            delay_per_concurrent_request: Duration::ZERO,
            asynchronous: false,
            secrets: None,
        }
    }
}

/// Serves `provider` on `addr` (port 0 picks a free one). Fails when a fault or a mode does
/// not exist on the provider's platform.
pub async fn serve(
    provider: &'static Provider,
    settings: Settings,
    addr: SocketAddr,
) -> io::Result<RunningAddon> {
    let platform = provider.dialect.platform();
    if let Some(fault) = settings
        .faults
        .iter()
        .find(|fault| !fault.applies_to(provider.dialect))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the fault `{fault}` does not exist on {platform}"),
        ));
    }
    if let Some(mode) = settings
        .modes
        .iter()
        .find(|mode| !provider.modes.contains(mode))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("the mode `{mode}` does not exist on {platform}"),
        ));
    }

    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (password, sso_salt) = match settings.secrets {
        Some((password, sso_salt)) => (password.expose().to_owned(), sso_salt.expose().to_owned()),
        None => (random_hex(16)?, random_hex(20)?),
    };
    let secrets = Secrets {
        user: provider.user.to_owned(),
        password,
        sso_salt,
    };
    let manifest = manifest_fault::apply(
        &provider.manifest_shape,
        &settings.faults,
        (provider.manifest)(&secrets, &origin(addr), settings.sso_transport),
    );
    let mut state = AddonState::new(
        settings.faults,
        settings.modes,
        secrets,
        settings.slow_delay,
    );
    state.asynchronous = settings.asynchronous;
    state.delay_per_concurrent_request = settings.delay_per_concurrent_request;
    let state = Arc::new(state);

    let app = (provider.router)()
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            count_request,
        ))
        .with_state(Arc::clone(&state));
    let server = tokio::spawn(
        axum::serve(listener, app)
            .with_graceful_shutdown(state.stopped())
            .into_future(),
    );
    Ok(RunningAddon {
        platform,
        addr,
        manifest,
        state,
        server,
    })
}

async fn count_request(
    State(state): State<Arc<AddonState>>,
    request: Request,
    next: Next,
) -> Response {
    let in_flight = state.begin_request();
    state.hold_back(in_flight.count).await;
    let response = next.run(request).await;
    drop(in_flight);
    response
}

/// The origin the manifest points at. A wildcard bind is reached through loopback.
fn origin(addr: SocketAddr) -> String {
    let mut reachable = addr;
    if addr.ip().is_unspecified() {
        reachable.set_ip(if addr.is_ipv4() {
            Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    format!("http://{reachable}")
}
/// A reference add-on serving in the background. Dropping it stops the server without waiting;
/// [`RunningAddon::shutdown`] waits.
pub struct RunningAddon {
    platform: Platform,
    addr: SocketAddr,
    manifest: String,
    state: Arc<AddonState>,
    server: JoinHandle<io::Result<()>>,
}

impl fmt::Debug for RunningAddon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunningAddon")
            .field("platform", &self.platform)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningAddon {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn platform(&self) -> Platform {
        self.platform
    }

    /// The manifest, in the platform's own format, pointing at this server. It holds this
    /// run's freshly generated password and SSO salt.
    pub fn manifest_json(&self) -> String {
        self.manifest.clone()
    }

    /// The ids provisioned and not deprovisioned, sorted: empty after a run that cleaned up.
    pub fn live_resources(&self) -> Vec<String> {
        self.state.live_resources()
    }

    /// Every request received so far, whatever its answer.
    pub fn requests_seen(&self) -> usize {
        self.state.requests_seen()
    }

    /// Stops accepting connections, lets open ones finish (for at most a few seconds), and
    /// waits for the server to end.
    pub async fn shutdown(mut self) {
        self.state.stop();
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }

    /// Serves until `stop` resolves (e.g. `tokio::signal::ctrl_c()`), then shuts down. An
    /// error means the server itself failed first.
    pub async fn run_until<F: Future>(mut self, stop: F) -> io::Result<()> {
        let ended_early = tokio::select! {
            _ = stop => None,
            ended = &mut self.server => Some(ended),
        };
        match ended_early {
            None => {
                self.shutdown().await;
                Ok(())
            }
            Some(Ok(served)) => served,
            Some(Err(join_error)) => Err(io::Error::other(join_error)),
        }
    }
}

impl Drop for RunningAddon {
    fn drop(&mut self) {
        self.state.stop();
    }
}
