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
        vector: None,
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

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

/// The corpus with vectors: the two FSB articles point one way, the quake articles another.
fn with_vectors() -> Vec<IndexDoc> {
    let mut docs = corpus();
    let dirs = [("a1", [1.0, 0.1, 0.0, 0.0]), ("a2", [0.9, 0.2, 0.1, 0.0]), ("b1", [0.0, 1.0, 0.1, 0.0]), ("ru1", [0.1, 0.9, 0.0, 0.2])];
    for d in &mut docs {
        d.vector = dirs.iter().find(|(id, _)| *id == d.id).map(|(_, v)| unit(v));
    }
    docs
}

fn vq(text: &str, mode: Mode, v: &[f32]) -> SearchQuery {
    SearchQuery { text: text.into(), limit: 10, mode, vector: Some(unit(v)), ..Default::default() }
}

#[test]
fn vector_mode_ranks_by_meaning_and_honours_filters() {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(dir.path()).unwrap();
    ix.sync(&with_vectors()).unwrap();
    assert!(ix.has_vectors());
    // Words that appear nowhere: lexical finds nothing, the vector finds the quake articles first.
    assert_eq!(ix.search(&q("seismic catastrophe")).unwrap().total, 0);
    let r = ix.search(&vq("seismic catastrophe", Mode::Vector, &[0.0, 1.0, 0.0, 0.0])).unwrap();
    assert_eq!(r.mode, Mode::Vector);
    let order: Vec<&str> = r.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(&order[..2], ["b1", "ru1"], "{order:?}");
    assert!(r.hits[0].score > 0.9 && r.hits[0].score <= 1.0001, "a cosine: {}", r.hits[0].score);
    // Below the similarity floor is not a match (the FSB articles are nearly orthogonal).
    assert!(r.hits.iter().all(|h| h.score >= MIN_SIMILARITY), "{:?}", r.hits);
    assert_eq!(r.total, r.hits.len());
    // Filters apply, and facets count the results.
    let mut f = vq("seismic catastrophe", Mode::Vector, &[0.0, 1.0, 0.0, 0.0]);
    f.languages = vec!["ru".into()];
    let r = ix.search(&f).unwrap();
    assert_eq!(ids(&r), ["ru1"]);
    assert_eq!(r.facets.outlet, vec![FacetValue { value: "TASS".into(), count: 1 }]);
}

#[test]
fn hybrid_fuses_words_and_meaning() {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(dir.path()).unwrap();
    ix.sync(&with_vectors()).unwrap();
    // "memo" matches a1 by word; the vector points at the quake articles: both kinds come back,
    // a1 (both rankings... only the lexical one) and the quake articles (the vector one).
    let r = ix.search(&vq("memo tsunami", Mode::Hybrid, &[0.0, 1.0, 0.0, 0.0])).unwrap();
    assert_eq!(r.mode, Mode::Hybrid);
    let got = ids(&r);
    for id in ["a1", "a2", "b1", "ru1"] {
        assert!(got.contains(&id), "{id} missing from {got:?}");
    }
    // b1 is first in both rankings (its body says tsunami; its vector is the query's): first.
    assert_eq!(r.hits[0].id, "b1");
    assert!(r.hits[0].snippet_html.contains("<b>tsunami</b>"), "{}", r.hits[0].snippet_html);
    // A query that does not parse is still an error in hybrid mode; the vector mode reads its words.
    assert!(matches!(ix.search(&vq("title:(memo", Mode::Hybrid, &[1.0, 0.0, 0.0, 0.0])), Err(SearchError::Query { .. })));
    assert_eq!(ix.search(&vq("title:(memo", Mode::Vector, &[1.0, 0.0, 0.0, 0.0])).unwrap().hits[0].id, "a1");
    // An empty query lists everything, newest first, whatever the mode.
    let all = ix.search(&vq("", Mode::Hybrid, &[1.0, 0.0, 0.0, 0.0])).unwrap();
    assert_eq!((all.mode, all.total, all.hits[0].id.as_str()), (Mode::Lexical, 4, "ru1"));
}

#[test]
fn modes_resolve_to_what_the_index_can_do() {
    let (_d, plain) = index();
    assert_eq!(plain.resolve_mode(None, true).unwrap(), Mode::Lexical);
    assert!(matches!(plain.resolve_mode(Some(Mode::Vector), true), Err(SearchError::Mode(m)) if m.contains("no")));
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(dir.path()).unwrap();
    ix.sync(&with_vectors()).unwrap();
    assert_eq!(ix.resolve_mode(None, true).unwrap(), Mode::Hybrid);
    assert_eq!(ix.resolve_mode(None, false).unwrap(), Mode::Lexical);
    assert!(matches!(ix.resolve_mode(Some(Mode::Hybrid), false), Err(SearchError::Mode(m)) if m.contains("model")));
    assert_eq!(Mode::parse("vector"), Ok(Mode::Vector));
    assert_eq!(Mode::parse("semantic").unwrap_err(), "unknown mode \"semantic\" (valid: lexical, vector, hybrid)");
}

