//! The shared store conformance suite, against a real PostgreSQL server
//! (`DOSSIER_TEST_POSTGRES`; scripts/test.sh starts one). Each test gets a
//! fresh database.

use dossier_store::Store;
use dossier_store_postgres::{create_test_database, test_server, PgStore};

fn fresh() -> Option<Box<dyn Store>> {
    let server = test_server()?;
    let url = create_test_database(&server).expect("creating a test database");
    Some(Box::new(PgStore::connect(&url).expect("connecting to the test database")))
}

dossier_store::store_conformance_tests!(fresh);
