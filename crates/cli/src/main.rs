//! `dossier`: the command-line front of the news-intelligence engine.
//! Flag parsing lives in `args.rs`; the pipeline is the `dossier-engine` library.

mod args;
mod commands;
mod embeddings;
mod extract_cmd;
mod progress;
mod search_cmd;
mod similarity_cmd;
mod stories_cmd;
mod watch;
mod worker;

use clap::Parser;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG").unwrap_or_else(|_| "warn".into())).with_writer(std::io::stderr).init();
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
