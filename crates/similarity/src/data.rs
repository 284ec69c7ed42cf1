//! Labelled sentence pairs: the STS-B TSV layout (`score<TAB>sentence1<TAB>sentence2`
//! after one header row), read with limits and errors that name the line.

use std::path::Path;

use anyhow::{bail, Context};

/// Largest pairs file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 256 << 20;
/// Most pairs in one file.
pub const MAX_PAIRS: usize = 1_000_000;
/// Longest sentence, in bytes (the model reads at most 256 wordpieces anyway).
pub const MAX_SENTENCE_BYTES: usize = 8192;

/// One labelled pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// Human similarity, 0 (unrelated) to 5 (same meaning).
    pub score: f32,
    pub a: String,
    pub b: String,
}

/// Reads a pairs file (see [`parse_pairs`]).
pub fn read_pairs(path: &Path) -> anyhow::Result<Vec<Pair>> {
    let len = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    if len > MAX_FILE_BYTES {
        bail!("{}: {len} bytes, more than the {MAX_FILE_BYTES} read", path.display());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse_pairs(&text).with_context(|| format!("{}", path.display()))
}

/// Parses `score<TAB>sentence1<TAB>sentence2` rows after a header row; blank
/// lines are skipped. A row with another number of columns, a score that is
/// not a finite number, an empty or over-long sentence is an error naming its
/// line (1-based, the header being line 1).
pub fn parse_pairs(text: &str) -> anyhow::Result<Vec<Pair>> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.split('\t').count() == 3 => {}
        Some((_, header)) => bail!("line 1: expected a header of three tab-separated columns (score, sentence1, sentence2), found {:?}", truncate(header)),
        None => bail!("empty file: expected a header row and pairs"),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [score, a, b] = cols[..] else { bail!("line {n}: {} tab-separated columns, expected 3 (score, sentence1, sentence2)", cols.len()) };
        let score: f32 = score.trim().parse().ok().filter(|s: &f32| s.is_finite()).with_context(|| format!("line {n}: score {:?} is not a number", truncate(score)))?;
        for (which, s) in [("sentence1", a), ("sentence2", b)] {
            if s.trim().is_empty() {
                bail!("line {n}: {which} is empty");
            }
            if s.len() > MAX_SENTENCE_BYTES {
                bail!("line {n}: {which} is {} bytes long, more than {MAX_SENTENCE_BYTES}", s.len());
            }
        }
        if out.len() == MAX_PAIRS {
            bail!("line {n}: more than {MAX_PAIRS} pairs");
        }
        out.push(Pair { score, a: a.to_string(), b: b.to_string() });
    }
    Ok(out)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// Spearman rank correlation (ties get their mean rank), as the benchmark's scorer computes it.
pub fn spearman(a: &[f32], b: &[f32]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// Pearson correlation; 0 when either side is constant.
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len()) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va = a.iter().map(|x| (x - ma).powi(2)).sum::<f64>().sqrt();
    let vb = b.iter().map(|y| (y - mb).powi(2)).sum::<f64>().sqrt();
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb)
    }
}

fn ranks(x: &[f32]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_names_the_bad_line() {
        let ok = parse_pairs("score\tsentence1\tsentence2\n4.5\tA cat sat.\tA cat was sitting.\n\n0\tx\ty\n").unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0], Pair { score: 4.5, a: "A cat sat.".into(), b: "A cat was sitting.".into() });
        let e = parse_pairs("score\ts1\ts2\n1\ta\tb\n2\tonly two\n").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("2 tab-separated columns"), "{e}");
        let e = parse_pairs("score\ts1\ts2\nhigh\ta\tb\n").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("not a number"), "{e}");
        let e = parse_pairs("score\ts1\ts2\n1\ta\t \n").unwrap_err().to_string();
        assert!(e.contains("line 2: sentence2 is empty"), "{e}");
        assert!(parse_pairs("").unwrap_err().to_string().contains("empty file"));
        assert!(parse_pairs("just a line\n").unwrap_err().to_string().contains("line 1"));
    }

    #[test]
    fn spearman_matches_hand_computed_values() {
        assert!((spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        // Ties share a mean rank: ranks [0.5, 0.5, 2] against [0, 1, 2].
        let s = spearman(&[1.0, 1.0, 2.0], &[1.0, 2.0, 3.0]);
        assert!((s - 0.8660254).abs() < 1e-6, "{s}");
    }
}
