//! Bitrise's add-on API, served below `/bitrise` (the `addon-url`): `POST /provision`,
//! `PUT /provision/<app_slug>` and `DELETE /provision/<app_slug>` behind the shared token in the
//! `Authentication` header, and single sign-on by a browser form `POST` to `/login` carrying
//! `app_slug`, `timestamp` and a SHA-1 or `sha256-` token, ending on a page with the Beam
//! navigation header. Apps are known by their slug; the store keeps its own ids behind them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::{AUTH_HEADER, sso_token, sso_token_sha256};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use manifest_core::token::constant_time_eq;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use reference_kit::auth::{Call, token_auth_passes};
use reference_kit::fault::Fault;
use reference_kit::lifecycle::{self, Offering, TOKEN_VAR};
use reference_kit::random::random_hex;
use reference_kit::reply::{
    Answer, Refusal, forbidden, internal, login_redirect, message, never_provisioned,
    no_such_endpoint, parse_body, refusal,
};
use reference_kit::sso::{form_fields, session_cookie, session_opens, timestamp_acceptable};
use reference_kit::state::{AddonState, Provisioned, Secrets};
use reference_kit::store::Resource;
use reference_kit::{ManifestShape, Provider};

/// Where the add-on is served on its origin: the `addon-url` is `<origin>/bitrise`.
const BASE: &str = "/bitrise";

/// Where the Beam navigation header is loaded from.
const BEAM_SCRIPT: &str = "https://cdn.jsdelivr.net/npm/@bitrise/beam";

const OFFERING: Offering = Offering {
    plans: &["free", "developer", "pro"],
    log_drain_url: no_log_drain,
};

/// Bitrise has no log drains: nothing on this platform asks for one.
fn no_log_drain(_: &str) -> String {
    String::new()
}

/// The platform's correct reference provider, which the registry pairs with the dialect.
pub static REFERENCE: Provider = Provider {
    dialect: &crate::Bitrise,
    // Bitrise authenticates with the token alone.
    user: "",
    manifest: |secrets, origin, _| manifest(secrets, origin),
    manifest_shape: ManifestShape {
        settings: None,
        bad_config_var: "REFERENCE-DB-EXTRA",
        unknown_key: ("test_sso_url", "https://reference-db.example/sso"),
    },
    router,
    modes: &[],
    fixtures: concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
};

/// The `config.yaml` of an add-on served at `origin` (`http://host:port`). The secrets are
/// quoted the JSON way, which YAML reads as strings whatever they hold.
pub(crate) fn manifest(secrets: &Secrets, origin: &str) -> String {
    let quoted = |text: &str| Value::from(text).to_string();
    format!(
        "addon-url: {}\nauth-token: {}\nsso-secret: {}\n",
        quoted(&format!("{origin}{BASE}")),
        quoted(&secrets.password),
        quoted(&secrets.sso_salt),
    )
}

pub(crate) fn router() -> Router<Arc<AddonState>> {
    Router::new()
        .route("/bitrise/provision", post(provision))
        .route(
            "/bitrise/provision/{app_slug}",
            put(change_plan).delete(deprovision),
        )
        .route("/bitrise/login", post(login))
        .route("/bitrise/dashboard/{app_slug}", get(dashboard))
        .fallback(|| async { no_such_endpoint() })
}

#[derive(Debug, Deserialize)]
struct ProvisionRequest {
    app_slug: String,
    plan: String,
}

#[derive(Debug, Deserialize)]
struct PlanChangeRequest {
    plan: String,
}

/// A refused shared token. No `WWW-Authenticate` challenge: Bitrise's scheme is not HTTP auth.
fn token_refused() -> Refusal {
    refusal(
        StatusCode::UNAUTHORIZED,
        "wrong or missing token in the `Authentication` header",
    )
}

/// The store's id of the app's live resource.
fn live_id(state: &AddonState, app_slug: &str) -> Option<String> {
    state
        .store()
        .by_key(app_slug)
        .map(|resource| resource.id.clone())
}

