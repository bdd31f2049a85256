//! Reading the JSON answer to a provision that Heroku and Scalingo share:
//! `{"id": …, "config": {…}, "message": …, "log_drain_url": …}`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::dialect::ProvisionReply;
use crate::http::HttpResponse;
use crate::json_values::describe;

/// Reads a provision answer of the shared JSON shape into a [`ProvisionReply`]: an unusable `id`
/// is kept with the reason, `config` in the order the provider wrote it, a `message` only when
/// it is a string, `log_drain_url` as sent. `Err` says why the body cannot be read at all: not
/// JSON, not an object, or a `config` that is not an object.
pub fn read_json_reply(response: &HttpResponse) -> Result<ProvisionReply, String> {
    let members = members(response)?;
    let field = |name: &str| -> Result<Option<Value>, String> {
        members
            .get(name)
            .map(|raw| serde_json::from_str(raw.get()))
            .transpose()
            .map_err(|error| format!("the body is not JSON: {error}"))
    };
    let id_value = field("id")?;
    // Length is the engine's business (`Expectations::id_max_len`); here only what makes an id
    // unusable in a URL at all.
    let id_doubt = id_value.as_ref().filter(|id| id.is_number()).map(|id| {
        format!("`id` is the number {id}; the platform documents string ids (older documents show numbers, so it is used as the string `{id}`)")
    });
    let id = id_value.map(|id| match id {
        Value::String(id) if id.trim().is_empty() => Err("`id` is blank".to_owned()),
        // A URL cannot carry `.` or `..` as a path segment: `base_url/..` is another resource.
        Value::String(id) if id == "." || id == ".." => Err(format!(
            "`id` is `{id}`, which cannot be used in a URL path"
        )),
        Value::String(id) => Ok(id),
        Value::Number(number) => Ok(number.to_string()),
        other => Err(format!("`id` is {}, not a string", describe(&other))),
    });
    // A null config is no config: the config checks say what is missing.
    let config = match members.get("config") {
        None => Vec::new(),
        Some(raw) => match serde_json::from_str::<Config>(raw.get()) {
            Ok(Config::Members(config)) => config,
            Ok(Config::Null) => Vec::new(),
            Ok(Config::Other(kind)) => {
                return Err(format!("`config` is {kind}, not an object"));
            }
            Err(error) => return Err(format!("the body is not JSON: {error}")),
        },
    };
    Ok(ProvisionReply {
        id,
        id_doubt,
        id_broken_rule: None,
        config,
        message: field("message")?.and_then(|message| message.as_str().map(str::to_owned)),
        log_drain_url: field("log_drain_url")?,
    })
}

/// The members of a body that is a JSON object, each still as its text, so that each is read
/// once into what it needs (`config` in order, without first building the map it would be):
/// an answer of 80 000 config vars is read once, not twice. Of a repeated member, the last.
fn members(response: &HttpResponse) -> Result<BTreeMap<String, &RawValue>, String> {
    match serde_json::from_slice::<BTreeMap<String, &RawValue>>(&response.body) {
        Ok(members) if !response.truncated => Ok(members),
        // Not an object, or not JSON at all: the whole body read as JSON says which.
        _ => {
            let body = response.json()?;
            Err(format!(
                "the body is {}, not a JSON object",
                describe(&body)
            ))
        }
    }
}

/// A `config` member: its members in the order the provider wrote them (a `serde_json::Map`
/// sorts them), `null`, or the kind of whatever else it is.
enum Config {
    Members(Vec<(String, Value)>),
    Null,
    Other(&'static str),
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Members)
    }
}

/// Reads a [`Config`].
struct Members;

impl<'de> Visitor<'de> for Members {
    type Value = Config;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Config, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, Value>()? {
            members.push(member);
        }
        Ok(Config::Members(members))
    }

    fn visit_unit<E>(self) -> Result<Config, E> {
        Ok(Config::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Config, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Config::Other("an array"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Config, E> {
        Ok(Config::Other("a string"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Config, E> {
        Ok(Config::Other("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Config, E> {
        Ok(Config::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Config, E> {
        Ok(Config::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Config, E> {
        Ok(Config::Other("a number"))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

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
    fn reads_a_provision_answer_in_order() {
        let reply = read_json_reply(&response(
            r#"{"id": "abc", "config": {"Z_URL": "z", "A_URL": 1}, "message": "hi",
                "log_drain_url": "syslog://logs.example:514"}"#,
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
        assert_eq!(
            reply.log_drain_url,
            Some(json!("syslog://logs.example:514"))
        );
    }

    #[test]
    fn keeps_a_log_drain_url_as_sent() {
        let reply = read_json_reply(&response(r#"{"id": "a", "log_drain_url": 7}"#)).unwrap();
        assert_eq!(reply.log_drain_url, Some(json!(7)));
    }

    #[test]
    fn leaves_the_length_of_an_id_to_the_engine() {
        let long = "a".repeat(300);
        let reply = read_json_reply(&response(&format!(r#"{{"id": "{long}"}}"#))).unwrap();
        assert_eq!(reply.id, Some(Ok(long)));
    }

    #[test]
    fn reads_what_is_wrong_with_an_answer() {
        let empty = read_json_reply(&response("{}")).unwrap();
        assert_eq!(empty, ProvisionReply::default());
        for (body, reason) in [
            (r#"{"id": ""}"#, "`id` is blank"),
            (r#"{"id": " "}"#, "`id` is blank"),
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
            let reply = read_json_reply(&response(body)).unwrap();
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
            assert_eq!(read_json_reply(&response(body)), Err(reason.to_owned()));
        }
        assert!(read_json_reply(&response("<html>")).is_err());
    }

    #[test]
    fn a_numeric_id_is_used_with_a_doubt_and_a_null_config_is_no_config() {
        let reply = read_json_reply(&response(r#"{"id": 42, "config": null}"#)).unwrap();
        assert_eq!(reply.id, Some(Ok("42".to_owned())));
        assert!(
            reply
                .id_doubt
                .is_some_and(|doubt| doubt.contains("number 42"))
        );
        assert!(reply.config.is_empty());
        let string = read_json_reply(&response(r#"{"id": "42"}"#)).unwrap();
        assert_eq!(string.id_doubt, None);
    }

    #[test]
    fn non_string_messages_are_left_out() {
        let reply = read_json_reply(&response(r#"{"id": "a", "message": 3}"#)).unwrap();
        assert_eq!(reply.message, None);
    }

    #[test]
    fn repeated_config_falls_back_to_the_last_one() {
        let reply = read_json_reply(&response(
            r#"{"id": "a", "config": {"A": "1"}, "config": {"B": "2"}}"#,
        ))
        .unwrap();
        assert_eq!(reply.config, [("B".to_owned(), json!("2"))]);
    }
}
