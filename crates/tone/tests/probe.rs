//! The shipped adapter in Rust gives the numbers `scripts/tune_tone.py`
//! printed for the first training rows (`tests/data/probe.tsv`: the head's
//! three scores, the mention's character range, the sentence).

use dossier_embed::{ModelParts, Precision};
use dossier_tone::{Polarity, Target, Tone, BUNDLED};

struct Probe {
    logits: [f32; 3],
    sentence: String,
    span: std::ops::Range<usize>,
}

fn probes() -> Vec<Probe> {
    include_str!("data/probe.tsv")
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f[0], "probe");
            let sentence = f[6].to_string();
            let byte = |c: &str| sentence.char_indices().map(|(b, _)| b).chain([sentence.len()]).nth(c.parse().unwrap()).unwrap();
            let span = byte(f[4])..byte(f[5]);
            Probe { logits: [f[1].parse().unwrap(), f[2].parse().unwrap(), f[3].parse().unwrap()], sentence, span }
        })
        .collect()
}

#[test]
fn rust_gives_the_tuning_scripts_scores() {
    let Some(dir) = dossier_embed::locate() else {
        eprintln!("skipped: no model installed");
        return;
    };
    let parts = ModelParts::read(&dir).unwrap();
    let probes = probes();
    assert_eq!(probes.len(), 8);
    let targets: Vec<Target> = probes.iter().map(|p| Target { sentence: &p.sentence, span: p.span.clone() }).collect();
    // The script tunes the whole encoder in f32: dossier's f32 arithmetic
    // gives its numbers to float rounding. The int8 arithmetic the analysis
    // runs on VNNI processors moves the scores a little; it keeps the labels
    // wherever the script's best score leads by a clear margin.
    let default = Tone::from_parts(&parts, BUNDLED, Precision::from_env()).unwrap().classify(&targets).unwrap();
    let exact = Tone::from_parts(&parts, BUNDLED, Precision::F32).unwrap().classify(&targets).unwrap();
    for ((p, d), e) in probes.iter().zip(&default).zip(&exact) {
        for c in 0..3 {
            assert!((p.logits[c] - e.logits[c]).abs() < 0.02, "{:?}: f32 scores {:?}, python's {:?}", p.sentence, e.logits, p.logits);
            assert!((p.logits[c] - d.logits[c]).abs() < 0.5, "{:?}: scores {:?}, python's {:?}", p.sentence, d.logits, p.logits);
        }
        let mut sorted = p.logits;
        sorted.sort_by(f32::total_cmp);
        let best = (0..3).fold(0, |b, c| if p.logits[c] > p.logits[b] { c } else { b });
        let want = [Polarity::Negative, Polarity::Neutral, Polarity::Positive][best];
        assert_eq!(e.polarity, want, "{:?}: f32 scores {:?}, python's {:?}", p.sentence, e.logits, p.logits);
        if sorted[2] - sorted[1] > 1.0 {
            assert_eq!(d.polarity, want, "{:?}: scores {:?}, python's {:?}", p.sentence, d.logits, p.logits);
        }
    }
}

#[test]
fn spans_that_are_not_whole_characters_are_refused() {
    let Some(dir) = dossier_embed::locate() else {
        eprintln!("skipped: no model installed");
        return;
    };
    let tone = Tone::load(&dir).unwrap();
    let s = "Beijing’s envoy met Moscow’s.";
    for span in [5..5, 8..12, 20..99] {
        let err = tone.classify(&[Target { sentence: s, span: span.clone() }]).unwrap_err().to_string();
        assert!(err.contains("not a non-empty range of whole characters"), "{span:?}: {err}");
    }
    let (ids, open, close) = tone.wordpieces(&Target { sentence: s, span: 0..7 }).unwrap();
    assert_eq!((open, ids[0]), (1, 101), "the mention opens the sentence, after [CLS]");
    assert!(close > open + 1 && ids.len() > close + 1);
}

/// Tone towards a target, not the sentence's mood: one sentence that speaks
/// well of one actor and ill of another gives each its own label, and plain
/// reporting is neutral. Sentences written for this test, in the style of
/// the wire copy NewsMTSC was drawn from (none of them is in its rows).
#[test]
fn each_mention_gets_its_own_tone() {
    let Some(dir) = dossier_embed::locate() else {
        eprintln!("skipped: no model installed");
        return;
    };
    let tone = Tone::load(&dir).unwrap();
    let cases = [
        ("Putin praised China as a reliable partner while accusing the West of trying to strangle Russia's economy.", "China", Polarity::Positive),
        ("Putin praised China as a reliable partner while accusing the West of trying to strangle Russia's economy.", "the West", Polarity::Negative),
        ("Critics said the senator had lied to voters and betrayed the miners who elected him.", "the senator", Polarity::Negative),
        ("The mayor was widely praised for her calm leadership during the floods, which saved hundreds of lives.", "The mayor", Polarity::Positive),
        ("The finance minister will meet his German counterpart in Brussels on Tuesday.", "The finance minister", Polarity::Neutral),
    ];
    let targets: Vec<Target> = cases
        .iter()
        .map(|(s, m, _)| {
            let start = s.find(m).unwrap();
            Target { sentence: s, span: start..start + m.len() }
        })
        .collect();
    let got = tone.classify(&targets).unwrap();
    for ((s, m, want), v) in cases.iter().zip(&got) {
        assert_eq!(v.polarity, *want, "{m:?} in {s:?}: scores {:?}", v.logits);
    }
}