async fn provision(
    State(state): State<Arc<AddonState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if state.has(Fault::ParsesBodyBeforeAuth) {
        parse_body::<ProvisionRequest>(&body, "provision request")?;
    }
    if !token_auth_passes(&state, &headers, AUTH_HEADER, Call::Provision) {
        return Err(token_refused());
    }
    let request: ProvisionRequest = parse_body(&body, "provision request")?;
    if request.app_slug.trim().is_empty() {
        return Err(refusal(
            StatusCode::BAD_REQUEST,
            "`app_slug` must not be blank",
        ));
    }
    lifecycle::admit_provision(&state, &OFFERING, &request.plan, StatusCode::CREATED).await?;
    let Provisioned { resource, created } = state
        .provision(&request.app_slug, &request.plan)
        .await
        .map_err(internal)?;
    let new_app_status = created && !state.has(Fault::NewAppAnswered200);
    let status = if new_app_status || state.has(Fault::CreatedOnEveryRepeat) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let envs = envs(&state, &resource).map_err(internal)?;
    Ok((status, axum::Json(json!({ "envs": envs }))).into_response())
}

/// The env vars exported into the app's builds: the resource's config as `{key, value}` items.
fn envs(state: &AddonState, resource: &Resource) -> std::io::Result<Vec<Value>> {
    let mut config: Map<String, Value> = lifecycle::provision_config(state, resource);
    if state.has(Fault::EmptyEnvValue) {
        config.insert(TOKEN_VAR.into(), "".into());
    }
    if state.has(Fault::RotatingEnvs) {
        config.insert(TOKEN_VAR.into(), random_hex(16)?.into());
    }
    Ok(config
        .into_iter()
        .map(|(key, value)| json!({ "key": key, "value": value }))
        .collect())
}

async fn change_plan(
    State(state): State<Arc<AddonState>>,
    Path(app_slug): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    if state.has(Fault::ParsesBodyBeforeAuth) {
        parse_body::<PlanChangeRequest>(&body, "plan change request")?;
    }
    if !token_auth_passes(&state, &headers, AUTH_HEADER, Call::PlanChange) {
        return Err(token_refused());
    }
    let request: PlanChangeRequest = parse_body(&body, "plan change request")?;
    // An app with nothing live is looked up by its slug, which names no resource of the store.
    let id = live_id(&state, &app_slug).unwrap_or_else(|| app_slug.clone());
    lifecycle::change_plan(&state, &OFFERING, &id, &request.plan).await?;
    Ok(message(
        StatusCode::OK,
        format!("app {app_slug} is now on plan {}", request.plan),
    ))
}

async fn deprovision(
    State(state): State<Arc<AddonState>>,
    Path(app_slug): Path<String>,
    headers: HeaderMap,
) -> Answer {
    let authorized = token_auth_passes(&state, &headers, AUTH_HEADER, Call::Deprovision);
    match live_id(&state, &app_slug) {
        None => deprovision_nothing(&state, &app_slug, authorized),
        Some(_) if !authorized => Err(token_refused()),
        Some(id) => {
            lifecycle::deprovision(&state, &id, true).await?;
            Ok(message(
                StatusCode::OK,
                format!("app {app_slug} is no longer provisioned"),
            ))
        }
    }
}

/// A delete for an app with nothing provisioned (any more): already done, so Bitrise expects a
/// success, once the token is right.
fn deprovision_nothing(state: &AddonState, app_slug: &str, authorized: bool) -> Answer {
    // Looking the app up first finds nothing to delete, and says so before the token is checked.
    if !authorized && !state.has(Fault::DeprovisionLooksUpBeforeAuth) {
        return Err(token_refused());
    }
    if state.has(Fault::RepeatDeprovision500) {
        return Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the database could not be deleted",
        ));
    }
    if state.has(Fault::RepeatDelete404) {
        return Err(never_provisioned(app_slug).into());
    }
    Ok(message(
        StatusCode::OK,
        format!("app {app_slug} has nothing provisioned"),
    ))
}

