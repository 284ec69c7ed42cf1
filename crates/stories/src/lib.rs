//! Stories: enriched articles -> [`Story`] groups.
//!
//! Takes every enriched article and gives the stories they form. Articles are
//! taken in publication order and each joins the most similar open story or
//! starts one (single-pass clustering). Similarity is the cosine of TF-IDF
//! vectors built from the title (weighted most), the lead and the body, plus
//! canonical entities, damped by the time between article and story. Stories
//! that converge are then merged (agglomeratively, most alike pair first). It is a
//! pure function of its input: the same articles always give the same stories
//! with the same ids. It never reads or writes storage.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use dossier_enrich::{terms, Enriched};
use dossier_model::{stable_id, Story};

pub mod syndication;

/// Clustering settings; the defaults are what dossier uses everywhere.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Minimum similarity for an article to join a story.
    pub join_threshold: f64,
    /// Similarity halves for every this many days between article and story.
    pub half_life_days: f64,
    pub title_weight: f64,
    pub lead_weight: f64,
    pub entity_weight: f64,
    /// Minimum similarity of two stories' centroids for them to merge.
    pub merge_threshold: f64,
}

impl Default for Settings {
    fn default() -> Self {
        // Two stories merge when they are as alike as an article must be to join one.
        Settings { join_threshold: 0.22, half_life_days: 7.0, title_weight: 3.0, lead_weight: 2.0, entity_weight: 2.0, merge_threshold: 0.22 }
    }
}

type Vector = HashMap<String, f64>;

fn raw_counts(e: &Enriched, s: &Settings) -> Vector {
    let mut v = Vector::new();
    for t in terms(&e.article.title) {
        *v.entry(t).or_default() += s.title_weight;
    }
    for (i, sent) in e.sentences.iter().enumerate() {
        let w = if i < 2 { s.lead_weight } else { 1.0 };
        for t in terms(&sent.sentence.text) {
            *v.entry(t).or_default() += w;
        }
    }
    for ent in &e.entities {
        *v.entry(format!("entity:{}", ent.name)).or_default() += s.entity_weight * (ent.mentions.len() as f64).sqrt();
    }
    v
}

fn normalise(v: &mut Vector) {
    let n = v.values().map(|x| x * x).sum::<f64>().sqrt();
    if n > 0.0 {
        v.values_mut().for_each(|x| *x /= n);
    }
}

fn cosine(a: &Vector, b: &Vector) -> f64 {
    let (small, large) = if a.len() < b.len() { (a, b) } else { (b, a) };
    small.iter().filter_map(|(k, x)| large.get(k).map(|y| x * y)).sum()
}

/// A vector's terms, heaviest first (ties by term, for determinism).
fn heaviest(v: &Vector) -> impl Iterator<Item = &String> {
    let mut top: Vec<(&String, &f64)> = v.iter().collect();
    top.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
    top.into_iter().map(|(t, _)| t)
}

/// How many of an article's heaviest terms are looked up for candidate stories.
const CANDIDATE_TERMS: usize = 16;

struct Open {
    members: Vec<usize>,
    centroid: Vector,
    last: DateTime<Utc>,
}

