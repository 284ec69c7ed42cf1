//! Command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// dossier: reads news from many outlets, groups it into stories, and shows
/// what is claimed, by whom, on whose authority, and where outlets disagree.
#[derive(Debug, Parser)]
#[command(name = "dossier", version, about)]
pub struct Cli {
    /// Data directory (SQLite store). Defaults to $DOSSIER_DATA, else ./dossier-data
    /// (./dossier-demo-data for `demo`).
    #[arg(long, global = true, env = "DOSSIER_DATA")]
    pub data: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ingest files and folders: .html/.htm, scraped .txt, .jsonl (each optionally .gz).
    Ingest {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// List stories: title, outlets, article count, time span.
    Stories {
        #[arg(long)]
        json: bool,
    },
    /// Print a story's "At a Glance" brief. STORY is an id, a unique id prefix, or a number from `dossier stories`.
    Brief {
        story: String,
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        #[arg(long)]
        markdown: bool,
    },
    /// List a story's aligned claims with status, outlets and sources.
    Claims {
        story: String,
        #[arg(long)]
        json: bool,
    },
    /// Serve the web UI and JSON API on loopback.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Ingest the bundled sample corpus into a fresh data directory, print the stories and the largest story's brief, then serve.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Stop after printing; do not serve.
        #[arg(long)]
        no_serve: bool,
    },
}