#[test]
fn vectors_persist_are_seen_by_other_readers_and_are_compacted() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SearchIndex::open(dir.path()).unwrap();
    let reader = SearchIndex::open(dir.path()).unwrap();
    let mut docs = with_vectors();
    writer.sync(&docs).unwrap();
    assert_eq!(reader.vector_count(), 4, "a reader takes in what was appended");
    // Re-indexing unchanged vectors appends nothing (a story's re-analysis rewrites documents).
    let file = dir.path().join("dossier-vectors.bin");
    let len = std::fs::metadata(&file).unwrap().len();
    writer.upsert(&docs).unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), len);
    // A changed vector, a document without one and a deleted one.
    docs[0].vector = Some(unit(&[0.0, 0.0, 1.0, 0.0]));
    docs[1].vector = None;
    docs.pop();
    writer.sync(&docs).unwrap();
    assert_eq!(reader.vector_count(), 2);
    reader.reload().unwrap();
    let r = reader.search(&vq("x", Mode::Vector, &[0.0, 0.0, 1.0, 0.0])).unwrap();
    assert_eq!(r.hits[0].id, "a1");
    // Many rewrites: the log is compacted, and what it holds stays right.
    for i in 0..40 {
        docs[0].vector = Some(unit(&[0.0, 0.0, 1.0, i as f32 / 40.0]));
        writer.upsert(&docs[..1]).unwrap();
    }
    let records = (std::fs::metadata(&file).unwrap().len() - 24) / (16 + 16);
    assert!(records < 40, "compacted: {records} records");
    let fresh = SearchIndex::open(dir.path()).unwrap();
    assert_eq!(fresh.vector_count(), 2);
    assert_eq!(reader.vector_count(), 2);
    let got = reader.vectors.read().unwrap().get(vectors::key_of("a1")).unwrap().to_vec();
    assert_eq!(got, unit(&[0.0, 0.0, 1.0, 39.0 / 40.0]));
    // A rebuild empties them.
    writer.rebuild(&[]).unwrap();
    assert!(!reader.has_vectors());
}

#[test]
fn similar_stories_are_other_stories_by_meaning_and_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(dir.path()).unwrap();
    let mut docs = with_vectors();
    // A third story, near story a by meaning but sharing no words with its title.
    docs.push(IndexDoc {
        id: "c1".into(),
        title: "Kremlin counterintelligence distrusts Beijing".into(),
        body: "Officials in Moscow privately see their partner as a rival.".into(),
        outlet: "Wire".into(),
        published: "2025-06-05T00:00:00Z".parse().unwrap(),
        story: Some("story-c".into()),
        vector: Some(unit(&[0.8, 0.0, 0.0, 0.3])),
        ..Default::default()
    });
    ix.sync(&docs).unwrap();
    let (mode, found) = ix.similar_stories("story-a", "FSB memo brands China an enemy", 5).unwrap();
    assert_eq!(mode, Mode::Hybrid);
    let stories: Vec<&str> = found.iter().map(|f| f.story.as_str()).collect();
    assert_eq!(stories[0], "story-c", "{stories:?}");
    assert!(!stories.contains(&"story-a"), "never itself: {stories:?}");
    // Without vectors: by its title's words only.
    let (_d, plain) = index();
    let (mode, found) = plain.similar_stories("story-r", "Chile earthquake", 5).unwrap();
    assert_eq!(mode, Mode::Lexical);
    assert_eq!(found.iter().map(|f| f.story.as_str()).collect::<Vec<_>>(), ["story-b"]);
}

#[test]
fn fusion_and_plain_words() {
    // Reciprocal rank: first in one ranking and second in the other beats first in one alone.
    let fused = fuse(&[(&[1, 2, 3], 1.0), (&[2, 4], 1.0)], 60.0);
    assert_eq!(fused.iter().map(|(k, _)| *k).collect::<Vec<_>>(), [2, 1, 4, 3]);
    assert!((fused[0].1 - (1.0 / 62.0 + 1.0 / 61.0)).abs() < 1e-6);
    // A weight tips ties towards its ranking.
    let fused = fuse(&[(&[1], 1.0), (&[2], 2.0)], 60.0);
    assert_eq!(fused[0].0, 2);
    assert_eq!(plain_words("title:Putin AND \"no-limits\" +partnership -trade (China OR Russia)"), "Putin no limits partnership trade China Russia");
    assert_eq!(plain_words("   "), "");
}

