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
    current: Mutex<Option<Current>>,
}

/// The phase under way.
struct Current {
    phase: Phase,
    total: u64,
    done: u64,
    started: Instant,
    /// When a log line last said how far it got.
    logged: Instant,
    bar: indicatif::ProgressBar,
}

/// Phases shorter than this many units are not logged (only bars show them),
/// unless they take longer than [`LOG_AFTER`] seconds.
const LOG_FROM: u64 = 200;
/// A log line says how far a phase got at most this often (seconds), and a
/// phase that took longer is logged however few its units.
const LOG_AFTER: f64 = 10.0;

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
        let now = Instant::now();
        *self.current.lock().expect("progress lock") = Some(Current { phase, total, done: 0, started: now, logged: now, bar });
    }

    fn advance(&self, n: u64) {
        if let Some(c) = self.current.lock().expect("progress lock").as_mut() {
            c.bar.inc(n);
            c.done += n;
            // A long phase says how far it got now and then, in a log as on a terminal.
            if !self.terminal && c.logged.elapsed().as_secs_f64() >= LOG_AFTER {
                c.logged = Instant::now();
                eprintln!("{}: {}/{} after {:.0}s", c.phase.as_str(), c.done, c.total, c.started.elapsed().as_secs_f64());
            }
        }
    }

    fn finish(&self) {
        if let Some(c) = self.current.lock().expect("progress lock").take() {
            c.bar.finish_and_clear();
            let secs = c.started.elapsed().as_secs_f64();
            if !self.terminal && (c.total >= LOG_FROM || secs >= LOG_AFTER) {
                eprintln!("{}: {} done in {secs:.1}s ({:.0}/s)", c.phase.as_str(), c.total, c.total as f64 / secs.max(1e-6));
            }
        }
    }
}
