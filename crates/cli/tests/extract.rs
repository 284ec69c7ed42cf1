//! `dossier extract` and `dossier eval extraction` as a user runs them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn pages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../extract/tests/pages")
}

fn dossier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).args(args).output().expect("run dossier")
}

fn page(prefix: &str) -> String {
    std::fs::read_dir(pages()).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(prefix)).unwrap().display().to_string()
}

#[test]
fn one_page_as_json_text_and_markdown() {
    let out = dossier(&["extract", &page("1ace8c85aa")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["title"], "New York State Attorney General reportedly investigating WeWork");
    assert_eq!(v["authors"], serde_json::json!(["Catherine Shu"]));
    assert_eq!(v["site_name"], "TechCrunch");
    assert!(v["published"].as_str().unwrap().starts_with("2019-11-19T04:58:46"));
    assert!(v["body"].as_str().unwrap().contains("WeWork"));
    assert!(v["blocks"].as_array().unwrap().iter().all(|b| b["kind"].is_string() && b["text"].is_string()));

    let md = dossier(&["extract", "--markdown", &page("1ace8c85aa")]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# New York State Attorney General reportedly investigating WeWork\n\n*Catherine Shu · TechCrunch · 2019-11-19*"), "{md}");

    let text = dossier(&["extract", "--text", &page("1ace8c85aa")]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.starts_with("New York State Attorney General reportedly investigating WeWork\n\n"));
    assert!(!text.contains("<"), "no markup in --text");
}

#[test]
fn stdin_page() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier")).args(["extract", "--text", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"<html><body><nav><a href=/>Home</a></nav><article><h1>Piped</h1><p>A page piped on standard input is extracted like a file, paragraph by paragraph.</p></article></body></html>")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "Piped\n\nA page piped on standard input is extracted like a file, paragraph by paragraph.\n");
}

#[test]
fn batch_writes_json_lines_in_input_order_and_reports_failures() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.html");
    std::fs::write(&bad, b"\x00\x01binary").unwrap();
    let a = page("1ace8c85aa");
    let b = page("042bb7b5fe");
    let out = dossier(&["extract", "--jobs", "2", &a, bad.to_str().unwrap(), &b]);
    assert_eq!(out.status.code(), Some(1), "a failed input makes the exit code 1");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["source"], a.as_str());
    assert!(lines[1]["error"].as_str().unwrap().contains("binary"), "{}", lines[1]);
    assert_eq!(lines[2]["site_name"], "WSJ");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of 3 inputs failed"));

    // A folder is a batch too.
    let out = dossier(&["extract", &pages().display().to_string()]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 12);
}

#[test]
fn eval_prints_predictions_and_the_score() {
    let out = dossier(&["eval", "extraction", &pages().display().to_string()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let map = v.as_object().unwrap();
    assert_eq!(map.len(), 12);
    assert!(map.values().all(|p| p["articleBody"].as_str().is_some_and(|b| !b.is_empty())));
    let err = String::from_utf8_lossy(&out.stderr);
    let f1: f64 = err.split("F1 ").nth(1).and_then(|s| s.split_whitespace().next()).unwrap().parse().unwrap();
    assert!(f1 > 0.95, "{err}");
}

#[test]
fn urls_and_missing_files_get_clear_errors() {
    let out = dossier(&["extract", "/nonexistent/page.html"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/page.html"));
}

/// Serves one HTML response per connection on loopback from a plain thread.
fn serve_once(body: &'static str, connections: usize) -> String {
    use std::io::{BufRead, BufReader};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(connections) {
            let mut stream = stream.unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap() > 2 {
                line.clear();
            }
            let head = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=windows-1252\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
        }
    });
    format!("http://{addr}/news/2024/03/05/story")
}

#[test]
fn url_input_is_fetched_with_the_ssrf_guard() {
    let url = serve_once("<html><body><article><h1>Fetched over HTTP</h1><p>The page came from a loopback server, and the charset came from its header.</p></article></body></html>", 1);
    // Loopback is refused unless allowed.
    let out = dossier(&["extract", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = dossier(&["extract", "--allow-private", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["title"], "Fetched over HTTP");
    assert_eq!(v["url"], url.as_str());
    // The date comes from the URL when the page states none.
    assert!(v["published"].as_str().unwrap().starts_with("2024-03-05"), "{v}");
}

#[test]
fn eval_stories_prints_one_line_per_article() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("h.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"id": 1, "title": "Earthquake strikes Chile coast, tsunami warning issued", "outlet": "A", "published": "2014-03-10T10:00:00Z"}"#,
            r#"{"id": 2, "title": "Chile earthquake: tsunami warning lifted after strong quake", "outlet": "B", "published": "2014-03-10T12:00:00Z"}"#,
            r#"{"id": 3, "title": "Central bank raises interest rates to fight inflation", "outlet": "C", "published": "2014-03-10T13:00:00Z"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let out = dossier(&["eval", "stories", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 3);
    let story = |id: &str| rows.iter().find(|r| r["id"] == id).unwrap()["story"].clone();
    assert_eq!(story("1"), story("2"), "the same event");
    assert_ne!(story("1"), story("3"), "a different event");
}
