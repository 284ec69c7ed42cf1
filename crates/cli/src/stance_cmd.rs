//! `dossier eval stance STANCES.csv BODIES.csv` and `dossier train stance`: the
//! stance classifier on Fake News Challenge files, one label per row in file
//! order (the format `../shared/bench/stance/score.py` reads).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use dossier_model::Stance;
use dossier_stance::train::f1s;
use dossier_stance::{fnc, Model, Text};

/// `dossier eval stance`: labels every row on one thread and reports the pairs per second
/// (body reading included) on stderr, with the macro-F1 when the file is labelled.
pub fn eval(stances: &Path, bodies: &Path, model: Option<&Path>, out: Option<&Path>, json: bool) -> anyhow::Result<ExitCode> {
    let model = match model {
        Some(p) => Model::load(p)?,
        None => Model::bundled().clone(),
    };
    let rows = fnc::read_stances(stances)?;
    let texts = fnc::read_bodies(bodies)?;
    let start = Instant::now();
    let read = dossier_stance::train::bodies_of(&rows, &texts, stances)?;
    let labels: Vec<(Stance, f32)> = rows.iter().map(|r| model.classify(&Text::new(&r.headline), &read[r.body_id.as_str()])).collect();
    let secs = start.elapsed().as_secs_f64();
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    for (r, (s, c)) in rows.iter().zip(&labels) {
        if json {
            writeln!(w, "{}", serde_json::json!({"headline": r.headline, "body_id": r.body_id, "stance": s, "confidence": c}))?;
        } else {
            writeln!(w, "{}", s.as_str())?;
        }
    }
    w.flush()?;
    eprintln!("{} pairs ({} bodies) in {secs:.2} s: {:.0} pairs/s on one thread, reading the bodies included", rows.len(), read.len(), rows.len() as f64 / secs.max(1e-9));
    if rows.iter().all(|r| r.stance.is_some()) && !rows.is_empty() {
        let gold: Vec<Stance> = rows.iter().filter_map(|r| r.stance).collect();
        let pred: Vec<Stance> = labels.iter().map(|l| l.0).collect();
        let (f, m) = f1s(&gold, &pred);
        eprintln!("F1 agree {:.4} disagree {:.4} discuss {:.4} unrelated {:.4}; macro-F1 {m:.4}", f[0], f[1], f[2], f[3]);
    }
    Ok(ExitCode::SUCCESS)
}

/// `dossier train stance`: a model from labelled rows, settings chosen by cross-validation
/// grouped by body ID.
pub fn train(stances: &Path, bodies: &Path, out: &Path, folds: usize) -> anyhow::Result<ExitCode> {
    if folds < 2 {
        crate::usage!("--folds must be 2 or more");
    }
    let model = dossier_stance::train::from_files(stances, bodies, folds, |m| eprintln!("{m}"))?;
    let t = &model.training;
    eprintln!("cross-validated macro-F1 {:.4}; F1 agree {:.4} disagree {:.4} discuss {:.4} unrelated {:.4}", t.cv_macro_f1, t.cv_f1[0], t.cv_f1[1], t.cv_f1[2], t.cv_f1[3]);
    std::fs::write(out, serde_json::to_string(&model)?).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} bytes)", out.display(), std::fs::metadata(out)?.len());
    Ok(ExitCode::SUCCESS)
}
