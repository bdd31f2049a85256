//! Heroku's add-on partner API, version 3: provisioning, plan change and deprovision behind Basic
//! auth with the add-on id and password, and single sign-on by form `POST` (the object form of
//! the manifest) or by `GET` on the resource URL (the legacy root-URL form).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use heroku_adapter::mint;
use manifest_core::SsoTransport;
use manifest_core::dialect::TokenKind;
use manifest_core::token::constant_time_eq;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::auth::{Comparison, basic_credentials, secret_matches};
use crate::fault::Fault;
use crate::random::{random_hex, random_u32};
use crate::sso::{SESSION_COOKIE, cookie, cookie_value, form_fields, timestamp_acceptable};
use crate::state::{AddonState, Provisioned, Secrets};
use crate::store::{Lookup, Resource};

/// The add-on id, which is also the Basic auth user.
pub(crate) const ADDON_ID: &str = "reference-db";
const PLANS: [&str; 3] = ["test", "premium", "enterprise"];
const URL_VAR: &str = "REFERENCE_DB_URL";
const TOKEN_VAR: &str = "REFERENCE_DB_TOKEN";
const PRODUCTION_ROOT: &str = "https://reference-db.example";

type Answer = Result<Response, Refusal>;

/// A refusing answer, boxed because a whole `Response` makes every `Result` carrying it large.
#[derive(Debug)]
struct Refusal(Box<Response>);

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
        .fallback(|| async { message(StatusCode::NOT_FOUND, "no such endpoint") })
}

fn message(status: StatusCode, text: impl Into<String>) -> Response {
    (status, Json(json!({ "message": text.into() }))).into_response()
}

fn refusal(status: StatusCode, text: impl Into<String>) -> Refusal {
    message(status, text).into()
}

fn internal(error: std::io::Error) -> Response {
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("internal error: {error}"),
    )
}

fn unauthorized() -> Response {
    let mut response = message(StatusCode::UNAUTHORIZED, "wrong or missing credentials");
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"reference-db\""),
    );
    response
}

fn unknown_plan(plan: &str) -> Response {
    message(
        StatusCode::UNPROCESSABLE_ENTITY,
        format!(
            "unknown plan `{plan}`; this add-on offers {}",
            PLANS.join(", ")
        ),
    )
}

fn plan_offered(plan: &str) -> bool {
    PLANS.contains(&plan)
}

/// Whether the request carries the add-on's Basic credentials. `any_password` is the provider
/// that only checks the user.
fn authorized(state: &AddonState, headers: &HeaderMap, any_password: bool) -> bool {
    let Some((user, password)) = basic_credentials(headers) else {
        return false;
    };
    let comparison = if state.has(Fault::AcceptsPasswordPrefix) {
        Comparison::PrefixOnly
    } else {
        Comparison::Exact
    };
    let user_matches = secret_matches(&user, &state.secrets.user, Comparison::Exact);
    let password_matches =
        any_password || secret_matches(&password, &state.secrets.password, comparison);
    user_matches && password_matches
}

