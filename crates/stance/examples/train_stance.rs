//! `dossier train stance` without the rest of dossier (no server, stores or
//! engine to build first), for `scripts/train_stance.sh`:
//! `train_stance STANCES.csv BODIES.csv OUT.json [FOLDS]`.

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [stances, bodies, out, rest @ ..] = args.as_slice() else { anyhow::bail!("usage: train_stance STANCES.csv BODIES.csv OUT.json [FOLDS]") };
    let folds = rest.first().map_or(Ok(5), |f| f.parse()).map_err(|_| anyhow::anyhow!("FOLDS must be a number"))?;
    let model = dossier_stance::train::from_files(stances.as_ref(), bodies.as_ref(), folds, |m| eprintln!("{m}"))?;
    let t = &model.training;
    eprintln!("cross-validated macro-F1 {:.4}; F1 agree {:.4} disagree {:.4} discuss {:.4} unrelated {:.4}", t.cv_macro_f1, t.cv_f1[0], t.cv_f1[1], t.cv_f1[2], t.cv_f1[3]);
    std::fs::write(out, serde_json::to_string(&model)?)?;
    eprintln!("wrote {out} ({} bytes)", std::fs::metadata(out)?.len());
    Ok(())
}
