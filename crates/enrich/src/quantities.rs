//! Quantities, money and dates, normalised: "$240 billion" -> 240e9 USD,
//! "over 40 meetings" -> 40 meetings (lower bound), "eight-page" -> 8 page,
//! "50,000 to 60,000 troops" -> 50,000..60,000 troops, "late 2023 or early
//! 2024" -> the days 2023-09-01..2024-04-30, "March 5, 2024" -> that day.

use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use dossier_model::{DateSpan, Quantity};
use regex::Regex;

const NUMBER_WORDS: &[(&str, f64)] = &[
    ("one", 1.0),
    ("two", 2.0),
    ("three", 3.0),
    ("four", 4.0),
    ("five", 5.0),
    ("six", 6.0),
    ("seven", 7.0),
    ("eight", 8.0),
    ("nine", 9.0),
    ("ten", 10.0),
    ("eleven", 11.0),
    ("twelve", 12.0),
    ("twenty", 20.0),
    ("thirty", 30.0),
    ("forty", 40.0),
    ("fifty", 50.0),
    ("hundred", 100.0),
    ("dozen", 12.0),
];

fn scale(word: &str) -> f64 {
    match word.to_lowercase().as_str() {
        "trillion" | "tn" => 1e12,
        "billion" | "bn" | "b" => 1e9,
        "million" | "mn" | "m" => 1e6,
        "thousand" | "k" => 1e3,
        _ => 1.0,
    }
}

fn number(s: &str) -> Option<f64> {
    let lower = s.to_lowercase();
    if let Some((_, v)) = NUMBER_WORDS.iter().find(|(w, _)| *w == lower) {
        return Some(*v);
    }
    s.replace(',', "").parse().ok()
}

/// Word boundaries are ASCII (`(?-u:\b)`): a Unicode `\b` makes the
/// regex engine leave its fast automaton for a backtracking search on every
/// text holding a non-ASCII byte (curly quotes, dashes), which is most news.
/// Numbers, units and months are ASCII words, so nothing else changes.
fn regexes() -> &'static [Regex; 5] {
    static R: OnceLock<[Regex; 5]> = OnceLock::new();
    R.get_or_init(|| {
        [
            // Money with a currency sign.
            Regex::new(r"(?i)(?P<bound>over|more than|at least|about|around|nearly|almost|up to|some)?\s*(?P<cur>US\$|\$|€|£|₹|¥)\s?(?P<n>\d+(?:[.,]\d+)*)(?:\s*(?P<scale>trillion|billion|million|thousand|tn|bn|mn)(?-u:\b))?").unwrap(),
            // Percentages.
            Regex::new(r"(?i)(?P<n>\d+(?:\.\d+)?)\s*(?:%|per\s?cent(?-u:\b))").unwrap(),
            // Counted things: "over 40 meetings", "600 personnel", "eight-page".
            Regex::new(r"(?i)(?-u:\b)(?P<bound>over|more than|at least|about|around|nearly|almost|up to|some|fewer than|less than)?\s*(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|dozen)(?:\s*(?P<scale>trillion|billion|million|thousand)(?-u:\b))?(?:-|\s+)(?P<unit>[a-z]+)").unwrap(),
            // Dates: "late 2023", "March 5, 2024", "5 March 2024", "the first half of 2024", "Q3 2024", "2023".
            Regex::new(&format!(r"(?i)(?-u:\b)(?:(?P<q>Q[1-4])\s+|(?P<part>early|mid|late|(?:the\s+)?(?:first|second)\s+half\s+of|(?:the\s+)?(?:end|beginning|start)\s+of)[\s-]+)?(?:(?P<day1>\d{{1,2}})\s+(?P<month1>{MONTHS})\s+|(?P<month2>{MONTHS})\s+(?:(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?)?(?P<year>1[89]\d\d|20\d\d)(?-u:\b)")).unwrap(),
            // Two dates joined into one range: "late 2023 or early 2024", "between 2019 and 2021", "2019-2021".
            Regex::new(r"^\s*(?:or|and|to|until|through|-|–|—)\s*$").unwrap(),
        ]
    })
}

fn currency(sign: &str) -> &'static str {
    match sign {
        "€" => "EUR",
        "£" => "GBP",
        "₹" => "INR",
        "¥" => "JPY",
        _ => "USD",
    }
}

const MONTHS: &str = "January|February|March|April|May|June|July|August|September|October|November|December|Jan\\.?|Feb\\.?|Mar\\.?|Apr\\.?|Jun\\.?|Jul\\.?|Aug\\.?|Sept?\\.?|Oct\\.?|Nov\\.?|Dec\\.?";

