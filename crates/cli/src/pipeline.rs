//! Wiring of the stages: enrich -> (embed) -> stories -> claims -> brief, over the store.

use std::collections::HashMap;
use std::path::Path;

use dossier_enrich::{enrich, Enriched};
use dossier_store::{Analysis, Store};

use crate::embeddings::Embedding;

/// Embeddings for every article, or none: each is computed once, from the
/// article's title and lead, and kept in the store beside the text hash it
/// came from (so a revised article is embedded again). Articles without one
/// are embedded when the model is installed; if it is not, clustering uses
/// wording only for every article (never a mix, so the result does not
/// depend on what happened to be computed before).
fn embeddings(store: &mut dyn Store, enriched: &[Enriched], embedding: &Embedding) -> anyhow::Result<Vec<Option<Vec<f32>>>> {
    if embedding.is_off() || enriched.is_empty() {
        return Ok(Vec::new());
    }
    let model = dossier_embed::MODEL;
    let texts: Vec<String> = enriched.iter().map(dossier_stories::embedding_text).collect();
    let hashes: Vec<String> = texts.iter().map(|t| embedding_key(t)).collect();
    let mut stored: HashMap<String, (String, Vec<u8>)> = store.embeddings(model)?;
    let mut out: Vec<Option<Vec<f32>>> = Vec::with_capacity(enriched.len());
    let mut missing = Vec::new();
    for (i, e) in enriched.iter().enumerate() {
        match stored.remove(&e.article.id) {
            Some((h, bytes)) if h == hashes[i] => out.push(Some(dossier_embed::from_bytes(&bytes)?)),
            _ => {
                out.push(None);
                missing.push(i);
            }
        }
    }
    if missing.is_empty() {
        return Ok(out);
    }
    let Some(embedder) = embedding.load()? else { return Ok(Vec::new()) };
    let bar = crate::commands::progress_bar(missing.len() as u64, "embedding");
    for chunk in missing.chunks(256) {
        let refs: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = embedder.embed(&refs)?;
        let rows: Vec<(String, String, Vec<u8>)> = chunk.iter().zip(&vectors).map(|(&i, v)| (enriched[i].article.id.clone(), hashes[i].clone(), dossier_embed::to_bytes(v))).collect();
        // Stored as they are made: an interrupted run keeps what it computed.
        store.put_embeddings(model, &rows)?;
        for (&i, v) in chunk.iter().zip(vectors) {
            out[i] = Some(v);
        }
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// Meaning scores for claim alignment: computed once per sentence pair and kept in the store
/// (keyed by a hash of the scoring model and both sentences), so a re-analysis needs the model
/// only for pairs it has not scored before.
struct Meaning {
    model: String,
    /// The learned combiner until the model is needed, then the loaded scorer.
    combiner: Option<dossier_similarity::Combiner>,
    similarity: Option<dossier_similarity::Similarity>,
    embedding: Embedding,
}

impl Meaning {
    /// None when alignment by meaning is off: `--embeddings off`, nothing to align, or `auto` without a model.
    fn new(embedding: &Embedding, needed: bool) -> anyhow::Result<Option<Meaning>> {
        use crate::args::Embeddings;
        if embedding.is_off() || !needed {
            return Ok(None);
        }
        let installed = dossier_embed::locate().is_some();
        if embedding.0 == Embeddings::Auto && !installed {
            return Ok(None);
        }
        let combiner = dossier_similarity::Combiner::bundled()?;
        let model = dossier_model::stable_id(&["meaning", dossier_embed::MODEL, &combiner.to_json()]);
        Ok(Some(Meaning { model, combiner: Some(combiner), similarity: None, embedding: *embedding }))
    }

    fn score(&mut self, store: &mut dyn Store, pairs: &[(&str, &str)]) -> anyhow::Result<Vec<f32>> {
        let keys: Vec<String> = pairs.iter().map(|(a, b)| dossier_model::stable_id(&[&self.model, a, b])).collect();
        let known = store.meaning_scores(&self.model, &keys)?;
        let missing: Vec<usize> = (0..pairs.len()).filter(|&i| !known.contains_key(&keys[i])).collect();
        let mut out: Vec<f32> = keys.iter().map(|k| known.get(k).copied().unwrap_or(f32::NAN)).collect();
        if missing.is_empty() {
            return Ok(out);
        }
        if let Some(combiner) = self.combiner.take() {
            let missing = || anyhow::anyhow!("aligning claims by meaning needs the embedding model (run `dossier model fetch`)");
            let embedder = self.embedding.load()?.ok_or_else(missing)?;
            let dir = dossier_embed::locate().ok_or_else(missing)?;
            // Only pairs that may be the same claim need the cross-encoder's pass.
            self.similarity = Some(dossier_similarity::Similarity::new(embedder, combiner, &dir)?.with_gate(dossier_similarity::GATE));
        }
        let sim = self.similarity.as_ref().ok_or_else(|| anyhow::anyhow!("aligning claims by meaning needs the embedding model (run `dossier model fetch`)"))?;
        // Each distinct pair is scored once (two claims may share a sentence).
        let mut first: HashMap<&str, usize> = HashMap::new();
        let todo: Vec<usize> = missing.iter().copied().filter(|&i| first.insert(keys[i].as_str(), i).is_none()).collect();
        let scores = sim.score_pairs(&todo.iter().map(|&i| pairs[i]).collect::<Vec<_>>())?;
        let rows: Vec<(String, f32)> = todo.iter().zip(&scores).map(|(&i, &s)| (keys[i].clone(), s)).collect();
        store.put_meaning_scores(&self.model, &rows)?;
        let scored: HashMap<&str, f32> = rows.iter().map(|(k, s)| (k.as_str(), *s)).collect();
        for &i in &missing {
            out[i] = scored[keys[i].as_str()];
        }
        Ok(out)
    }
}

/// The hash stored beside an embedding: of the model and the text it was computed from.
pub fn embedding_key(text: &str) -> String {
    dossier_model::stable_id(&[dossier_embed::MODEL, text])
}

/// Where the search index of a data directory lives.
pub fn index_dir(data: &Path) -> std::path::PathBuf {
    data.join("index")
}

/// What the search index holds for each article, from its enrichment and the analysis.
pub fn index_docs(enriched: &[Enriched], analysis: &Analysis) -> Vec<dossier_search::IndexDoc> {
    let mut statuses: HashMap<&str, Vec<String>> = HashMap::new();
    for c in &analysis.claims {
        let status = serde_json::to_value(c.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        for m in &c.members {
            let v = statuses.entry(m.article_id.as_str()).or_default();
            if !v.contains(&status) {
                v.push(status.clone());
            }
        }
    }
    let mut story_of: HashMap<&str, &str> = HashMap::new();
    for s in &analysis.stories {
        for a in &s.article_ids {
            story_of.insert(a.as_str(), s.id.as_str());
        }
    }
    enriched
        .iter()
        .map(|e| {
            let a = &e.article;
            let mut st = statuses.remove(a.id.as_str()).unwrap_or_default();
            st.sort();
            dossier_search::IndexDoc {
                id: a.id.clone(),
                title: a.title.clone(),
                body: a.text.clone(),
                outlet: a.outlet.name.clone(),
                language: a.language.clone(),
                published: a.time(),
                entities: e.entities.iter().map(|x| x.name.clone()).collect(),
                statuses: st,
                story: story_of.get(a.id.as_str()).map(|s| s.to_string()),
            }
        })
        .collect()
}

/// Re-analyses every stored article, replaces the stored analysis in one
/// transaction, and brings the search index in `index_dir` up to date.
/// Deterministic: the same articles always give the same result.
pub fn analyse(store: &mut dyn Store, embedding: &Embedding, index_dir: &Path) -> anyhow::Result<Analysis> {
    let (enriched, analysis) = analyse_store(store, embedding)?;
    // The index is derived data: if updating it fails, what is stored stands and `dossier index --rebuild` redoes it.
    let mut index = dossier_search::SearchIndex::open(index_dir)?;
    index.sync(&index_docs(&enriched, &analysis))?;
    Ok(analysis)
}

/// [`analyse`] without the search index (the scale-out workers have none):
/// recomputes and replaces the stored analysis; gives the enriched articles too.
pub fn analyse_store(store: &mut dyn Store, embedding: &Embedding) -> anyhow::Result<(Vec<Enriched>, Analysis)> {
    let articles = store.articles()?;
    let enriched: Vec<Enriched> = articles.iter().map(enrich).collect();
    let meanings = embeddings(store, &enriched, embedding)?;
    let stories = dossier_stories::cluster_with(&enriched, &meanings, &dossier_stories::Settings::default());
    let by_id: HashMap<&str, &Enriched> = enriched.iter().map(|e| (e.article.id.as_str(), e)).collect();
    // Claims in other words align by meaning (learned similarity over MiniLM features) when the
    // model is installed, or with `--embeddings on`, where scores computed before are reused and
    // only new pairs need the model; only stories with two or more outlets have anything to align.
    let mut meaning = Meaning::new(embedding, stories.iter().any(|s| s.outlets.len() >= 2))?;
    let settings = dossier_claims::Settings::default();
    let mut analysis = Analysis::default();
    for story in &stories {
        let docs: Vec<&Enriched> = story.article_ids.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        let claims = match (&mut meaning, story.outlets.len() >= 2) {
            (Some(m), true) => {
                let mut score = |pairs: &[(&str, &str)]| m.score(&mut *store, pairs).map_err(|e| format!("{e:#}"));
                dossier_claims::align_with(story, &docs, &settings, Some(&mut score)).map_err(|e| anyhow::anyhow!("aligning the claims of story {}: {e}", story.id))?
            }
            _ => dossier_claims::align(story, &docs, &settings),
        };
        let primary = dossier_claims::primary_sources(&docs);
        let brief = dossier_brief::build(story, &articles, &claims, &primary, &dossier_brief::Settings::default());
        analysis.claims.extend(claims);
        analysis.briefs.push(brief);
    }
    analysis.stories = stories;
    store.replace_analysis(&analysis)?;
    Ok((enriched, analysis))
}