/// A JSON object body read into `T`, or the 400 that explains why it cannot be.
fn parse_body<T: DeserializeOwned>(body: &[u8], what: &str) -> Result<T, Refusal> {
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

#[derive(Debug, Deserialize)]
struct ProvisionRequest {
    uuid: String,
    plan: String,
}

#[derive(Debug, Deserialize)]
struct PlanChangeRequest {
    plan: String,
}

fn correct_config(resource: &Resource) -> Map<String, Value> {
    let mut config = Map::new();
    config.insert(
        URL_VAR.into(),
        format!(
            "postgres://u:p@db-{}.reference-db.example:5432/db",
            resource.id
        )
        .into(),
    );
    config.insert(TOKEN_VAR.into(), resource.token.clone().into());
    config
}

/// The provision answer's config. Every fault here is a function of the resource, so a replay
/// still gets exactly the config the first answer had.
fn provision_config(state: &AddonState, resource: &Resource) -> Map<String, Value> {
    let mut config = correct_config(resource);
    if state.has(Fault::UndeclaredConfigVar) {
        config.insert("REFERENCE_DB_REGION".into(), "us".into());
    }
    if state.has(Fault::MissingConfigVar) {
        config.remove(TOKEN_VAR);
    }
    if state.has(Fault::NonStringConfigValue) {
        let digits: String = resource
            .token
            .chars()
            .filter(char::is_ascii_digit)
            .take(9)
            .collect();
        config.insert(TOKEN_VAR.into(), digits.parse::<u64>().unwrap_or(0).into());
    }
    if state.has(Fault::ConfigWithoutPrefix) {
        config.insert("DATABASE_URL".into(), config[URL_VAR].clone());
    }
    if state.has(Fault::RelativeConfigUrl) {
        config.insert(URL_VAR.into(), "/db".into());
    }
    config
}

fn plan_change_config(state: &AddonState, resource: &Resource) -> Map<String, Value> {
    let mut config = correct_config(resource);
    if state.has(Fault::PlanChangeUndeclaredConfig) {
        config.insert("REFERENCE_DB_PLAN".into(), resource.plan.clone().into());
    }
    config
}

fn log_drain_url(id: &str) -> String {
    format!("syslog+tls://logs.reference-db.example:6514/{id}")
}

async fn provision(
    State(state): State<Arc<AddonState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if !authorized(&state, &headers, state.has(Fault::AcceptsWrongPassword)) {
        return Err(unauthorized().into());
    }
    let request: ProvisionRequest = parse_body(&body, "provision request")?;
    if request.uuid.trim().is_empty() {
        return Err(refusal(StatusCode::BAD_REQUEST, "`uuid` must not be blank"));
    }
    if !plan_offered(&request.plan) && !state.has(Fault::AcceptsUnknownPlan) {
        return Err(unknown_plan(&request.plan).into());
    }
    if state.has(Fault::ProvisionSlow) {
        state.pause().await;
    }
    if state.has(Fault::ProvisionFails) {
        return Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the database could not be created",
        ));
    }
    if state.has(Fault::ProvisionHtmlBody) {
        return Ok(
            Html("<!DOCTYPE html>\n<html><body><h1>Provisioned!</h1></body></html>\n")
                .into_response(),
        );
    }
    if state.has(Fault::ProvisionWithoutId) || state.has(Fault::ProvisionNumericId) {
        return Ok(unaddressable_provision(&state, &request.plan).map_err(internal)?);
    }

    let Provisioned { resource, created } = state
        .provision(&request.uuid, &request.plan)
        .await
        .map_err(internal)?;
    let mut answer = Map::new();
    answer.insert("id".into(), resource.id.clone().into());
    answer.insert("config".into(), provision_config(&state, &resource).into());
    answer.insert(
        "message".into(),
        format!("Reference DB {} is ready", resource.id).into(),
    );
    if !state.has(Fault::NoLogDrainUrl) {
        answer.insert("log_drain_url".into(), log_drain_url(&resource.id).into());
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Value::Object(answer))).into_response())
}

/// The answer of a provider whose id the platform cannot use. Nothing is kept: the platform
/// could never deprovision it, and a leak would hide whether the engine cleans up.
fn unaddressable_provision(state: &AddonState, plan: &str) -> std::io::Result<Response> {
    let resource = Resource {
        id: state.store().fresh_id()?,
        key: String::new(),
        plan: plan.to_owned(),
        token: random_hex(16)?,
    };
    let mut answer = Map::new();
    if state.has(Fault::ProvisionNumericId) {
        answer.insert("id".into(), random_u32()?.into());
    }
    answer.insert("config".into(), provision_config(state, &resource).into());
    answer.insert("message".into(), "Reference DB is ready".into());
    answer.insert("log_drain_url".into(), log_drain_url(&resource.id).into());
    Ok((StatusCode::CREATED, Json(Value::Object(answer))).into_response())
}

async fn change_plan(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if !state.has(Fault::PlanChangeSkipsAuth) && !authorized(&state, &headers, false) {
        return Err(unauthorized().into());
    }
    let request: PlanChangeRequest = parse_body(&body, "plan change request")?;
    if state.has(Fault::PlanChangeSlow) {
        state.pause().await;
    }
    if state.has(Fault::PlanChangeFails) {
        return Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the plan could not be changed",
        ));
    }
    if !plan_offered(&request.plan) && !state.has(Fault::PlanChangeAcceptsUnknownPlan) {
        return Err(unknown_plan(&request.plan).into());
    }
    let resource = match state.change_plan(&id, &request.plan) {
        Some(resource) => resource,
        None if state.has(Fault::PlanChangeInventsResource) => Resource {
            id: id.clone(),
            key: String::new(),
            plan: request.plan.clone(),
            token: random_hex(16).map_err(internal)?,
        },
        None => {
            return Err(refusal(
                StatusCode::NOT_FOUND,
                format!("no live resource `{id}`"),
            ));
        }
    };
    let answer = json!({
        "config": plan_change_config(&state, &resource),
        "message": format!("Reference DB {} is now on plan {}", resource.id, resource.plan),
    });
    Ok(Json(answer).into_response())
}

