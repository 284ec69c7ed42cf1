//! Extraction on the bundled sample corpus (real scraped pages).

use dossier_extract::{extract_text, Block};

const SEED_000: &str = include_str!("../../../examples/corpus/000_d6bffa9cee783423.txt");
const SEED_001: &str = include_str!("../../../examples/corpus/001_4e4791946bcd72aa.txt");
const SEED_002: &str = include_str!("../../../examples/corpus/002_6d44a654a7eeca9a.txt");

#[test]
fn seed_000_noise_removed() {
    let ex = extract_text(SEED_000).unwrap();
    let body = ex.main.body();
    let title = ex.main.title.clone().unwrap();
    assert!(title.starts_with("Behind the"), "{title}");
    for noise in [
        "&w=3840",
        "STORY CONTINUES BELOW THIS AD",
        "Hashtags",
        "Try Our AI Features",
        "Explore what Daily8 AI can do for you",
        "Comments",
        "No comments yet...",
        "Related Articles",
        "read more",
        "India.com",
        "Bushehr",
    ] {
        assert!(!body.contains(noise), "body still has {noise:?}");
        assert!(!title.contains(noise));
    }
    assert!(body.contains("The eight-page FSB memo"));
    assert!(body.ends_with("at least for now."));
    assert_eq!(ex.site_name.as_deref(), Some("Daily8"));
}

#[test]
fn seed_000_teasers() {
    let ex = extract_text(SEED_000).unwrap();
    let got: Vec<(&str, &str)> = ex.teasers.iter().map(|t| (t.outlet.as_deref().unwrap(), t.age.as_deref().unwrap())).collect();
    assert_eq!(got, [("India.com", "22 minutes ago"), ("Time of India", "an hour ago"), ("Indian Express", "an hour ago")]);
    assert!(ex.teasers[0].title.as_deref().unwrap().contains("Chernobyl"));
    assert!(ex.teasers[0].body().contains("Bushehr"));
    assert_eq!(ex.teasers[1].title.as_deref(), Some("Iran foreign minister to visit Moscow today"));
    assert!(ex.teasers[2].body().contains("Doval"));
    assert!(!ex.teasers[2].body().contains("Read More"));
}

#[test]
fn seed_001_structure() {
    let ex = extract_text(SEED_001).unwrap();
    assert!(ex.teasers.is_empty());
    assert_eq!(ex.main.title, None);
    assert!(ex.main.blocks.contains(&Block::Heading("At a Glance".into())));
    assert!(ex.main.blocks.contains(&Block::Heading("Shadowed Trust".into())));
    assert_eq!(ex.main.blocks.iter().filter(|b| matches!(b, Block::ListItem(_))).count(), 5);
    assert!(ex.main.title_or_lead().starts_with("China is now described"));
}

#[test]
fn seed_002_plain_article() {
    let ex = extract_text(SEED_002).unwrap();
    assert!(ex.teasers.is_empty());
    assert_eq!(ex.main.blocks.len(), 9);
    assert_eq!(ex.site_name, None);
}
