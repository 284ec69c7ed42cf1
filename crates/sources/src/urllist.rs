//! Plain URL lists: one URL per line, blank lines and `#` comments ignored.

use crate::SourceError;

/// The URLs of a list, canonicalised, and an error naming each bad line.
pub fn parse_url_list(text: &str) -> (Vec<String>, Vec<SourceError>) {
    let mut urls = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match crate::canonical::canonicalize(l) {
            Ok(u) => urls.push(u),
            Err(e) => errors.push(SourceError::new(format!("line {}", i + 1), format!("{l:?} is not an http(s) URL ({})", e.reason))),
        }
    }
    (urls, errors)
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_comments_and_errors() {
        let (urls, errs) = super::parse_url_list("# list\nhttps://a.example/1\n\n  http://B.example/2#x  \nftp://c/3\nnonsense\n");
        assert_eq!(urls, ["https://a.example/1", "http://b.example/2"]);
        assert_eq!(errs.len(), 2);
        assert!(errs[0].to_string().starts_with("line 5:"), "{}", errs[0]);
        assert!(errs[1].to_string().starts_with("line 6:"));
    }
}
