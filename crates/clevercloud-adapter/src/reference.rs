//! Clever Cloud's marketplace add-on API: provisioning and deprovisioning behind Basic auth with
//! the add-on id and password, Heroku's plan change (which Clever Cloud does not document but
//! says it follows), and single sign-on by form `POST` with millisecond timestamps, verified by
//! the documented `token` or by the `signature` of later editions of the documentation.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{signature, token};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use manifest_core::token::constant_time_eq;
use serde::Deserialize;
use serde_json::{Value, json};

use reference_kit::auth::{Call, basic_auth_passes};
use reference_kit::fault::Fault;
use reference_kit::lifecycle::{self, Offering, TOKEN_VAR, URL_VAR};
use reference_kit::reply::{
    Answer, forbidden, internal, login_redirect, no_such_endpoint, parse_body,
};
use reference_kit::sso::{form_fields, session_cookie, session_opens};
use reference_kit::state::{AddonState, Secrets};
use reference_kit::store::Resource;
use reference_kit::{ManifestShape, Provider};

/// The add-on id, which is also the Basic auth user. Its upper-cased form, `REFERENCE_DB_`,
/// prefixes the config vars.
pub(crate) const ADDON_ID: &str = "reference-db";
const PRODUCTION_ROOT: &str = "https://reference-db.example";

/// How far, in milliseconds, a login's timestamp may lie from now: the documentation's
/// 15 minutes.
const WINDOW_MS: i64 = 15 * 60 * 1000;

const OFFERING: Offering = Offering {
    plans: &["basic", "premium", "enterprise"],
    // Clever Cloud asks for no log drain; the shared answer carries one that nothing reads.
    log_drain_url,
};

/// The platform's correct reference provider, which the registry pairs with the dialect.
pub static REFERENCE: Provider = Provider {
    dialect: &crate::CleverCloud,
    user: ADDON_ID,
    manifest: |secrets, origin, _| manifest(secrets, origin),
    manifest_shape: ManifestShape {
        settings: Some("api"),
        bad_config_var: "REFERENCE-DB-EXTRA",
        unknown_key: ("test_sso_url", "https://reference-db.example/sso"),
    },
    router,
    modes: &[],
    fixtures: concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
};

/// The manifest of an add-on served at `origin` (`http://host:port`).
pub(crate) fn manifest(secrets: &Secrets, origin: &str) -> String {
    let quoted = |text: &str| Value::from(text).to_string();
    let endpoints = |root: &str| {
        format!(
            "{{\n      \"base_url\": {},\n      \"sso_url\": {}\n    }}",
            quoted(&format!("{root}/clevercloud/resources")),
            quoted(&format!("{root}/clevercloud/sso/login")),
        )
    };
    format!(
        r#"{{
  "id": {id},
  "name": "Reference DB",
  "api": {{
    "config_vars": [{url_var}, {token_var}],
    "regions": ["eu"],
    "password": {password},
    "sso_salt": {salt},
    "production": {production},
    "test": {test}
  }}
}}
"#,
        id = quoted(ADDON_ID),
        url_var = quoted(URL_VAR),
        token_var = quoted(TOKEN_VAR),
        password = quoted(&secrets.password),
        salt = quoted(&secrets.sso_salt),
        production = endpoints(PRODUCTION_ROOT),
        test = endpoints(origin),
    )
}

pub(crate) fn router() -> Router<Arc<AddonState>> {
    Router::new()
        .route("/clevercloud/resources", post(provision))
        .route(
            "/clevercloud/resources/{id}",
            put(change_plan).delete(deprovision),
        )
        .route("/clevercloud/sso/login", post(sso))
        .route("/clevercloud/dashboard/{id}", get(dashboard))
        .fallback(|| async { no_such_endpoint() })
}

#[derive(Debug, Deserialize)]
struct ProvisionRequest {
    addon_id: String,
    plan: String,
}

#[derive(Debug, Deserialize)]
struct PlanChangeRequest {
    plan: String,
}

