//! The database: a deadpool of diesel-async connections, embedded migrations, and
//! a private PostgreSQL for zero-configuration runs.

pub mod embedded;
pub mod schema;
mod text;

pub use text::escape_like;
mod string_enum;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{
    AsyncConnection, AsyncMigrationHarness, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use futures_util::FutureExt;

pub(crate) use string_enum::string_enum;

/// Every migration in `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbConn = Object<AsyncPgConnection>;

/// Counts the SQL statements sent by every connection of one pool, so tests can
/// assert on batching and `/metrics` can report it.
#[derive(Debug, Default)]
pub struct StatementCounter(AtomicU64);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        AtomicU64::load(&self.0, Ordering::Relaxed)
    }
}

struct CountStatements(Arc<StatementCounter>);

impl Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0 .0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The connection pool, with the statement counter of its connections.
#[derive(Clone)]
pub struct Db {
    pool: Pool<AsyncPgConnection>,
    statements: Arc<StatementCounter>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("status", &self.pool.status())
            .finish()
    }
}

impl Db {
    /// Builds the pool. Every new connection gets `statement_timeout` and
    /// `application_name` before first use, and reports its statements to the counter.
    pub fn new(url: &str, size: usize, statement_timeout: Duration) -> anyhow::Result<Self> {
        let statements = Arc::new(StatementCounter::default());
        let counter = statements.clone();
        let timeout_ms = statement_timeout.as_millis();
        let mut config = ManagerConfig::default();
        // Fast recycling: a verified checkout would add a `SELECT 1` to every request.
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(move |url| {
            let counter = counter.clone();
            async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                conn.batch_execute(&format!(
                    "SET statement_timeout = {timeout_ms}; SET application_name = 'atelier'"
                ))
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                conn.set_instrumentation(CountStatements(counter));
                Ok(conn)
            }
            .boxed()
        });
        let manager = AsyncDieselConnectionManager::new_with_config(url, config);
        let pool = Pool::builder(manager)
            .max_size(size)
            .wait_timeout(Some(Duration::from_secs(10)))
            .create_timeout(Some(Duration::from_secs(10)))
            .runtime(deadpool::Runtime::Tokio1)
            .build()?;
        Ok(Self { pool, statements })
    }

    /// A pooled connection.
    pub async fn conn(&self) -> Result<DbConn, crate::error::AppError> {
        Ok(self.pool.get().await?)
    }

    /// SQL statements sent through this pool since it was built.
    pub fn statements_executed(&self) -> u64 {
        self.statements.get()
    }

    /// Checks that the database answers; used by `/readyz` and at start-up.
    pub async fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get().await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    }

    pub fn status(&self) -> deadpool::Status {
        self.pool.status()
    }
}

/// Months of partitions kept ready ahead of time for the partitioned tables.
pub const PARTITION_MONTHS_AHEAD: i32 = 3;

/// Creates the monthly partitions of `credit_transactions` and `notifications` up
/// to [`PARTITION_MONTHS_AHEAD`] months ahead; idempotent, safe on many instances
/// at once (the SQL function serialises itself). Returns how many it created.
pub async fn ensure_partitions(db: &Db) -> anyhow::Result<i32> {
    #[derive(diesel::QueryableByName)]
    struct Created {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        created: i32,
    }
    let mut conn = db.pool.get().await?;
    let created: Created = diesel::sql_query(
        "SELECT atelier_create_monthly_partitions('credit_transactions', $1) \
         + atelier_create_monthly_partitions('notifications', $1) AS created",
    )
    .bind::<diesel::sql_types::Integer, _>(PARTITION_MONTHS_AHEAD)
    .get_result(&mut conn)
    .await?;
    Ok(created.created)
}

/// Applies every pending migration; returns how many ran.
pub async fn run_migrations(url: &str) -> anyhow::Result<usize> {
    let conn = AsyncPgConnection::establish(url).await?;
    // The harness drives diesel's synchronous migration code on a blocking thread.
    let applied = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut harness = AsyncMigrationHarness::new(conn);
        let versions = harness
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(versions.len())
    })
    .await??;
    Ok(applied)
}

/// Reverts every migration, newest first (used by tests and `atelier migrate --revert-all`).
pub async fn revert_all_migrations(url: &str) -> anyhow::Result<usize> {
    let conn = AsyncPgConnection::establish(url).await?;
    tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        let mut harness = AsyncMigrationHarness::new(conn);
        let versions = harness
            .revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
        Ok(versions.len())
    })
    .await?
}