fn month_number(m: &str) -> Option<u32> {
    let m = m.trim_end_matches('.').to_lowercase();
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"].iter().position(|p| m.starts_with(p)).map(|i| i as u32 + 1)
}

fn last_day(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).expect("valid month")
}

/// The days one date expression covers.
fn date_span(c: &regex::Captures) -> Option<DateSpan> {
    let year: i32 = c["year"].parse().ok()?;
    let month = c.name("month1").or(c.name("month2")).and_then(|m| month_number(m.as_str()));
    let day = c.name("day1").or(c.name("day2")).and_then(|d| d.as_str().parse::<u32>().ok());
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    let (from, to) = match (month, day) {
        (Some(m), Some(d)) => (ymd(m, d)?, ymd(m, d)?),
        (Some(m), None) => (ymd(m, 1)?, last_day(year, m)),
        _ => {
            let part = c.name("part").map(|p| p.as_str().to_lowercase().split_whitespace().collect::<Vec<_>>().join(" "));
            let (m0, m1) = match (c.name("q").map(|q| q.as_str()), part.as_deref().map(|p| p.trim_start_matches("the "))) {
                (Some(q), _) => {
                    let n = q[1..].parse::<u32>().ok()?;
                    (3 * n - 2, 3 * n)
                }
                (_, Some("early")) | (_, Some("beginning of")) | (_, Some("start of")) => (1, 4),
                (_, Some("mid")) => (5, 8),
                (_, Some("late")) | (_, Some("end of")) => (9, 12),
                (_, Some("first half of")) => (1, 6),
                (_, Some("second half of")) => (7, 12),
                _ => (1, 12),
            };
            (ymd(m0, 1)?, last_day(year, m1))
        }
    };
    Some(DateSpan { from, to })
}

