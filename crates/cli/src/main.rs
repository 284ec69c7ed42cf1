//! `dossier`: the command-line front of the news-intelligence engine.
//! Flag parsing lives in `args.rs`; the pipeline is the `dossier-engine` library.

mod alerts_cmd;
mod args;
mod commands;
mod embeddings;
mod extract_cmd;
mod lists_cmd;
mod progress;
mod search_cmd;
mod search_eval;
mod similarity_cmd;
mod stance_cmd;
mod stories_cmd;
mod tone_cmd;
mod watch;
mod worker;

use clap::Parser;

/// A mistake in how dossier was called (a flag's value, a setting's name),
/// as opposed to a failure while doing the work: the process exits 2 for
/// these, as clap does for flags it cannot parse, and 1 for failures.
#[derive(Debug)]
pub struct Usage(pub String);

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Returns a [`Usage`] error from the enclosing function (like `anyhow::bail!`).
#[macro_export]
macro_rules! usage {
    ($($arg:tt)*) => {
        return Err(anyhow::Error::new($crate::Usage(format!($($arg)*))))
    };
}

/// Exit status for an error: 2 for a usage mistake (ours or the engine's
/// `Error::Usage`), 1 for everything else.
fn exit_code(e: &anyhow::Error) -> u8 {
    let usage = e.chain().any(|c| c.downcast_ref::<Usage>().is_some() || matches!(c.downcast_ref::<dossier_engine::Error>(), Some(dossier_engine::Error::Usage(_))));
    if usage {
        2
    } else {
        1
    }
}

/// `dossier claims 1 | head`: when the reader goes away, stop as other
/// command-line tools do (killed by SIGPIPE, nothing printed) instead of
/// panicking in `println!`. Rust ignores SIGPIPE by default; it is restored
/// for the commands that print and exit, not for the long-running ones that
/// talk to sockets.
fn die_quietly_on_a_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: restoring a signal's default disposition before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// mimalloc instead of the system's malloc (see crates/cli/Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // DOSSIER_LOG wins; RUST_LOG works too, as for any Rust tool.
    let filter = tracing_subscriber::EnvFilter::try_from_env("DOSSIER_LOG").or_else(|_| tracing_subscriber::EnvFilter::try_from_default_env()).unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    let cli = args::Cli::parse();
    if !matches!(cli.command, args::Command::Serve { .. } | args::Command::Demo { .. } | args::Command::Watch { .. }) {
        die_quietly_on_a_closed_pipe();
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(exit_code(&e))
        }
    }
}
