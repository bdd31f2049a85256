//! An embedded add-on provider that does everything right — unless told to get one thing wrong.
//!
//! The conformance engine's own tests run against it: a correct add-on must pass every check,
//! and the add-on switched into a [`Fault`] must fail exactly the checks [`Fault::proves`]
//! names. It keeps its state in memory and binds to loopback.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use reference_addon::{Fault, ReferenceAddon};
//!
//! let addon = ReferenceAddon::new(heroku_adapter::PLATFORM)
//!     .fault(Fault::RacyReplay)
//!     .start()
//!     .await?;
//! let manifest = addon.manifest_json(); // point the engine at this
//! addon.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! A command line server runs [`ReferenceAddon::start_on`] and then
//! [`RunningAddon::run_until`] with `ctrl_c`.
//!
//! Layout: [`fault`] lists the faults, [`mode`] the correct but unusual designs; `state` and `store` hold what every platform shares,
//! `lifecycle` provisions, changes plans and deprovisions with the faults applied, and `auth`,
//! `sso` and `reply` hold the pieces of requests and answers the platforms have in common. Each
//! platform has its own router module (`heroku`, `scalingo`, `bitrise`, `clevercloud`) that reads its requests and
//! shapes its answers.

mod collateral;
pub mod fault;

mod auth;
mod bitrise;
mod clevercloud;
mod heroku;
mod lifecycle;
mod manifest_fault;
pub mod mode;
mod random;
mod reply;
mod scalingo;
mod sso;
mod state;
mod store;

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
use manifest_core::{Platform, SsoTransport};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use fault::{Fault, UnknownFault};
pub use mode::Mode;

use crate::random::random_hex;
use crate::state::{AddonState, Secrets};

/// Bodies beyond this are refused before any handler reads them.
const BODY_LIMIT: usize = 64 * 1024;

/// How long [`RunningAddon::shutdown`] lets open connections finish before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How to build a reference add-on: its platform, its faults, and its knobs.
#[derive(Debug, Clone)]
pub struct ReferenceAddon {
    platform: Platform,
    faults: BTreeSet<Fault>,
    modes: BTreeSet<Mode>,
    sso_transport: SsoTransport,
    slow_delay: Duration,
    delay_per_concurrent_request: Duration,
    asynchronous: bool,
    secrets: Option<(manifest_core::Secret, manifest_core::Secret)>,
}

impl ReferenceAddon {
    /// A correct add-on for `platform`, with form `POST` single sign-on.
    pub fn new(platform: Platform) -> Self {
        Self {
            platform,
            faults: BTreeSet::new(),
            modes: BTreeSet::new(),
            sso_transport: SsoTransport::Post,
            slow_delay: Duration::from_secs(4),
            delay_per_concurrent_request: Duration::ZERO,
            asynchronous: false,
            secrets: None,
        }
    }

    /// Accepts this password (Bitrise: auth token) and SSO salt (Bitrise: SSO secret) instead of
    /// fresh random ones, so a manifest written earlier stays valid across restarts.
    pub fn secrets(mut self, password: impl Into<String>, sso_salt: impl Into<String>) -> Self {
        self.secrets = Some((
            manifest_core::Secret::new(password),
            manifest_core::Secret::new(sso_salt),
        ));
        self
    }

    /// Heroku: provisions asynchronously, as a correct provider may: answers 202, then reports
    /// the resource ready by posting to `<callback_url>/actions/provision` (loopback only).
    pub fn asynchronous(mut self) -> Self {
        self.asynchronous = true;
        self
    }

