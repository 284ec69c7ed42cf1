//! Reading the Fake News Challenge's files: `Headline,Body ID,Stance` rows and
//! `Body ID,articleBody` rows, CSV with quoted fields that may hold newlines.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use dossier_model::Stance;

/// Largest file read (the FNC-1 files are a few MB).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// One headline-body pair; `stance` where the file labels it.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub headline: String,
    pub body_id: String,
    pub stance: Option<Stance>,
}

/// The stances file's rows, in file order.
pub fn read_stances(path: &Path) -> Result<Vec<Row>> {
    let records = read_csv(path)?;
    let header = records.first().with_context(|| format!("{}: empty file", path.display()))?;
    let col = |name: &str| header.iter().position(|h| h.trim() == name).with_context(|| format!("{}: no {name:?} column in the header", path.display()));
    let (h, b, s) = (col("Headline")?, col("Body ID")?, header.iter().position(|h| h.trim() == "Stance"));
    let mut out = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate().skip(1) {
        let at = || format!("{}: record {}", path.display(), i + 1);
        let (Some(headline), Some(body_id)) = (r.get(h), r.get(b)) else { bail!("{}: too few fields", at()) };
        let stance = match s.and_then(|s| r.get(s)) {
            Some(v) if !v.trim().is_empty() => Some(Stance::parse(v).with_context(|| format!("{}: unknown stance {v:?} (agree, disagree, discuss, unrelated)", at()))?),
            _ => None,
        };
        out.push(Row { headline: headline.clone(), body_id: body_id.trim().to_string(), stance });
    }
    Ok(out)
}

/// The bodies file: body ID to text.
pub fn read_bodies(path: &Path) -> Result<HashMap<String, String>> {
    let records = read_csv(path)?;
    let header = records.first().with_context(|| format!("{}: empty file", path.display()))?;
    let col = |name: &str| header.iter().position(|h| h.trim() == name).with_context(|| format!("{}: no {name:?} column in the header", path.display()));
    let (b, t) = (col("Body ID")?, col("articleBody")?);
    let mut out = HashMap::new();
    for (i, r) in records.iter().enumerate().skip(1) {
        let (Some(id), Some(text)) = (r.get(b), r.get(t)) else { bail!("{}: record {}: too few fields", path.display(), i + 1) };
        if out.insert(id.trim().to_string(), text.clone()).is_some() {
            bail!("{}: record {}: body ID {id:?} given twice", path.display(), i + 1);
        }
    }
    Ok(out)
}

fn read_csv(path: &Path) -> Result<Vec<Vec<String>>> {
    let len = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    if len > MAX_FILE_BYTES {
        bail!("{}: {len} bytes, more than the {MAX_FILE_BYTES} read", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {} (UTF-8 CSV expected)", path.display()))?;
    parse_csv(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// RFC 4180 records: fields split by commas, quoted fields may hold commas, doubled quotes and newlines.
pub fn parse_csv(text: &str) -> std::result::Result<Vec<Vec<String>>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let (mut record, mut field) = (Vec::new(), String::new());
    let (mut quoted, mut line) = (false, 1usize);
    let mut chars = text.chars().peekable();
    let mut quote_line = 0;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                line += usize::from(c == '\n');
                field.push(c);
            }
            (false, '"') if field.is_empty() => {
                quoted = true;
                quote_line = line;
            }
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                line += 1;
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("a quoted field opened on line {quote_line} never closes"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_hold_commas_quotes_and_newlines() {
        let r = parse_csv("Body ID,articleBody\n0,\"A, b\n\"\"c\"\"\"\r\n1,plain\n").unwrap();
        assert_eq!(r, vec![vec!["Body ID", "articleBody"], vec!["0", "A, b\n\"c\""], vec!["1", "plain"]]);
        assert!(parse_csv("a,\"open\nb").unwrap_err().contains("line 1"));
    }
}
