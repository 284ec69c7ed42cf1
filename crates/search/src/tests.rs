use super::*;

fn d(id: &str, title: &str, body: &str, outlet: &str, day: u32, entities: &[&str], statuses: &[&str]) -> IndexDoc {
    IndexDoc {
        id: id.into(),
        title: title.into(),
        body: body.into(),
        outlet: outlet.into(),
        language: Some(if id.starts_with("ru") { "ru" } else { "en" }.into()),
        published: format!("2025-06-{day:02}T12:00:00Z").parse().unwrap(),
        entities: entities.iter().map(|s| s.to_string()).collect(),
        statuses: statuses.iter().map(|s| s.to_string()).collect(),
        story: Some(format!("story-{}", &id[..1])),
    }
}

fn corpus() -> Vec<IndexDoc> {
    vec![
        d(
            "a1",
            "Leaked FSB memo calls China the enemy",
            "A leaked memo from the Federal Security Service describes China as the enemy and warns of espionage.",
            "The New York Times",
            1,
            &["Federal Security Service", "China", "Russia"],
            &["corroborated"],
        ),
        d(
            "a2",
            "Russian spy agency memo brands Beijing a threat",
            "The eight-page memo, obtained through Ares Leaks, says Chinese intelligence recruits Russian scientists.",
            "Daily8",
            2,
            &["Federal Security Service", "China"],
            &["corroborated", "single-source"],
        ),
        d("b1", "Earthquake strikes Chile coast", "A magnitude 7 earthquake struck the coast of Chile. A tsunami warning was issued, officials said.", "Reuters", 3, &["Chile"], &["single-source"]),
        d("ru1", "Землетрясение в Чили", "Сильное землетрясение произошло у побережья Чили.", "TASS", 4, &["Chile"], &[]),
    ]
}

fn q(text: &str) -> SearchQuery {
    SearchQuery { text: text.into(), limit: 10, ..Default::default() }
}

fn ids(r: &SearchResults) -> Vec<&str> {
    let mut v: Vec<&str> = r.hits.iter().map(|h| h.id.as_str()).collect();
    v.sort();
    v
}

fn index() -> (tempfile::TempDir, SearchIndex) {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(&dir.path().join("index")).unwrap();
    assert_eq!(ix.sync(&corpus()).unwrap(), 4);
    (dir, ix)
}

#[test]
fn words_phrases_and_boolean_operators() {
    let (_d, ix) = index();
    assert_eq!(ids(&ix.search(&q("memo")).unwrap()), ["a1", "a2"]);
    assert_eq!(ids(&ix.search(&q("\"eight-page memo\"")).unwrap()), ["a2"]);
    assert_eq!(ids(&ix.search(&q("\"memo eight-page\"")).unwrap()), Vec::<&str>::new(), "a phrase keeps its order");
    assert_eq!(ids(&ix.search(&q("memo AND espionage")).unwrap()), ["a1"]);
    assert_eq!(ids(&ix.search(&q("memo espionage")).unwrap()), ["a1"], "words are ANDed by default");
    assert_eq!(ids(&ix.search(&q("espionage OR tsunami")).unwrap()), ["a1", "b1"]);
    assert_eq!(ids(&ix.search(&q("memo -espionage")).unwrap()), ["a2"]);
    assert_eq!(ids(&ix.search(&q("memo NOT espionage")).unwrap()), ["a2"]);
    assert_eq!(ids(&ix.search(&q("title:earthquake")).unwrap()), ["b1"]);
    assert_eq!(ids(&ix.search(&q("землетрясение")).unwrap()), ["ru1"], "non-Latin scripts are searchable");
}

#[test]
fn facets_are_counted_over_all_matches_and_filter() {
    let (_d, ix) = index();
    let all = ix.search(&SearchQuery { limit: 1, ..Default::default() }).unwrap();
    assert_eq!(all.total, 4);
    assert_eq!(all.hits.len(), 1, "one per page");
    assert_eq!(all.hits[0].id, "ru1", "no text: newest first");
    let count = |v: &[FacetValue], k: &str| v.iter().find(|f| f.value == k).map(|f| f.count);
    assert_eq!(count(&all.facets.entity, "China"), Some(2));
    assert_eq!(count(&all.facets.entity, "Chile"), Some(2));
    assert_eq!(count(&all.facets.language, "en"), Some(3));
    assert_eq!(count(&all.facets.status, "corroborated"), Some(2));
    assert_eq!(count(&all.facets.outlet, "The New York Times"), Some(1));
    let by = |f: &dyn Fn(&mut SearchQuery)| {
        let mut s = q("");
        f(&mut s);
        ix.search(&s).unwrap()
    };
    assert_eq!(ids(&by(&|s| s.outlets = vec!["Daily8".into(), "Reuters".into()])), ["a2", "b1"]);
    assert_eq!(ids(&by(&|s| s.entities = vec!["China".into(), "Federal Security Service".into()])), ["a1", "a2"]);
    assert_eq!(ids(&by(&|s| s.languages = vec!["ru".into()])), ["ru1"]);
    assert_eq!(ids(&by(&|s| s.statuses = vec!["single-source".into()])), ["a2", "b1"]);
    let filtered = by(&|s| {
        s.text = "memo".into();
        s.statuses = vec!["single-source".into()];
    });
    assert_eq!(ids(&filtered), ["a2"]);
    assert_eq!(filtered.facets.outlet, [FacetValue { value: "Daily8".into(), count: 1 }]);
    let range = by(&|s| {
        s.from = Some("2025-06-02T00:00:00Z".parse().unwrap());
        s.to = Some("2025-06-03T23:59:59Z".parse().unwrap());
    });
    assert_eq!(ids(&range), ["a2", "b1"]);
}

