//! Names that manifests and providers write (slugs, environment variables, keys), and how
//! messages show them and suggest the one that was meant.

use serde_json::Value;

/// Lowercase letters, digits and dashes, over the whole string (no line-anchor loophole).
pub fn is_slug(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
}

/// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, over the whole string.
pub fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == b'_')
        && bytes.all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// A string as JSON writes it, so newlines and other invisible characters show.
pub fn quoted(text: &str) -> String {
    Value::from(text).to_string()
}

/// The known name a misspelt one most likely meant: the same once case and `-`/`_` are ignored,
/// or at most two edits away. Names of two characters or fewer match nothing: two edits could
/// turn them into anything.
pub fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    let normalized = |text: &str| text.to_lowercase().replace('-', "_");
    let name = normalized(name);
    known
        .iter()
        .map(|candidate| (edit_distance(&name, &normalized(candidate)), *candidate))
        .filter(|(distance, _)| *distance <= 2 && name.chars().count() > 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_letters_digits_and_dashes() {
        assert!(is_slug("my-addon-2"));
        assert!(!is_slug("my_addon"));
        assert!(!is_slug("My-addon"));
        assert!(!is_slug("my-addon\n"));
        assert!(!is_slug(""));
    }

    #[test]
    fn env_names_follow_their_pattern_over_the_whole_string() {
        assert!(is_env_name("MYADDON_URL"));
        assert!(is_env_name("DB_URL"));
        assert!(is_env_name("_X1"));
        assert!(is_env_name("_x9"));
        assert!(is_env_name("lower_case"));
        assert!(!is_env_name("1X"));
        assert!(!is_env_name("9X"));
        assert!(!is_env_name("A B"));
        assert!(!is_env_name("A-B"));
        assert!(!is_env_name("É_URL"));
        assert!(!is_env_name("A_URL\n"));
        assert!(!is_env_name(""));
    }

    #[test]
    fn quoting_shows_invisible_characters() {
        assert_eq!(quoted("my-addon"), "\"my-addon\"");
        assert_eq!(quoted("a\nb\t\"c\""), r#""a\nb\t\"c\"""#);
    }

    #[test]
    fn suggests_the_closest_known_name() {
        let known = ["sso_salt", "requires", "regions", "log_drain"];
        assert_eq!(closest("sso-salt", &known), Some("sso_salt"));
        assert_eq!(closest("SSO_SALT", &known), Some("sso_salt"));
        assert_eq!(closest("reqires", &known), Some("requires"));
        assert_eq!(closest("logdrain", &known), Some("log_drain"));
        assert_eq!(closest("region", &known), Some("regions"));
        assert_eq!(closest("zz", &known), None);
        assert_eq!(closest("re", &["rex"]), None);
        assert_eq!(closest("password", &known), None);
    }

    #[test]
    fn the_nearest_candidate_wins_and_ties_go_to_the_first() {
        assert_eq!(closest("tesst", &["tests", "test"]), Some("test"));
        assert_eq!(closest("tast", &["toast", "test"]), Some("toast"));
    }

    #[test]
    fn edit_distance_counts_characters() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("flaw", "lawn"), 2);
        assert_eq!(edit_distance("é", "e"), 1);
    }
}