fn log_drain_url(id: &str) -> String {
    format!("syslog+tls://logs.reference-db.example:6514/{id}")
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
        return Err(reference_kit::reply::unauthorized().into());
    }
    let request: ProvisionRequest = parse_body(&body, "provision request")?;
    if request.addon_id.trim().is_empty() {
        return Err(reference_kit::reply::refusal(
            StatusCode::BAD_REQUEST,
            "`addon_id` must not be blank",
        ));
    }
    lifecycle::provision(&state, &OFFERING, &request.addon_id, &request.plan).await
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
        return Err(reference_kit::reply::unauthorized().into());
    }
    let request: PlanChangeRequest = parse_body(&body, "plan change request")?;
    lifecycle::change_plan(&state, &OFFERING, &id, &request.plan).await
}

/// Clever Cloud documents a 200 for a deprovision.
async fn deprovision(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let authorized = basic_auth_passes(&state, &headers, Call::Deprovision);
    lifecycle::deprovision(&state, &id, authorized).await?;
    let answer = json!({"message": format!("Reference DB {id} is deleted")});
    Ok((StatusCode::OK, Json(answer)).into_response())
}

/// A login: on success, a redirect to the dashboard that sets the session cookie.
async fn sso(State(state): State<Arc<AddonState>>, headers: HeaderMap, body: Bytes) -> Answer {
    // A browser never sends the provisioning credentials: refused as any bad login is.
    if state.has(Fault::SsoNeedsProvisioningCredentials)
        && !basic_auth_passes(&state, &headers, Call::Login)
    {
        return Err(forbidden().into());
    }
    let fields = form_fields(&body);
    let resource = verify_login(&state, &fields).ok_or_else(forbidden)?;
    let session = state.open_session(&resource.id).map_err(internal)?;
    login_redirect(
        format!("/clevercloud/dashboard/{}", resource.id),
        vec![session_cookie(&session)],
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

/// Whether a login's raw millisecond `timestamp` lies inside the window.
fn timestamp_acceptable(state: &AddonState, raw: &str) -> bool {
    if state.has(Fault::SsoIgnoresTimestamp) {
        return true;
    }
    let Ok(timestamp) = raw.trim().parse::<i64>() else {
        return false;
    };
    let age = now_ms().saturating_sub(timestamp);
    age <= WINDOW_MS && (age >= -WINDOW_MS || state.has(Fault::SsoAcceptsFutureTimestamp))
}

/// The live resource a login opens, if the login is valid: a fresh timestamp and a `token` or
/// a `signature` valid for that very resource.
fn verify_login(state: &AddonState, fields: &HashMap<String, String>) -> Option<Resource> {
    if state.has(Fault::SsoRefusesValidLogins) {
        return None;
    }
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    if !timestamp_acceptable(state, field("timestamp")) {
        return None;
    }
    let store = state.store();
    let resource = store.live(field("id"))?;
    let salt = &state.secrets.sso_salt;
    let accepted = state.has(Fault::SsoAcceptsAnyToken)
        || if state.has(Fault::SsoIgnoresResource) {
            store
                .resources()
                .any(|candidate| signed_for(salt, fields, &candidate.id))
        } else {
            signed_for(salt, fields, &resource.id)
                || (state.has(Fault::SsoAcceptsPreviousResource)
                    && store
                        .earlier(&resource.id)
                        .iter()
                        .any(|earlier| signed_for(salt, fields, &earlier.id)))
        };
    accepted.then(|| resource.clone())
}

/// Whether the login's `token` or its `signature` was minted for the resource `id`.
fn signed_for(salt: &str, fields: &HashMap<String, String>, id: &str) -> bool {
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let Ok(timestamp) = field("timestamp").trim().parse::<i64>() else {
        return false;
    };
    let expected_signature = signature(
        id,
        field("user_id"),
        field("email"),
        field("nav-data"),
        salt,
        timestamp,
    );
    // Both are compared, so timing does not tell which one matched.
    constant_time_eq(field("token"), &token(id, salt, timestamp))
        | constant_time_eq(field("signature"), &expected_signature)
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
