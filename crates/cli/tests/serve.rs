//! `dossier serve` listens beyond loopback only when told to (`--public`), and
//! then says who can reach it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

fn dossier(data: &std::path::Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    c.arg("--data").arg(data).args(args).env_remove("DOSSIER_READ_TOKEN").env_remove("DOSSIER_INGEST_TOKEN");
    c
}

/// A served `dossier`, killed when dropped.
struct Served {
    child: Child,
    /// What it printed first: "dossier is serving http://ADDR/ ...".
    line: String,
}

impl Served {
    fn start(data: &std::path::Path, args: &[&str]) -> Served {
        let mut child = dossier(data, args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        assert!(line.contains("dossier is serving http://"), "{line}");
        Served { child, line }
    }

    fn port(&self) -> u16 {
        let addr = self.line.split("http://").nth(1).unwrap().split('/').next().unwrap();
        addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    /// Stops it and gives what it printed on stderr.
    fn stop(mut self) -> String {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let mut err = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        err
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn empty_store() -> tempfile::TempDir {
    let data = tempfile::tempdir().unwrap();
    dossier_store::SqliteStore::open_dir(data.path()).unwrap();
    data
}

/// `GET path` over a plain socket: the status line and the body.
fn get(port: u16, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// Runs it to its end; one still running after 30 s (serving, say) is killed and fails the test.
fn run_briefly(mut c: Command) -> Output {
    let mut child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let t = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("still running after 30 s: {:?}", child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn assert_refused(out: &Output, addr: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "a usage mistake: {err}");
    assert!(err.contains(&format!("--addr {addr} is not loopback")) && err.contains("--public"), "{err}");
    assert!(out.stdout.is_empty(), "nothing served: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_non_loopback_address_is_refused_without_public() {
    let data = empty_store();
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let out = run_briefly(dossier(data.path(), &["serve", "--addr", addr]));
        assert_refused(&out, addr);
    }
    let out = run_briefly(dossier(&data.path().join("demo"), &["demo", "--addr", "0.0.0.0:0"]));
    assert_refused(&out, "0.0.0.0:0");
    assert!(!data.path().join("demo").exists(), "refused before the demo store is made");
    let help = Command::new(env!("CARGO_BIN_EXE_dossier")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("refused unless --public is given") && help.contains("--public") && help.contains("every machine that can reach it can connect"), "{help}");
}

#[test]
fn with_public_it_serves_every_interface_and_warns_when_reading_is_open() {
    let data = empty_store();
    let served = Served::start(data.path(), &["serve", "--addr", "0.0.0.0:0", "--public"]);
    assert!(served.line.contains("http://0.0.0.0:"), "{}", served.line);
    let (status, body) = get(served.port(), "/api/stories");
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    let stories: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stories["stories"], serde_json::json!([]));
    let err = served.stop();
    assert!(err.contains("warning: listening on 0.0.0.0:") && err.contains("every machine that can reach it"), "{err}");
    assert!(err.contains("reading is open to all of them") && err.contains("DOSSIER_READ_TOKEN"), "{err}");

    // With a read token, it still says who can connect, not that reading is open.
    let token = "a-read-token-of-some-length";
    let served = Served::start(data.path(), &["serve", "--addr", "0.0.0.0:0", "--public", "--read-token", token]);
    assert!(get(served.port(), "/api/stories").0.starts_with("HTTP/1.1 401"));
    let err = served.stop();
    assert!(err.contains("warning: listening on 0.0.0.0:") && err.contains("reading needs the read token") && !err.contains("reading is open"), "{err}");
}

#[test]
fn loopback_needs_no_flag_and_gets_no_warning() {
    let data = empty_store();
    for addr in ["127.0.0.1:0", "[::1]:0"] {
        let served = Served::start(data.path(), &["serve", "--addr", addr]);
        let err = served.stop();
        assert!(!err.contains("warning"), "{addr}: {err}");
    }
}
