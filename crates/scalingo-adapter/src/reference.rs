//! Scalingo's add-on provider API: provisioning, plan change and deprovision behind Basic auth
//! with the manifest's `username` and `password`, and single sign-on by a browser `GET` on
//! `sso_url` carrying `id`, `timestamp` and `token = sha1(id:sso_salt:timestamp)`.

use std::collections::HashMap;
use std::sync::Arc;

use crate::sso_token;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post, put};
use manifest_core::token::constant_time_eq;
use serde::Deserialize;
use serde_json::Value;

use reference_kit::auth::{Call, basic_auth_passes};
use reference_kit::fault::Fault;
use reference_kit::lifecycle::{self, Offering, TOKEN_VAR, URL_VAR};
use reference_kit::mode::Mode;
use reference_kit::reply::{
    Answer, Refusal, forbidden, internal, login_redirect, message, no_such_endpoint, parse_body,
    refusal, unauthorized,
};
use reference_kit::sso::{form_fields, session_cookie, session_opens, timestamp_acceptable};
use reference_kit::state::{AddonState, Secrets};
use reference_kit::store::Resource;
use reference_kit::{ManifestShape, Provider};

/// The Basic auth user, which is also the add-on's name.
pub(crate) const USERNAME: &str = "reference-db";
const PRODUCTION_ROOT: &str = "https://reference-db.example";
/// Where the add-on made to refuse logins by redirect sends a browser it does not let in.
const SIGN_IN: &str = "/scalingo/sign-in";

const OFFERING: Offering = Offering {
    plans: &["free", "pro", "enterprise"],
    log_drain_url,
};

/// The platform's correct reference provider, which the registry pairs with the dialect.
pub static REFERENCE: Provider = Provider {
    dialect: &crate::Scalingo,
    user: USERNAME,
    manifest: |secrets, origin, _| manifest(secrets, origin),
    manifest_shape: ManifestShape {
        settings: None,
        bad_config_var: "REFERENCE-DB-EXTRA",
        unknown_key: ("test_sso_url", "https://reference-db.example/sso"),
    },
    router,
    modes: &[
        Mode::NumericIds,
        Mode::CachedReplay,
        Mode::CurrentStateReplay,
        Mode::RedirectRefusal,
    ],
    fixtures: concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
};

/// The `manifest.json` of an add-on served at `origin` (`http://host:port`).
pub(crate) fn manifest(secrets: &Secrets, origin: &str) -> String {
    let quoted = |text: &str| Value::from(text).to_string();
    let endpoints = |root: &str| {
        format!(
            "{{\n    \"base_url\": {},\n    \"sso_url\": {}\n  }}",
            quoted(&format!("{root}/scalingo/resources")),
            quoted(&format!("{root}/scalingo/sso")),
        )
    };
    format!(
        r##"{{
  "name": {name},
  "username": {username},
  "password": {password},
  "sso_salt": {salt},
  "logo_url": "https://reference-db.example/logo.png",
  "short_description": "A PostgreSQL database to try add-on provisioning against",
  "description": "# Reference DB\n\nA database per app, with its URL and an access token in the app's environment.",
  "log_drain": true,
  "config_vars": [{url_var}, {token_var}],
  "production": {production},
  "test": {test},
  "plans": [
    {{
      "name": "free",
      "display_name": "Free",
      "price": 0,
      "description": "A small shared database to try things out"
    }},
    {{
      "name": "pro",
      "display_name": "Pro",
      "price": 29.0,
      "description": "A dedicated database for production apps",
      "options": {{"size": "4G"}}
    }},
    {{
      "name": "enterprise",
      "display_name": "Enterprise",
      "price": 290.0,
      "description": "A replicated database with support"
    }}
  ]
}}
"##,
        name = quoted(USERNAME),
        username = quoted(USERNAME),
        password = quoted(&secrets.password),
        salt = quoted(&secrets.sso_salt),
        url_var = quoted(URL_VAR),
        token_var = quoted(TOKEN_VAR),
        production = endpoints(PRODUCTION_ROOT),
        test = endpoints(origin),
    )
}

pub(crate) fn router() -> Router<Arc<AddonState>> {
    Router::new()
        .route("/scalingo/resources", post(provision))
        .route(
            "/scalingo/resources/{id}",
            put(change_plan).delete(deprovision),
        )
        .route("/scalingo/sso", get(sso))
        .route(SIGN_IN, get(sign_in))
        .route("/scalingo/dashboard/{id}", get(dashboard))
        .fallback(|| async { no_such_endpoint() })
}

#[derive(Debug, Deserialize)]
struct ProvisionRequest {
    uuid: String,
    plan: String,
    app_id: String,
}

#[derive(Debug, Deserialize)]
struct PlanChangeRequest {
    plan: String,
}

