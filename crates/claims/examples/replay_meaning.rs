//! Replays claim alignment over a data directory's stories with the meaning
//! scores it stored (no model needed), under several candidate settings, and
//! says what each costs (sentence pairs and distinct sentences the model would
//! see) and which cross-outlet claims it keeps, gains or loses against the
//! stored ones. For tuning the meaning budget (BENCHMARKS.md, issue 18).
//!
//! The dump comes from `scripts/bench-engine.sh`'s data folders:
//!     sqlite3 D/dossier.sqlite "SELECT json FROM articles" > DUMP/articles.jsonl   (and stories, aligned_claims)
//!     sqlite3 -separator $'\t' D/dossier.sqlite "SELECT model, pair, score FROM meaning_scores" > DUMP/scores.tsv
//! Usage: cargo run --release -p dossier-claims --example replay_meaning -- DUMP [K:PER_CLAIM:MIN_CLOSENESS ...]
//! ("all" for every eligible pair, as before the budget).
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use dossier_claims::{align_with, Settings};
use dossier_enrich::{enrich, Enriched};
use dossier_model::{stable_id, AlignedClaim, Article, Story};

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dump = Path::new(&args[0]);
    let articles: Vec<Article> = lines(&dump.join("articles.jsonl")).iter().map(|l| serde_json::from_str(l).expect("article json")).collect();
    let stories: Vec<Story> = lines(&dump.join("stories.jsonl")).iter().map(|l| serde_json::from_str(l).expect("story json")).collect();
    let stored: Vec<AlignedClaim> = lines(&dump.join("claims.jsonl")).iter().map(|l| serde_json::from_str(l).expect("claim json")).collect();
    let mut model = String::new();
    let scores: HashMap<String, f32> = lines(&dump.join("scores.tsv"))
        .iter()
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            model = f[0].to_string();
            (f[1].to_string(), f[2].parse().unwrap())
        })
        .collect();
    let enriched: Vec<Enriched> = articles.iter().map(enrich).collect();
    let by_id: HashMap<&str, &Enriched> = enriched.iter().map(|e| (e.article.id.as_str(), e)).collect();
    let aligned = |cs: &[AlignedClaim]| -> HashSet<BTreeSet<String>> { cs.iter().filter(|c| c.outlets.len() >= 2).map(|c| c.members.iter().map(|m| m.id.clone()).collect()).collect() };
    let want = aligned(&stored);
    let variants: Vec<String> = if args.len() > 1 { args[1..].to_vec() } else { vec!["all".into()] };
    println!(
        "{} articles, {} stories ({} with 2+ outlets), {} stored scores, {} stored cross-outlet claims",
        articles.len(),
        stories.len(),
        stories.iter().filter(|s| s.outlets.len() >= 2).count(),
        scores.len(),
        want.len()
    );
    println!("{:>16} {:>7} {:>9} {:>7} {:>8} {:>6} {:>6} {:>6}", "variant", "pairs", "sentences", "missing", "aligned", "same", "lost", "new");
    for v in &variants {
        let mut settings = Settings::default();
        if v == "all" {
            settings.meaning_candidates = usize::MAX;
            settings.meaning_pairs_per_claim = f64::INFINITY;
            settings.meaning_min_closeness = 0.0;
        } else {
            let f: Vec<&str> = v.split(':').collect();
            settings.meaning_candidates = f[0].parse().unwrap();
            settings.meaning_pairs_per_claim = f[1].parse().unwrap();
            settings.meaning_min_closeness = f[2].parse().unwrap();
        }
        let (mut pairs, mut missing) = (0usize, 0usize);
        let mut sentences: HashSet<String> = HashSet::new();
        let mut got: Vec<AlignedClaim> = Vec::new();
        for s in &stories {
            let docs: Vec<&Enriched> = s.article_ids.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
            if s.outlets.len() < 2 {
                continue;
            }
            let mut score = |ps: &[(&str, &str)]| -> Result<Vec<f32>, String> {
                pairs += ps.len();
                Ok(ps
                    .iter()
                    .map(|(a, b)| {
                        sentences.insert(a.to_string());
                        sentences.insert(b.to_string());
                        scores.get(&stable_id(&[&model, a, b])).copied().unwrap_or_else(|| {
                            missing += 1;
                            0.0
                        })
                    })
                    .collect())
            };
            got.extend(align_with(s, &docs, &settings, Some(&mut score)).unwrap());
        }
        let have = aligned(&got);
        println!(
            "{:>16} {:>7} {:>9} {:>7} {:>8} {:>6} {:>6} {:>6}",
            v,
            pairs,
            sentences.len(),
            missing,
            have.len(),
            have.intersection(&want).count(),
            want.difference(&have).count(),
            have.difference(&want).count()
        );
        if std::env::var_os("SHOW").is_some() {
            let text: HashMap<&str, &str> = stored.iter().chain(&got).flat_map(|c| c.members.iter().map(|m| (m.id.as_str(), m.text.as_str()))).collect();
            for (label, set) in [("lost", want.difference(&have).collect::<Vec<_>>()), ("new", have.difference(&want).collect())] {
                for m in set {
                    println!("  {label}: {}", m.iter().map(|id| text[id.as_str()]).collect::<Vec<_>>().join("  <->  "));
                }
            }
        }
    }
}