/// Unit vectors of 384 numbers that cluster like sentence vectors (a few shared
/// directions plus noise), from a fixed seed.
fn clustered_vectors(n: usize, seed: u64) -> Vec<Vec<f32>> {
    let mut s = seed;
    let mut next = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((s >> 33) as f32 / (1u64 << 31) as f32) - 0.5
    };
    let centres: Vec<Vec<f32>> = (0..8).map(|_| (0..384).map(|_| next()).collect()).collect();
    (0..n)
        .map(|i| {
            let c = &centres[i % centres.len()];
            unit(&c.iter().map(|x| x + 0.8 * next()).collect::<Vec<_>>())
        })
        .collect()
}

#[test]
fn the_int8_shortlist_returns_the_exact_order() {
    // 3,000 rows: the int8 pass shortlists, the f32 pass orders; the answer must be the
    // exact brute-force ranking (keys and cosines), with and without a filter.
    let mut rows = clustered_vectors(3020, 11);
    let queries = rows.split_off(3000);
    let puts: Vec<(u64, &[f32])> = rows.iter().enumerate().map(|(i, r)| (i as u64, r.as_slice())).collect();
    let dir = tempfile::tempdir().unwrap();
    let mut v = vectors::Vectors::open(dir.path()).unwrap();
    v.apply(&puts, &[]).unwrap();
    let allowed: HashSet<u64> = (0..3000u64).filter(|k| k % 3 == 0).collect();
    for (qi, query) in queries.iter().enumerate() {
        for filter in [None, Some(&allowed)] {
            let mut exact: Vec<(u64, f32)> = rows.iter().enumerate().map(|(i, r)| (i as u64, vectors::dot(query, r))).filter(|(k, s)| *s >= 0.1 && filter.is_none_or(|a| a.contains(k))).collect();
            exact.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            exact.truncate(100);
            let got = v.nearest(query, filter, 100, 0.1);
            assert!(!got.is_empty(), "query {qi}: nothing above the floor");
            assert_eq!(got, exact, "query {qi}, filtered: {}", filter.is_some());
        }
    }
    // Deleting moves the last row into the hole: the int8 copy must follow it.
    v.apply(&[], &[0, 1, 2]).unwrap();
    let q = &rows[2999];
    assert_eq!(v.nearest(q, None, 1, 0.0)[0].0, 2999);
    assert!(v.nearest(&rows[1], None, 3000, -1.0).iter().all(|(k, _)| *k > 2));
}

#[test]
fn facets_and_hits_follow_documents_rewritten_in_later_segments() {
    // Each sync commits a segment; rewriting an article deletes it in the old one.
    let dir = tempfile::tempdir().unwrap();
    let mut ix = SearchIndex::open(dir.path()).unwrap();
    let mut docs = with_vectors();
    ix.sync(&docs[..2]).unwrap();
    ix.sync(&docs).unwrap();
    let before = ix.search(&vq("memo", Mode::Hybrid, &[1.0, 0.1, 0.0, 0.0])).unwrap();
    assert_eq!(before.facets.outlet.iter().find(|f| f.value == "Daily8").map(|f| f.count), Some(1));
    docs[1].outlet = "Daily9".into();
    docs[1].title = "Russian spy agency memo brands Beijing a rival".into();
    ix.sync(&docs).unwrap();
    for mode in [Mode::Vector, Mode::Hybrid] {
        let r = ix.search(&vq("memo", mode, &[1.0, 0.1, 0.0, 0.0])).unwrap();
        let a2: Vec<&Hit> = r.hits.iter().filter(|h| h.id == "a2").collect();
        assert_eq!(a2.len(), 1, "{mode}: {:?}", r.hits);
        assert_eq!(a2[0].outlet, "Daily9");
        assert!(r.facets.outlet.iter().all(|f| f.value != "Daily8"), "{mode}: {:?}", r.facets.outlet);
        assert_eq!(r.facets.outlet.iter().find(|f| f.value == "Daily9").map(|f| f.count), Some(1));
    }
    // The lexical facets count every match, once.
    let r = ix.search(&q("")).unwrap();
    assert_eq!(r.facets.entity.iter().find(|f| f.value == "China").map(|f| f.count), Some(2));
    assert_eq!(r.facets.language, vec![FacetValue { value: "en".into(), count: 3 }, FacetValue { value: "ru".into(), count: 1 }]);
}