#[test]
fn snippets_highlight_matches_and_escape_everything_else() {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(dir.path()).unwrap();
    let mut doc = d("x1", "<script>alert(1)</script> title", "Before <img src=x onerror=alert(1)> the memo & after.", "Evil \"outlet\"", 1, &[], &[]);
    doc.language = None;
    ix.sync(&[doc]).unwrap();
    let r = ix.search(&q("memo")).unwrap();
    let h = &r.hits[0];
    assert_eq!(h.title, "<script>alert(1)</script> title", "stored as given; escaping is the renderer's job");
    assert!(h.snippet_html.contains("<b>memo</b>"), "{}", h.snippet_html);
    assert!(!h.snippet_html.contains("<img"), "{}", h.snippet_html);
    assert!(h.snippet_html.contains("&lt;img"), "{}", h.snippet_html);
    assert_eq!(h.outlet, "Evil \"outlet\"");
}

#[test]
fn sync_writes_only_changes_and_deletes_vanished_articles() {
    let (_d, mut ix) = index();
    assert_eq!(ix.sync(&corpus()).unwrap(), 0, "nothing changed");
    let mut docs = corpus();
    docs[0].body.push_str(" Zugzwang.");
    docs.pop();
    assert_eq!(ix.sync(&docs).unwrap(), 2, "one rewritten, one deleted");
    assert_eq!(ix.len(), 3);
    assert_eq!(ids(&ix.search(&q("zugzwang")).unwrap()), ["a1"]);
    assert_eq!(ix.search(&q("землетрясение")).unwrap().total, 0);
    assert_eq!(ix.rebuild(&corpus()).unwrap(), 4);
    assert_eq!(ix.len(), 4);
}

#[test]
fn apply_writes_and_deletes_only_what_it_is_given() {
    let (_d, mut ix) = index();
    let mut changed = corpus()[0].clone();
    changed.body.push_str(" Zugzwang.");
    let gone = corpus()[3].id.clone();
    assert_eq!(ix.apply(&[corpus()[1].clone(), changed], &[gone.clone(), "never-indexed".into()]).unwrap(), 2, "one rewritten, one deleted");
    assert_eq!(ix.len(), 3, "the documents not named stay");
    assert_eq!(ids(&ix.search(&q("zugzwang")).unwrap()), ["a1"]);
    // The signatures follow: a sync with the same documents changes nothing.
    let mut docs = corpus();
    docs[0].body.push_str(" Zugzwang.");
    docs.retain(|d| d.id != gone);
    assert_eq!(ix.sync(&docs).unwrap(), 0);
}

#[test]
fn bad_queries_are_errors_that_say_what() {
    let (_d, ix) = index();
    let err = ix.search(&q("nosuchfield:x")).unwrap_err().to_string();
    assert!(err.contains("nosuchfield"), "{err}");
    let err = ix.search(&q("published:notadate")).unwrap_err().to_string();
    assert!(err.contains("bad query") && err.contains("published:notadate"), "{err}");
}

#[test]
fn reopens_and_survives_a_schema_change() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    {
        let mut ix = SearchIndex::open(&path).unwrap();
        ix.sync(&corpus()).unwrap();
    }
    let ix = SearchIndex::open(&path).unwrap();
    assert_eq!(ix.len(), 4, "kept across opens");
    drop(ix);
    std::fs::write(path.join("dossier-schema-version"), "0").unwrap();
    let mut ix = SearchIndex::open(&path).unwrap();
    assert_eq!(ix.len(), 0, "an index of another schema starts over");
    assert_eq!(ix.sync(&corpus()).unwrap(), 4, "and is filled again by the next sync");
}

#[test]
fn dates_beyond_what_the_index_counts_are_held_at_its_ends() {
    let (_dir, mut ix) = index();
    let mut far = d("c1", "Far future", "A report dated in the far future.", "Typo Times", 5, &[], &[]);
    far.published = "8879-11-23T16:23:43Z".parse().unwrap();
    let mut old = d("c2", "Far past", "A report dated in the far past.", "Typo Times", 5, &[], &[]);
    old.published = "0042-04-10T09:26:14Z".parse().unwrap();
    assert_eq!(ix.upsert(&[far, old]).unwrap(), 2);
    let after = |from: &str| SearchQuery { from: Some(parse_date_bound(from, false).unwrap()), limit: 10, ..Default::default() };
    assert_eq!(ids(&ix.search(&after("2263-01-01")).unwrap()), ["c1"]);
    assert_eq!(ids(&ix.search(&SearchQuery { to: Some(parse_date_bound("1000-01-01", true).unwrap()), limit: 10, ..Default::default() }).unwrap()), ["c2"]);
    assert_eq!(ix.search(&after("2025-06-04")).unwrap().total, 2, "ru1 and c1");
}
