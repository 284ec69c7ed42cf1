//! `dossier eval attribution DIR` as a user runs it.

use std::process::{Command, Output};

fn dossier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).args(args).output().expect("run dossier")
}

#[test]
fn predictions_as_json_lines_with_character_offsets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("text")).unwrap();
    // "É" and the curly quotes are several bytes but one character each.
    let a = "Émile Zola said that the talks had failed.\n\n“We will win,” Smith said. The sky is blue.";
    std::fs::write(dir.path().join("text/a.txt"), a).unwrap();
    std::fs::write(dir.path().join("text/b.txt"), "Nothing is attributed here.").unwrap();
    std::fs::write(dir.path().join("text/notes.md"), "not read").unwrap();
    let out = dossier(&["eval", "attribution", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["doc"], "a");
    assert_eq!(lines[1], serde_json::json!({"doc": "b", "attributions": []}));
    let chars: Vec<char> = a.chars().collect();
    let span = |v: &serde_json::Value| -> String {
        let (s, e) = (v[0].as_u64().unwrap() as usize, v[1].as_u64().unwrap() as usize);
        chars[s..e].iter().collect()
    };
    let rels = lines[0]["attributions"].as_array().unwrap();
    assert_eq!(rels.len(), 2, "{rels:?}");
    assert_eq!(span(&rels[0]["source"]), "Émile Zola");
    assert_eq!(span(&rels[0]["cue"]), "said");
    assert_eq!(span(&rels[0]["content"]), "that the talks had failed");
    assert_eq!(span(&rels[1]["source"]), "Smith");
    assert_eq!(span(&rels[1]["content"]), "“We will win,”");

    let file = dir.path().join("pred.jsonl");
    let out = dossier(&["eval", "attribution", dir.path().to_str().unwrap(), "-o", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 2);
}

#[test]
fn a_folder_without_text_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dossier(&["eval", "attribution", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no text/ folder in"), "{err}");
}
