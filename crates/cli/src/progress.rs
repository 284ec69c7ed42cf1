//! The engine's progress on a terminal (a bar per phase) or in a log (a line
//! when a long phase starts and ends).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use dossier_engine::{Phase, Progress};

/// Shows the engine's progress: a bar on a terminal, log lines otherwise, nothing when quiet.
pub struct Shown {
    quiet: bool,
    terminal: bool,
    current: Mutex<Option<(Phase, u64, Instant, indicatif::ProgressBar)>>,
}

/// Phases shorter than this many units are not logged (only bars show them).
const LOG_FROM: u64 = 200;

impl Shown {
    pub fn new(quiet: bool) -> Shown {
        Shown { quiet, terminal: std::io::stderr().is_terminal(), current: Mutex::new(None) }
    }
}

impl Progress for Shown {
    fn start(&self, phase: Phase, total: u64) {
        if self.quiet {
            return;
        }
        let bar = if self.terminal {
            indicatif::ProgressBar::new(total)
                .with_style(indicatif::ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {} {{per_sec}} eta {{eta}}", phase.as_str())).expect("valid template"))
        } else {
            if total >= LOG_FROM {
                eprintln!("{}: {total} ...", phase.as_str());
            }
            indicatif::ProgressBar::hidden()
        };
        *self.current.lock().expect("progress lock") = Some((phase, total, Instant::now(), bar));
    }

    fn advance(&self, n: u64) {
        if let Some((_, _, _, bar)) = self.current.lock().expect("progress lock").as_ref() {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some((phase, total, started, bar)) = self.current.lock().expect("progress lock").take() {
            bar.finish_and_clear();
            if !self.terminal && total >= LOG_FROM {
                let secs = started.elapsed().as_secs_f64();
                eprintln!("{}: {total} done in {secs:.1}s ({:.0}/s)", phase.as_str(), total as f64 / secs.max(1e-6));
            }
        }
    }
}
