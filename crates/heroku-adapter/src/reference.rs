//! Heroku's add-on partner API, version 3: provisioning, plan change and deprovision behind Basic
//! auth with the add-on id and password, and single sign-on by form `POST` (the object form of
//! the manifest) or by `GET` on the resource URL (the legacy root-URL form).

use std::collections::HashMap;
use std::sync::Arc;

use crate::{RESOURCE_TOKEN, USER_SCOPED_TOKEN, mint};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post, put};
use manifest_core::SsoTransport;
use manifest_core::dialect::TokenKind;
use manifest_core::token::constant_time_eq;
use serde::Deserialize;
use serde_json::Value;

use reference_kit::auth::{Call, basic_auth_passes};
use reference_kit::fault::Fault;
use reference_kit::lifecycle::{self, Offering, TOKEN_VAR, URL_VAR};
use reference_kit::mode::Mode;
use reference_kit::reply::{
    Answer, forbidden, internal, login_redirect, no_such_endpoint, parse_body, refusal,
    unauthorized,
};
use reference_kit::sso::{
    cookie_value, form_fields, session_cookie, session_opens, timestamp_acceptable,
};
use reference_kit::state::{AddonState, Secrets};
use reference_kit::store::Resource;
use reference_kit::{ManifestShape, Provider};

/// The add-on id, which is also the Basic auth user.
pub(crate) const ADDON_ID: &str = "reference-db";
const PRODUCTION_ROOT: &str = "https://reference-db.example";

const OFFERING: Offering = Offering {
    plans: &["test", "premium", "enterprise"],
    log_drain_url,
};

/// The platform's correct reference provider, which the registry pairs with the dialect.
pub static REFERENCE: Provider = Provider {
    dialect: &crate::Heroku,
    user: ADDON_ID,
    manifest,
    manifest_shape: ManifestShape {
        settings: Some("api"),
        bad_config_var: "REFERENCE_DB__EXTRA",
        unknown_key: ("config_var_prefix", "REFERENCE_DB"),
    },
    router,
    modes: &[
        Mode::NumericIds,
        Mode::CachedReplay,
        Mode::CurrentStateReplay,
    ],
    fixtures: concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
};

