//! Wiring of the stages: enrich -> (embed) -> stories -> claims -> brief, over the store.

use std::collections::HashMap;

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
    let hashes: Vec<String> = texts.iter().map(|t| dossier_model::stable_id(&[model, t])).collect();
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

/// Re-analyses every stored article and replaces the stored analysis in one
/// transaction. Deterministic: the same articles always give the same result.
pub fn analyse(store: &mut dyn Store, embedding: &Embedding) -> anyhow::Result<Analysis> {
    let articles = store.articles()?;
    let enriched: Vec<Enriched> = articles.iter().map(enrich).collect();
    let meanings = embeddings(store, &enriched, embedding)?;
    let stories = dossier_stories::cluster_with(&enriched, &meanings, &dossier_stories::Settings::default());
    let by_id: HashMap<&str, &Enriched> = enriched.iter().map(|e| (e.article.id.as_str(), e)).collect();
    let mut analysis = Analysis::default();
    for story in &stories {
        let docs: Vec<&Enriched> = story.article_ids.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect();
        let claims = dossier_claims::align(story, &docs, &dossier_claims::Settings::default());
        let primary = dossier_claims::primary_sources(&docs);
        let brief = dossier_brief::build(story, &articles, &claims, &primary, &dossier_brief::Settings::default());
        analysis.claims.extend(claims);
        analysis.briefs.push(brief);
    }
    analysis.stories = stories;
    store.replace_analysis(&analysis)?;
    Ok(analysis)
}