/// A login: on success, a redirect to the app's dashboard that sets the session cookie and
/// passes on what the page shows.
async fn login(
    State(state): State<Arc<AddonState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Answer {
    // A browser never sends the shared token: refused as any bad login is.
    if state.has(Fault::LoginNeedsAuthToken)
        && !token_auth_passes(&state, &headers, AUTH_HEADER, Call::Login)
    {
        return Err(forbidden().into());
    }
    let fields = form_fields(&body);
    let app_slug = fields.get("app_slug").map_or("", String::as_str);
    let resource = verify_login(&state, &fields).ok_or_else(forbidden)?;
    let session = state.open_session(&resource.id).map_err(internal)?;
    let query = form_fields(query.unwrap_or_default().as_bytes());
    let mut location = url::form_urlencoded::Serializer::new(String::new());
    for name in ["build_slug", "app_title"] {
        if let Some(value) = query.get(name) {
            location.append_pair(name, value);
        }
    }
    let slug: String = url::form_urlencoded::byte_serialize(app_slug.as_bytes()).collect();
    login_redirect(
        format!("{BASE}/dashboard/{slug}?{}", location.finish()),
        vec![session_cookie(&session)],
    )
}

/// The live resource a login opens, if the login is valid: a fresh timestamp and a token of
/// either kind minted for that very app.
fn verify_login(state: &AddonState, fields: &HashMap<String, String>) -> Option<Resource> {
    if state.has(Fault::SsoRefusesValidLogins) {
        return None;
    }
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    if !timestamp_acceptable(state, field("timestamp")) {
        return None;
    }
    let timestamp = field("timestamp").trim().parse::<i64>().ok();
    let secret = &state.secrets.sso_salt;
    let token_valid = |candidate: &Resource| {
        timestamp.is_some_and(|timestamp| {
            let token = field("token");
            constant_time_eq(token, &sso_token(&candidate.key, secret, timestamp))
                || (!state.has(Fault::Sha256TokenRefused)
                    && constant_time_eq(
                        token,
                        &sso_token_sha256(&candidate.key, secret, timestamp),
                    ))
        })
    };
    let store = state.store();
    let resource = store.by_key(field("app_slug"))?;
    let accepted = state.has(Fault::SsoAcceptsAnyToken)
        || if state.has(Fault::SsoIgnoresResource) {
            store.resources().any(token_valid)
        } else {
            token_valid(resource)
        };
    accepted.then(|| resource.clone())
}

async fn dashboard(
    State(state): State<Arc<AddonState>>,
    Path(app_slug): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    let opened = live_id(&state, &app_slug).is_some_and(|id| session_opens(&state, &headers, &id));
    if !opened {
        return Err(forbidden().into());
    }
    let query = form_fields(query.unwrap_or_default().as_bytes());
    let app_title = query.get("app_title").map_or("", String::as_str);
    Ok(dashboard_page(&state, &app_slug, app_title))
}

/// The dashboard: an HTML5 page (void elements left open, as HTML writes them, which an XML
/// reader refuses) that loads Beam and starts it for the app.
fn dashboard_page(state: &AddonState, app_slug: &str, app_title: &str) -> Response {
    let beam = if state.has(Fault::LoginWithoutBeam) {
        String::new()
    } else {
        let settings = json!({"app_slug": app_slug, "app_title": app_title});
        // Markup characters inside a script could end it early; JSON escapes them alike.
        let settings = settings
            .to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        format!(
            "<script src=\"{BEAM_SCRIPT}\"></script>\n\
             <script>Beam.init({settings});</script>\n"
        )
    };
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Reference DB</title>\n{beam}</head>\n<body>\n<h1>Reference DB</h1>\n\
         <p>Database for {}<br>app {}</p>\n<hr>\n</body>\n</html>\n",
        escape_html(app_title),
        escape_html(app_slug),
    ))
    .into_response()
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
