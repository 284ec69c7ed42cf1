//! Prints the entities `entities_in` finds: in one text (a file or the argument itself), or, for
//! a folder, in every `.txt` file of it as `file<TAB>kind<TAB>name<TAB>mentions` lines (to compare
//! two versions of the finder over a corpus).
fn main() {
    let arg = std::env::args().nth(1).expect("usage: ents TEXT|FILE|DIR");
    let path = std::path::Path::new(&arg);
    if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path).expect("folder").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect();
        files.sort();
        for f in files {
            let t = std::fs::read_to_string(&f).expect("text file");
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            for e in dossier_enrich::entities_in(&t) {
                println!("{name}\t{:?}\t{}\t{}", e.kind, e.name, e.mentions.len());
            }
        }
        return;
    }
    let t = std::fs::read_to_string(&arg).unwrap_or(arg);
    for e in dossier_enrich::entities_in(&t) {
        println!("{:?} {} {:?}", e.kind, e.name, e.mentions.iter().map(|m| m.text.as_str()).collect::<Vec<_>>());
    }
}