/// Finds quantities in a sentence.
///
/// ```
/// let q = dossier_enrich::quantities_in("Trade soared to $240 billion in 2023, with over 40 meetings.");
/// assert_eq!(q[0].value, 240e9);
/// assert_eq!(q[0].unit.as_deref(), Some("USD"));
/// assert!(q.iter().any(|q| q.value == 40.0 && q.unit.as_deref() == Some("meetings") && q.bound.as_deref() == Some("over")));
/// assert!(q.iter().any(|q| q.value == 2023.0 && q.unit.as_deref() == Some("date")));
/// ```
pub fn quantities_in(text: &str) -> Vec<Quantity> {
    let [money, pct, count, date, joiner] = regexes();
    let mut out = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let overlaps = |taken: &[(usize, usize)], s: usize, e: usize| taken.iter().any(|&(a, b)| s < b && a < e);
    // Money, percentages and dates all need a digit (money a currency sign
    // too): most sentences have none, and these patterns' leading optional
    // words leave the regex engine no literal to skip ahead by.
    let digits = text.bytes().any(|b| b.is_ascii_digit());
    let money_signs = digits && text.contains(['$', '€', '£', '₹', '¥']);
    for c in money.captures_iter(if money_signs { text } else { "" }) {
        let m = c.get(0).unwrap();
        let Some(n) = number(&c["n"]) else { continue };
        let v = n * c.name("scale").map(|s| scale(s.as_str())).unwrap_or(1.0);
        out.push(Quantity {
            text: m.as_str().trim().to_string(),
            value: v,
            unit: Some(currency(&c["cur"]).into()),
            bound: c.name("bound").map(|b| b.as_str().to_lowercase()),
            upper: None,
            span: None,
        });
        taken.push((m.start(), m.end()));
    }
    for c in pct.captures_iter(if digits { text } else { "" }) {
        let m = c.get(0).unwrap();
        if overlaps(&taken, m.start(), m.end()) {
            continue;
        }
        if let Some(n) = number(&c["n"]) {
            out.push(Quantity { text: m.as_str().to_string(), value: n, unit: Some("percent".into()), bound: None, upper: None, span: None });
            taken.push((m.start(), m.end()));
        }
    }
    static LOWER: OnceLock<Regex> = OnceLock::new();
    let lower_re = LOWER.get_or_init(|| Regex::new(r"(?P<lo>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(?:to|-|–)\s*$").expect("valid regex"));
    for c in count.captures_iter(text) {
        let m = c.get(0).unwrap();
        let n_match = c.name("n").unwrap();
        if overlaps(&taken, n_match.start(), n_match.end()) {
            continue;
        }
        let Some(n) = number(n_match.as_str()) else { continue };
        let unit = c["unit"].to_lowercase();
        let is_year = n_match.as_str().len() == 4 && (1800.0..2100.0).contains(&n);
        if is_year || crate::is_stopword(&unit) || MONTHS.split('|').any(|m| m.eq_ignore_ascii_case(&unit)) {
            continue;
        }
        // A bare number word before a non-noun ("one of") is not a quantity.
        if n_match.as_str().chars().all(char::is_alphabetic) && !(m.as_str().contains('-') || unit.ends_with('s')) {
            continue;
        }
        let k = c.name("scale").map(|s| scale(s.as_str())).unwrap_or(1.0);
        // "50,000 to 60,000 troops": a range whose first number stands alone.
        let lower = lower_re.captures(&text[..n_match.start()]).and_then(|l| Some((l.get(0)?.start(), number(&l["lo"])?)));
        let (value, upper, text_start) = match lower {
            Some((at, lo)) if lo < n => (lo * k, Some(n * k), at),
            _ => (n * k, None, m.start()),
        };
        out.push(Quantity { text: text[text_start.min(m.start())..m.end()].trim().to_string(), value, unit: Some(unit), bound: c.name("bound").map(|b| b.as_str().to_lowercase()), upper, span: None });
        taken.push((m.start(), m.end()));
    }
    let mut dates: Vec<(usize, usize, DateSpan)> = Vec::new();
    for c in date.captures_iter(if digits { text } else { "" }) {
        let m = c.get(0).unwrap();
        if overlaps(&taken, m.start(), m.end()) {
            continue;
        }
        let Some(span) = date_span(&c) else { continue };
        // "late 2023 or early 2024", "2019-2021": one range from the first day to the last.
        match dates.last_mut() {
            Some(prev) if joiner.is_match(&text[prev.1..m.start()]) && span.from >= prev.2.from => {
                prev.1 = m.end();
                prev.2.to = span.to;
            }
            _ => dates.push((m.start(), m.end(), span)),
        }
    }
    for (start, end, span) in dates {
        let mut from = start;
        // "between 2019 and 2021", "from May to July 2024": the opening word belongs to the range.
        for opener in ["between ", "from ", "Between ", "From "] {
            if text[..start].ends_with(opener) {
                from = start - opener.len();
            }
        }
        out.push(Quantity { text: text[from..end].to_string(), value: span.from.year() as f64, unit: Some("date".into()), bound: None, upper: None, span: Some(span) });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyphenated_number_words() {
        let q = quantities_in("The eight-page FSB memo was one of many.");
        assert_eq!(q.len(), 1);
        assert_eq!((q[0].value, q[0].unit.as_deref()), (8.0, Some("page")));
    }

    fn span(q: &Quantity) -> (String, String) {
        let s = q.span.expect("a date");
        (s.from.to_string(), s.to.to_string())
    }

    #[test]
    fn dates_become_day_ranges() {
        let q = quantities_in("The memo, drafted in late 2023 or early 2024, was leaked on March 5, 2024 and discussed in Q3 2024.");
        let dates: Vec<(String, (String, String))> = q.iter().filter(|q| q.unit.as_deref() == Some("date")).map(|q| (q.text.clone(), span(q))).collect();
        assert_eq!(
            dates,
            [
                ("late 2023 or early 2024".into(), ("2023-09-01".into(), "2024-04-30".into())),
                ("March 5, 2024".into(), ("2024-03-05".into(), "2024-03-05".into())),
                ("Q3 2024".into(), ("2024-07-01".into(), "2024-09-30".into())),
            ]
        );
        let q = quantities_in("Between 2019 and 2021 prices rose; on 5 February 2020 and in the first half of 2022 too.");
        let spans: Vec<(String, String)> = q.iter().map(span).collect();
        assert_eq!(spans, [("2019-01-01".into(), "2021-12-31".into()), ("2020-02-05".into(), "2020-02-05".into()), ("2022-01-01".into(), "2022-06-30".into())]);
        assert_eq!(q[0].text, "Between 2019 and 2021");
        // Two dates that do not run forward are two dates, not a range.
        assert_eq!(quantities_in("in 2024 or 2019").len(), 2);
    }

    #[test]
    fn ranges_and_percent() {
        let q = quantities_in("About 50,000 to 60,000 troops; inflation hit 7.5% and €3 million was paid.");
        assert!(q.iter().any(|q| q.value == 50000.0 && q.upper == Some(60000.0) && q.unit.as_deref() == Some("troops") && q.text == "50,000 to 60,000 troops"), "{q:?}");
        assert!(q.iter().any(|q| q.value == 7.5 && q.unit.as_deref() == Some("percent")));
        assert!(q.iter().any(|q| q.value == 3e6 && q.unit.as_deref() == Some("EUR")));
    }
}
