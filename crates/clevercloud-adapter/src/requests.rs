//! The provisioning calls Clever Cloud makes, and how their answers are read.

use manifest_core::ProvisionReply;
use manifest_core::http::{HttpRequest, HttpResponse, Method};
use manifest_core::reply::read_json_reply;
use manifest_core::urls::{below, resource_url};
use manifest_core::{Ctx, ProvisionInput, Resource};
use serde_json::{Map, Value, json};

/// Clever Cloud's id of the add-on being provisioned (`addon_…`), derived from the engine's
/// uuid so that a replay carries the same one: it is what a provider recognises a retry by.
pub(crate) fn addon_id(input: &ProvisionInput) -> String {
    format!("addon_{}", input.uuid)
}

pub(crate) fn provision(ctx: &Ctx, input: &ProvisionInput) -> HttpRequest {
    let options: Map<String, Value> = input
        .options
        .iter()
        .map(|(key, value)| (key.clone(), Value::from(value.as_str())))
        .collect();
    let addon_id = addon_id(input);
    // Clever Cloud's own callback is `<api>/v2/vendor/apps/<addon_id>`; the engine serves the
    // same path on loopback.
    let callback_url = below(&ctx.callback_base, &["v2", "vendor", "apps", &addon_id]);
    let body = json!({
        "addon_id": addon_id,
        "owner_id": format!("orga_{}", input.app_slug),
        "owner_name": input.app_name,
        "user_id": format!("user_{}", input.app_slug),
        "plan": input.plan,
        // The manifest lists regions in lower case; the provisioning call names them in upper.
        "region": input.region.to_uppercase(),
        "callback_url": callback_url.as_str(),
        // Deprecated by Clever Cloud but still in the documented request.
        "logplex_token": input.log_drain_token,
        "options": options,
    });
    HttpRequest::new(Method::Post, ctx.endpoints.base_url.clone())
        .json(body)
        .credentials(ctx.credentials.clone())
}

/// The answer `{id, config?, message?}`. The documentation says the id "MUST be a String", so
/// a number, which Heroku only warns about, breaks the rule here; the suite still goes on with
/// its string form, which is what Clever Cloud would store if it took it.
pub(crate) fn read_provision(response: &HttpResponse) -> Result<ProvisionReply, String> {
    let mut reply = read_json_reply(response)?;
    if reply.id_doubt.take().is_some()
        && let Some(Ok(id)) = &reply.id
    {
        reply.id_broken_rule = Some(format!(
            "`id` is the number {id}; Clever Cloud requires a string"
        ));
    }
    Ok(reply)
}

/// Not documented by Clever Cloud: Heroku's plan change, the protocol Clever Cloud says it
/// follows.
pub(crate) fn change_plan(ctx: &Ctx, resource: &Resource, plan: &str) -> HttpRequest {
    HttpRequest::new(
        Method::Put,
        resource_url(&ctx.endpoints.base_url, &resource.id),
    )
    .json(json!({"plan": plan, "addon_id": addon_id(&resource.input)}))
    .credentials(ctx.credentials.clone())
}

pub(crate) fn deprovision(ctx: &Ctx, resource: &Resource) -> HttpRequest {
    HttpRequest::new(
        Method::Delete,
        resource_url(&ctx.endpoints.base_url, &resource.id),
    )
    .credentials(ctx.credentials.clone())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use manifest_core::http::Body;
    use manifest_core::{Credentials, Secret};

    use super::*;
    use crate::testing::{ctx, input, resource};

    fn json_body(request: &HttpRequest) -> &Value {
        match &request.body {
            Body::Json(body) => body,
            other => panic!("expected a JSON body, got {other:?}"),
        }
    }

    fn answer(body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn provision_sends_the_documented_body() {
        let ctx = ctx("http://127.0.0.1:9000/clevercloud/resources");
        let request = provision(&ctx, &input());
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url.as_str(),
            "http://127.0.0.1:9000/clevercloud/resources"
        );
        assert_eq!(request.headers, []);
        assert_eq!(
            request.credentials,
            Some(Credentials::Basic {
                username: "reference-db".into(),
                password: Secret::new("pw"),
            })
        );
        assert_eq!(
            json_body(&request),
            &json!({
                "addon_id": "addon_01234567-89ab-cdef-0123-456789abcdef",
                "owner_id": "orga_app-slug",
                "owner_name": "my app ✓",
                "user_id": "user_app-slug",
                "plan": "basic",
                "region": "EU",
                "callback_url": "http://127.0.0.1:9999/v2/vendor/apps/addon_01234567-89ab-cdef-0123-456789abcdef",
                "logplex_token": "d.drain-token",
                "options": {"size": "large"},
            })
        );
    }

    #[test]
    fn a_replay_carries_the_same_addon_id() {
        let ctx = ctx("http://h.example/r");
        assert_eq!(
            json_body(&provision(&ctx, &input()))["addon_id"],
            json_body(&provision(&ctx, &input()))["addon_id"]
        );
    }

    #[test]
    fn plan_change_and_deprovision_address_the_resource() {
        for base in [
            "http://h.example/clevercloud/resources",
            "http://h.example/clevercloud/resources/",
        ] {
            let ctx = ctx(base);
            let change = change_plan(&ctx, &resource("abc-123"), "premium");
            assert_eq!(change.method, Method::Put);
            assert_eq!(
                change.url.as_str(),
                "http://h.example/clevercloud/resources/abc-123"
            );
            assert_eq!(
                json_body(&change),
                &json!({"plan": "premium", "addon_id": "addon_01234567-89ab-cdef-0123-456789abcdef"})
            );
            assert!(change.credentials.is_some());
            let delete = deprovision(&ctx, &resource("abc-123"));
            assert_eq!(delete.method, Method::Delete);
            assert_eq!(
                delete.url.as_str(),
                "http://h.example/clevercloud/resources/abc-123"
            );
            assert_eq!(delete.body, Body::Empty);
            assert!(delete.credentials.is_some());
        }
    }

    #[test]
    fn reads_the_documented_answer() {
        let reply = read_provision(&answer(
            r#"{"id": "myaddon_id", "config": {"ADDON_NAME_MY_VAR": "some value"},
                "message": "Some provisioning message"}"#,
        ))
        .unwrap();
        assert_eq!(reply.id, Some(Ok("myaddon_id".into())));
        assert_eq!(reply.id_doubt, None);
        assert_eq!(
            reply.config,
            [("ADDON_NAME_MY_VAR".to_owned(), json!("some value"))]
        );
        assert_eq!(reply.message.as_deref(), Some("Some provisioning message"));
        // `config` and `message` are optional.
        let bare = read_provision(&answer(r#"{"id": "x"}"#)).unwrap();
        assert_eq!(bare.id, Some(Ok("x".into())));
        assert!(bare.config.is_empty());
    }

    #[test]
    fn a_numeric_id_breaks_the_rule_but_still_names_the_resource() {
        let reply = read_provision(&answer(r#"{"id": 42, "config": {}}"#)).unwrap();
        assert_eq!(reply.id, Some(Ok("42".into())));
        assert_eq!(
            reply.id_broken_rule.as_deref(),
            Some("`id` is the number 42; Clever Cloud requires a string")
        );
        assert_eq!(reply.id_doubt, None);
        let string = read_provision(&answer(r#"{"id": "42"}"#)).unwrap();
        assert_eq!(string.id_broken_rule, None);
    }
}
