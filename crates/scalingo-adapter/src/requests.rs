//! The provisioning calls Scalingo makes. Their answers have the JSON shape
//! [`manifest_core::reply::read_json_reply`] reads.

use manifest_core::http::{HttpRequest, Method};
use manifest_core::urls::resource_url;
use manifest_core::{Ctx, Manifest, ProvisionInput, Resource};
use serde_json::{Map, Value, json};

/// The `Accept` header of every provisioning call.
pub const API_ACCEPT: &str = "application/json";

pub(crate) fn provision(ctx: &Ctx, input: &ProvisionInput) -> HttpRequest {
    let mut options = plan_options(&ctx.manifest, &input.plan);
    options.extend(
        input
            .options
            .iter()
            .map(|(key, value)| (key.clone(), Value::from(value.as_str()))),
    );
    HttpRequest::new(Method::Post, ctx.endpoints.base_url.clone())
        .header("Accept", API_ACCEPT)
        .json(json!({
            "plan": input.plan,
            "app_id": input.app_slug,
            "uuid": input.uuid,
            "options": options,
        }))
        .credentials(ctx.credentials.clone())
}

pub(crate) fn change_plan(ctx: &Ctx, resource: &Resource, plan: &str) -> HttpRequest {
    HttpRequest::new(
        Method::Put,
        resource_url(&ctx.endpoints.base_url, &resource.id),
    )
    .header("Accept", API_ACCEPT)
    .json(json!({"plan": plan, "options": plan_options(&ctx.manifest, plan)}))
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

/// The `options` the manifest declares for a plan; none for a plan it does not list (the engine
/// asks for unknown plans on purpose).
fn plan_options(manifest: &Manifest, plan: &str) -> Map<String, Value> {
    manifest
        .plans
        .iter()
        .find(|candidate| candidate.name == plan)
        .map(|found| found.options.clone())
        .unwrap_or_default()
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
    fn provision_sends_the_plan_app_uuid_and_options() {
        let ctx = ctx("http://127.0.0.1:4567/scalingo/resources");
        let mut input = input();
        input.plan = "free".into();
        input.options.clear();
        let request = provision(&ctx, &input);
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url.as_str(),
            "http://127.0.0.1:4567/scalingo/resources"
        );
        assert_eq!(
            request.headers,
            [("Accept".to_owned(), "application/json".to_owned())]
        );
        assert_eq!(
            request.credentials,
            Some(Credentials::Basic {
                username: "scalingo".into(),
                password: Secret::new("pw"),
            })
        );
        assert_eq!(
            json_body(&request),
            &json!({
                "plan": "free",
                "app_id": "app-slug",
                "uuid": "01234567-89ab-cdef-0123-456789abcdef",
                "options": {},
            })
        );
    }

    #[test]
    fn provision_merges_the_plans_options_with_the_runs() {
        let ctx = ctx("http://h.example/r");
        let request = provision(&ctx, &input());
        assert_eq!(
            json_body(&request)["options"],
            json!({"size": "large", "region": "eu", "replicas": "2"})
        );
        let mut unknown_plan = input();
        unknown_plan.plan = "no-such-plan".into();
        let request = provision(&ctx, &unknown_plan);
        assert_eq!(
            json_body(&request)["options"],
            json!({"size": "large", "replicas": "2"})
        );
    }

    #[test]
    fn plan_change_and_deprovision_address_the_resource() {
        for base in [
            "http://h.example/scalingo/resources",
            "http://h.example/scalingo/resources/",
        ] {
            let ctx = ctx(base);
            let change = change_plan(&ctx, &resource("abc-123"), "pro");
            assert_eq!(change.method, Method::Put);
            assert_eq!(
                change.url.as_str(),
                "http://h.example/scalingo/resources/abc-123"
            );
            assert_eq!(
                json_body(&change),
                &json!({"plan": "pro", "options": {"size": "small", "region": "eu"}})
            );
            assert_eq!(change.headers[0].1, API_ACCEPT);
            assert!(change.credentials.is_some());
            let to_free = change_plan(&ctx, &resource("abc-123"), "free");
            assert_eq!(json_body(&to_free)["options"], json!({}));
            let delete = deprovision(&ctx, &resource("abc-123"));
            assert_eq!(delete.method, Method::Delete);
            assert_eq!(
                delete.url.as_str(),
                "http://h.example/scalingo/resources/abc-123"
            );
            assert_eq!(delete.body, Body::Empty);
            assert_eq!(delete.headers[0].1, API_ACCEPT);
            assert!(delete.credentials.is_some());
        }
    }
}
