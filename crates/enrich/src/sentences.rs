//! Sentence segmentation with byte offsets, robust to common abbreviations,
//! initials ("U.S.", "J. K."), titles ("Lt Gen", "Dr."), decimals, quotes
//! that close after the full stop, and list markers ("- ", "1. ", "a) ").

use dossier_model::Sentence;

/// Abbreviations that never end a sentence: titles and ranks come before a
/// name, so a capital after them is the name, not a new sentence.
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "capt", "cpt", "sgt", "maj", "adm", "gov", "sen", "rep", "st", "mt", "rev", "hon", "pres", "supt", "cmdr", "brig", "msgr", "fr", "sr", "jr",
    "messrs", "mme", "mlle", "no", "nos", "fig", "vol", "vs", "v", "e.g", "i.e", "cf", "approx", "ft", "pp", "ca", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "ave", "blvd", "dept", "est", "univ", "assn", "bros", "gens", "reps", "sens", "govs",
];

/// Abbreviations that may end a sentence ("... Apple Inc. The company ..."):
/// they end one when a common sentence opener follows.
const MAY_END: &[&str] = &["inc", "ltd", "co", "corp", "etc", "llc", "plc", "a.m", "p.m", "u.s", "u.k", "u.n", "d.c", "e.u"];

/// Words that usually open a sentence; after an acronym or a "may end"
/// abbreviation ("in the U.S. The ...") they mark a boundary.
const OPENERS: &[&str] = &[
    "the",
    "a",
    "an",
    "he",
    "she",
    "it",
    "they",
    "we",
    "i",
    "you",
    "this",
    "that",
    "these",
    "those",
    "but",
    "and",
    "in",
    "on",
    "at",
    "for",
    "his",
    "her",
    "their",
    "its",
    "our",
    "there",
    "as",
    "if",
    "when",
    "while",
    "after",
    "before",
    "then",
    "so",
    "yet",
    "still",
    "however",
    "meanwhile",
    "many",
    "some",
    "most",
    "what",
    "why",
    "how",
    "who",
    "one",
    "no",
    "not",
    "both",
];

#[derive(Debug, PartialEq)]
enum Abbrev {
    No,
    /// A title, rank, month or initial: never ends a sentence.
    Never,
    /// An acronym or company suffix: ends a sentence only before an opener.
    Maybe,
}

fn abbreviation(word: &str) -> Abbrev {
    let w = word.trim_start_matches(['(', '"', '“', '‘', '\'', '[']).trim_end_matches('.');
    if w.is_empty() {
        return Abbrev::No;
    }
    let lower = w.to_lowercase();
    if MAY_END.contains(&lower.as_str()) {
        return Abbrev::Maybe;
    }
    if TITLES.contains(&lower.as_str()) {
        return Abbrev::Never;
    }
    let parts: Vec<&str> = w.split('.').collect();
    if parts.iter().all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic)) {
        // "J." is an initial; "U.S." or "N.Y." is an acronym.
        return if parts.len() == 1 && w.chars().all(char::is_uppercase) { Abbrev::Never } else { Abbrev::Maybe };
    }
    Abbrev::No
}

/// Strips a list marker ("- ", "• ", "1. ", "2) ", "(a) ", "a. ") from the start of a line.
fn list_marker(body: &str) -> usize {
    for marker in ["- ", "• ", "* ", "– ", "— ", "· ", "▪ "] {
        if body.starts_with(marker) {
            return marker.len();
        }
    }
    let b = body.as_bytes();
    let mut i = usize::from(b.first() == Some(&b'('));
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let letter = digits == 0 && b.get(i).is_some_and(|c| c.is_ascii_lowercase()) && !b.get(i + 1).is_some_and(|c| c.is_ascii_alphabetic());
    if digits == 0 && !letter || digits > 3 {
        return 0;
    }
    i += if letter { 1 } else { digits };
    match (b.get(i), b.get(i + 1)) {
        (Some(b'.' | b')'), Some(b' ')) if b[0] != b'(' || b[i] == b')' => i + 2,
        _ => 0,
    }
}

/// Splits text into sentences; a line never continues into the next line.
/// Offsets are byte offsets into `text`.
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
        let body = &trimmed[lead..];
        let marker = list_marker(body);
        split_line(&body[marker..], base + lead + marker, &mut out);
    }
    for (i, s) in out.iter_mut().enumerate() {
        s.index = i;
    }
    out
}

