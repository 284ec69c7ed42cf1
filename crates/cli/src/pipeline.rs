//! Wiring of the stages: enrich -> stories -> claims -> brief, over the store.

use dossier_enrich::{enrich, Enriched};
use dossier_store::{Analysis, Store};

/// Re-analyses every stored article and replaces the stored analysis in one
/// transaction. Deterministic: the same articles always give the same result.
pub fn analyse(store: &mut dyn Store) -> anyhow::Result<Analysis> {
    let articles = store.articles()?;
    let enriched: Vec<Enriched> = articles.iter().map(enrich).collect();
    let stories = dossier_stories::cluster(&enriched, &dossier_stories::Settings::default());
    let by_id: std::collections::HashMap<&str, &Enriched> = enriched.iter().map(|e| (e.article.id.as_str(), e)).collect();
    let mut analysis = Analysis::default();
    for story in &stories {
        let docs: Vec<&Enriched> = story
            .article_ids
            .iter()
            .filter_map(|id| by_id.get(id.as_str()).copied())
            .collect();
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
