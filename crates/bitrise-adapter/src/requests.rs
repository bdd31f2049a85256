//! The provisioning calls Bitrise makes, all below `addon-url` and all carrying the shared token
//! in the `Authentication` header: `POST /provision`, `PUT /provision/<app_slug>` and
//! `DELETE /provision/<app_slug>`. The app slug is the resource's id: the provider names nothing.

use manifest_core::http::{HttpRequest, HttpResponse, Method};
use manifest_core::json_values::describe;
use manifest_core::urls::below;
use manifest_core::{Ctx, ProvisionInput, ProvisionReply, Resource};
use serde_json::{Value, json};

pub(crate) fn provision(ctx: &Ctx, input: &ProvisionInput) -> HttpRequest {
    HttpRequest::new(Method::Post, below(&ctx.endpoints.base_url, &["provision"]))
        .json(json!({
            "app_slug": input.app_slug,
            "app_title": input.app_name,
            "api_token": input.api_token.expose(),
            "plan": input.plan,
        }))
        .credentials(ctx.credentials.clone())
}

pub(crate) fn change_plan(ctx: &Ctx, resource: &Resource, plan: &str) -> HttpRequest {
    HttpRequest::new(Method::Put, app_url(ctx, resource))
        .json(json!({"plan": plan}))
        .credentials(ctx.credentials.clone())
}

pub(crate) fn deprovision(ctx: &Ctx, resource: &Resource) -> HttpRequest {
    HttpRequest::new(Method::Delete, app_url(ctx, resource)).credentials(ctx.credentials.clone())
}

fn app_url(ctx: &Ctx, resource: &Resource) -> url::Url {
    below(&ctx.endpoints.base_url, &["provision", &resource.id])
}

/// Reads `{"envs": [{"key": …, "value": …}]}`. The resource is the app the provision was for.
/// Each env var is kept as sent, in order, so the engine can judge empty values, invalid or
/// repeated keys; an answer whose envs Bitrise could not read at all is `Err`.
pub(crate) fn read_provision(
    input: &ProvisionInput,
    response: &HttpResponse,
) -> Result<ProvisionReply, String> {
    let body = response.json()?;
    let Value::Object(fields) = &body else {
        return Err(format!(
            "the body is {}, not a JSON object",
            describe(&body)
        ));
    };
    Ok(ProvisionReply {
        id: Some(Ok(input.app_slug.clone())),
        id_doubt: None,
        id_broken_rule: None,
        config: envs(fields.get("envs"))?,
        message: fields
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned),
        log_drain_url: None,
    })
}

/// The env vars of an `envs` list; none when it is missing or `null` (an add-on may export
/// nothing).
pub(crate) fn envs(value: Option<&Value>) -> Result<Vec<(String, Value)>, String> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(other) => return Err(format!("`envs` is {}, not a list", describe(other))),
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let Value::Object(env) = item else {
                return Err(format!(
                    "`envs[{index}]` is {}, not an object with `key` and `value`",
                    describe(item)
                ));
            };
            let text = |field: &str| match env.get(field) {
                Some(Value::String(text)) => Ok(text.clone()),
                None => Err(format!("`envs[{index}]` has no `{field}`")),
                Some(other) => Err(format!(
                    "`envs[{index}].{field}` is {}, not a string",
                    describe(other)
                )),
            };
            Ok((text("key")?, Value::String(text("value")?)))
        })
        .collect()
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

    fn response(body: &str) -> HttpResponse {
        HttpResponse {
            status: 201,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
            truncated: false,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn provision_posts_the_app_with_the_shared_token() {
        for base in [
            "http://127.0.0.1:4567/bitrise",
            "http://127.0.0.1:4567/bitrise/",
        ] {
            let request = provision(&ctx(base), &input());
            assert_eq!(request.method, Method::Post);
            assert_eq!(
                request.url.as_str(),
                "http://127.0.0.1:4567/bitrise/provision"
            );
            assert!(request.headers.is_empty());
            assert_eq!(
                request.credentials,
                Some(Credentials::Header {
                    name: "Authentication".into(),
                    token: Secret::new("shared-token"),
                })
            );
            assert_eq!(
                json_body(&request),
                &json!({
                    "app_slug": "5f3c1e9a2b7d4c60",
                    "app_title": "my app ✓",
                    "api_token": "api-token",
                    "plan": "free",
                })
            );
        }
    }

    #[test]
    fn plan_change_and_deprovision_address_the_app_slug() {
        let ctx = ctx("http://h.example/bitrise");
        let change = change_plan(&ctx, &resource("app/slug 1"), "pro");
        assert_eq!(change.method, Method::Put);
        assert_eq!(
            change.url.as_str(),
            "http://h.example/bitrise/provision/app%2Fslug%201"
        );
        assert_eq!(json_body(&change), &json!({"plan": "pro"}));
        assert!(change.credentials.is_some());
        let delete = deprovision(&ctx, &resource("abc"));
        assert_eq!(delete.method, Method::Delete);
        assert_eq!(
            delete.url.as_str(),
            "http://h.example/bitrise/provision/abc"
        );
        assert_eq!(delete.body, Body::Empty);
        assert!(delete.credentials.is_some());
    }

    #[test]
    fn reads_envs_in_order_with_the_app_slug_as_id() {
        let reply = read_provision(
            &input(),
            &response(
                r#"{"envs": [{"key": "Z_URL", "value": "https://z.example"},
                            {"key": "A_TOKEN", "value": ""}, {"key": "Z_URL", "value": "x"}]}"#,
            ),
        )
        .unwrap();
        assert_eq!(reply.id, Some(Ok("5f3c1e9a2b7d4c60".to_owned())));
        assert_eq!(
            reply.config,
            [
                ("Z_URL".to_owned(), json!("https://z.example")),
                ("A_TOKEN".to_owned(), json!("")),
                ("Z_URL".to_owned(), json!("x")),
            ]
        );
        assert_eq!(reply.log_drain_url, None);
        for body in ["{}", r#"{"envs": null}"#, r#"{"envs": []}"#] {
            let reply = read_provision(&input(), &response(body)).unwrap();
            assert!(reply.config.is_empty(), "{body}");
        }
    }

    #[test]
    fn refuses_envs_bitrise_cannot_read() {
        for (body, reason) in [
            ("", "the body is empty"),
            ("[]", "the body is an array, not a JSON object"),
            (r#"{"envs": {"A": "1"}}"#, "`envs` is an object, not a list"),
            (
                r#"{"envs": ["A=1"]}"#,
                "`envs[0]` is a string, not an object with `key` and `value`",
            ),
            (r#"{"envs": [{"value": "1"}]}"#, "`envs[0]` has no `key`"),
            (
                r#"{"envs": [{"key": "A", "value": 1}]}"#,
                "`envs[0].value` is a number, not a string",
            ),
        ] {
            assert_eq!(
                read_provision(&input(), &response(body)),
                Err(reason.to_owned()),
                "{body}"
            );
        }
    }
}
