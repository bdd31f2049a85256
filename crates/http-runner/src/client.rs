//! The HTTP transport: the one place requests leave the engine. It enforces the hygiene every
//! check relies on: bounded time, bounded memory, no redirects followed, no proxy, and
//! credentials only ever sent to the provider's own origin.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use manifest_core::Credentials;
use manifest_core::http::{Body, HttpRequest, HttpResponse, Method};
use url::{Origin, Url};

/// Response bodies are read up to this many bytes; the rest is never read.
pub const BODY_CAP: usize = 1024 * 1024;

/// Why no response came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("no answer within {0:.1?}")]
    Timeout(Duration),
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("refused to send credentials to {0}, which is not the provider's origin")]
    ForeignOrigin(String),
    #[error("{0}")]
    Other(String),
}

/// What the requests of a run came to, shared by every transport of the run.
#[derive(Debug, Default)]
pub struct Traffic {
    sent: AtomicU64,
    /// The depth of the deepest answered request (see [`Traffic::depth`]).
    deepest_answered: AtomicU64,
}

impl Traffic {
    /// How many requests were sent.
    pub fn requests(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// The longest chain of requests each sent after the one before it was answered: how many
    /// round trips the run waited for one after another, which is what its wall time is made
    /// of on a distant provider. A request's depth is one more than the deepest request
    /// answered before it was sent.
    pub fn depth(&self) -> u64 {
        self.deepest_answered.load(Ordering::Relaxed)
    }

    fn sending(&self) -> u64 {
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.deepest_answered.load(Ordering::Relaxed) + 1
    }

    fn answered(&self, depth: u64) {
        self.deepest_answered.fetch_max(depth, Ordering::Relaxed);
    }
}

/// Sends [`HttpRequest`]s built by dialects.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    /// The only origin credentials may go to.
    provider_origin: Origin,
    timeout: Duration,
    traffic: Arc<Traffic>,
}

impl Transport {
    /// A transport whose requests count in `traffic`.
    pub fn new(provider: &Url, timeout: Duration, traffic: Arc<Traffic>) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("addon-conform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            client,
            provider_origin: provider.origin(),
            timeout,
            traffic,
        })
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends one request and reads at most [`BODY_CAP`] bytes of the answer, all within the
    /// timeout.
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.credentials.is_some() && request.url.origin() != self.provider_origin {
            return Err(TransportError::ForeignOrigin(
                request.url.origin().ascii_serialization(),
            ));
        }
        let depth = self.traffic.sending();
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, self.exchange(request, started)).await
        {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout(self.timeout)),
        };
        self.traffic.answered(depth);
        result
    }

    async fn exchange(
        &self,
        request: &HttpRequest,
        started: Instant,
    ) -> Result<HttpResponse, TransportError> {
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Put => reqwest::Method::PUT,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        match &request.credentials {
            Some(Credentials::Basic { username, password }) => {
                builder = builder.basic_auth(username, Some(password.expose()));
            }
            Some(Credentials::Header { name, token }) => {
                builder = builder.header(name.as_str(), token.expose());
            }
            None => {}
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(json) => builder.json(json),
            Body::Form(fields) => builder.form(fields),
        };
        let mut response = builder.send().await.map_err(classify)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            let room = BODY_CAP - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse {
            status,
            headers,
            body,
            truncated,
            elapsed: started.elapsed(),
        })
    }
}

fn classify(error: reqwest::Error) -> TransportError {
    if error.is_connect() {
        let mut cause: &dyn std::error::Error = &error;
        while let Some(source) = cause.source() {
            cause = source;
        }
        TransportError::Connect(cause.to_string())
    } else if error.is_timeout() {
        TransportError::Timeout(Duration::ZERO)
    } else {
        let mut message = error.to_string();
        let mut cause: &dyn std::error::Error = &error;
        while let Some(source) = cause.source() {
            message = format!("{message}: {source}");
            cause = source;
        }
        TransportError::Other(message)
    }
}
