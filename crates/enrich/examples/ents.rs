fn main() {
    let t = std::env::args().nth(1).unwrap();
    let t = std::fs::read_to_string(&t).unwrap_or(t);
    for e in dossier_enrich::entities_in(&t) {
        println!("{:?} {} {:?}", e.kind, e.name, e.mentions.iter().map(|m| m.text.as_str()).collect::<Vec<_>>());
    }
}
