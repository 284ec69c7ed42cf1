//! `dossier eval search` (recall@10 and MRR of each search mode on headlines
//! grouped into stories) and `dossier bench search` (latency per mode).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use dossier_search::vectors::key_of;
use dossier_search::{fuse, plain_words, IndexDoc, Mode, SearchIndex, SearchQuery, RRF_K, VECTOR_WEIGHT};
use serde::Serialize;

use crate::embeddings::Embedding;
use crate::stories_cmd::{embed_batch, parse_record, EmbeddingCache};

/// The fusion settings tried: reciprocal rank's k, and the vector ranking's weight.
const KS: [f32; 7] = [1.0, 5.0, 10.0, 20.0, 30.0, 60.0, 100.0];
const WEIGHTS: [f32; 9] = [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0];
const FOLDS: u64 = 5;

/// One query's rankings (its own article removed) and the articles relevant to it.
struct Judged {
    story: String,
    relevant: HashSet<u64>,
    all_words: Vec<u64>,
    any_words: Vec<u64>,
    vector: Vec<u64>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Figures {
    queries: usize,
    /// Relevant articles among the first 10, of at most 10 (of all the relevant ones when fewer).
    recall_at_10: f64,
    /// Relevant articles among the first 10, of all the relevant ones.
    recall_at_10_uncapped: f64,
    /// Mean reciprocal rank of the first relevant article (0 when none in the first 500).
    mrr: f64,
}

fn figures<'a>(queries: impl Iterator<Item = (&'a Judged, Vec<u64>)>) -> Figures {
    let mut f = Figures::default();
    for (j, ranking) in queries {
        let found = ranking.iter().take(10).filter(|k| j.relevant.contains(k)).count() as f64;
        f.recall_at_10 += found / j.relevant.len().min(10) as f64;
        f.recall_at_10_uncapped += found / j.relevant.len() as f64;
        f.mrr += ranking.iter().position(|k| j.relevant.contains(k)).map_or(0.0, |p| 1.0 / (p + 1) as f64);
        f.queries += 1;
    }
    let n = f.queries.max(1) as f64;
    Figures { recall_at_10: f.recall_at_10 / n, recall_at_10_uncapped: f.recall_at_10_uncapped / n, mrr: f.mrr / n, ..f }
}

fn hybrid(j: &Judged, k: f32, w: f32) -> Vec<u64> {
    fuse(&[(&j.any_words, 1.0), (&j.vector, w)], k).into_iter().map(|(key, _)| key).collect()
}

/// The (k, weight) with the best recall@10 (then MRR) over these queries.
fn best_setting(queries: &[&Judged]) -> ((f32, f32), Figures) {
    let mut best = ((RRF_K, VECTOR_WEIGHT), Figures::default());
    for k in KS {
        for w in WEIGHTS {
            let f = figures(queries.iter().map(|j| (*j, hybrid(j, k, w))));
            if (f.recall_at_10, f.mrr) > (best.1.recall_at_10, best.1.mrr) {
                best = ((k, w), f);
            }
        }
    }
    best
}

/// Which part a story is in: held out (a third of the stories, by a hash of the story's
/// label), or one of the tuning folds.
fn part(story: &str) -> Option<u64> {
    let h = key_of(story);
    (!h.is_multiple_of(3)).then_some((h / 3) % FOLDS)
}

fn mode_figures(qs: &[&Judged], k: f32, w: f32) -> serde_json::Value {
    serde_json::json!({
        "lexical": figures(qs.iter().map(|j| (*j, j.all_words.clone()))),
        "lexical_any_word": figures(qs.iter().map(|j| (*j, j.any_words.clone()))),
        "vector": figures(qs.iter().map(|j| (*j, j.vector.clone()))),
        "hybrid": figures(qs.iter().map(|j| (*j, hybrid(j, k, w)))),
    })
}

