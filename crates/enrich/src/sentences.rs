//! Sentence segmentation with byte offsets, robust to common abbreviations,
//! initials ("U.S.", "J. K."), titles ("Lt Gen", "Dr.") and list markers.

use dossier_model::Sentence;

const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "capt", "cpt", "sgt", "maj", "adm", "gov", "sen", "rep", "st",
    "jr", "sr", "inc", "ltd", "co", "corp", "vs", "etc", "e.g", "i.e", "no", "nos", "approx", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "ft", "fig", "vol", "rev", "hon", "pres",
];

fn is_abbreviation(word: &str) -> bool {
    let w = word.trim_start_matches(['(', '"', '“', '‘', '\'']).trim_end_matches('.');
    if w.is_empty() {
        return false;
    }
    let lower = w.to_lowercase();
    if ABBREVIATIONS.contains(&lower.as_str()) {
        return true;
    }
    // Initials and dotted acronyms: "J", "U.S", "U.K".
    w.split('.').all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic))
}

/// Splits text into sentences; a line never continues into the next line.
///
/// ```
/// let s = dossier_enrich::split_sentences("Dr. Smith met U.S. officials. They agreed.\n\n- A list item");
/// let texts: Vec<&str> = s.iter().map(|s| s.text.as_str()).collect();
/// assert_eq!(texts, ["Dr. Smith met U.S. officials.", "They agreed.", "A list item"]);
/// assert_eq!(s[2].start, 46);
/// ```
pub fn split_sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let base = line_start;
        line_start += line.len();
        let trimmed = line.trim_end();
        let lead = trimmed.len() - trimmed.trim_start().len();
        let mut start = base + lead;
        let mut body = &trimmed[lead..];
        for marker in ["- ", "• ", "* "] {
            if let Some(rest) = body.strip_prefix(marker) {
                start += marker.len();
                body = rest;
            }
        }
        split_line(body, start, &mut out);
    }
    for (i, s) in out.iter_mut().enumerate() {
        s.index = i;
    }
    out
}

fn split_line(line: &str, offset: usize, out: &mut Vec<Sentence>) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut sent_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            // Absorb closing quotes and brackets.
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j].1, '"' | '”' | '’' | '\'' | ')' | ']') {
                j += 1;
            }
            let end = if j < chars.len() { chars[j].0 } else { line.len() };
            let followed_by_space = j < chars.len() && chars[j].1.is_whitespace();
            let mut k = j;
            while k < chars.len() && chars[k].1.is_whitespace() {
                k += 1;
            }
            let next_starts = k < chars.len()
                && (chars[k].1.is_uppercase() || chars[k].1.is_ascii_digit() || matches!(chars[k].1, '"' | '“' | '‘' | '\'' | '('));
            let word_start = line[..pos].rfind(char::is_whitespace).map(|w| w + line[w..].chars().next().map_or(1, char::len_utf8)).unwrap_or(0);
            let word = &line[word_start..pos + c.len_utf8()];
            let abbreviation = c == '.' && is_abbreviation(word);
            if followed_by_space && next_starts && !abbreviation {
                push(line, offset, sent_start, end, out);
                sent_start = chars[k].0;
                i = k;
                continue;
            }
        }
        i += 1;
    }
    push(line, offset, sent_start, line.len(), out);
}

fn push(line: &str, offset: usize, start: usize, end: usize, out: &mut Vec<Sentence>) {
    let text = line[start..end].trim();
    if text.is_empty() {
        return;
    }
    let lead = line[start..end].len() - line[start..end].trim_start().len();
    let s = offset + start + lead;
    out.push(Sentence { index: 0, start: s, end: s + text.len(), text: text.to_string() });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        split_sentences(t).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn abbreviations_and_titles() {
        assert_eq!(
            texts("Lt. Gen. Asim Malik arrived. Mr. Doval left at 5 p.m. on Monday. The U.K. agreed."),
            ["Lt. Gen. Asim Malik arrived.", "Mr. Doval left at 5 p.m. on Monday.", "The U.K. agreed."]
        );
    }

    #[test]
    fn quotes_and_offsets() {
        let t = "He said: \"It is over.\" Then he left!\nNext line";
        let s = split_sentences(t);
        assert_eq!(s[0].text, "He said: \"It is over.\"");
        assert_eq!(s[1].text, "Then he left!");
        assert_eq!(&t[s[2].start..s[2].end], "Next line");
        for x in &s {
            assert_eq!(&t[x.start..x.end], x.text);
        }
    }

    #[test]
    fn lowercase_after_period_does_not_split() {
        assert_eq!(texts("Prices rose 2.5 percent. and then fell."), ["Prices rose 2.5 percent. and then fell."]);
    }

    #[test]
    fn multibyte_punctuation_and_spaces_do_not_split_characters() {
        let text = "He said \"can't antagonize a fight. … You get what's coming.\" Then\u{a0}Dr. Smith left… Others stayed.";
        let s = split_sentences(text);
        assert!(!s.is_empty());
        for x in &s {
            assert_eq!(&text[x.start..x.end], x.text);
        }
    }
}

