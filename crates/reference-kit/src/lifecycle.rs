//! Provisioning, plan changes and deprovisioning as every platform's add-on does them, faults
//! included. A platform's router checks the credentials and reads its own request format, then
//! hands over here; what differs between platforms (the plans, the log drain) comes in an
//! [`Offering`].

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::fault::Fault;
use crate::mode::Mode;
use crate::random::random_hex;
use crate::reply::{
    Answer, Refusal, already_deprovisioned, internal, never_provisioned, refusal, unauthorized,
};
use crate::state::{AddonState, Provisioned};
use crate::store::{Lookup, Resource};

pub const URL_VAR: &str = "REFERENCE_DB_URL";
pub const TOKEN_VAR: &str = "REFERENCE_DB_TOKEN";

/// What a platform's add-on offers.
#[derive(Debug)]
pub struct Offering {
    pub plans: &'static [&'static str],
    /// Where a resource's logs are sent; every reference manifest asks for a log drain.
    pub log_drain_url: fn(&str) -> String,
}

impl Offering {
    fn offers(&self, plan: &str) -> bool {
        self.plans.contains(&plan)
    }

    fn unknown_plan(&self, plan: &str) -> Refusal {
        refusal(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "unknown plan `{plan}`; this add-on offers {}",
                self.plans.join(", ")
            ),
        )
    }
}

/// The config of a resource as it stands. Each plan runs on its own cluster, so the database
/// URL names the plan: a plan change hands out a new URL, and a replay must answer with the URL
/// of the plan the resource is on now.
fn correct_config(resource: &Resource) -> Map<String, Value> {
    let mut config = Map::new();
    config.insert(
        URL_VAR.into(),
        format!(
            "postgres://u:p@db-{}.{}.reference-db.example:5432/db",
            resource.id, resource.plan
        )
        .into(),
    );
    config.insert(TOKEN_VAR.into(), resource.token.clone().into());
    config
}