pub fn eval(file: &Path, truth: Option<&Path>, cache: Option<&Path>, tuning_only: bool, json: bool, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let Some(model) = embedding.load()? else { crate::usage!("eval search measures the vector and hybrid modes too: it needs the embedding model (dossier model fetch)") };
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut articles = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        articles.push(parse_record(file, n + 1, line)?);
    }
    let truth_path = truth.map(Path::to_path_buf).unwrap_or_else(|| file.with_extension("truth.json"));
    let labels: HashMap<String, serde_json::Value> = serde_json::from_slice(&std::fs::read(&truth_path).with_context(|| format!("reading the truth {} (--truth)", truth_path.display()))?)
        .with_context(|| format!("{}: not a JSON object of id -> story", truth_path.display()))?;
    let story_of = |id: &str| -> anyhow::Result<String> {
        match labels.get(id) {
            Some(serde_json::Value::String(s)) => Ok(s.clone()),
            Some(other) => Ok(other.to_string()),
            None => anyhow::bail!("{}: no story for article {id:?} of {}", truth_path.display(), file.display()),
        }
    };

    // The articles, embedded as the engine embeds them, and the queries as the search does.
    let enriched: Vec<dossier_enrich::Enriched> = articles.iter().map(dossier_enrich::enrich).collect();
    let doc_texts: Vec<String> = enriched.iter().map(dossier_stories::embedding_text).collect();
    let query_texts: Vec<String> = articles.iter().map(|a| plain_words(&a.title)).collect();
    let mut cache = cache.map(EmbeddingCache::open).transpose()?;
    let mut embed = |texts: &[String]| -> anyhow::Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(256) {
            out.extend(embed_batch(&model, &mut cache, chunk)?.into_iter().map(|v| v.expect("embedded")));
        }
        if let Some(c) = cache.as_mut() {
            c.save()?;
        }
        Ok(out)
    };
    let doc_vectors = embed(&doc_texts)?;
    let query_vectors = embed(&query_texts)?;
    let embedded = started.elapsed().as_secs_f64();

    // A throwaway index (removed at the end, and if a killed run left it).
    let dir = std::env::temp_dir().join(format!("dossier-eval-search-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut ix = SearchIndex::open(&dir)?;
    let docs: Vec<IndexDoc> = enriched.iter().zip(doc_vectors).map(|(e, v)| headline_doc(e, Some(v))).collect();
    ix.rebuild(&docs)?;

    let mut members: HashMap<String, HashSet<u64>> = HashMap::new();
    for a in &articles {
        members.entry(story_of(&a.id)?).or_default().insert(key_of(&a.id));
    }
    let mut judged = Vec::new();
    for (i, a) in articles.iter().enumerate() {
        let story = story_of(&a.id)?;
        let own = key_of(&a.id);
        let relevant: HashSet<u64> = members[&story].iter().copied().filter(|k| *k != own).collect();
        if relevant.is_empty() || query_texts[i].is_empty() {
            continue;
        }
        let q = SearchQuery { text: query_texts[i].clone(), vector: Some(query_vectors[i].clone()), limit: 10, ..Default::default() };
        let r = ix.rankings(&q)?;
        let drop_own = |v: Vec<u64>| -> Vec<u64> { v.into_iter().filter(|k| *k != own).collect() };
        judged.push(Judged { story, relevant, all_words: drop_own(r.all_words), any_words: drop_own(r.any_words), vector: drop_own(r.vector.into_iter().map(|(k, _)| k).collect()) });
    }

    // Cross-validation on the tuning stories: each fold's setting chosen on the other folds.
    let tuning: Vec<&Judged> = judged.iter().filter(|j| part(&j.story).is_some()).collect();
    let mut per_fold = Vec::new();
    let mut cv_rankings: Vec<(&Judged, Vec<u64>)> = Vec::new();
    for fold in 0..FOLDS {
        let train: Vec<&Judged> = tuning.iter().copied().filter(|j| part(&j.story) != Some(fold)).collect();
        let ((k, w), _) = best_setting(&train);
        per_fold.push(serde_json::json!({"fold": fold, "k": k, "vector_weight": w}));
        cv_rankings.extend(tuning.iter().copied().filter(|j| part(&j.story) == Some(fold)).map(|j| (j, hybrid(j, k, w))));
    }
    let cv = figures(cv_rankings.into_iter());
    let ((k, w), on_tuning) = best_setting(&tuning);
    let stories = |qs: &[&Judged]| qs.iter().map(|j| j.story.as_str()).collect::<HashSet<_>>().len();
    let mut report = serde_json::json!({
        "file": file.display().to_string(),
        "articles": articles.len(),
        "stories": members.len(),
        "depth": dossier_search::DEPTH,
        "tuning": {
            "part": "stories whose FNV-1a hash of the label is not a multiple of 3, in 5 folds by (hash / 3) mod 5",
            "stories": stories(&tuning),
            "queries": tuning.len(),
            "chosen_per_fold": per_fold,
            "hybrid_cross_validated": cv,
            "chosen": {"k": k, "vector_weight": w, "hybrid": on_tuning},
            "shipped": {"k": RRF_K, "vector_weight": VECTOR_WEIGHT},
            "modes_with_shipped_fusion": mode_figures(&tuning, RRF_K, VECTOR_WEIGHT),
        },
    });
    if !tuning_only {
        let held: Vec<&Judged> = judged.iter().filter(|j| part(&j.story).is_none()).collect();
        report["held_out"] = serde_json::json!({
            "part": "stories whose FNV-1a hash of the label is a multiple of 3",
            "stories": stories(&held),
            "queries": held.len(),
            "modes": mode_figures(&held, RRF_K, VECTOR_WEIGHT),
        });
    }
    report["seconds"] = serde_json::json!({"embedding": embedded, "total": started.elapsed().as_secs_f64()});
    drop(ix);
    let _ = std::fs::remove_dir_all(&dir);
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(ExitCode::SUCCESS);
    }
    let table = |title: &str, m: &serde_json::Value| {
        println!("{title}");
        println!("  {:<18} {:>10} {:>10} {:>8}", "mode", "recall@10", "(uncapped)", "MRR");
        for name in ["lexical", "lexical_any_word", "vector", "hybrid"] {
            let f = &m[name];
            println!("  {name:<18} {:>10.3} {:>10.3} {:>8.3}", f["recall_at_10"].as_f64().unwrap_or(0.0), f["recall_at_10_uncapped"].as_f64().unwrap_or(0.0), f["mrr"].as_f64().unwrap_or(0.0));
        }
    };
    let t = &report["tuning"];
    println!("{} headlines in {} stories; each headline a query, its own article excluded", articles.len(), members.len());
    println!("tuning: {} stories, {} queries; cross-validated hybrid (setting chosen per fold on the other folds): recall@10 {:.3}, MRR {:.3}", t["stories"], t["queries"], cv.recall_at_10, cv.mrr);
    println!("  chosen on all tuning stories: k {k}, vector weight {w} (recall@10 {:.3}, MRR {:.3}); shipped: k {RRF_K}, vector weight {VECTOR_WEIGHT}", on_tuning.recall_at_10, on_tuning.mrr);
    table("tuning stories, shipped fusion:", &t["modes_with_shipped_fusion"]);
    if let Some(h) = report.get("held_out") {
        table(&format!("held-out stories ({} stories, {} queries), shipped fusion:", h["stories"], h["queries"]), &h["modes"]);
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct Latency {
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
    max_ms: f64,
}

fn latency(mut ms: Vec<f64>) -> Latency {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    Latency { p50_ms: at(0.5), p99_ms: at(0.99), mean_ms: ms.iter().sum::<f64>() / ms.len() as f64, max_ms: *ms.last().unwrap_or(&0.0) }
}

/// Indexes the articles of `file` into `ix`, in chunks, each title embedded once.
fn build(file: &Path, ix: &mut SearchIndex, model: &dossier_embed::Embedder, cache: Option<&Path>) -> anyhow::Result<usize> {
    let mut cache = cache.map(EmbeddingCache::open).transpose()?;
    let mut known: HashMap<String, Vec<f32>> = HashMap::new();
    let reader = std::io::BufReader::new(std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?);
    let mut lines = Vec::new();
    let mut total = 0;
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut flush = |lines: &mut Vec<(usize, String)>, ix: &mut SearchIndex| -> anyhow::Result<usize> {
        let per = lines.len().div_ceil(jobs).max(1);
        let enriched: Vec<dossier_enrich::Enriched> = std::thread::scope(|s| {
            let handles: Vec<_> = lines
                .chunks(per)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|(n, l)| {
                                let mut a = parse_record(file, *n, l)?;
                                a.id = format!("a{n}");
                                Ok(dossier_enrich::enrich(&a))
                            })
                            .collect::<anyhow::Result<Vec<_>>>()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("enrichment thread")).collect::<anyhow::Result<Vec<Vec<_>>>>()
        })?
        .into_iter()
        .flatten()
        .collect();
        let fresh: Vec<String> = enriched.iter().map(|e| e.article.title.clone()).filter(|t| !known.contains_key(t)).collect::<HashSet<_>>().into_iter().collect();
        for chunk in fresh.chunks(256) {
            for (t, v) in chunk.iter().zip(embed_batch(model, &mut cache, chunk)?) {
                known.insert(t.clone(), v.expect("embedded"));
            }
        }
        if let Some(c) = cache.as_mut() {
            c.save()?;
        }
        let docs: Vec<IndexDoc> = enriched.iter().map(|e| headline_doc(e, known.get(&e.article.title).cloned())).collect();
        ix.apply(&docs, &[])?;
        let n = lines.len();
        lines.clear();
        Ok(n)
    };
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if !line.trim().is_empty() {
            lines.push((n + 1, line));
        }
        if lines.len() == 4096 {
            total += flush(&mut lines, ix)?;
            eprintln!("indexed {total} articles");
        }
    }
    total += flush(&mut lines, ix)?;
    Ok(total)
}

