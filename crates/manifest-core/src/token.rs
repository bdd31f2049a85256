//! Single sign-on token arithmetic shared by the platforms: hex digests of `:`-joined parts.
//! Which parts, in which order, is each dialect's business.

use sha1::{Digest, Sha1};
use sha2::Sha256;

/// Lowercase hex `sha1(parts joined by ':')`.
pub fn sha1_hex(parts: &[&str]) -> String {
    hex::encode(Sha1::digest(parts.join(":").as_bytes()))
}

/// Lowercase hex `sha256(parts joined by ':')`.
pub fn sha256_hex(parts: &[&str]) -> String {
    hex::encode(Sha256::digest(parts.join(":").as_bytes()))
}

/// Compares two tokens without leaking, through timing, how much of them matched.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heroku_documented_vector() {
        assert_eq!(
            sha1_hex(&[
                "123",
                "2f97bfa52ca102f8874716e2eb1d3b4920ad0be4",
                "1267597772"
            ]),
            "bb466eb1d6bc345d11072c3cd25c311f21be130d"
        );
    }

    #[test]
    fn kensa_vector() {
        assert_eq!(
            sha1_hex(&["1", "SSO_SALT", "1262304000"]),
            "b6010f6fbb850887a396c2bc0ab23974003008f6"
        );
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        let token = sha256_hex(&["a", "b"]);
        assert_eq!(token.len(), 64);
        assert!(
            token
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcx"));
    }
}