fn is_closer(c: char) -> bool {
    matches!(c, '"' | '”' | '’' | '\'' | ')' | ']' | '»')
}

fn split_line(line: &str, offset: usize, out: &mut Vec<Sentence>) {
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut sent_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        if matches!(c, '.' | '!' | '?' | '…') {
            // Runs of terminal punctuation ("?!", "...") and closing quotes or brackets stay with the sentence.
            let mut j = i + 1;
            while j < chars.len() && (matches!(chars[j].1, '.' | '!' | '?' | '…') || is_closer(chars[j].1)) {
                j += 1;
            }
            let end = if j < chars.len() { chars[j].0 } else { line.len() };
            let followed_by_space = j < chars.len() && chars[j].1.is_whitespace();
            let mut k = j;
            while k < chars.len() && chars[k].1.is_whitespace() {
                k += 1;
            }
            let next = chars.get(k).map(|&(_, c)| c);
            let next_starts = next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || matches!(c, '"' | '“' | '‘' | '\'' | '(' | '['));
            let boundary = followed_by_space && next_starts && {
                if c == '.' && j == i + 1 {
                    let word_start = line[..pos].rfind(char::is_whitespace).map(|w| w + line[w..].chars().next().map_or(1, char::len_utf8)).unwrap_or(0);
                    let next_word: String = chars[k..].iter().map(|&(_, c)| c).take_while(|c| c.is_alphanumeric()).collect();
                    match abbreviation(&line[word_start..pos + 1]) {
                        Abbrev::No => true,
                        Abbrev::Never => false,
                        Abbrev::Maybe => OPENERS.contains(&next_word.to_lowercase().as_str()) && next_word.chars().next().is_some_and(char::is_uppercase),
                    }
                } else {
                    true
                }
            };
            if boundary {
                push(line, offset, sent_start, end, out);
                sent_start = chars[k].0;
                i = k;
                continue;
            }
            i = j.max(i + 1);
            continue;
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
        assert_eq!(texts("Lt Gen Malik met Dr. Jones and Sen. Warren on Sept. 11 in St. Louis."), ["Lt Gen Malik met Dr. Jones and Sen. Warren on Sept. 11 in St. Louis."]);
    }

    #[test]
    fn acronyms_end_a_sentence_only_before_an_opener() {
        assert_eq!(texts("Officials in the U.S. Senate agreed. He left."), ["Officials in the U.S. Senate agreed.", "He left."]);
        assert_eq!(texts("He moved to the U.S. The move was quick."), ["He moved to the U.S.", "The move was quick."]);
        assert_eq!(texts("It was bought by Acme Inc. The deal closed."), ["It was bought by Acme Inc.", "The deal closed."]);
        assert_eq!(texts("The meeting ended at 5 p.m. Reporters waited."), ["The meeting ended at 5 p.m. Reporters waited."]);
    }

    #[test]
    fn initials_do_not_split() {
        assert_eq!(texts("J. K. Rowling and George W. Bush spoke. Then they left."), ["J. K. Rowling and George W. Bush spoke.", "Then they left."]);
    }

    #[test]
    fn decimals_and_numbers() {
        assert_eq!(texts("Growth was 2.5 percent. Inflation hit 3.1%. It cost $4.99."), ["Growth was 2.5 percent.", "Inflation hit 3.1%.", "It cost $4.99."]);
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
    fn quote_spanning_sentences_keeps_closing_marks() {
        assert_eq!(texts("“We are ready. We will win,” she said. “Nobody can stop us.” Really?! Yes..."), ["“We are ready.", "We will win,” she said.", "“Nobody can stop us.”", "Really?!", "Yes..."]);
        // A quote that ends the sentence and is followed by a lower-case attribution stays whole.
        assert_eq!(texts("“Stop it!” he shouted. Then silence."), ["“Stop it!” he shouted.", "Then silence."]);
    }

    #[test]
    fn list_items() {
        let t = "Three steps:\n1. Collect the data.\n2) Clean it.\n(a) Check it.\n• Ship it\n- Done";
        assert_eq!(texts(t), ["Three steps:", "Collect the data.", "Clean it.", "Check it.", "Ship it", "Done"]);
        let s = split_sentences(t);
        for x in &s {
            assert_eq!(&t[x.start..x.end], x.text);
        }
        // A year or a number opening a line is not a list marker.
        assert_eq!(texts("2016. A year to forget."), ["2016.", "A year to forget."]);
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
