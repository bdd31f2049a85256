//! The HTTP transport: the one place requests leave the engine. It enforces the hygiene every
//! check relies on: bounded time, bounded memory, no redirects followed, no proxy, and
//! credentials only ever sent to the provider's own origin.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use manifest_core::Credentials;
use manifest_core::http::{Body, HttpRequest, HttpResponse, Method};
use tokio::sync::Semaphore;
use url::{Origin, Url};

use crate::evidence::Redactor;

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

/// How many requests may be in flight to the provider at once unless the caller says.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// The requests of a run, shared by every transport of the run: how many may be in flight at
/// once, and what they came to.
#[derive(Debug)]
pub struct Traffic {
    /// One permit per request in flight.
    permits: Semaphore,
    concurrency: u32,
    sent: AtomicU64,
    /// The depth of the deepest answered request (see [`Traffic::depth`]).
    deepest_answered: AtomicU64,
}

impl Default for Traffic {
    fn default() -> Self {
        Self::new(DEFAULT_CONCURRENCY)
    }
}

impl Traffic {
    /// At most `concurrency` requests in flight at once (at least one).
    pub fn new(concurrency: usize) -> Self {
        let concurrency =
            u32::try_from(concurrency.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
        Self {
            permits: Semaphore::new(concurrency as usize),
            concurrency,
            sent: AtomicU64::new(0),
            deepest_answered: AtomicU64::new(0),
        }
    }

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
    /// Learns every secret a request carries before it leaves, so that no output shows it.
    secrets: Redactor,
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
            secrets: Redactor::default(),
            traffic,
        })
    }

    /// A transport like this one (the same client, pool, timeout, traffic and redactor) whose
    /// credentials may only go to `origin`'s origin. Sharing the client spares reading the
    /// system's certificates again, which every new client does.
    pub fn for_origin(&self, origin: &Url) -> Self {
        Self {
            provider_origin: origin.origin(),
            ..self.clone()
        }
    }

    /// The transport with `redactor` learning the secrets of every request it sends.
    pub fn learning_into(mut self, redactor: &Redactor) -> Self {
        self.secrets = redactor.clone();
        self
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// How many requests may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.traffic.concurrency as usize
    }

    /// Sends one request and reads at most [`BODY_CAP`] bytes of the answer, all within the
    /// timeout, once fewer than the run's concurrency are in flight.
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        // The semaphore is never closed.
        let _permit = self.traffic.permits.acquire().await.ok();
        self.send_now(request).await
    }

    /// Sends one request with nothing else in flight, for a check that times the answer.
    pub async fn send_alone(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        let _quiet = self
            .traffic
            .permits
            .acquire_many(self.traffic.concurrency)
            .await
            .ok();
        self.send_now(request).await
    }

    /// Sends `copies` of one request at once, with nothing else in flight while they are: a
    /// check that races identical requests wants the provider to see them together, alone,
    /// whatever the concurrency (they are the one exception to it). Each answer comes with how
    /// long it took.
    pub async fn send_together(
        &self,
        request: &HttpRequest,
        copies: usize,
    ) -> Vec<(Result<HttpResponse, TransportError>, Duration)> {
        let _quiet = self
            .traffic
            .permits
            .acquire_many(self.traffic.concurrency)
            .await
            .ok();
        let timed = || async {
            let started = Instant::now();
            let response = self.send_now(request).await;
            (response, started.elapsed())
        };
        futures_util::future::join_all((0..copies).map(|_| timed())).await
    }

    async fn send_now(&self, request: &HttpRequest) -> Result<HttpResponse, TransportError> {
        if request.credentials.is_some() && request.url.origin() != self.provider_origin {
            return Err(TransportError::ForeignOrigin(
                request.url.origin().ascii_serialization(),
            ));
        }
        self.secrets.learn(request);
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
            Some(Credentials::Forged { header, value, .. }) => {
                builder = builder.header(header.as_str(), value.expose());
            }
            None => {}
        }
        builder = match &request.body {
            Body::Empty => builder,
            Body::Json(json) => builder.json(json),
            Body::Form(fields) => builder.form(fields),
            Body::MalformedJson(text) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(*text),
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use axum::Router;
    use axum::extract::State;
    use axum::routing::get;
    use manifest_core::http::Method;
    use tokio::sync::Barrier;

    use super::*;

    /// A provider that counts the requests it is answering at once and remembers the most.
    #[derive(Debug, Default)]
    struct Gauge {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Gauge {
        fn enter(&self) {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
        }

        fn leave(&self) {
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[derive(Debug, Clone)]
    struct Provider {
        gauge: Arc<Gauge>,
        /// When set, every request is held until this many are in flight together.
        together: Option<Arc<Barrier>>,
    }

    async fn answer(State(provider): State<Provider>) -> &'static str {
        provider.gauge.enter();
        match &provider.together {
            Some(barrier) => {
                barrier.wait().await;
            }
            // Holds the request a little, so that unbounded requests would overlap.
            None => tokio::time::sleep(Duration::from_millis(5)).await,
        }
        provider.gauge.leave();
        "ok"
    }

    async fn provider(together: Option<usize>) -> (Url, Arc<Gauge>) {
        let gauge = Arc::new(Gauge::default());
        let state = Provider {
            gauge: gauge.clone(),
            together: together.map(|n| Arc::new(Barrier::new(n))),
        };
        let app = Router::new().route("/", get(answer)).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, gauge)
    }

    fn transport(url: &Url, traffic: &Arc<Traffic>) -> Transport {
        Transport::new(url, Duration::from_secs(30), traffic.clone()).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_more_requests_in_flight_than_the_concurrency() {
        for concurrency in [1, 3] {
            let (url, gauge) = provider(None).await;
            let traffic = Arc::new(Traffic::new(concurrency));
            let transport = transport(&url, &traffic);
            let request = HttpRequest::new(Method::Get, url.clone());
            let answers =
                futures_util::future::join_all((0..24).map(|_| transport.send(&request))).await;
            assert!(answers.iter().all(Result::is_ok));
            assert!(
                gauge.most.load(Ordering::SeqCst) <= concurrency,
                "{} in flight with a concurrency of {concurrency}",
                gauge.most.load(Ordering::SeqCst)
            );
            assert_eq!(traffic.requests(), 24);
        }
    }

    /// The provider holds every request until eight are in flight: only a transport that lets
    /// eight through at once gets answers, so the gauge above measures what it says.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn as_many_in_flight_as_the_concurrency_allows() {
        let (url, gauge) = provider(Some(8)).await;
        let traffic = Arc::new(Traffic::new(8));
        let transport = transport(&url, &traffic);
        let request = HttpRequest::new(Method::Get, url.clone());
        let answers =
            futures_util::future::join_all((0..8).map(|_| transport.send(&request))).await;
        assert!(answers.iter().all(Result::is_ok));
        assert_eq!(gauge.most.load(Ordering::SeqCst), 8);
        assert_eq!(
            traffic.depth(),
            1,
            "eight requests side by side are one round trip"
        );
    }

    /// Identical copies raced on purpose go out together even at a concurrency of one, and
    /// nothing else is in flight with them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn copies_sent_together_go_out_at_once_and_alone() {
        let (url, gauge) = provider(Some(4)).await;
        let traffic = Arc::new(Traffic::new(1));
        let transport = transport(&url, &traffic);
        let request = HttpRequest::new(Method::Get, url.clone());
        let copies = transport.send_together(&request, 4).await;
        assert_eq!(copies.len(), 4);
        assert!(copies.iter().all(|(answer, _)| answer.is_ok()));
        assert_eq!(gauge.most.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn requests_one_after_another_are_as_deep_as_they_are_many() {
        let (url, _) = provider(None).await;
        let traffic = Arc::new(Traffic::new(8));
        let transport = transport(&url, &traffic);
        let request = HttpRequest::new(Method::Get, url.clone());
        for _ in 0..3 {
            transport.send(&request).await.unwrap();
        }
        assert_eq!((traffic.requests(), traffic.depth()), (3, 3));
    }
}
