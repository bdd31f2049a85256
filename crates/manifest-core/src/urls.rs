//! The URLs a platform calls: which ones it can call at all, and the paths it builds below them.

use url::Url;

/// Parses a URL a platform could call: absolute, http or https, with a host. `Err` says what is
/// wrong, as the end of a sentence about the URL ("`base_url` is empty"), without repeating the
/// URL (it may hold credentials).
pub fn web_url(text: &str) -> Result<Url, &'static str> {
    if text.trim().is_empty() {
        return Err("is empty");
    }
    if text.trim() != text {
        return Err("has whitespace around it");
    }
    let url = Url::parse(text).map_err(|error| match error {
        url::ParseError::RelativeUrlWithoutBase => "is not an absolute URL",
        url::ParseError::EmptyHost => "has no host",
        _ => "is not a valid URL",
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("is not an http or https URL");
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host");
    }
    Ok(url)
}

/// `base_url/<id>`, with the id percent-encoded as exactly one path segment, whether or not
/// `base_url` ends in `/`.
pub fn resource_url(base_url: &Url, id: &str) -> Url {
    below(base_url, &[id])
}

/// `base` with `segments` appended to its path, each percent-encoded as exactly one segment,
/// whether or not `base` ends in `/`. The query and fragment of `base` are dropped: they would
/// otherwise end up after the new segments.
pub fn below(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_urls_must_be_absolute_http_with_a_host() {
        assert!(web_url("https://db.example/heroku/resources").is_ok());
        assert!(web_url("http://127.0.0.1:4567").is_ok());
        assert_eq!(web_url(""), Err("is empty"));
        assert_eq!(web_url("  "), Err("is empty"));
        assert_eq!(
            web_url(" https://x.example"),
            Err("has whitespace around it")
        );
        assert_eq!(
            web_url("https://x.example\n"),
            Err("has whitespace around it")
        );
        assert_eq!(web_url("/heroku/resources"), Err("is not an absolute URL"));
        assert_eq!(web_url("//cdn.example/r"), Err("is not an absolute URL"));
        assert_eq!(
            web_url("localhost:4567"),
            Err("is not an http or https URL")
        );
        assert_eq!(
            web_url("ftp://x.example"),
            Err("is not an http or https URL")
        );
        assert_eq!(web_url("http://"), Err("has no host"));
        assert_eq!(web_url("http://[::1"), Err("is not a valid URL"));
    }

    #[test]
    fn ids_are_one_encoded_path_segment() {
        let base = Url::parse("https://h.example/resources?x=1#top").unwrap();
        for id in ["a/b", "a b", "a?b#c", "50%", "a\\b", "é", "..a", "a;b=c"] {
            let url = resource_url(&base, id);
            let segments: Vec<_> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 2, "{id}: {url}");
            assert_eq!(url.query(), None, "{id}: {url}");
            assert_eq!(url.fragment(), None, "{id}: {url}");
            let decoded: String = url::form_urlencoded::parse(
                format!("x={}", segments[1].replace('+', "%2B")).as_bytes(),
            )
            .map(|(_, value)| value.into_owned())
            .collect();
            assert_eq!(decoded, id, "{url}");
        }
    }

    #[test]
    fn a_trailing_slash_makes_no_difference() {
        for base in ["http://h.example/r", "http://h.example/r/"] {
            let base = Url::parse(base).unwrap();
            assert_eq!(
                resource_url(&base, "abc-123").as_str(),
                "http://h.example/r/abc-123"
            );
            assert_eq!(
                below(&base, &["addons", "a b"]).as_str(),
                "http://h.example/r/addons/a%20b"
            );
        }
        let root = Url::parse("http://localhost:4567").unwrap();
        assert_eq!(
            below(&root, &["heroku", "resources"]).as_str(),
            "http://localhost:4567/heroku/resources"
        );
    }
}
