//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)]

use std::process::{Command, Output};

/// Runs the `dossier` binary cargo built for these tests.
pub fn dossier(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dossier")).args(args).output().expect("run dossier")
}

/// Whether the embedding model is installed. Under CI (where the test script installs it) a
/// missing model is a failure; elsewhere the tests that need it skip, saying what they skip.
pub fn model_installed(skipped: &str) -> bool {
    let ok = dossier(&["model", "status"]).status.success();
    if !ok && std::env::var_os("CI").is_some() {
        panic!("CI: the embedding model is not installed (scripts/test.sh fetches it)");
    }
    if !ok {
        eprintln!("skipped {skipped}: no embedding model installed (dossier model fetch)");
    }
    ok
}