/// The provision answer's config. Every fault here is a function of the resource, so a replay
/// gets exactly the config the first answer had, or the one the last plan change handed out.
pub fn provision_config(state: &AddonState, resource: &Resource) -> Map<String, Value> {
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

/// What a provision does before a resource is made or found, whatever the platform: the plan
/// checked, and the faults that answer instead of provisioning applied. `Err` is that answer;
/// a fault that answers as if it had worked uses `success`, the platform's success status.
pub async fn admit_provision(
    state: &AddonState,
    offering: &Offering,
    plan: &str,
    success: StatusCode,
) -> Result<(), Refusal> {
    if !offering.offers(plan) && !state.has(Fault::AcceptsUnknownPlan) {
        return Err(offering.unknown_plan(plan));
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
        let page = Html("<!DOCTYPE html>\n<html><body><h1>Provisioned!</h1></body></html>\n");
        return Err((success, page).into_response().into());
    }
    Ok(())
}

/// Provisions the resource `key` names (the platform's idempotency key) on `plan`, once the
/// router has accepted the credentials and read the request.
pub async fn provision(state: &AddonState, offering: &Offering, key: &str, plan: &str) -> Answer {
    admit_provision(state, offering, plan, StatusCode::OK).await?;
    if [Fault::ProvisionWithoutId, Fault::EmptyId]
        .into_iter()
        .any(|fault| state.has(fault))
    {
        return Ok(unaddressable_provision(state, offering, plan).map_err(internal)?);
    }

    let Provisioned { resource, created } = state.provision(key, plan).await.map_err(internal)?;
    if !created
        && state.in_mode(Mode::CachedReplay)
        && let Some((status, body)) = state.first_answer(key)
    {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
        return Ok((status, Json(body)).into_response());
    }
    let mut answer = Map::new();
    match resource.id.parse::<u32>() {
        Ok(number) if state.in_mode(Mode::NumericIds) => answer.insert("id".into(), number.into()),
        _ => answer.insert("id".into(), resource.id.clone().into()),
    };
    let config = if state.has(Fault::NullConfig) {
        Value::Null
    } else {
        provision_config(state, &resource).into()
    };
    answer.insert("config".into(), config);
    answer.insert(
        "message".into(),
        format!("Reference DB {} is ready", resource.id).into(),
    );
    if !state.has(Fault::NoLogDrainUrl) {
        answer.insert(
            "log_drain_url".into(),
            (offering.log_drain_url)(&resource.id).into(),
        );
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let answer = Value::Object(answer);
    if created {
        state.remember_answer(key, status.as_u16(), answer.clone());
    }
    Ok((status, Json(answer)).into_response())
}

/// The answer of a provider whose id the platform cannot use. Nothing is kept: the platform
/// could never deprovision it, and a leak would hide whether the engine cleans up.
fn unaddressable_provision(
    state: &AddonState,
    offering: &Offering,
    plan: &str,
) -> std::io::Result<Response> {
    let resource = Resource {
        id: state.store().fresh_id()?,
        key: String::new(),
        plan: plan.to_owned(),
        token: random_hex(16)?,
    };
    let mut answer = Map::new();
    if state.has(Fault::EmptyId) {
        answer.insert("id".into(), "".into());
    }
    answer.insert("config".into(), provision_config(state, &resource).into());
    answer.insert("message".into(), "Reference DB is ready".into());
    answer.insert(
        "log_drain_url".into(),
        (offering.log_drain_url)(&resource.id).into(),
    );
    Ok((StatusCode::CREATED, Json(Value::Object(answer))).into_response())
}

/// Moves `id` to `plan`, once the router has accepted the credentials and read the request.
pub async fn change_plan(state: &AddonState, offering: &Offering, id: &str, plan: &str) -> Answer {
    if state.has(Fault::PlanChangeSlow) {
        state.pause().await;
    }
    if state.has(Fault::PlanChangeFails) {
        return Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the plan could not be changed",
        ));
    }
    if !offering.offers(plan) && !state.has(Fault::PlanChangeAcceptsUnknownPlan) {
        return Err(offering.unknown_plan(plan));
    }
    // A provider that moves the resource to another cluster issues it new credentials there.
    let token = if state.in_mode(Mode::CurrentStateReplay) {
        Some(random_hex(16).map_err(internal)?)
    } else {
        None
    };
    let resource = match state.change_plan(id, plan, token) {
        Some(resource) => resource,
        None if state.has(Fault::PlanChangeInventsResource) => Resource {
            id: id.to_owned(),
            key: String::new(),
            plan: plan.to_owned(),
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
        "config": plan_change_config(state, &resource),
        "message": format!("Reference DB {} is now on plan {}", resource.id, resource.plan),
    });
    Ok(Json(answer).into_response())
}

/// Deprovisions `id`; `Ok` means it was live and is gone now, and the router answers as its
/// platform expects. `authorized` is the router's verdict on the credentials: it is taken into
/// account only after the lookup when the add-on is made to look up first.
pub async fn deprovision(state: &AddonState, id: &str, authorized: bool) -> Result<(), Refusal> {
    if state.has(Fault::DeprovisionLooksUpBeforeAuth) {
        match state.lookup(id) {
            Lookup::Live(_) => {}
            Lookup::Gone => return Err(already_deprovisioned(id).into()),
            Lookup::Unknown => return Err(never_provisioned(id).into()),
        }
    }
    if !authorized {
        return Err(unauthorized().into());
    }
    if state.has(Fault::DeprovisionSlow) {
        state.pause().await;
    }
    match state.deprovision(id) {
        Lookup::Live(_) if state.has(Fault::DeprovisionFails) => Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the database could not be deleted",
        )),
        Lookup::Live(_) => Ok(()),
        Lookup::Gone if state.has(Fault::RepeatDeprovision500) => Err(refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the database could not be deleted",
        )),
        Lookup::Gone => Err(already_deprovisioned(id).into()),
        Lookup::Unknown => Err(never_provisioned(id).into()),
    }
}
