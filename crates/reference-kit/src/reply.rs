//! The answers every platform's router gives alike: JSON messages, refusals, the login redirect,
//! and reading a JSON request body.

use std::io;

use axum::Json;
use axum::http::header::{LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

pub type Answer = Result<Response, Refusal>;

/// A refusing answer, boxed because a whole `Response` makes every `Result` carrying it large.
#[derive(Debug)]
pub struct Refusal(Box<Response>);

impl From<Response> for Refusal {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        *self.0
    }
}

pub fn message(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "message": text.into() }))).into_response()
}

pub fn refusal(status: StatusCode, text: impl Into<String>) -> Refusal {
    message(status, text).into()
}

pub fn internal(error: io::Error) -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal error: {error}"),
    )
}

pub fn unauthorized() -> Response {
    let mut response = message(StatusCode::UNAUTHORIZED, "wrong or missing credentials");
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"reference-db\""),
    );
    response
}

/// A refused login or a dashboard opened without a session.
pub fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html("<!DOCTYPE html>\n<html><body><p>Login refused.</p></body></html>\n"),
    )
        .into_response()
}

pub fn no_such_endpoint() -> Response {
    message(StatusCode::NOT_FOUND, "no such endpoint")
}

pub fn already_deprovisioned(id: &str) -> Response {
    message(
        StatusCode::GONE,
        format!("resource `{id}` was already deprovisioned"),
    )
}

pub fn never_provisioned(id: &str) -> Response {
    message(StatusCode::NOT_FOUND, format!("no resource `{id}`"))
}

/// The answer to a valid login: a redirect to `location` that sets `cookies`.
pub fn login_redirect(location: String, cookies: Vec<String>) -> Answer {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    let values = std::iter::once((LOCATION, location))
        .chain(cookies.into_iter().map(|cookie| (SET_COOKIE, cookie)));
    for (name, value) in values {
        headers.append(name, header_value(value)?);
    }
    Ok(response)
}

fn header_value(value: String) -> Result<HeaderValue, Refusal> {
    HeaderValue::try_from(value).map_err(|_| {
        refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "could not build the login answer",
        )
    })
}

/// A JSON object body read into `T`, or the 400 that explains why it cannot be.
pub fn parse_body<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Refusal> {
    let refuse = |detail: String| {
        message(
            StatusCode::BAD_REQUEST,
            format!("the body is not a {what}: {detail}"),
        )
    };
    let value: Value = serde_json::from_slice(body).map_err(|error| refuse(error.to_string()))?;
    if !value.is_object() {
        return Err(refuse("expected a JSON object".into()).into());
    }
    Ok(serde_json::from_value(value).map_err(|error| refuse(error.to_string()))?)
}