/// The manifest of an add-on served at `origin` (`http://host:port`).
pub(crate) fn manifest(secrets: &Secrets, origin: &str, transport: SsoTransport) -> String {
    let quoted = |text: &str| Value::from(text).to_string();
    let endpoints = |root: &str| match transport {
        SsoTransport::Post => format!(
            "{{\n      \"base_url\": {},\n      \"sso_url\": {}\n    }}",
            quoted(&format!("{root}/heroku/resources")),
            quoted(&format!("{root}/heroku/sso")),
        ),
        SsoTransport::Get => quoted(root),
    };
    format!(
        r#"{{
  "id": {id},
  "name": "Reference DB",
  "api": {{
    "config_vars_prefix": "REFERENCE_DB",
    "config_vars": [{url_var}, {token_var}],
    "password": {password},
    "sso_salt": {salt},
    "regions": ["us", "eu"],
    "requires": ["syslog_drain"],
    "production": {production},
    "test": {test},
    "version": "3"
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
        .route("/heroku/resources", post(provision))
        .route(
            "/heroku/resources/{id}",
            put(change_plan).delete(deprovision).get(legacy_sso),
        )
        .route("/heroku/sso", post(sso))
        .route("/heroku/dashboard/{id}", get(dashboard))
        .fallback(|| async { no_such_endpoint() })
}

#[derive(Debug, Deserialize)]
struct ProvisionRequest {
    uuid: String,
    plan: String,
    callback_url: Option<String>,
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
        return Err(unauthorized().into());
    }
    let request: ProvisionRequest = parse_body(&body, "provision request")?;
    if request.uuid.trim().is_empty() {
        return Err(refusal(StatusCode::BAD_REQUEST, "`uuid` must not be blank"));
    }
    let answer = lifecycle::provision(&state, &OFFERING, &request.uuid, &request.plan).await?;
    if !answer.status().is_success() {
        return Ok(answer);
    }
    if state.has(Fault::AsyncNeverCompletes) {
        return Ok(accepted(answer));
    }
    if state.asynchronous {
        let callback = request.callback_url.clone().unwrap_or_default();
        if !report_provisioned(&callback) {
            return Err(refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "`callback_url` must be a loopback http URL to provision asynchronously",
            ));
        }
        return Ok(accepted(answer));
    }
    Ok(answer)
}

/// The same answer, marked as accepted for asynchronous completion.
fn accepted(mut answer: axum::response::Response) -> axum::response::Response {
    *answer.status_mut() = StatusCode::ACCEPTED;
    answer
}

/// Tells the platform, in the background, that the resource behind `callback_url` is ready.
/// Only loopback callbacks are called: the reference add-on never reaches beyond this machine.
fn report_provisioned(callback_url: &str) -> bool {
    let Ok(url) = url::Url::parse(callback_url) else {
        return false;
    };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if url.scheme() != "http" || !loopback {
        return false;
    }
    let action = format!("{}/actions/provision", callback_url.trim_end_matches('/'));
    tokio::spawn(async move {
        let _ = reqwest::Client::new().post(action).send().await;
    });
    true
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

async fn deprovision(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let authorized = basic_auth_passes(&state, &headers, Call::Deprovision);
    lifecycle::deprovision(&state, &id, authorized).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn sso(State(state): State<Arc<AddonState>>, headers: HeaderMap, body: Bytes) -> Answer {
    log_in(&state, &headers, &form_fields(&body), None)
}

async fn legacy_sso(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let fields = form_fields(query.unwrap_or_default().as_bytes());
    log_in(&state, &headers, &fields, Some(&id))
}

/// A login: on success, a redirect to the dashboard that sets the session cookie.
fn log_in(
    state: &AddonState,
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
    path_id: Option<&str>,
) -> Answer {
    // A browser never sends the provisioning credentials: refused as any bad login is.
    if state.has(Fault::SsoNeedsProvisioningCredentials)
        && !basic_auth_passes(state, headers, Call::Login)
    {
        return Err(forbidden().into());
    }
    let resource = verify_login(state, fields, path_id).ok_or_else(forbidden)?;
    let session = state.open_session(&resource.id).map_err(internal)?;

    let mut cookies = vec![session_cookie(&session)];
    let nav_data = fields.get("nav-data").filter(|nav| !nav.is_empty());
    if let Some(nav_data) = nav_data
        && !state.has(Fault::SsoNoNavCookie)
    {
        cookies.push(format!(
            "heroku-nav-data={}; Path=/",
            cookie_value(nav_data)
        ));
    }
    login_redirect(format!("/heroku/dashboard/{}", resource.id), cookies)
}

/// The live resource a login opens, if the login is valid: a fresh timestamp and at least one
/// token valid for that very resource.
fn verify_login(
    state: &AddonState,
    fields: &HashMap<String, String>,
    path_id: Option<&str>,
) -> Option<Resource> {
    if state.has(Fault::SsoRefusesValidLogins) {
        return None;
    }
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    if !timestamp_acceptable(state, field("timestamp")) {
        return None;
    }
    let bound = !state.has(Fault::SsoIgnoresResource);
    let store = state.store();
    let resource = match path_id {
        Some(path_id) => {
            if bound && field("id") != path_id {
                return None;
            }
            store.live(path_id)?
        }
        None if !field("id").is_empty() => {
            let resource = store.live(field("id"))?;
            let resource_id = field("resource_id");
            if bound && !resource_id.is_empty() && resource_id != resource.key {
                return None;
            }
            resource
        }
        None => store.by_key(field("resource_id"))?,
    };
    let salt = &state.secrets.sso_salt;
    let accepted = state.has(Fault::SsoAcceptsAnyToken)
        || if bound {
            tokens_valid(
                salt,
                fields,
                resource,
                state.has(Fault::SsoRequiresEveryToken),
            ) || (state.has(Fault::SsoAcceptsPreviousResource)
                && store
                    .earlier(&resource.id)
                    .iter()
                    .any(|earlier| any_token_valid(salt, fields, earlier)))
        } else {
            store
                .resources()
                .any(|candidate| any_token_valid(salt, fields, candidate))
        };
    accepted.then(|| resource.clone())
}

/// Whether any of Heroku's three token kinds in the login is valid for `resource`.
fn any_token_valid(salt: &str, fields: &HashMap<String, String>, resource: &Resource) -> bool {
    tokens_valid(salt, fields, resource, false)
}

/// Whether the login's tokens open `resource`: any one of them, or with `every`, all that a
/// form login carries.
fn tokens_valid(
    salt: &str,
    fields: &HashMap<String, String>,
    resource: &Resource,
    every: bool,
) -> bool {
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let Ok(timestamp) = field("timestamp").trim().parse::<i64>() else {
        return false;
    };
    let presented = |field_name: &str, kind: TokenKind| {
        let expected = mint(
            kind,
            &resource.id,
            &resource.key,
            salt,
            timestamp,
            field("user_id"),
            field("email"),
        );
        expected.is_some_and(|expected| constant_time_eq(field(field_name), &expected))
    };
    // Every kind is compared, so timing does not tell which one matched.
    let id = presented("token", TokenKind::ID);
    if every && fields.contains_key("resource_token") {
        return id
            & presented("resource_token", RESOURCE_TOKEN)
            & presented("user_scoped_resource_token", USER_SCOPED_TOKEN);
    }
    id | presented("resource_token", RESOURCE_TOKEN)
        | presented("user_scoped_resource_token", USER_SCOPED_TOKEN)
}

async fn dashboard(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    if !session_opens(&state, &headers, &id) {
        return Err(forbidden().into());
    }
    let header = if state.has(Fault::SsoNoHerokuHeader) {
        ""
    } else {
        "<div id=\"heroku-header\"></div>\n"
    };
    Ok(Html(format!(
        "<!DOCTYPE html>\n<html>\n<head><title>Reference DB</title></head>\n<body>\n\
         {header}<h1>Reference DB</h1>\n<p>Database {id}</p>\n</body>\n</html>\n"
    ))
    .into_response())
}
