//! The v3 provisioning calls Heroku makes. Their answers have the JSON shape
//! [`manifest_core::reply::read_json_reply`] reads.

use manifest_core::http::{HttpRequest, Method};
use manifest_core::urls::{below, resource_url};
use manifest_core::{Ctx, ProvisionInput, Resource};
use serde_json::{Map, Value, json};

/// The `Accept` header of every v3 provisioning call; a provider can tell v3 calls by it.
pub const API_ACCEPT: &str = "application/vnd.heroku-addons+json; version=3";

/// The feature in `api.requires` that makes Heroku send `log_input_url`.
const LOG_INPUT: &str = "log_input";

/// When the OAuth grant handed over on provision expires. The engine runs no OAuth server, so the
/// grant cannot be exchanged anyway; a fixed far-future time keeps requests reproducible.
const OAUTH_GRANT_EXPIRES_AT: &str = "2099-01-01T00:00:00Z";

pub(crate) fn provision(ctx: &Ctx, input: &ProvisionInput) -> HttpRequest {
    let options: Map<String, Value> = input
        .options
        .iter()
        .map(|(key, value)| (key.clone(), Value::from(value.as_str())))
        .collect();
    let mut body = json!({
        "uuid": input.uuid,
        "name": input.resource_name,
        "plan": input.plan,
        "region": input.region,
        "callback_url": below(&ctx.callback_base, &["addons", &input.uuid]).as_str(),
        "options": options,
        "oauth_grant": {
            "code": input.api_token.expose(),
            "expires_at": OAUTH_GRANT_EXPIRES_AT,
            "type": "authorization_code",
        },
    });
    if ctx
        .manifest
        .requires
        .iter()
        .any(|feature| feature == LOG_INPUT)
    {
        let url = below(&ctx.callback_base, &["log-input", &input.uuid]);
        body["log_input_url"] = Value::from(url.as_str());
    }
    if ctx.manifest.log_drain {
        body["log_drain_token"] = Value::from(input.log_drain_token.as_str());
    }
    HttpRequest::new(Method::Post, ctx.endpoints.base_url.clone())
        .header("Accept", API_ACCEPT)
        .json(body)
        .credentials(ctx.credentials.clone())
}

/// A resource whose uuid is not known (named by its id alone) is changed without one: a
/// made-up uuid would name another resource.
pub(crate) fn change_plan(ctx: &Ctx, resource: &Resource, plan: &str) -> HttpRequest {
    let mut body = json!({"plan": plan});
    if !resource.input.uuid.is_empty() {
        body["uuid"] = resource.input.uuid.clone().into();
    }
    HttpRequest::new(
        Method::Put,
        resource_url(&ctx.endpoints.base_url, &resource.id),
    )
    .header("Accept", API_ACCEPT)
    .json(body)
    .credentials(ctx.credentials.clone())
}

pub(crate) fn deprovision(ctx: &Ctx, resource: &Resource) -> HttpRequest {
    HttpRequest::new(
        Method::Delete,
        resource_url(&ctx.endpoints.base_url, &resource.id),
    )
    .header("Accept", API_ACCEPT)
    .credentials(ctx.credentials.clone())
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn provision_sends_the_v3_body() {
        let ctx = ctx("[]", "http://127.0.0.1:4567/heroku/resources");
        let request = provision(&ctx, &input());
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url.as_str(),
            "http://127.0.0.1:4567/heroku/resources"
        );
        assert_eq!(
            request.headers,
            [("Accept".to_owned(), API_ACCEPT.to_owned())]
        );
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
                "uuid": "01234567-89ab-cdef-0123-456789abcdef",
                "name": "reference-db-shiny-12345",
                "plan": "test",
                "region": "us",
                "callback_url": "http://127.0.0.1:9999/addons/01234567-89ab-cdef-0123-456789abcdef",
                "options": {"size": "large"},
                "oauth_grant": {
                    "code": "grant-code",
                    "expires_at": OAUTH_GRANT_EXPIRES_AT,
                    "type": "authorization_code",
                },
            })
        );
    }

    #[test]
    fn provision_adds_what_requires_asks_for() {
        let ctx = ctx(r#"["log_input", "syslog_drain"]"#, "http://h.example/r");
        let request = provision(&ctx, &input());
        let body = json_body(&request);
        assert_eq!(
            body["log_input_url"],
            "http://127.0.0.1:9999/log-input/01234567-89ab-cdef-0123-456789abcdef"
        );
        assert_eq!(body["log_drain_token"], "d.drain-token");
        let plain = provision(&self::ctx("[]", "http://h.example/r"), &input());
        assert!(json_body(&plain).get("log_input_url").is_none());
        assert!(json_body(&plain).get("log_drain_token").is_none());
    }

    #[test]
    fn plan_change_and_deprovision_address_the_resource() {
        for base in [
            "http://h.example/heroku/resources",
            "http://h.example/heroku/resources/",
        ] {
            let ctx = ctx("[]", base);
            let change = change_plan(&ctx, &resource("abc-123"), "premium");
            assert_eq!(change.method, Method::Put);
            assert_eq!(
                change.url.as_str(),
                "http://h.example/heroku/resources/abc-123"
            );
            assert_eq!(
                json_body(&change),
                &json!({"plan": "premium", "uuid": "01234567-89ab-cdef-0123-456789abcdef"})
            );
            assert_eq!(change.headers[0].1, API_ACCEPT);
            let mut unknown = resource("abc-123");
            unknown.input.uuid = String::new();
            assert_eq!(
                json_body(&change_plan(&ctx, &unknown, "premium")),
                &json!({"plan": "premium"})
            );
            assert!(change.credentials.is_some());
            let delete = deprovision(&ctx, &resource("abc-123"));
            assert_eq!(delete.method, Method::Delete);
            assert_eq!(
                delete.url.as_str(),
                "http://h.example/heroku/resources/abc-123"
            );
            assert_eq!(delete.body, Body::Empty);
            assert!(delete.credentials.is_some());
        }
    }
}
