//! URL canonicalisation: one article, one URL.

use crate::SourceError;

/// Query parameters that only track where a reader came from.
fn tracking(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.starts_with("utm_")
        || matches!(n.as_str(), "fbclid" | "gclid" | "dclid" | "msclkid" | "mc_cid" | "mc_eid" | "igshid" | "_ga" | "ref_src" | "cmpid" | "ocid" | "smid" | "sr_share" | "yclid" | "twclid")
}

/// Lower-cased scheme and host, default port, fragment and tracking
/// parameters dropped, other parameters kept in order, empty path -> "/".
pub fn canonicalize(url: &str) -> Result<String, SourceError> {
    let mut u = url::Url::parse(url.trim()).map_err(|e| SourceError::new(url, e))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(SourceError::new(url, format!("scheme {} is not http or https", u.scheme())));
    }
    u.set_fragment(None);
    let kept: Vec<(String, String)> = u.query_pairs().filter(|(k, _)| !tracking(k)).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if kept.is_empty() {
        u.set_query(None);
    } else if kept.len() != u.query_pairs().count() {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    // The url crate already lower-cases the scheme and host, drops default ports and
    // gives an empty path as "/".
    Ok(u.to_string())
}

/// The canonical URL of a page fetched from `page_url` that declares
/// `rel_canonical` (`<link rel=canonical>`, absolute or relative).
pub fn canonical_url(page_url: &str, rel_canonical: Option<&str>) -> String {
    let declared = rel_canonical.and_then(|c| url::Url::parse(page_url).and_then(|b| b.join(c.trim())).ok().or_else(|| url::Url::parse(c.trim()).ok()));
    let chosen = declared.filter(|u| matches!(u.scheme(), "http" | "https")).map(|u| u.to_string()).unwrap_or_else(|| page_url.to_string());
    canonicalize(&chosen).unwrap_or(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_forms() {
        assert_eq!(canonicalize("HTTPS://Example.COM:443/a/b?utm_source=x&id=7&fbclid=y#frag").unwrap(), "https://example.com/a/b?id=7");
        assert_eq!(canonicalize("http://example.com").unwrap(), "http://example.com/");
        assert_eq!(canonicalize("http://example.com:8080/x?b=2&a=1").unwrap(), "http://example.com:8080/x?b=2&a=1");
        assert_eq!(canonicalize("https://example.com/x?utm_medium=email").unwrap(), "https://example.com/x");
        assert!(canonicalize("ftp://example.com/x").is_err());
        assert!(canonicalize("not a url").is_err());
        assert_eq!(canonical_url("https://m.example.com/story?utm_source=tw", Some("/story")), "https://m.example.com/story");
        assert_eq!(canonical_url("https://m.example.com/story", Some("https://www.example.com/story#x")), "https://www.example.com/story");
        assert_eq!(canonical_url("https://example.com/story", Some("javascript:alert(1)")), "https://example.com/story");
        assert_eq!(canonical_url("not a url", None), "not a url");
    }
}