/// Groups articles into stories.
pub fn cluster(docs: &[Enriched], settings: &Settings) -> Vec<Story> {
    let counts: Vec<Vector> = docs.iter().map(|d| raw_counts(d, settings)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for c in &counts {
        for k in c.keys() {
            *df.entry(k.as_str()).or_default() += 1;
        }
    }
    let n = docs.len() as f64;
    let vectors: Vec<Vector> = counts
        .iter()
        .map(|c| {
            let mut v: Vector = c
                .iter()
                .map(|(k, tf)| (k.clone(), (1.0 + tf.ln()) * ((n + 1.0) / df[k.as_str()] as f64).ln()))
                .filter(|(_, w)| *w > 0.0)
                .collect();
            normalise(&mut v);
            v
        })
        .collect();

    let mut order: Vec<usize> = (0..docs.len()).collect();
    order.sort_by(|&a, &b| docs[a].article.time().cmp(&docs[b].article.time()).then_with(|| docs[a].article.id.cmp(&docs[b].article.id)));

    // Candidate stories come from an inverted index over centroid terms: a
    // story that shares none of the article's heaviest terms cannot reach
    // the join threshold in practice. Stories idle for longer than the time
    // decay allows (similarity could not reach the threshold even at cosine
    // 1) are closed and never looked at again, so the search stays within a
    // window of active stories.
    let horizon_days = settings.half_life_days * (1.0 / settings.join_threshold.max(1e-6)).log2();
    // Terms in more than 5% of all articles are not looked up: their postings would
    // name most stories, and they carry too little weight to decide a match.
    let too_common = |term: &str| df.get(term).is_some_and(|&d| d > 50 && d as f64 > 0.05 * n);
    let mut open: Vec<Open> = Vec::new();
    let mut postings: HashMap<String, Vec<usize>> = HashMap::new();
    let mut stamp: Vec<usize> = Vec::new();
    let mut cands: Vec<usize> = Vec::new();
    for (step, &i) in order.iter().enumerate() {
        let t = docs[i].article.time();
        cands.clear();
        for term in heaviest(&vectors[i]).filter(|t| !too_common(t)).take(CANDIDATE_TERMS) {
            for &k in postings.get(term.as_str()).into_iter().flatten() {
                if stamp[k] != step + 1 {
                    stamp[k] = step + 1;
                    cands.push(k);
                }
            }
        }
        let best = cands
            .iter()
            .map(|&k| {
                let s = &open[k];
                let days = (t - s.last).num_seconds().abs() as f64 / 86_400.0;
                let sim = if days > horizon_days { 0.0 } else { cosine(&vectors[i], &s.centroid) * 0.5f64.powf(days / settings.half_life_days) };
                (k, sim)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((k, sim)) if sim >= settings.join_threshold => {
                let s = &mut open[k];
                s.members.push(i);
                s.last = s.last.max(t);
                let m = s.members.len() as f64;
                for (key, w) in &vectors[i] {
                    if !s.centroid.contains_key(key) {
                        postings.entry(key.clone()).or_default().push(k);
                    }
                    *s.centroid.entry(key.clone()).or_default() += w / m;
                }
                normalise(&mut s.centroid);
            }
            _ => {
                let k = open.len();
                for key in vectors[i].keys() {
                    postings.entry(key.clone()).or_default().push(k);
                }
                open.push(Open { members: vec![i], centroid: vectors[i].clone(), last: t });
                stamp.push(0);
            }
        }
    }

    let lookup: HashMap<String, Vec<usize>> = postings.into_iter().filter(|(t, _)| !too_common(t)).collect();
    merge_converging(docs, &mut open, &lookup, settings);
    let copy_of: HashMap<usize, usize> = syndication::copies(docs).into_iter().collect();
    open.into_iter().map(|s| story_of(docs, &vectors, &copy_of, s)).collect()
}

/// Stories that converge merge: repeatedly the most alike pair of stories
/// (centroid cosine, damped by the time between them) joins while that
/// similarity reaches the merge threshold. Candidate pairs share one of a
/// story's heaviest centroid terms (the single pass's inverted index; a
/// merged-away story's postings lead to the story it joined). Pair
/// similarities wait in a heap and are refreshed only for the story that
/// changed.
fn merge_converging(docs: &[Enriched], open: &mut Vec<Open>, postings: &HashMap<String, Vec<usize>>, settings: &Settings) {
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct Pair(f64, usize, usize, u32, u32);
    impl Eq for Pair {}
    impl PartialOrd for Pair {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Pair {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            // Highest similarity first; ties to the earliest stories, for determinism.
            self.0.total_cmp(&o.0).then_with(|| o.1.cmp(&self.1)).then_with(|| o.2.cmp(&self.2))
        }
    }
    let merge_at = settings.merge_threshold;
    let sim = |a: &Open, b: &Open| {
        let days = (a.last - b.last).num_seconds().abs() as f64 / 86_400.0;
        cosine(&a.centroid, &b.centroid) * 0.5f64.powf(days / settings.half_life_days)
    };
    let n = open.len();
    let mut alive = vec![true; n];
    let mut version = vec![0u32; n];
    let mut redirect: Vec<usize> = (0..n).collect();
    let mut stamp = vec![0usize; n];
    let mut tick = 0usize;
    fn root(redirect: &mut [usize], mut x: usize) -> usize {
        while redirect[x] != x {
            redirect[x] = redirect[redirect[x]];
            x = redirect[x];
        }
        x
    }
    let mut candidates = |a: usize, open: &[Open], redirect: &mut Vec<usize>| {
        tick += 1;
        let mut out = Vec::new();
        for term in heaviest(&open[a].centroid).take(CANDIDATE_TERMS) {
            for &x in postings.get(term.as_str()).into_iter().flatten() {
                let b = root(redirect, x);
                if b != a && stamp[b] != tick {
                    stamp[b] = tick;
                    out.push(b);
                }
            }
        }
        out.sort_unstable();
        out
    };
    let mut heap = BinaryHeap::new();
    for a in 0..n {
        for b in candidates(a, open, &mut redirect) {
            if b > a {
                let s = sim(&open[a], &open[b]);
                if s >= merge_at {
                    heap.push(Pair(s, a, b, 0, 0));
                }
            }
        }
    }
    while let Some(Pair(_, a, b, va, vb)) = heap.pop() {
        if !alive[a] || !alive[b] || version[a] != va || version[b] != vb {
            continue;
        }
        let last_b = open[b].last;
        let gone = std::mem::replace(&mut open[b], Open { members: vec![], centroid: Vector::new(), last: last_b });
        alive[b] = false;
        redirect[b] = a;
        let s = &mut open[a];
        let (na, nb) = (s.members.len() as f64, gone.members.len() as f64);
        let mut c: Vector = s.centroid.iter().map(|(k, v)| (k.clone(), v * na)).collect();
        for (k, v) in gone.centroid {
            *c.entry(k).or_default() += v * nb;
        }
        normalise(&mut c);
        s.centroid = c;
        s.members.extend(gone.members);
        s.members.sort_by(|&x, &y| docs[x].article.time().cmp(&docs[y].article.time()).then_with(|| docs[x].article.id.cmp(&docs[y].article.id)));
        s.last = s.last.max(gone.last);
        version[a] += 1;
        for o in candidates(a, open, &mut redirect) {
            if alive[o] {
                let s = sim(&open[a], &open[o]);
                if s >= merge_at {
                    let (x, y) = (a.min(o), a.max(o));
                    heap.push(Pair(s, x, y, version[x], version[y]));
                }
            }
        }
    }
    let mut k = 0;
    open.retain(|_| {
        k += 1;
        alive[k - 1]
    });
}

fn story_of(docs: &[Enriched], vectors: &[Vector], copy_of: &HashMap<usize, usize>, s: Open) -> Story {
    let arts: Vec<&Enriched> = s.members.iter().map(|&i| &docs[i]).collect();
    // The title of the member closest to the story's centre, preferring stated titles and main articles.
    let title_idx = s
        .members
        .iter()
        .copied()
        .max_by(|&a, &b| {
            let score = |i: usize| {
                let d = &docs[i].article;
                cosine(&vectors[i], &s.centroid) + if d.title.ends_with('…') { 0.0 } else { 0.5 } + if d.is_teaser() { 0.0 } else { 0.25 }
            };
            score(a).total_cmp(&score(b)).then(b.cmp(&a))
        })
        .unwrap_or(s.members[0]);
    let mut outlets: Vec<String> = Vec::new();
    for a in &arts {
        if !outlets.contains(&a.article.outlet.name) {
            outlets.push(a.article.outlet.name.clone());
        }
    }
    let mut ent_counts: HashMap<&str, usize> = HashMap::new();
    for a in &arts {
        for e in &a.entities {
            *ent_counts.entry(e.name.as_str()).or_default() += e.mentions.len();
        }
    }
    let mut entities: Vec<(&str, usize)> = ent_counts.into_iter().collect();
    entities.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    Story {
        id: stable_id(&["story", &arts[0].article.id]),
        title: docs[title_idx].article.title.clone(),
        article_ids: arts.iter().map(|a| a.article.id.clone()).collect(),
        outlets,
        first_seen: arts.iter().map(|a| a.article.time()).min().unwrap(),
        last_seen: arts.iter().map(|a| a.article.time()).max().unwrap(),
        entities: entities.into_iter().take(8).map(|(n, _)| n.to_string()).collect(),
        // Copies whose original is elsewhere still count as copies: the story holds a report it did not originate.
        copies: s.members.iter().filter_map(|&i| copy_of.get(&i).map(|&o| (docs[i].article.id.clone(), docs[o].article.id.clone()))).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_enrich::enrich;
    use dossier_model::{Article, ArticleKind, Outlet, OutletBasis};

    fn art(id: &str, title: &str, text: &str, hour: u32) -> Enriched {
        enrich(&Article {
            id: id.into(),
            kind: ArticleKind::Main,
            title: title.into(),
            text: text.into(),
            outlet: Outlet { name: format!("outlet-{id}"), basis: OutletBasis::Given },
            url: None,
            source: id.into(),
            published: Some(format!("2025-06-22T{hour:02}:00:00Z").parse().unwrap()),
            seen_at: "2025-06-23T00:00:00Z".parse().unwrap(),
            language: None,
        })
    }

    fn corpus() -> Vec<Enriched> {
        vec![
            art("a", "Earthquake strikes Chile coast", "A magnitude 7 earthquake struck the coast of Chile on Monday, officials said. Tsunami warnings were issued.", 1),
            art("b", "Football club wins league title", "The club won the league title after a late goal on Sunday. Fans celebrated in the streets.", 2),
            art("c", "Chile earthquake: tsunami warning lifted", "Chilean officials lifted the tsunami warning after the earthquake struck the coast. Damage was limited.", 3),
            art("d", "Central bank raises interest rates", "The central bank raised interest rates by half a point to fight inflation. Markets fell.", 4),
            art("e", "Title celebrations after league win", "Thousands of fans celebrated the league title win in the streets of the city.", 5),
        ]
    }

    #[test]
    fn groups_same_events() {
        let stories = cluster(&corpus(), &Settings::default());
        let mut groups: Vec<Vec<String>> = stories.iter().map(|s| s.article_ids.clone()).collect();
        groups.sort();
        assert_eq!(groups, [vec!["a", "c"], vec!["b", "e"], vec!["d"]]);
    }

    #[test]
    fn deterministic_ids_and_order_independent() {
        let mut docs = corpus();
        let a = cluster(&docs, &Settings::default());
        docs.reverse();
        let b = cluster(&docs, &Settings::default());
        let ids = |v: &[Story]| {
            let mut x: Vec<(String, Vec<String>)> = v.iter().map(|s| (s.id.clone(), s.article_ids.clone())).collect();
            x.sort();
            x
        };
        assert_eq!(ids(&a), ids(&b));
        let quake = a.iter().find(|s| s.article_ids.contains(&"a".to_string())).unwrap();
        assert_eq!(quake.outlets, ["outlet-a", "outlet-c"]);
        assert_eq!(quake.first_seen.to_rfc3339(), "2025-06-22T01:00:00+00:00");
        assert_eq!(quake.last_seen.to_rfc3339(), "2025-06-22T03:00:00+00:00");
    }

    #[test]
    fn converging_stories_merge_and_others_stay() {
        let v = |pairs: &[(&str, f64)]| {
            let mut v: Vector = pairs.iter().map(|(k, x)| (k.to_string(), *x)).collect();
            normalise(&mut v);
            v
        };
        let t = |h: u32| -> DateTime<Utc> { format!("2025-06-22T{h:02}:00:00Z").parse().unwrap() };
        let docs = corpus();
        let mut open = vec![
            Open { members: vec![0], centroid: v(&[("quak", 1.0), ("chile", 1.0), ("tsunami", 0.5)]), last: t(1) },
            Open { members: vec![1], centroid: v(&[("leagu", 1.0), ("titl", 1.0)]), last: t(2) },
            Open { members: vec![2], centroid: v(&[("quak", 1.0), ("chile", 0.8), ("warn", 0.5)]), last: t(3) },
        ];
        let mut postings: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, o) in open.iter().enumerate() {
            for term in o.centroid.keys() {
                postings.entry(term.clone()).or_default().push(k);
            }
        }
        merge_converging(&docs, &mut open, &postings, &Settings::default());
        let groups: Vec<Vec<usize>> = open.iter().map(|o| o.members.clone()).collect();
        assert_eq!(groups, [vec![0, 2], vec![1]]);
    }

    #[test]
    fn syndicated_copies_collapse_onto_the_earliest() {
        let wire = "The central bank raised its main interest rate by half a percentage point on Thursday, the largest increase in two decades, \
            as policymakers moved to contain inflation that has climbed to its highest level since the early 1990s. The governor told reporters \
            that further increases were likely in the coming months if price pressures did not ease, and markets fell sharply after the announcement.";
        let edited = wire.replace("on Thursday", "on Thursday morning").replace("told reporters", "told a news conference");
        let docs = vec![
            art("orig", "Central bank raises rates by half a point", wire, 1),
            art("copy", "Central bank raises rates by half a point", &edited, 3),
            art("own", "Bank's rate rise hits markets", "Shares fell across the region after the central bank's decision, with banks and builders hardest hit, \
                traders said, adding that a further rise next month now looked likely to many in the market who had hoped for a pause.", 4),
        ];
        let pairs = syndication::copies(&docs);
        assert_eq!(pairs, [(1, 0)], "the light edit is a copy of the earlier wire story; the own report is independent");
        let stories = cluster(&docs, &Settings::default());
        let s = stories.iter().find(|s| s.article_ids.contains(&"copy".to_string())).unwrap();
        assert_eq!(s.original_of("copy"), Some("orig"));
        assert_eq!(s.original_of("own"), None);
    }

    fn at(id: &str, title: &str, text: &str, when: &str) -> Enriched {
        let mut e = art(id, title, text, 0);
        e.article.published = Some(when.parse().unwrap());
        enrich(&e.article)
    }

    #[test]
    fn same_day_different_events_stay_apart_and_next_day_follow_up_joins() {
        let mut docs = vec![
            at("fire", "Fire destroys warehouse in Riverton port", "A fire destroyed a warehouse in the Riverton port district on Monday. Firefighters fought the blaze for six hours.", "2025-06-22T08:00:00Z"),
            at("vote", "Riverton council votes on new budget", "The Riverton city council voted on the new budget on Monday. The plan raises school spending.", "2025-06-22T09:00:00Z"),
            at("fire2", "Riverton warehouse fire: investigators suspect arson", "Investigators said on Tuesday the Riverton port warehouse fire was probably arson. The blaze destroyed the warehouse.", "2025-06-23T10:00:00Z"),
        ];
        // Other news of those days, so rarity weights are those of a real stream.
        docs.extend(corpus());
        let stories = cluster(&docs, &Settings::default());
        let story_of = |id: &str| stories.iter().position(|s| s.article_ids.iter().any(|a| a == id)).unwrap();
        assert_ne!(story_of("fire"), story_of("vote"), "same day, same city, different events");
        assert_eq!(story_of("fire"), story_of("fire2"), "the next day's follow-up joins");
    }

    #[test]
    fn the_same_words_long_apart_are_different_stories() {
        let text = "A fire destroyed a warehouse in the Riverton port district. Firefighters fought the blaze for six hours.";
        let mut docs = vec![
            at("now", "Fire destroys warehouse in Riverton port", text, "2025-06-22T08:00:00Z"),
            at("then", "Fire destroys warehouse in Riverton port", text, "2024-01-10T08:00:00Z"),
        ];
        docs.extend(corpus());
        let stories = cluster(&docs, &Settings::default());
        let story_of = |id: &str| stories.iter().position(|s| s.article_ids.iter().any(|a| a == id)).unwrap();
        assert_ne!(story_of("now"), story_of("then"));
    }
}
