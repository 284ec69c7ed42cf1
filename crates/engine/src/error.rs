//! Errors a face can act on without reading strings: the user's fault
//! (bad input, a setting that cannot be met) or the system's.

/// What went wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user's fault: something they asked for cannot be done as asked
    /// (e.g. `--embeddings on` without a model installed). A CLI exits 1 and
    /// says so; a server answers 4xx.
    #[error("{0}")]
    Usage(String),
    /// The store failed (I/O, a locked or corrupt database, a lost connection).
    #[error(transparent)]
    Store(#[from] dossier_store::StoreError),
    /// The search index failed; what the store holds stands (a rebuild redoes the index).
    #[error(transparent)]
    Search(#[from] dossier_search::SearchError),
    /// A model or another internal step failed.
    #[error("{context}: {message}")]
    Internal { context: String, message: String },
}

impl Error {
    /// Whether the user can fix it by changing what they asked for.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_))
    }

    pub(crate) fn internal(context: impl Into<String>, e: impl std::fmt::Display) -> Error {
        Error::Internal { context: context.into(), message: e.to_string() }
    }

    pub(crate) fn internal_anyhow(context: impl Into<String>, e: &dyn std::fmt::Debug) -> Error {
        Error::Internal { context: context.into(), message: format!("{e:?}") }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