    /// Switches a fault on; call again for several.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.faults.insert(fault);
        self
    }

    pub fn faults(self, faults: impl IntoIterator<Item = Fault>) -> Self {
        faults.into_iter().fold(self, Self::fault)
    }

    /// Follows a correct but unusual design instead of the default one; call again for several.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.modes.insert(mode);
        self
    }

    /// Heroku: `Post` serves the object form of the manifest (`base_url` and `sso_url`), `Get`
    /// the legacy root URL form, whose logins are `GET`s on the resource URL. Scalingo and
    /// Bitrise have a single transport each (a `GET` on `sso_url`, a form `POST` to `/login`)
    /// and ignore this.
    pub fn sso_transport(mut self, transport: SsoTransport) -> Self {
        self.sso_transport = transport;
        self
    }

    /// How long the slow faults (`provision-slow`, `plan-change-slow`, `deprovision-slow`) hold
    /// each answer back; 4 s unless set.
    pub fn slow_delay(mut self, delay: Duration) -> Self {
        self.slow_delay = delay;
        self
    }

    /// Makes the add-on slow down under load, as a provider with too few workers does: every
    /// request is held back this long for each request in flight when it arrives, itself
    /// included, so a lone request takes `delay` and one among seven others eight times that.
    /// Not a [`Fault`]: the sequential suite cannot see it; `addon-conform load` does. Zero (no
    /// slowdown) unless set.
    pub fn delay_per_concurrent_request(mut self, delay: Duration) -> Self {
        self.delay_per_concurrent_request = delay;
        self
    }

    /// Serves on a free loopback port.
    pub async fn start(self) -> io::Result<RunningAddon> {
        self.start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
    }

    /// Serves on `addr` (port 0 picks a free one). Fails when a fault does not exist on the
    /// platform.
    pub async fn start_on(self, addr: SocketAddr) -> io::Result<RunningAddon> {
        let protocol = Protocol::of(self.platform).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the reference add-on does not speak {}", self.platform),
            )
        })?;
        if let Some(fault) = self
            .faults
            .iter()
            .find(|fault| !fault.applies_to(protocol.dialect))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the fault `{fault}` does not exist on {}", self.platform),
            ));
        }
        if let Some(mode) = self
            .modes
            .iter()
            .find(|mode| !mode.platforms().contains(&self.platform))
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the mode `{mode}` does not exist on {}", self.platform),
            ));
        }

        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (password, sso_salt) = match self.secrets {
            Some((password, sso_salt)) => {
                (password.expose().to_owned(), sso_salt.expose().to_owned())
            }
            None => (random_hex(16)?, random_hex(20)?),
        };
        let secrets = Secrets {
            user: protocol.user.to_owned(),
            password,
            sso_salt,
        };
        let manifest = manifest_fault::apply(
            self.platform,
            &self.faults,
            (protocol.manifest)(&secrets, &origin(addr), self.sso_transport),
        );
        let mut state = AddonState::new(self.faults, self.modes, secrets, self.slow_delay);
        state.asynchronous = self.asynchronous;
        state.delay_per_concurrent_request = self.delay_per_concurrent_request;
        let state = Arc::new(state);

        let app = (protocol.router)()
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
            platform: self.platform,
            addr,
            manifest,
            state,
            server,
        })
    }
}

/// What a platform's router module provides.
struct Protocol {
    /// The dialect the router speaks, whose capabilities decide which faults exist.
    dialect: &'static dyn manifest_core::Dialect,
    /// The Basic auth user of the provisioning calls.
    user: &'static str,
    /// The manifest in the platform's format, for an add-on served at an origin.
    manifest: fn(&Secrets, &str, SsoTransport) -> String,
    router: fn() -> Router<Arc<AddonState>>,
}

/// Whether the reference add-on speaks `platform`: a registered platform it does not speak has
/// no correct provider to pass against, nor faults to fail against.
pub fn speaks(platform: Platform) -> bool {
    Protocol::of(platform).is_some()
}

impl Protocol {
    fn of(platform: Platform) -> Option<Self> {
        Some(match platform {
            heroku_adapter::PLATFORM => Self {
                dialect: &heroku_adapter::Heroku,
                user: heroku::ADDON_ID,
                manifest: heroku::manifest,
                router: heroku::router,
            },
            scalingo_adapter::PLATFORM => Self {
                dialect: &scalingo_adapter::Scalingo,
                user: scalingo::USERNAME,
                manifest: |secrets, origin, _| scalingo::manifest(secrets, origin),
                router: scalingo::router,
            },
            bitrise_adapter::PLATFORM => Self {
                dialect: &bitrise_adapter::Bitrise,
                // Bitrise authenticates with the token alone.
                user: "",
                manifest: |secrets, origin, _| bitrise::manifest(secrets, origin),
                router: bitrise::router,
            },
            clevercloud_adapter::PLATFORM => Self {
                dialect: &clevercloud_adapter::CleverCloud,
                user: clevercloud::ADDON_ID,
                manifest: |secrets, origin, _| clevercloud::manifest(secrets, origin),
                router: clevercloud::router,
            },
            _ => return None,
        })
    }
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
