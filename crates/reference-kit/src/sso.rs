//! Single sign-on pieces every platform shares: the timestamp window, form fields and cookies.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

use crate::fault::Fault;
use crate::state::AddonState;
use crate::store::Lookup;

/// How far, in seconds, a login's timestamp may lie from now.
pub const WINDOW_SECS: i64 = 300;

/// The cookie that carries a dashboard session.
const SESSION_COOKIE: &str = "reference-session";

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

/// Whether a login's raw `timestamp` field lies inside the window.
pub fn timestamp_acceptable(state: &AddonState, raw: &str) -> bool {
    if state.has(Fault::SsoIgnoresTimestamp) {
        return true;
    }
    let Ok(timestamp) = raw.trim().parse::<i64>() else {
        return false;
    };
    let age = now_unix().saturating_sub(timestamp);
    age <= WINDOW_SECS && (age >= -WINDOW_SECS || state.has(Fault::SsoAcceptsFutureTimestamp))
}

/// The `Set-Cookie` value that carries a dashboard session opened by a login.
pub fn session_cookie(session: &str) -> String {
    format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax")
}

/// Whether the request's session cookie opens the dashboard of `id`, and `id` is still live.
pub fn session_opens(state: &AddonState, headers: &HeaderMap, id: &str) -> bool {
    let opened =
        cookie(headers, SESSION_COOKIE).and_then(|session| state.session_resource(session));
    opened.as_deref() == Some(id) && matches!(state.lookup(id), Lookup::Live(_))
}

/// The fields of a form body or query string; the first occurrence of a name wins.
pub fn form_fields(raw: &[u8]) -> HashMap<String, String> {
    let mut fields = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw) {
        fields
            .entry(name.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    fields
}

/// The value of the cookie `name` among the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// `value` made safe as a cookie value: bytes outside RFC 6265's cookie-octet are
/// percent-encoded, so a nav-data string can never break the `Set-Cookie` header.
pub fn cookie_value(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        let allowed = matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
            && byte != b'%';
        if allowed {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn first_form_field_wins() {
        let fields = form_fields(b"id=1&token=a%20b&id=2&nav-data=x%2By");
        assert_eq!(fields["id"], "1");
        assert_eq!(fields["token"], "a b");
        assert_eq!(fields["nav-data"], "x+y");
    }

    #[test]
    fn finds_cookies_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; b=2"));
        headers.append(COOKIE, HeaderValue::from_static("reference-session=s3"));
        assert_eq!(cookie(&headers, "b"), Some("2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("s3"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn cookie_values_are_always_valid() {
        assert_eq!(cookie_value("eyJhIjoxfQ=="), "eyJhIjoxfQ==");
        assert_eq!(
            cookie_value("a b;c,\"d\\é%"),
            "a%20b%3Bc%2C%22d%5C%C3%A9%25"
        );
        assert!(HeaderValue::from_str(&cookie_value("\r\n\0")).is_ok());
    }
}
