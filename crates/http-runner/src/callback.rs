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

#[derive(Debug, Default)]
struct Shared {
    provisioned: Mutex<HashSet<String>>,
    changed: Notify,
}

/// A running callback listener; stops when dropped.
#[derive(Debug)]
pub struct CallbackServer {
    base: Url,
    shared: Arc<Shared>,
    _stop: oneshot::Sender<()>,
}

impl CallbackServer {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
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
            _stop: stop,
        })
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
    shared
        .provisioned
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(uuid);
    shared.changed.notify_waiters();
    StatusCode::OK
}
