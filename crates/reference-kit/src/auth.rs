//! Reading and comparing the credentials a platform presents.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use manifest_core::token::constant_time_eq;

use crate::fault::Fault;
use crate::state::AddonState;

/// The calls that carry the provisioning credentials (a login only when the add-on is made to
/// demand them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    Provision,
    PlanChange,
    Deprovision,
    Login,
}

/// Whether `call` may go ahead with the `Authorization: Basic` credentials in `headers`, the
/// add-on's auth faults applied.
pub fn basic_auth_passes(state: &AddonState, headers: &HeaderMap, call: Call) -> bool {
    if skips_auth(state, call) {
        return true;
    }
    let Some((user, password)) = basic_credentials(state, headers) else {
        return false;
    };
    let comparison = comparison(state);
    let any_password = call == Call::Provision && state.has(Fault::AcceptsWrongPassword);
    let user_matches = secret_matches(&user, &state.secrets.user, Comparison::Exact)
        || (user.is_empty() && state.has(Fault::AcceptsEmptyUser));
    let password_matches =
        any_password || secret_matches(&password, &state.secrets.password, comparison);
    user_matches && password_matches
}

/// Whether `call` may go ahead with the shared token alone in the `header` the platform names
/// (no user), the add-on's auth faults applied. A token sent any other way, such as in
/// `Authorization`, is no token.
pub fn token_auth_passes(
    state: &AddonState,
    headers: &HeaderMap,
    header: &str,
    call: Call,
) -> bool {
    if skips_auth(state, call) {
        return true;
    }
    headers
        .get(header)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|token| secret_matches(token, &state.secrets.password, comparison(state)))
}

fn skips_auth(state: &AddonState, call: Call) -> bool {
    match call {
        Call::PlanChange => state.has(Fault::PlanChangeSkipsAuth),
        Call::Deprovision => state.has(Fault::DeprovisionSkipsAuth),
        Call::Provision | Call::Login => false,
    }
}

fn comparison(state: &AddonState) -> Comparison {
    if state.has(Fault::AcceptsPasswordPrefix) {
        Comparison::PrefixOnly
    } else if state.has(Fault::AcceptsCaseInsensitivePassword) {
        Comparison::CaseInsensitive
    } else if state.has(Fault::AcceptsTruncatedPassword) {
        Comparison::AsManyAsSent
    } else if state.has(Fault::AcceptsEmptyPassword) {
        Comparison::EmptyPasses
    } else {
        Comparison::Exact
    }
}

/// The user and password of an `Authorization: Basic` header, when it holds well-formed ones
/// (or what the add-on's parsing faults make of it).
fn basic_credentials(state: &AddonState, headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    if state.has(Fault::IgnoresFieldsAfterPassword) {
        let mut fields = decoded.split(':');
        return Some((fields.next()?.to_owned(), fields.next()?.to_owned()));
    }
    match decoded.split_once(':') {
        Some((user, password)) => Some((user.to_owned(), password.to_owned())),
        None if state.has(Fault::AcceptsBasicWithoutColon) => {
            Some((state.secrets.user.clone(), decoded))
        }
        None => None,
    }
}

/// How a presented secret is compared with the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Exact,
    /// The classic bug of comparing only as many characters as the real secret has.
    PrefixOnly,
    CaseInsensitive,
    /// Comparing only as many characters as were sent: any non-empty beginning passes.
    AsManyAsSent,
    /// An empty secret is taken for "none configured" and let through.
    EmptyPasses,
}

fn secret_matches(given: &str, expected: &str, comparison: Comparison) -> bool {
    match comparison {
        Comparison::Exact => constant_time_eq(given, expected),
        Comparison::PrefixOnly => {
            constant_time_eq(given.get(..expected.len()).unwrap_or(given), expected)
        }
        Comparison::CaseInsensitive => {
            constant_time_eq(&given.to_lowercase(), &expected.to_lowercase())
        }
        Comparison::AsManyAsSent => {
            !given.is_empty() && constant_time_eq(given, expected.get(..given.len()).unwrap_or(""))
        }
        Comparison::EmptyPasses => given.is_empty() || constant_time_eq(given, expected),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(authorization).unwrap());
        headers
    }

    #[test]
    fn reads_basic_credentials() {
        let encoded = STANDARD.encode("reference-db:pa:ss");
        let secrets = crate::state::Secrets {
            user: "reference-db".into(),
            password: "pa:ss".into(),
            sso_salt: "salt".into(),
        };
        let state = AddonState::new(
            Default::default(),
            Default::default(),
            secrets,
            std::time::Duration::ZERO,
        );
        let basic_credentials = |headers: &HeaderMap| basic_credentials(&state, headers);
        assert_eq!(
            basic_credentials(&headers(&format!("basic {encoded}"))),
            Some(("reference-db".into(), "pa:ss".into()))
        );
        assert_eq!(basic_credentials(&headers("Bearer abc")), None);
        assert_eq!(basic_credentials(&headers("Basic !!!")), None);
        assert_eq!(
            basic_credentials(&headers(&format!("Basic {}", STANDARD.encode("nocolon")))),
            None
        );
        assert_eq!(basic_credentials(&HeaderMap::new()), None);
    }

    #[test]
    fn prefix_comparison_lets_suffixes_through() {
        assert!(secret_matches("secret", "secret", Comparison::Exact));
        assert!(!secret_matches("secretx", "secret", Comparison::Exact));
        assert!(secret_matches("secretx", "secret", Comparison::PrefixOnly));
        assert!(!secret_matches("secre", "secret", Comparison::PrefixOnly));
        assert!(!secret_matches("sécret", "secret", Comparison::PrefixOnly));
    }

    #[test]
    fn each_faulty_comparison_lets_exactly_its_probe_through() {
        assert!(secret_matches(
            "SeCRET",
            "secret",
            Comparison::CaseInsensitive
        ));
        assert!(!secret_matches(
            "secre",
            "secret",
            Comparison::CaseInsensitive
        ));
        assert!(secret_matches("secr", "secret", Comparison::AsManyAsSent));
        assert!(!secret_matches("", "secret", Comparison::AsManyAsSent));
        assert!(!secret_matches(
            "secretx",
            "secret",
            Comparison::AsManyAsSent
        ));
        assert!(secret_matches("", "secret", Comparison::EmptyPasses));
        assert!(!secret_matches("secre", "secret", Comparison::EmptyPasses));
        for comparison in [Comparison::CaseInsensitive, Comparison::AsManyAsSent] {
            assert!(!secret_matches("", "secret", comparison));
            assert!(!secret_matches("wrong", "secret", comparison));
        }
    }
}