pub fn bench(file: &Path, index: &Path, queries: usize, cache: Option<&Path>, embedding: &Embedding) -> anyhow::Result<ExitCode> {
    let Some(model) = embedding.load()? else { crate::usage!("bench search measures the vector and hybrid modes too: it needs the embedding model (dossier model fetch)") };
    let mut ix = SearchIndex::open(index)?;
    let mut built = None;
    if ix.is_empty() {
        let t = Instant::now();
        let n = build(file, &mut ix, &model, cache)?;
        built = Some((n, t.elapsed().as_secs_f64()));
    }
    // Queries from the articles' own titles (a deterministic sample): half whole titles,
    // half their two longest words, the way people type into a search box.
    let titles: Vec<String> = ix.search(&SearchQuery { limit: 1000, ..Default::default() })?.hits.into_iter().map(|h| h.title).collect();
    anyhow::ensure!(!titles.is_empty(), "{}: no articles", file.display());
    let mut seed: u64 = 7;
    let mut texts = Vec::with_capacity(queries);
    for i in 0..queries {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let words = plain_words(&titles[(seed >> 33) as usize % titles.len()]);
        if i % 2 == 0 {
            texts.push(words);
        } else {
            let mut w: Vec<&str> = words.split_whitespace().collect();
            w.sort_by_key(|x| std::cmp::Reverse(x.len()));
            texts.push(w.into_iter().take(2).collect::<Vec<_>>().join(" "));
        }
    }
    let outlet = ix.search(&SearchQuery { limit: 1, ..Default::default() })?.facets.outlet.first().map(|f| f.value.clone());
    let mut report = serde_json::json!({"articles": ix.len(), "vectors": ix.vector_count(), "queries": queries, "built": built.map(|(n, s)| serde_json::json!({"articles": n, "seconds": s}))});
    let mut embed_ms = Vec::new();
    for (name, mode, filtered) in [("lexical", Mode::Lexical, false), ("vector", Mode::Vector, false), ("hybrid", Mode::Hybrid, false), ("hybrid_filtered", Mode::Hybrid, true)] {
        let mut ms = Vec::with_capacity(queries);
        let mut search_ms = Vec::with_capacity(queries);
        for (i, text) in texts.iter().enumerate() {
            let t = Instant::now();
            let vector = if mode == Mode::Lexical { None } else { model.embed(&[&plain_words(text)])?.pop() };
            let embedded = t.elapsed().as_secs_f64() * 1000.0;
            let mut q = SearchQuery { text: text.clone(), mode, vector, limit: 20, ..Default::default() };
            if filtered {
                q.outlets = outlet.iter().cloned().collect();
            }
            let s = Instant::now();
            std::hint::black_box(ix.search(&q)?);
            let done = t.elapsed().as_secs_f64() * 1000.0;
            // The first few warm the caches.
            if i >= 10.min(queries / 10) {
                ms.push(done);
                search_ms.push(s.elapsed().as_secs_f64() * 1000.0);
                if mode != Mode::Lexical {
                    embed_ms.push(embedded);
                }
            }
        }
        report[name] = serde_json::json!({"with_query_embedding": latency(ms), "search_only": latency(search_ms)});
    }
    report["query_embedding"] = serde_json::to_value(latency(embed_ms))?;
    report["filter"] = serde_json::json!({"outlet": outlet});
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(ExitCode::SUCCESS)
}

/// A headline as the search index takes it (no story, no claim statuses).
fn headline_doc(e: &dossier_enrich::Enriched, vector: Option<Vec<f32>>) -> IndexDoc {
    IndexDoc {
        id: e.article.id.clone(),
        title: e.article.title.clone(),
        body: e.article.text.clone(),
        outlet: e.article.outlet.name.clone(),
        published: e.article.time(),
        entities: e.entities.iter().map(|x| x.name.clone()).collect(),
        vector,
        ..Default::default()
    }
}
