//! The embedded add-on provider that does everything right — unless told to get one thing
//! wrong — for any registered platform.
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
//! Each platform's provider (its router and manifest) lives in its adapter crate, built on
//! `reference-kit`; the registry (`dialects`) pairs it with its dialect, and this crate starts
//! the one a platform names.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use manifest_core::{Platform, SsoTransport};
use reference_kit::{Provider, Settings};

pub use reference_kit::{Fault, Mode, RunningAddon, UnknownFault};

/// How to build a reference add-on: its platform, its faults, and its knobs.
#[derive(Debug, Clone)]
pub struct ReferenceAddon {
    platform: Platform,
    settings: Settings,
}

impl ReferenceAddon {
    /// A correct add-on for `platform`, with form `POST` single sign-on.
    pub fn new(platform: Platform) -> Self {
        Self {
            platform,
            settings: Settings::default(),
        }
    }

    /// Accepts this password (Bitrise: auth token) and SSO salt (Bitrise: SSO secret) instead of
    /// fresh random ones, so a manifest written earlier stays valid across restarts.
    pub fn secrets(mut self, password: impl Into<String>, sso_salt: impl Into<String>) -> Self {
        self.settings.secrets = Some((
            manifest_core::Secret::new(password),
            manifest_core::Secret::new(sso_salt),
        ));
        self
    }

    /// Heroku: provisions asynchronously, as a correct provider may: answers 202, then reports
    /// the resource ready by posting to `<callback_url>/actions/provision` (loopback only).
    pub fn asynchronous(mut self) -> Self {
        self.settings.asynchronous = true;
        self
    }

    /// Switches a fault on; call again for several.
    pub fn fault(mut self, fault: Fault) -> Self {
        self.settings.faults.insert(fault);
        self
    }

    pub fn faults(self, faults: impl IntoIterator<Item = Fault>) -> Self {
        faults.into_iter().fold(self, Self::fault)
    }

    /// Follows a correct but unusual design instead of the default one; call again for several.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.settings.modes.insert(mode);
        self
    }

    /// Heroku: `Post` serves the object form of the manifest (`base_url` and `sso_url`), `Get`
    /// the legacy root URL form, whose logins are `GET`s on the resource URL. Scalingo and
    /// Bitrise have a single transport each (a `GET` on `sso_url`, a form `POST` to `/login`)
    /// and ignore this.
    pub fn sso_transport(mut self, transport: SsoTransport) -> Self {
        self.settings.sso_transport = transport;
        self
    }

    /// How long the slow faults (`provision-slow`, `plan-change-slow`, `deprovision-slow`) hold
    /// each answer back; 4 s unless set.
    pub fn slow_delay(mut self, delay: Duration) -> Self {
        self.settings.slow_delay = delay;
        self
    }

    /// Makes the add-on slow down under load, as a provider with too few workers does: every
    /// request is held back this long for each request in flight when it arrives, itself
    /// included, so a lone request takes `delay` and one among seven others eight times that.
    /// Not a [`Fault`]: the sequential suite cannot see it; `addon-conform load` does. Zero (no
    /// slowdown) unless set.
    pub fn delay_per_concurrent_request(mut self, delay: Duration) -> Self {
        self.settings.delay_per_concurrent_request = delay;
        self
    }

    /// Serves on a free loopback port.
    pub async fn start(self) -> io::Result<RunningAddon> {
        self.start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
    }

    /// Serves on `addr` (port 0 picks a free one). Fails when the platform is not registered,
    /// or a fault or mode does not exist on it.
    pub async fn start_on(self, addr: SocketAddr) -> io::Result<RunningAddon> {
        let provider = provider(self.platform).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::Unsupported,
                format!("the reference add-on does not speak {}", self.platform),
            )
        })?;
        reference_kit::serve(provider, self.settings, addr).await
    }
}

fn provider(platform: Platform) -> Option<&'static Provider> {
    dialects::providers()
        .iter()
        .copied()
        .find(|provider| provider.dialect.platform() == platform)
}

/// The registered platforms whose reference add-on can be built in `mode`.
pub fn platforms_in(mode: Mode) -> Vec<Platform> {
    dialects::providers()
        .iter()
        .filter(|provider| provider.modes.contains(&mode))
        .map(|provider| provider.dialect.platform())
        .collect()
}

#[cfg(test)]
mod tests {
    use manifest_core::catalog;

    use super::*;

    #[test]
    fn every_warning_is_a_check_of_the_modes_platforms() {
        for mode in Mode::ALL {
            for id in mode.warns() {
                let check = catalog::lookup(id)
                    .unwrap_or_else(|| panic!("{mode} warns about unknown check {id}"));
                for platform in platforms_in(mode) {
                    let dialect = dialects::find(platform).expect("a registered platform");
                    assert!(
                        check.applies_to(dialect.expectations().capabilities),
                        "{mode}: {id} on {platform}"
                    );
                }
            }
        }
    }
}
