//! Quantities, money and years, normalised: "$240 billion" -> 240e9 USD,
//! "over 40 meetings" -> 40 meetings (lower bound), "eight-page" -> 8 page.

use std::sync::OnceLock;

use dossier_model::Quantity;
use regex::Regex;

const NUMBER_WORDS: &[(&str, f64)] = &[
    ("one", 1.0), ("two", 2.0), ("three", 3.0), ("four", 4.0), ("five", 5.0), ("six", 6.0), ("seven", 7.0),
    ("eight", 8.0), ("nine", 9.0), ("ten", 10.0), ("eleven", 11.0), ("twelve", 12.0), ("twenty", 20.0),
    ("thirty", 30.0), ("forty", 40.0), ("fifty", 50.0), ("hundred", 100.0), ("dozen", 12.0),
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

fn regexes() -> &'static [Regex; 4] {
    static R: OnceLock<[Regex; 4]> = OnceLock::new();
    R.get_or_init(|| {
        [
            // Money with a currency sign.
            Regex::new(r"(?i)(?P<bound>over|more than|at least|about|around|nearly|almost|up to|some)?\s*(?P<cur>US\$|\$|€|£|₹|¥)\s?(?P<n>\d+(?:[.,]\d+)*)(?:\s*(?P<scale>trillion|billion|million|thousand|tn|bn|mn)\b)?").unwrap(),
            // Percentages.
            Regex::new(r"(?i)(?P<n>\d+(?:\.\d+)?)\s*(?:%|per\s?cent\b)").unwrap(),
            // Counted things: "over 40 meetings", "600 personnel", "eight-page".
            Regex::new(r"(?i)\b(?P<bound>over|more than|at least|about|around|nearly|almost|up to|some|fewer than|less than)?\s*(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|dozen)(?:\s*(?P<scale>trillion|billion|million|thousand)\b)?(?:-|\s+)(?P<unit>[a-z]+)").unwrap(),
            // Years.
            Regex::new(r"\b(?P<n>1[89]\d\d|20\d\d)\b").unwrap(),
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

/// Finds quantities in a sentence.
///
/// ```
/// let q = dossier_enrich::quantities_in("Trade soared to $240 billion in 2023, with over 40 meetings.");
/// assert_eq!(q[0].value, 240e9);
/// assert_eq!(q[0].unit.as_deref(), Some("USD"));
/// assert!(q.iter().any(|q| q.value == 40.0 && q.unit.as_deref() == Some("meetings") && q.bound.as_deref() == Some("over")));
/// assert!(q.iter().any(|q| q.value == 2023.0 && q.unit.as_deref() == Some("year")));
/// ```
pub fn quantities_in(text: &str) -> Vec<Quantity> {
    let [money, pct, count, year] = regexes();
    let mut out = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let overlaps = |taken: &[(usize, usize)], s: usize, e: usize| taken.iter().any(|&(a, b)| s < b && a < e);
    for c in money.captures_iter(text) {
        let m = c.get(0).unwrap();
        let Some(n) = number(&c["n"]) else { continue };
        let v = n * c.name("scale").map(|s| scale(s.as_str())).unwrap_or(1.0);
        out.push(Quantity { text: m.as_str().trim().to_string(), value: v, unit: Some(currency(&c["cur"]).into()), bound: c.name("bound").map(|b| b.as_str().to_lowercase()) });
        taken.push((m.start(), m.end()));
    }
    for c in pct.captures_iter(text) {
        let m = c.get(0).unwrap();
        if overlaps(&taken, m.start(), m.end()) {
            continue;
        }
        if let Some(n) = number(&c["n"]) {
            out.push(Quantity { text: m.as_str().to_string(), value: n, unit: Some("percent".into()), bound: None });
            taken.push((m.start(), m.end()));
        }
    }
    for c in count.captures_iter(text) {
        let m = c.get(0).unwrap();
        let n_match = c.name("n").unwrap();
        if overlaps(&taken, n_match.start(), n_match.end()) {
            continue;
        }
        let Some(n) = number(n_match.as_str()) else { continue };
        let unit = c["unit"].to_lowercase();
        let is_year = n_match.as_str().len() == 4 && (1800.0..2100.0).contains(&n);
        if is_year || crate::is_stopword(&unit) {
            continue;
        }
        // A bare number word before a non-noun ("one of") is not a quantity.
        if n_match.as_str().chars().all(char::is_alphabetic) && !(m.as_str().contains('-') || unit.ends_with('s')) {
            continue;
        }
        let v = n * c.name("scale").map(|s| scale(s.as_str())).unwrap_or(1.0);
        out.push(Quantity { text: m.as_str().trim().to_string(), value: v, unit: Some(unit), bound: c.name("bound").map(|b| b.as_str().to_lowercase()) });
        taken.push((m.start(), m.end()));
    }
    for c in year.captures_iter(text) {
        let m = c.get(0).unwrap();
        if overlaps(&taken, m.start(), m.end()) {
            continue;
        }
        out.push(Quantity { text: m.as_str().to_string(), value: c["n"].parse().unwrap_or(0.0), unit: Some("year".into()), bound: None });
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

    #[test]
    fn ranges_and_percent() {
        let q = quantities_in("About 50,000 to 60,000 troops; inflation hit 7.5% and €3 million was paid.");
        assert!(q.iter().any(|q| q.value == 60000.0 && q.unit.as_deref() == Some("troops")));
        assert!(q.iter().any(|q| q.value == 7.5 && q.unit.as_deref() == Some("percent")));
        assert!(q.iter().any(|q| q.value == 3e6 && q.unit.as_deref() == Some("EUR")));
    }
}
