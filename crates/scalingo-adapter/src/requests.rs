//! The provisioning calls Scalingo makes, and how their answers read.

use std::fmt;

use manifest_core::http::{HttpRequest, HttpResponse, Method};
use manifest_core::{Ctx, Manifest, ProvisionInput, ProvisionReply, Resource};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, json};
use url::Url;

use crate::manifest::describe;

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

/// `base_url/<id>`, with the id percent-encoded as exactly one path segment, whether or not
/// `base_url` ends in `/`.
pub(crate) fn resource_url(base_url: &Url, id: &str) -> Url {
    let mut url = base_url.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().push(id);
    }
    url
}

pub(crate) fn read_provision(response: &HttpResponse) -> Result<ProvisionReply, String> {
    let body = response.json()?;
    let Value::Object(fields) = &body else {
        return Err(format!(
            "the body is {}, not a JSON object",
            describe(&body)
        ));
    };
    // Length is the engine's business (`Expectations::id_max_len`); here only what makes an id
    // unusable in a URL at all.
    let id = fields.get("id").map(|id| match id {
        Value::String(id) if id.trim().is_empty() => Err("`id` is blank".to_owned()),
        // A URL cannot carry `.` or `..` as a path segment: `base_url/..` is another resource.
        Value::String(id) if id == "." || id == ".." => Err(format!(
            "`id` is `{id}`, which cannot be used in a URL path"
        )),
        Value::String(id) => Ok(id.clone()),
        other => Err(format!("`id` is {}, not a string", describe(other))),
    });
    let config = match fields.get("config") {
        None => Vec::new(),
        Some(Value::Object(config)) => config_in_order(&response.body).unwrap_or_else(|| {
            config
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect()
        }),
        Some(other) => return Err(format!("`config` is {}, not an object", describe(other))),
    };
    Ok(ProvisionReply {
        id,
        config,
        message: fields
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned),
        log_drain_url: fields.get("log_drain_url").cloned(),
    })
}

/// The `config` members in the order the provider wrote them (a `serde_json::Map` may sort
/// them). `None` when the body cannot be read that way, e.g. when `config` appears twice.
fn config_in_order(body: &[u8]) -> Option<Vec<(String, Value)>> {
    #[derive(Deserialize)]
    struct ConfigOnly {
        config: OrderedObject,
    }
    serde_json::from_slice::<ConfigOnly>(body)
        .ok()
        .map(|only| only.config.0)
}

struct OrderedObject(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Members;

        impl<'de> Visitor<'de> for Members {
            type Value = OrderedObject;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedObject, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry::<String, Value>()? {
                    members.push(member);
                }
                Ok(OrderedObject(members))
            }
        }

        deserializer.deserialize_map(Members)
    }
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

    #[test]
    fn ids_are_one_encoded_path_segment() {
        let base = Url::parse("https://h.example/scalingo/resources?x=1#top").unwrap();
        for id in ["a/b", "a b", "a?b#c", "50%", "a\\b", "é", "..a", "a;b=c"] {
            let url = resource_url(&base, id);
            let segments: Vec<_> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 3, "{id}: {url}");
            assert_eq!(url.query(), None, "{id}: {url}");
            assert_eq!(url.fragment(), None, "{id}: {url}");
            let decoded: String = url::form_urlencoded::parse(
                format!("x={}", segments[2].replace('+', "%2B")).as_bytes(),
            )
            .map(|(_, value)| value.into_owned())
            .collect();
            assert_eq!(decoded, id, "{url}");
        }
    }

    #[test]
    fn reads_a_provision_answer_in_order() {
        let reply = read_provision(&response(
            r#"{"id": "abc", "config": {"Z_URL": "z", "A_URL": 1}, "message": "hi",
                "log_drain_url": "https://logs.example/in"}"#,
        ))
        .unwrap();
        assert_eq!(reply.id, Some(Ok("abc".to_owned())));
        assert_eq!(
            reply.config,
            [
                ("Z_URL".to_owned(), json!("z")),
                ("A_URL".to_owned(), json!(1))
            ]
        );
        assert_eq!(reply.message.as_deref(), Some("hi"));
        assert_eq!(reply.log_drain_url, Some(json!("https://logs.example/in")));
    }

    #[test]
    fn leaves_the_length_of_an_id_to_the_engine() {
        let long = "a".repeat(300);
        let reply = read_provision(&response(&format!(r#"{{"id": "{long}"}}"#))).unwrap();
        assert_eq!(reply.id, Some(Ok(long)));
    }

    #[test]
    fn reads_what_is_wrong_with_an_answer() {
        let empty = read_provision(&response("{}")).unwrap();
        assert_eq!(empty, ProvisionReply::default());
        for (body, reason) in [
            (r#"{"id": ""}"#, "`id` is blank"),
            (r#"{"id": " "}"#, "`id` is blank"),
            (r#"{"id": 42}"#, "`id` is a number, not a string"),
            (r#"{"id": null}"#, "`id` is null, not a string"),
            (
                r#"{"id": "."}"#,
                "`id` is `.`, which cannot be used in a URL path",
            ),
            (
                r#"{"id": ".."}"#,
                "`id` is `..`, which cannot be used in a URL path",
            ),
        ] {
            let reply = read_provision(&response(body)).unwrap();
            assert_eq!(reply.id, Some(Err(reason.to_owned())), "{body}");
        }
        for (body, reason) in [
            ("", "the body is empty"),
            ("[]", "the body is an array, not a JSON object"),
            ("\"abc\"", "the body is a string, not a JSON object"),
            (
                r#"{"id": "a", "config": []}"#,
                "`config` is an array, not an object",
            ),
            (
                r#"{"id": "a", "config": "X=1"}"#,
                "`config` is a string, not an object",
            ),
        ] {
            assert_eq!(read_provision(&response(body)), Err(reason.to_owned()));
        }
        assert!(read_provision(&response("<html>")).is_err());
    }

    #[test]
    fn non_string_messages_are_left_out() {
        let reply = read_provision(&response(r#"{"id": "a", "message": 3}"#)).unwrap();
        assert_eq!(reply.message, None);
    }

    #[test]
    fn repeated_config_falls_back_to_the_last_one() {
        let reply = read_provision(&response(
            r#"{"id": "a", "config": {"A": "1"}, "config": {"B": "2"}}"#,
        ))
        .unwrap();
        assert_eq!(reply.config, [("B".to_owned(), json!("2"))]);
    }
}
