//! `dossier ingest` over inputs that used to be refused whole or skipped in
//! silence: every valid record is stored, everything else is named, and the
//! exit code says so.

use std::path::Path;
use std::process::{Command, Output};

use dossier_store::{SqliteStore, Store};

fn ingest(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).arg("--data").arg(data).args(["ingest", "--no-analyse"]).args(args).output().expect("run dossier")
}

fn record(i: usize) -> String {
    serde_json::json!({
        "url": format!("https://outlet.example/news/{i}"),
        "title": format!("Report {i} on the council budget vote"),
        "text": format!("The council said that item {i} of the budget passed by {} votes.", i % 17 + 3),
        "outlet": "Outlet",
    })
    .to_string()
}

#[cfg(unix)]
#[test]
fn folder_with_links_odd_names_a_fifo_and_a_bad_jsonl_line() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let (dir, elsewhere) = (tmp.path().join("in"), tmp.path().join("elsewhere"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    // 100 valid records and, as line 42, one holding a Latin-1 byte.
    let mut feed = Vec::new();
    for i in 0..100 {
        if i == 41 {
            feed.extend_from_slice(b"{\"title\":\"Caf\xe9\",\"text\":\"Not UTF-8.\"}\n");
        }
        feed.extend_from_slice(record(i).as_bytes());
        feed.push(b'\n');
    }
    std::fs::write(dir.join("feed.jsonl"), &feed).unwrap();
    let prose = |what: &str| format!("The mayor opened the new bridge on Monday, officials said, in a text {what}.");
    std::fs::write(elsewhere.join("real.txt"), prose("linked from the folder")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("real.txt"), dir.join("linked.txt")).unwrap();
    std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9.txt")), prose("whose name is Latin-1")).unwrap();
    let fifo = dir.join("pipe.txt");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());

    let data = tmp.path().join("data");
    let out = ingest(&data, &["--json", dir.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "something was not stored: exit 1; stderr: {stderr}");
    let line_42 = format!("{}:42", dir.join("feed.jsonl").display());
    let err_line = |at: &str| stderr.lines().find(|l| l.contains(at)).unwrap_or_else(|| panic!("no error for {at}: {stderr}")).to_string();
    assert!(err_line(&line_42).contains("invalid UTF-8"), "{stderr}");
    assert!(err_line("pipe.txt").contains("not a regular file"), "{stderr}");
    let store = SqliteStore::open_dir(&data).unwrap();
    let arts = store.articles().unwrap();
    assert_eq!(arts.iter().filter(|a| a.outlet.name == "Outlet").count(), 100, "every valid line stored");
    assert!(arts.iter().any(|a| a.text.contains("linked from the folder")), "the linked file is read");
    assert!(arts.iter().any(|a| a.text.contains("name is Latin-1")), "the oddly named file is read");
    assert_eq!(arts.len(), 102);

    // The FIFO given directly: its true reason, and still exit 1.
    let out = ingest(&data, &[fifo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a regular file: a FIFO"), "{}", String::from_utf8_lossy(&out.stderr));
}
