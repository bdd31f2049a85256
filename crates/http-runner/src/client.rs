//! The HTTP transport: the one place requests leave the engine. It enforces the hygiene every
//! check relies on: bounded time, bounded memory, no redirects followed, no proxy, and
//! credentials only ever sent to the provider's own origin.

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

/// Sends [`HttpRequest`]s built by dialects.
#[derive(Debug, Clone)]
pub struct Transport {
    client: reqwest::Client,
    /// The only origin credentials may go to.
    provider_origin: Origin,
    timeout: Duration,
}

impl Transport {
    pub fn new(provider: &Url, timeout: Duration) -> Result<Self, String> {
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
        let started = Instant::now();
        match tokio::time::timeout(self.timeout, self.exchange(request, started)).await {
            Ok(result) => result,
            Err(_) => Err(TransportError::Timeout(self.timeout)),
        }
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
