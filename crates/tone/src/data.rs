//! Labelled targets in NewsMTSC's JSON Lines layout: one row per sentence and
//! mention, `{"sentence", "mention", "from", "to", "polarity"}`, where `from`
//! and `to` count characters (Unicode scalar values, as Python does) and
//! `polarity` is -1, 0 or 1 (absent for rows to classify only).

use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

use crate::{Polarity, MAX_SENTENCE_BYTES};

/// Largest file read (NewsMTSC's training file is 2.5 MB).
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// One row: the sentence, the mention's byte range in it, and its label when the file has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub sentence: String,
    pub start: usize,
    pub end: usize,
    pub polarity: Option<Polarity>,
}

#[derive(Deserialize)]
struct Raw {
    sentence: String,
    mention: Option<String>,
    from: usize,
    to: usize,
    polarity: Option<i64>,
}

/// Reads the rows of a file; a malformed row is an error naming its line.
pub fn read_rows(path: &Path) -> anyhow::Result<Vec<Row>> {
    let size = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    if size > MAX_FILE_BYTES {
        bail!("{}: {size} bytes; at most {MAX_FILE_BYTES} are read", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        rows.push(parse_row(line).with_context(|| format!("{}:{}", path.display(), n + 1))?);
    }
    Ok(rows)
}

/// One JSON line as a [`Row`], its character offsets turned into byte offsets and checked.
pub fn parse_row(line: &str) -> anyhow::Result<Row> {
    let raw: Raw = serde_json::from_str(line).context("expected {\"sentence\", \"from\", \"to\", \"polarity\"}")?;
    if raw.sentence.len() > MAX_SENTENCE_BYTES {
        bail!("a sentence of {} bytes; at most {MAX_SENTENCE_BYTES}", raw.sentence.len());
    }
    let byte = |c: usize| raw.sentence.char_indices().map(|(b, _)| b).chain([raw.sentence.len()]).nth(c);
    let (Some(start), Some(end)) = (byte(raw.from), byte(raw.to)) else {
        bail!("from {} and to {} do not fit a sentence of {} characters", raw.from, raw.to, raw.sentence.chars().count());
    };
    if start >= end {
        bail!("from {} is not before to {}", raw.from, raw.to);
    }
    if let Some(m) = &raw.mention {
        if raw.sentence[start..end] != *m {
            bail!("the sentence has {:?} at {}..{}, not the mention {m:?}", &raw.sentence[start..end], raw.from, raw.to);
        }
    }
    let polarity = match raw.polarity {
        None => None,
        Some(v) => Some(Polarity::from_value(v).with_context(|| format!("polarity {v}; expected -1, 0 or 1"))?),
    };
    Ok(Row { sentence: raw.sentence, start, end, polarity })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_offsets_become_byte_offsets_and_bad_rows_say_why() {
        let r = parse_row(r#"{"sentence": "“Putin” praised Xi.", "mention": "Xi", "from": 16, "to": 18, "polarity": 1}"#).unwrap();
        assert_eq!(&r.sentence[r.start..r.end], "Xi");
        assert_eq!(r.polarity, Some(Polarity::Positive));
        let err = |l: &str| format!("{:#}", parse_row(l).unwrap_err());
        assert!(err(r#"{"sentence": "abc", "from": 1, "to": 9, "polarity": 0}"#).contains("do not fit a sentence of 3 characters"));
        assert!(err(r#"{"sentence": "abc", "from": 2, "to": 2}"#).contains("not before"));
        assert!(err(r#"{"sentence": "abc", "mention": "ab", "from": 1, "to": 3}"#).contains("not the mention"));
        assert!(err(r#"{"sentence": "abc", "from": 0, "to": 1, "polarity": 2}"#).contains("polarity 2"));
        assert!(err("[1, 2]").contains("expected"));
    }
}
