//! The platform side of asynchronous provisioning: a loopback listener standing in for the
//! platform API that `callback_url` points at. A provider that answers 202 later reports the
//! resource ready here (`POST <callback_url>/actions/provision`), optionally after setting its
//! config (`PATCH <callback_url>/config`).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{patch, post};
use tokio::sync::{Notify, oneshot};
use url::Url;

/// How many provision reports the listener keeps at most, whatever a provider sends.
const MAX_REPORTS: usize = 4096;

/// The uuids the run has handed out in provisions: the only ones whose reports are kept.
#[derive(Debug, Clone, Default)]
pub struct Issued(Arc<Mutex<HashSet<String>>>);

impl Issued {
    pub fn insert(&self, uuid: &str) {
        self.lock().insert(uuid.to_string());
    }

    fn contains(&self, uuid: &str) -> bool {
        self.lock().contains(uuid)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Debug, Default)]
struct Shared {
    issued: Issued,
    provisioned: Mutex<HashSet<String>>,
    changed: Notify,
}

/// A running callback listener; stops when dropped.
#[derive(Debug)]
pub struct CallbackServer {
    base: Url,
    shared: Arc<Shared>,
    issued: Issued,
    _stop: oneshot::Sender<()>,
}

impl CallbackServer {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let issued = shared.issued.clone();
        let app = Router::new()
            .route("/addons/{uuid}/actions/provision", post(provisioned))
            // Config updates are accepted; the provision action is what completes provisioning.
            .route("/addons/{uuid}/config", patch(|| async { StatusCode::OK }))
            .route(
                "/log-input/{uuid}",
                post(|| async { StatusCode::NO_CONTENT }),
            )
            .with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let base = Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?;
        Ok(Self {
            base,
            shared,
            issued,
            _stop: stop,
        })
    }

    /// Where the run registers every uuid it sends, so that reports about any other are
    /// refused rather than kept.
    pub fn issued(&self) -> &Issued {
        &self.issued
    }

    /// The root that `callback_url`s are built on.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Waits until the provider reports `uuid` provisioned, at most `limit`.
    pub async fn wait_provisioned(&self, uuid: &str, limit: Duration) -> bool {
        let wait = async {
            loop {
                let notified = self.shared.changed.notified();
                if self.lock().contains(uuid) {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.shared
            .provisioned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn provisioned(State(shared): State<Arc<Shared>>, Path(uuid): Path<String>) -> StatusCode {
    if !shared.issued.contains(&uuid) {
        return StatusCode::NOT_FOUND;
    }
    {
        let mut provisioned = shared
            .provisioned
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if provisioned.len() >= MAX_REPORTS && !provisioned.contains(&uuid) {
            return StatusCode::TOO_MANY_REQUESTS;
        }
        provisioned.insert(uuid);
    }
    shared.changed.notify_waiters();
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_callback_spammer_cannot_fill_the_listener() {
        let server = CallbackServer::start().await.unwrap();
        server.issued().insert("u-handed-out");
        let client = reqwest::Client::new();
        let report = |uuid: String| {
            let url = server
                .base()
                .join(&format!("addons/{uuid}/actions/provision"))
                .unwrap();
            let client = client.clone();
            async move { client.post(url).send().await.unwrap().status().as_u16() }
        };
        for spam in 0..2000 {
            assert_eq!(report(format!("spam-{spam}")).await, 404);
        }
        assert!(
            server.lock().is_empty(),
            "no report about an unknown uuid is kept"
        );
        assert!(
            !server
                .wait_provisioned("spam-7", Duration::from_millis(1))
                .await
        );
        assert_eq!(report("u-handed-out".into()).await, 200);
        assert!(
            server
                .wait_provisioned("u-handed-out", Duration::from_secs(10))
                .await
        );
        assert_eq!(server.lock().len(), 1);
    }

    #[tokio::test]
    async fn reports_are_capped_even_for_issued_uuids() {
        let server = CallbackServer::start().await.unwrap();
        for n in 0..=MAX_REPORTS {
            server.issued().insert(&format!("u-{n}"));
        }
        let shared = server.shared.clone();
        for n in 0..MAX_REPORTS {
            let status = provisioned(State(shared.clone()), Path(format!("u-{n}"))).await;
            assert_eq!(status, StatusCode::OK);
        }
        let over = provisioned(State(shared.clone()), Path(format!("u-{MAX_REPORTS}"))).await;
        assert_eq!(over, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(server.lock().len(), MAX_REPORTS);
    }
}
