// Scratch: predictions JSON Lines for a PolNeAR split (the CLI has `dossier eval attribution`).
fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).unwrap()).join("text");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let doc = f.file_stem().unwrap().to_str().unwrap();
        let rel: Vec<String> = dossier_enrich::attributions_in(&text)
            .iter()
            .map(|a| {
                let src = a.source.as_ref().map_or("null".to_string(), |r| format!("{:?}", dossier_enrich::char_offsets(&text, r)));
                format!("{{\"source\":{src},\"cue\":{:?},\"content\":{:?}}}", dossier_enrich::char_offsets(&text, &a.cue), dossier_enrich::char_offsets(&text, &a.content))
            })
            .collect();
        println!("{{\"doc\":\"{doc}\",\"attributions\":[{}]}}", rel.join(","));
    }
}