fn log_drain_url(id: &str) -> String {
    format!("https://logs.reference-db.example/drains/{id}")
}

async fn provision(
    State(state): State<Arc<AddonState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if state.has(Fault::ParsesBodyBeforeAuth) {
        parse_body::<ProvisionRequest>(&body, "provision request")?;
    }
    if !basic_auth_passes(&state, &headers, Call::Provision) {
        return Err(unauthorized().into());
    }
    let request: ProvisionRequest = parse_body(&body, "provision request")?;
    for (field, value) in [("uuid", &request.uuid), ("app_id", &request.app_id)] {
        if value.trim().is_empty() {
            return Err(refusal(
                StatusCode::BAD_REQUEST,
                format!("`{field}` must not be blank"),
            ));
        }
    }
    lifecycle::provision(&state, &OFFERING, &request.uuid, &request.plan).await
}

async fn change_plan(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if state.has(Fault::ParsesBodyBeforeAuth) {
        parse_body::<PlanChangeRequest>(&body, "plan change request")?;
    }
    if !basic_auth_passes(&state, &headers, Call::PlanChange) {
        return Err(unauthorized().into());
    }
    let request: PlanChangeRequest = parse_body(&body, "plan change request")?;
    lifecycle::change_plan(&state, &OFFERING, &id, &request.plan).await
}

/// Scalingo expects `204 No Content` and nothing else.
async fn deprovision(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let authorized = basic_auth_passes(&state, &headers, Call::Deprovision);
    lifecycle::deprovision(&state, &id, authorized).await?;
    if state.has(Fault::DeprovisionBody) {
        return Ok(message(
            StatusCode::OK,
            format!("Reference DB {id} was deleted"),
        ));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A login: on success, a redirect to the dashboard that sets the session cookie.
async fn sso(
    State(state): State<Arc<AddonState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    if state.has(Fault::SsoNeedsProvisioningCredentials)
        && !basic_auth_passes(&state, &headers, Call::Login)
    {
        return Err(refuse_login(&state, unauthorized()));
    }
    let fields = form_fields(query.unwrap_or_default().as_bytes());
    let Some(resource) = verify_login(&state, &fields) else {
        return Err(refuse_login(&state, forbidden()));
    };
    let session = state.open_session(&resource.id).map_err(internal)?;
    login_redirect(
        format!("/scalingo/dashboard/{}", resource.id),
        vec![session_cookie(&session)],
    )
}

/// A refused login: `status_answer`, or, for the add-on made to refuse by redirect, the sign-in
/// page, reached without a session.
fn refuse_login(state: &AddonState, status_answer: axum::response::Response) -> Refusal {
    if !state.in_mode(Mode::RedirectRefusal) {
        return status_answer.into();
    }
    match login_redirect(SIGN_IN.to_owned(), Vec::new()) {
        Ok(redirect) => redirect.into(),
        Err(refusal) => refusal,
    }
}

async fn sign_in() -> Html<&'static str> {
    Html(
        "<!DOCTYPE html>\n<html>\n<head><title>Reference DB</title></head>\n<body>\n\
         <h1>Sign in to Reference DB</h1>\n<p>Open the add-on from your Scalingo dashboard.</p>\n\
         </body>\n</html>\n",
    )
}

/// The live resource a login opens, if the login is valid: a fresh timestamp and a token minted
/// for that very resource.
fn verify_login(state: &AddonState, fields: &HashMap<String, String>) -> Option<Resource> {
    if state.has(Fault::SsoRefusesValidLogins) {
        return None;
    }
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    if !timestamp_acceptable(state, field("timestamp")) {
        return None;
    }
    let timestamp = field("timestamp").trim().parse::<i64>().ok();
    let token_valid = |candidate: &Resource| {
        timestamp.is_some_and(|timestamp| {
            let expected = sso_token(&candidate.id, &state.secrets.sso_salt, timestamp);
            constant_time_eq(field("token"), &expected)
        })
    };
    let store = state.store();
    let resource = store.live(field("id"))?;
    let accepted = state.has(Fault::SsoAcceptsAnyToken)
        || if state.has(Fault::SsoIgnoresResource) {
            store.resources().any(token_valid)
        } else {
            token_valid(resource)
                || (state.has(Fault::SsoAcceptsPreviousResource)
                    && store.earlier(&resource.id).iter().any(token_valid))
        };
    accepted.then(|| resource.clone())
}

async fn dashboard(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    if !session_opens(&state, &headers, &id) {
        return Err(forbidden().into());
    }
    Ok(Html(format!(
        "<!DOCTYPE html>\n<html>\n<head><title>Reference DB</title></head>\n<body>\n\
         <h1>Reference DB</h1>\n<p>Database {id}</p>\n</body>\n</html>\n"
    ))
    .into_response())
}
