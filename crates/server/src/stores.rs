//! The server's connections to its store, through the [`Store`] trait: one
//! writer (ingest) and a reader per core, each opened when first needed and
//! opened again after its connection closed (a database server restart).
//! Every call runs on a blocking thread, never on the async runtime (the
//! PostgreSQL client blocks on a runtime of its own).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dossier_store::{SqliteStore, Store};

/// What a connection is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The one connection that stores what `POST /api/ingest` receives (and runs the analysis hook).
    Write,
    /// Pages, the JSON API, the change watcher, the search index follower.
    Read,
}

/// Opens a connection to the server's store.
pub type OpenStore = Arc<dyn Fn(Access) -> dossier_store::Result<Box<dyn Store + Send>> + Send + Sync>;

/// Where the server's data lives: how to open connections to it.
pub struct Stores {
    open: OpenStore,
    /// The writer, when the caller opened it already.
    first: Option<Box<dyn Store + Send>>,
    /// The store, for messages (no credentials).
    pub name: String,
}

impl Stores {
    /// Any store: `open` makes a connection for the access asked.
    pub fn new(name: impl Into<String>, open: impl Fn(Access) -> dossier_store::Result<Box<dyn Store + Send>> + Send + Sync + 'static) -> Stores {
        Stores { open: Arc::new(open), first: None, name: name.into() }
    }

    /// A SQLite store, `store` as the writer: readers are read-only connections
    /// to the same file (WAL mode lets them read while the writer commits).
    pub fn sqlite(store: SqliteStore) -> Stores {
        let path: PathBuf = store.path();
        let name = path.display().to_string();
        let mut s = Stores::new(name, move |access| -> dossier_store::Result<Box<dyn Store + Send>> {
            Ok(match access {
                Access::Write => Box::new(SqliteStore::open(&path)?),
                Access::Read => Box::new(SqliteStore::open_reader(&path)?),
            })
        });
        s.first = Some(Box::new(store));
        s
    }

    /// A PostgreSQL store (`postgres://USER@HOST:PORT/DB`), such as the one scale-out workers fill.
    pub fn postgres(url: &str) -> Stores {
        let url = url.to_string();
        Stores::new(dossier_store_postgres::describe(&url), move |_| -> dossier_store::Result<Box<dyn Store + Send>> { Ok(Box::new(dossier_store_postgres::PgStore::connect(&url)?)) })
    }
}

impl From<SqliteStore> for Stores {
    fn from(store: SqliteStore) -> Stores {
        Stores::sqlite(store)
    }
}

/// A connection, or none yet. Dropped off the async runtime (the PostgreSQL
/// client's drop blocks on a runtime of its own, which tokio forbids inside another).
struct Conn(Option<Box<dyn Store + Send>>);

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            if tokio::runtime::Handle::try_current().is_ok() {
                let _ = std::thread::spawn(move || drop(store)).join();
            }
        }
    }
}

pub(crate) struct Pool {
    open: OpenStore,
    writer: Mutex<Conn>,
    readers: Vec<Mutex<Conn>>,
    next: AtomicUsize,
    pub(crate) name: String,
}

fn guard(m: &Mutex<Conn>) -> MutexGuard<'_, Conn> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Pool {
    pub(crate) fn new(stores: Stores, readers: usize) -> Pool {
        Pool { open: stores.open, writer: Mutex::new(Conn(stores.first)), readers: (0..readers.max(1)).map(|_| Mutex::new(Conn(None))).collect(), next: AtomicUsize::new(0), name: stores.name }
    }

    fn with<T>(&self, mut slot: MutexGuard<'_, Conn>, access: Access, f: impl FnOnce(&mut dyn Store) -> T) -> dossier_store::Result<T> {
        if slot.0.as_ref().is_some_and(|s| s.is_closed()) {
            slot.0 = None;
        }
        if slot.0.is_none() {
            slot.0 = Some((self.open)(access)?);
        }
        let store = slot.0.as_mut().expect("opened above");
        let out = f(&mut **store);
        if store.is_closed() {
            tracing::warn!("store {}: connection closed; the next call opens another", self.name);
            slot.0 = None;
        }
        Ok(out)
    }

    /// Runs `f` on a reading connection: a free one, else the next in turn. Blocks: call it from a blocking thread.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&dyn Store) -> T) -> dossier_store::Result<T> {
        let slot = self.readers.iter().find_map(|r| r.try_lock().ok()).unwrap_or_else(|| guard(&self.readers[self.next.fetch_add(1, Ordering::Relaxed) % self.readers.len()]));
        self.with(slot, Access::Read, |s| f(s))
    }

    /// Runs `f` on the writing connection (one writer at a time). Blocks: call it from a blocking thread.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&mut dyn Store) -> T) -> dossier_store::Result<T> {
        self.with(guard(&self.writer), Access::Write, f)
    }
}
