//! `dossier search` and `dossier reindex`.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use dossier_search::{parse_date_bound, Mode, SearchIndex, SearchQuery};
use dossier_store::{SqliteStore, Store};

/// The flags of `dossier search`.
pub struct SearchArgs {
    pub query: Vec<String>,
    pub mode: Option<String>,
    pub outlets: Vec<String>,
    pub entities: Vec<String>,
    pub languages: Vec<String>,
    pub statuses: Vec<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: usize,
    pub offset: usize,
    pub json: bool,
}

/// The index of a data directory, refusing an empty one over a store that holds articles.
fn open_index(data: &Path, store: &SqliteStore) -> anyhow::Result<SearchIndex> {
    let index = SearchIndex::open(&dossier_engine::index_dir(data))?;
    if index.is_empty() && store.article_count()? > 0 {
        anyhow::bail!("the search index of {} is empty: run `dossier reindex`", data.display());
    }
    Ok(index)
}

pub fn search(data: &Path, store: &SqliteStore, a: SearchArgs, embedding: &crate::embeddings::Embedding) -> anyhow::Result<ExitCode> {
    let index = open_index(data, store)?;
    let asked = a.mode.as_deref().map(Mode::parse).transpose().map_err(anyhow::Error::msg)?;
    let can_embed = !embedding.is_off() && dossier_embed::locate().is_some();
    let mode = match index.resolve_mode(asked, can_embed) {
        Ok(m) => m,
        Err(e) => crate::usage!("--mode: {e}"),
    };
    let text = a.query.join(" ");
    let vector = if mode != Mode::Lexical && !text.trim().is_empty() {
        let model = embedding.load()?.context("the embedding model is not installed")?;
        model.embed(&[&dossier_search::plain_words(&text)])?.pop()
    } else {
        None
    };
    let q = SearchQuery {
        mode,
        vector,
        text,
        outlets: a.outlets,
        entities: a.entities,
        languages: a.languages,
        statuses: a.statuses,
        from: a.from.as_deref().map(|s| parse_date_bound(s, false)).transpose().map_err(anyhow::Error::msg).context("--from")?,
        to: a.to.as_deref().map(|s| parse_date_bound(s, true)).transpose().map_err(anyhow::Error::msg).context("--to")?,
        limit: a.limit,
        offset: a.offset,
    };
    let r = index.search(&q)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    let (bold, plain) = if std::io::stdout().is_terminal() { ("\x1b[1m", "\x1b[0m") } else { ("**", "**") };
    println!("{} match(es){}, ranked {}", r.total, if r.total > r.hits.len() { format!(", showing {}–{}", q.offset + 1, q.offset + r.hits.len()) } else { String::new() }, r.mode);
    for h in &r.hits {
        println!("\n{} — {} · {}", h.title, h.outlet, h.published.format("%Y-%m-%d %H:%M"));
        let snippet = unescape(&h.snippet_html.replace("<b>", bold).replace("</b>", plain));
        println!("  {}", snippet.split_whitespace().collect::<Vec<_>>().join(" "));
        println!("  [{}]{}", h.id, h.story.as_deref().map(|s| format!(" story {s}")).unwrap_or_default());
    }
    let line = |name: &str, v: &[dossier_search::FacetValue]| {
        if !v.is_empty() {
            let items: Vec<String> = v.iter().take(8).map(|f| format!("{} ({})", f.value, f.count)).collect();
            println!("{name}: {}", items.join(", "));
        }
    };
    println!();
    line("outlets", &r.facets.outlet);
    line("entities", &r.facets.entity);
    line("languages", &r.facets.language);
    line("claim statuses", &r.facets.status);
    Ok(ExitCode::SUCCESS)
}

/// A story like another, as `dossier search --like` prints it.
#[derive(serde::Serialize)]
struct Like {
    id: String,
    title: String,
    outlets: Vec<String>,
    article_count: usize,
    score: f32,
    article: dossier_search::Hit,
}

/// The stored rows of the stories found, in the order found (stories gone meanwhile left out).
fn likes(store: &SqliteStore, found: Vec<dossier_search::SimilarStory>) -> anyhow::Result<Vec<Like>> {
    let mut out = Vec::new();
    for f in found {
        if let Some(s) = store.story(&f.story)? {
            out.push(Like { article_count: s.article_ids.len(), id: s.id, title: s.title, outlets: s.outlets, score: f.score, article: f.article });
        }
    }
    Ok(out)
}

fn print_likes(out: &[Like]) {
    for l in out {
        println!("\n{} — {} article(s) · {}\n  via {} — {}\n  [story {}] score {:.4}", l.title, l.article_count, l.outlets.join(", "), l.article.title, l.article.outlet, l.id, l.score);
    }
    if out.is_empty() {
        println!("(none)");
    }
}

/// `dossier search --like STORY`: the stories most like a story.
pub fn like(data: &Path, store: &SqliteStore, story: &str, limit: usize, json: bool) -> anyhow::Result<ExitCode> {
    let index = open_index(data, store)?;
    let st = match store.story(story)? {
        Some(st) => st,
        None => match store.story_alias(story)? {
            Some(to) => store.story(&to)?.with_context(|| format!("story {story:?} was merged into {to:?}, which is gone"))?,
            None => anyhow::bail!("no story {story:?} (`dossier stories` lists them)"),
        },
    };
    let (mode, found) = index.similar_stories(&st.id, &st.title, limit.clamp(1, 100))?;
    let out = likes(store, found)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"story": st.id, "mode": mode, "stories": out}))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("stories like {} ({}), ranked {mode}:", st.title, st.id);
    print_likes(&out);
    Ok(ExitCode::SUCCESS)
}

/// `dossier search --like-claim CLAIM`: the stories (other than its own) most like a claim's
/// wording, by meaning when the index holds article vectors and the model is installed.
pub fn like_claim(data: &Path, store: &SqliteStore, claim: &str, limit: usize, json: bool, embedding: &crate::embeddings::Embedding) -> anyhow::Result<ExitCode> {
    let index = open_index(data, store)?;
    let Some(c) = store.aligned_claim(claim)? else { anyhow::bail!("no claim {claim:?} (`dossier claims STORY` lists a story's claims with their ids)") };
    let can_embed = !embedding.is_off() && dossier_embed::locate().is_some();
    let vector = if can_embed && index.has_vectors() {
        let model = embedding.load()?.context("the embedding model is not installed")?;
        model.embed(&[&dossier_search::plain_words(&c.text)])?.pop()
    } else {
        None
    };
    let (mode, found) = index.stories_like_text(&c.story_id, &c.text, vector.as_deref(), limit.clamp(1, 100))?;
    let out = likes(store, found)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"claim": {"id": c.id, "story_id": c.story_id, "text": c.text}, "mode": mode, "stories": out}))?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("stories like the claim \"{}\" ({}), ranked {mode}:", c.text, c.id);
    print_likes(&out);
    Ok(ExitCode::SUCCESS)
}

fn unescape(s: &str) -> String {
    s.replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Rebuilds the search index from the store and its stored analysis.
pub fn reindex(data: &Path, store: &mut SqliteStore, embedding: &crate::embeddings::Embedding) -> anyhow::Result<ExitCode> {
    let n = embedding.engine(data).reindex(store, &crate::progress::Shown::new(false))?;
    println!("search index rebuilt: {n} articles");
    Ok(ExitCode::SUCCESS)
}
