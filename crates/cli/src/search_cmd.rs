//! `dossier search` and `dossier reindex`.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use dossier_search::{parse_date_bound, SearchIndex, SearchQuery};
use dossier_store::{SqliteStore, Store};

/// The flags of `dossier search`.
pub struct SearchArgs {
    pub query: Vec<String>,
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

pub fn search(data: &Path, store: &SqliteStore, a: SearchArgs) -> anyhow::Result<ExitCode> {
    let index = SearchIndex::open(&dossier_engine::index_dir(data))?;
    if index.is_empty() && store.article_count()? > 0 {
        anyhow::bail!("the search index of {} is empty: run `dossier reindex`", data.display());
    }
    let q = SearchQuery {
        text: a.query.join(" "),
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
    println!("{} match(es){}", r.total, if r.total > r.hits.len() { format!(", showing {}–{}", q.offset + 1, q.offset + r.hits.len()) } else { String::new() });
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

fn unescape(s: &str) -> String {
    s.replace("&#x27;", "'").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// Rebuilds the search index from the store and its stored analysis.
pub fn reindex(data: &Path, store: &mut SqliteStore, embedding: &crate::embeddings::Embedding) -> anyhow::Result<ExitCode> {
    let n = embedding.engine(data).reindex(store, &crate::progress::Shown::new(false))?;
    println!("search index rebuilt: {n} articles");
    Ok(ExitCode::SUCCESS)
}
