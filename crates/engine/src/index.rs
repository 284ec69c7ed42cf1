//! What the search index holds for each article: its text and facets from
//! enrichment, its story and the statuses of the claims it carries.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dossier_enrich::Enriched;
use dossier_model::AlignedClaim;

/// Where the search index of a data directory lives.
pub fn index_dir(data: &Path) -> PathBuf {
    data.join("index")
}

/// Index documents for `docs`, each in story `story_of[id]` and carrying the statuses of `claims`.
pub fn index_docs(docs: &[&Enriched], story_of: &HashMap<String, String>, claims: &[&AlignedClaim]) -> Vec<dossier_search::IndexDoc> {
    let mut statuses: HashMap<&str, Vec<String>> = HashMap::new();
    for c in claims {
        for m in &c.members {
            let v = statuses.entry(m.article_id.as_str()).or_default();
            let s = c.status.as_str().replace('-', "_");
            if !v.contains(&s) {
                v.push(s);
            }
        }
    }
    // Entities under the story's one name for each person ("Stone" in an article that
    // never says "Roger" is the story's Roger Stone), so facets and entity pages count one.
    let mut by_story: HashMap<Option<&String>, Vec<&Enriched>> = HashMap::new();
    for e in docs {
        by_story.entry(story_of.get(&e.article.id)).or_default().push(e);
    }
    let person: HashMap<Option<&String>, HashMap<String, String>> = by_story.into_iter().map(|(s, members)| (s, dossier_enrich::story_entity_names(members))).collect();
    docs.iter()
        .map(|e| {
            let a = &e.article;
            let mut st = statuses.remove(a.id.as_str()).unwrap_or_default();
            st.sort();
            let names = &person[&story_of.get(&a.id)];
            let mut entities: Vec<String> = Vec::with_capacity(e.entities.len());
            for x in &e.entities {
                let name = names.get(&x.name).unwrap_or(&x.name);
                if !entities.contains(name) {
                    entities.push(name.clone());
                }
            }
            dossier_search::IndexDoc {
                id: a.id.clone(),
                title: a.title.clone(),
                body: a.text.clone(),
                outlet: a.outlet.name.clone(),
                language: a.language.clone(),
                published: a.time(),
                entities,
                statuses: st,
                story: story_of.get(&a.id).cloned(),
                vector: None,
            }
        })
        .collect()
}

/// Gives each document the stored sentence vector of its article, where one was computed
/// from the article's text as it is now (the model's, [`dossier_embed::MODEL`]); reading
/// stored vectors needs no model.
pub fn attach_vectors(store: &dyn dossier_store::Store, docs: &[&Enriched], index_docs: &mut [dossier_search::IndexDoc]) -> crate::Result<()> {
    let ids: Vec<String> = docs.iter().map(|e| e.article.id.clone()).collect();
    let mut stored = store.embeddings_of(dossier_embed::MODEL, &ids)?;
    if stored.is_empty() {
        return Ok(());
    }
    let wanted: HashMap<&str, String> = docs.iter().map(|e| (e.article.id.as_str(), crate::embedding_key(&dossier_stories::embedding_text(e)))).collect();
    for d in index_docs {
        let Some((hash, bytes)) = stored.remove(&d.id) else { continue };
        if wanted.get(d.id.as_str()) == Some(&hash) {
            d.vector = dossier_embed::from_bytes(&bytes).ok();
        }
    }
    Ok(())
}
