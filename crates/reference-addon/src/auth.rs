//! Reading and comparing the credentials a platform presents.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use manifest_core::token::constant_time_eq;

/// The user and password of an `Authorization: Basic` header, when it holds well-formed ones.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// How a presented secret is compared with the real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Comparison {
    Exact,
    /// The classic bug of comparing only as many characters as the real secret has.
    PrefixOnly,
}

pub(crate) fn secret_matches(given: &str, expected: &str, comparison: Comparison) -> bool {
    let compared = match comparison {
        Comparison::Exact => given,
        Comparison::PrefixOnly => given.get(..expected.len()).unwrap_or(given),
    };
    constant_time_eq(compared, expected)
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
}
