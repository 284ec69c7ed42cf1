//! Tuned copies of the model: an adapter file (safetensors, made by
//! `scripts/tune_similarity.py` or `scripts/tune_tone.py`) holds, for every
//! linear map of the six layers, two thin matrices `A` (rank × in) and `B`
//! (out × rank) whose product is added to the published weight, and new
//! layer norms; [`merge`] puts them into a copy of the published weights once,
//! so a tuned model costs one plain pass, and hands back whatever else the
//! file holds (a head), for the caller to check.

use std::collections::HashMap;

use anyhow::{bail, Context};
use candle_core::{DType, Device, Tensor};
use rayon::prelude::*;

/// The maps with a low-rank update, after `encoder.layer.N.`.
pub const LINEARS: [&str; 6] = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"];
/// The layer norms the adapter replaces, after `encoder.layer.N.`.
pub const NORMS: [&str; 2] = ["attention.output.LayerNorm", "output.LayerNorm"];

/// `w + b·a` for a weight `w` (`out × in`) and an update of rank `r` (`b`
/// `out × r`, `a` `r × in`), row by row on all cores: plain loops the
/// compiler vectorises (candle's general product and sum spent more time
/// waiting at their thread barriers than adding, on a model's load path).
fn add_low_rank(w: &Tensor, b: &Tensor, a: &Tensor) -> anyhow::Result<Tensor> {
    let (out, inp) = w.dims2()?;
    let rank = a.dim(0)?;
    let mut merged = w.flatten_all()?.to_vec1::<f32>()?;
    let (b, a) = (b.flatten_all()?.to_vec1::<f32>()?, a.flatten_all()?.to_vec1::<f32>()?);
    merged.par_chunks_mut(inp).zip(b.par_chunks(rank)).for_each(|(row, b_row)| {
        for (&f, a_row) in b_row.iter().zip(a.chunks_exact(inp)) {
            row.iter_mut().zip(a_row).for_each(|(m, &v)| *m += f * v);
        }
    });
    Ok(Tensor::from_vec(merged, (out, inp), &Device::Cpu)?)
}

/// Adds the adapter's low-rank updates to `base`'s linear maps and puts its
/// layer norms in place; returns the adapter's other tensors (f32) by name.
/// `format` is the tag its metadata must carry.
pub fn merge(base: &mut HashMap<String, Tensor>, adapter: &[u8], layers: usize, format: &str) -> anyhow::Result<HashMap<String, Tensor>> {
    let meta = safetensors::SafeTensors::read_metadata(adapter).context("not a safetensors file")?.1;
    let found = meta.metadata().as_ref().and_then(|m| m.get("format")).cloned().unwrap_or_default();
    if found != format {
        bail!("format {found:?}, expected {format:?}");
    }
    let mut ad = candle_core::safetensors::load_buffer(adapter, &Device::Cpu).context("not a safetensors file")?;
    let mut take = |name: &str| -> anyhow::Result<Tensor> { Ok(ad.remove(name).with_context(|| format!("the adapter has no tensor {name}"))?.to_dtype(DType::F32)?) };
    for l in 0..layers {
        for lin in LINEARS {
            let key = format!("encoder.layer.{l}.{lin}.weight");
            let w = base.get(&key).with_context(|| format!("the model has no tensor {key}"))?.to_dtype(DType::F32)?;
            let (a, b) = (take(&format!("encoder.layer.{l}.{lin}.lora_a"))?, take(&format!("encoder.layer.{l}.{lin}.lora_b"))?);
            let (out, inp) = w.dims2()?;
            if a.dim(1)? != inp || b.dim(0)? != out || a.dim(0)? != b.dim(1)? {
                bail!("{key}: update shapes {:?} and {:?} do not fit the weight's {:?}", a.dims(), b.dims(), w.dims());
            }
            base.insert(key, add_low_rank(&w, &b, &a)?);
        }
        for norm in NORMS {
            for part in ["weight", "bias"] {
                let key = format!("encoder.layer.{l}.{norm}.{part}");
                let t = take(&key)?;
                let want = base.get(&key).with_context(|| format!("the model has no tensor {key}"))?.dims().to_vec();
                if t.dims() != want {
                    bail!("{key}: shape {:?}, expected {want:?}", t.dims());
                }
                base.insert(key, t);
            }
        }
    }
    ad.into_iter().map(|(k, t)| Ok((k, t.to_dtype(DType::F32)?))).collect()
}

/// Fails unless `rest` (what [`merge`] handed back, less what the caller
/// took) is empty: an adapter for more layers or maps than the model.
pub fn nothing_left(rest: &HashMap<String, Tensor>) -> anyhow::Result<()> {
    if !rest.is_empty() {
        let mut extra: Vec<&String> = rest.keys().collect();
        extra.sort();
        bail!("the adapter has tensors for more layers or maps than the model: {}", extra.iter().take(3).map(|s| s.as_str()).collect::<Vec<_>>().join(", "));
    }
    Ok(())
}
