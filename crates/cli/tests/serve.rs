//! `dossier serve` says when it is reachable from other machines.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

/// Starts `dossier serve --addr ADDR` on an empty store, waits until it listens,
/// stops it, and gives what it printed on stderr.
fn serve_stderr(addr: &str) -> String {
    let data = tempfile::tempdir().unwrap();
    dossier_store::SqliteStore::open_dir(data.path()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_dossier"))
        .arg("--data")
        .arg(data.path())
        .args(["serve", "--addr", addr])
        .env_remove("DOSSIER_READ_TOKEN")
        .env_remove("DOSSIER_INGEST_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.contains("dossier is serving http://"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    err
}

#[test]
fn a_non_loopback_address_is_warned_about_and_loopback_is_not() {
    let err = serve_stderr("0.0.0.0:0");
    assert!(err.contains("warning: listening on 0.0.0.0:") && err.contains("every machine that can reach it"), "{err}");
    assert!(err.contains("reading is open to all of them") && err.contains("DOSSIER_READ_TOKEN"), "{err}");
    assert!(!serve_stderr("127.0.0.1:0").contains("warning"));
    let help = Command::new(env!("CARGO_BIN_EXE_dossier")).args(["serve", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("answers every machine that can reach it") && help.contains("prints a warning"), "{help}");
}