fn already_deprovisioned(id: &str) -> Response {
    message(
        StatusCode::GONE,
        format!("resource `{id}` was already deprovisioned"),
    )
}

fn never_provisioned(id: &str) -> Response {
    message(StatusCode::NOT_FOUND, format!("no resource `{id}`"))
}

async fn deprovision(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    if state.has(Fault::DeprovisionLooksUpBeforeAuth) {
        match state.lookup(&id) {
            Lookup::Live(_) => {}
            Lookup::Gone => return Err(already_deprovisioned(&id).into()),
            Lookup::Unknown => return Err(never_provisioned(&id).into()),
        }
    }
    if !state.has(Fault::DeprovisionSkipsAuth) && !authorized(&state, &headers, false) {
        return Err(unauthorized().into());
    }
    if state.has(Fault::DeprovisionSlow) {
        state.pause().await;
    }
    match state.deprovision(&id) {
        Lookup::Live(_) if state.has(Fault::DeprovisionFails) => Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the database could not be deleted",
        )),
        Lookup::Live(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Lookup::Gone if state.has(Fault::RepeatDeprovision500) => Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the database could not be deleted",
        )),
        Lookup::Gone => Err(already_deprovisioned(&id).into()),
        Lookup::Unknown => Err(never_provisioned(&id).into()),
    }
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

fn forbidden() -> Response {
    (
        StatusCode::FORBIDDEN,
        Html("<!DOCTYPE html>\n<html><body><p>Login refused.</p></body></html>\n"),
    )
        .into_response()
}

/// A login: on success, a redirect to the dashboard that sets the session cookie.
fn log_in(
    state: &AddonState,
    headers: &HeaderMap,
    fields: &HashMap<String, String>,
    path_id: Option<&str>,
) -> Answer {
    if state.has(Fault::SsoNeedsProvisioningCredentials) && !authorized(state, headers, false) {
        return Err(unauthorized().into());
    }
    let resource = verify_login(state, fields, path_id).ok_or_else(forbidden)?;
    let session = state.open_session(&resource.id).map_err(internal)?;

    let mut cookies = vec![format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"
    )];
    let nav_data = fields.get("nav-data").filter(|nav| !nav.is_empty());
    if let Some(nav_data) = nav_data
        && !state.has(Fault::SsoNoNavCookie)
    {
        cookies.push(format!(
            "heroku-nav-data={}; Path=/",
            cookie_value(nav_data)
        ));
    }
    let mut response = StatusCode::FOUND.into_response();
    let response_headers = response.headers_mut();
    let location = format!("/heroku/dashboard/{}", resource.id);
    for (name, value) in std::iter::once((LOCATION, location))
        .chain(cookies.into_iter().map(|cookie| (SET_COOKIE, cookie)))
    {
        let value = HeaderValue::try_from(value).map_err(|_| {
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not build the login answer",
            )
        })?;
        response_headers.append(name, value);
    }
    Ok(response)
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
    let accepted = state.has(Fault::SsoAcceptsAnyToken)
        || if bound {
            any_token_valid(&state.secrets.sso_salt, fields, resource)
        } else {
            store
                .resources()
                .any(|candidate| any_token_valid(&state.secrets.sso_salt, fields, candidate))
        };
    accepted.then(|| resource.clone())
}

/// Whether any of Heroku's three token kinds in the login is valid for `resource`.
fn any_token_valid(salt: &str, fields: &HashMap<String, String>, resource: &Resource) -> bool {
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
    // `|` rather than `||`: every kind is compared, so timing does not tell which one matched.
    presented("token", TokenKind::Id)
        | presented("resource_token", TokenKind::Resource)
        | presented("user_scoped_resource_token", TokenKind::UserScoped)
}

async fn dashboard(
    State(state): State<Arc<AddonState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let opened =
        cookie(&headers, SESSION_COOKIE).and_then(|session| state.session_resource(session));
    let live = matches!(state.lookup(&id), Lookup::Live(_));
    if opened.as_deref() != Some(id.as_str()) || !live {
        return Err(forbidden().into());
    }
    Ok(Html(format!(
        "<!DOCTYPE html>\n<html>\n<head><title>Reference DB</title></head>\n<body>\n\
         <div id=\"heroku-header\"></div>\n<h1>Reference DB</h1>\n<p>Database {id}</p>\n\
         </body>\n</html>\n"
    ))
    .into_response())
}
