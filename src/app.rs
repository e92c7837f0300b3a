//! The application state shared by every request: configuration, database pool,
//! cache, event bus and metrics.

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;

use crate::accounts::mailer::Mailer;
use crate::cache::Cache;
use crate::config::{Config, ConfigError};
use crate::db::embedded::PrivatePostgres;
use crate::db::{self, Db};
use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::redis_link::RedisLink;
use crate::secrets::{SecretBox, UrlSigner};
use crate::studio::storage::Storage;

/// Everything a request may need; built once at start-up.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub db: Db,
    /// A pool of its own for the generation workers, so their polling never
    /// competes with requests for connections (nor shows in per-request counts).
    pub worker_db: Db,
    pub cache: Cache,
    pub events: EventBus,
    pub rate_limiter: RateLimiter,
    pub secret_box: SecretBox,
    pub url_signer: UrlSigner,
    pub storage: Storage,
    pub mailer: Mailer,
    /// Calls to inference services.
    pub http: reqwest::Client,
    /// The circuit breakers of the inference endpoints `http` calls.
    pub provider_breakers: crate::generation::providers::ProviderBreakers,
    /// Safelist mode's registered operations (empty when off).
    pub safelist: crate::graphql::persisted::Safelist,
    /// Wakes this process's idle workers when a job is queued here.
    pub generation_wakeup: tokio::sync::Notify,
    /// The queue's job kinds that are not generation phases (issue 15: exports).
    pub job_runners: crate::generation::queue::JobRunners,
    /// What this instance counts, for `/metrics`.
    pub metrics: Metrics,
    /// The OpenID providers' discovery documents and keys (social sign-in).
    pub oidc: crate::accounts::social::oidc::OidcCache,
    /// Stripe's API: after a failed call, checkouts fail at once for a while.
    pub stripe_breaker: crate::breaker::Breaker,
    /// Skips calls to Odoo for a while after one failed (issue 14).
    pub odoo_breaker: crate::breaker::Breaker,
    /// Wakes the Odoo sync task (`POST /webhooks/odoo`).
    pub odoo_wakeup: tokio::sync::Notify,
    redis: Option<RedisLink>,
    private_postgres: Option<PrivatePostgres>,
}

/// How long start-up waits for a configured service before naming it as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl App {
    /// Connects to (or provisions) PostgreSQL, applies migrations, and connects to
    /// Redis when configured. Errors name the setting at fault.
    pub async fn start(config: Config) -> Result<Self, ConfigError> {
        let key = encryption_key(&config)?;
        let secret_box = SecretBox::new(&key);
        let url_signer = UrlSigner::derive_from(&key);
        let storage = Storage::from_config(&config.storage, &config.data_dir)?;
        let mailer = Mailer::from_config(&config.mail)?;
        let safelist = crate::graphql::persisted::Safelist::load(
            config.http.persisted_queries_file.as_deref(),
        )?;
        let (database_url, private_postgres, setting) = match &config.database.url {
            Some(url) => (url.expose_secret().to_string(), None, "DATABASE_URL"),
            None => {
                let cluster = PrivatePostgres::start(&config.data_dir)
                    .await
                    .map_err(|e| ConfigError::new("DATA_DIR", format!("{e:#}")))?;
                tracing::info!(url = %cluster.url(), "using the private PostgreSQL");
                (cluster.url(), Some(cluster), "DATA_DIR")
            }
        };

        let applied = tokio::time::timeout(CONNECT_TIMEOUT * 6, db::run_migrations(&database_url))
            .await
            .map_err(|_| ConfigError::new(setting, "timed out connecting to PostgreSQL"))?
            .map_err(|e| ConfigError::new(setting, format!("{e:#}")))?;
        if applied > 0 {
            tracing::info!(applied, "applied database migrations");
        }

        let db = Db::new(
            &database_url,
            config.database.pool_size,
            config.database.statement_timeout,
        )
        .map_err(|e| ConfigError::new(setting, format!("{e:#}")))?;
        db.ping()
            .await
            .map_err(|e| ConfigError::new(setting, format!("{e:#}")))?;
        let worker_db = Db::new(
            &database_url,
            config.generation.workers + 4,
            config.database.statement_timeout,
        )
        .map_err(|e| ConfigError::new(setting, format!("{e:#}")))?;

        let mut metrics = Metrics::new();
        metrics.watch_pools(db.clone(), worker_db.clone());

        db::ensure_partitions(&db)
            .await
            .map_err(|e| ConfigError::new(setting, format!("cannot create partitions: {e:#}")))?;
        tokio::spawn(keep_partitions_ahead(db.clone()));
        // On the workers' pool, so per-request statement counts never see it.
        tokio::spawn(sweep_idempotency_keys(worker_db.clone()));

        let (cache, events, rate_limiter, redis) = match &config.redis_url {
            None => (
                Cache::in_memory_with(&config.bounds),
                EventBus::in_process(),
                RateLimiter::in_memory(config.bounds.rate_limit_max_keys),
                None,
            ),
            Some(url) => {
                let client = redis::Client::open(url.expose_secret())
                    .map_err(|e| ConfigError::new("REDIS_URL", e.to_string()))?;
                let timeout = config.bounds.redis_timeout;
                // The manager's own waits stay short too: reconnecting never holds a
                // command longer than the link's timeout would let it.
                let manager_config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout.max(Duration::from_millis(500))))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1);
                let conn = tokio::time::timeout(
                    CONNECT_TIMEOUT,
                    client.get_connection_manager_with_config(manager_config),
                )
                .await
                .map_err(|_| ConfigError::new("REDIS_URL", "timed out connecting to Redis"))?
                .map_err(|e| ConfigError::new("REDIS_URL", format!("cannot connect: {e}")))?;
                let link = RedisLink::new(conn, timeout);
                let prefix = config.redis_prefix.clone();
                let events = EventBus::redis(client, link.clone(), &prefix);
                (
                    Cache::Redis {
                        link: link.clone(),
                        prefix: prefix.clone(),
                        near: crate::cache::MemoryCache::new(
                            config.bounds.cache_max_bytes,
                            config.bounds.cache_max_entries,
                        ),
                    },
                    events,
                    RateLimiter::Redis {
                        link: link.clone(),
                        prefix,
                        max_keys: config.bounds.rate_limit_max_keys,
                        fallback: crate::rate_limit::MemoryWindows::new(
                            config.bounds.rate_limit_max_keys,
                        ),
                    },
                    Some(link),
                )
            }
        };

        // Every outbound call has a connect and a total timeout (a provider may set
        // a shorter one per call), so a hung service holds a worker, never the runtime.
        let http = reqwest::Client::builder()
            .connect_timeout(config.bounds.outbound_connect_timeout)
            .timeout(config.bounds.outbound_timeout)
            .build()
            .map_err(|e| ConfigError::new("HTTP", e.to_string()))?;
        Ok(Self {
            config,
            db,
            worker_db,
            cache,
            events,
            rate_limiter,
            secret_box,
            url_signer,
            storage,
            mailer,
            http,
            provider_breakers: Default::default(),
            stripe_breaker: crate::breaker::Breaker::new(
                "stripe",
                std::time::Duration::from_secs(30),
            ),
            generation_wakeup: tokio::sync::Notify::new(),
            odoo_breaker: crate::breaker::Breaker::new("odoo", std::time::Duration::from_secs(30)),
            odoo_wakeup: tokio::sync::Notify::new(),
            job_runners: crate::generation::queue::JobRunners::default()
                .with(
                    crate::generation::model::JobKind::Export,
                    std::sync::Arc::new(crate::exports::job::ExportJob),
                )
                .with(
                    crate::generation::model::JobKind::Publish,
                    std::sync::Arc::new(crate::connections::publishing::PublishJobs),
                ),
            metrics,
            oidc: Default::default(),
            safelist,
            redis,
            private_postgres,
        })
    }

    /// Whether the services this instance depends on answer (for `/readyz`).
    pub async fn check_ready(&self) -> Result<(), String> {
        self.db.ping().await.map_err(|e| format!("database: {e}"))?;
        if let Some(redis) = &self.redis {
            redis.ping().await.map_err(|e| format!("redis: {e}"))?;
            if !self.events.is_listening() {
                return Err("redis: the event relay is not subscribed yet".into());
            }
        }
        Ok(())
    }

    /// Stops the private PostgreSQL, if this process started one.
    pub fn shutdown(&self) {
        if let Some(cluster) = &self.private_postgres {
            if let Err(e) = cluster.stop() {
                tracing::error!(error = %e, "could not stop the private PostgreSQL");
            }
        }
    }
}

/// `ENCRYPTION_KEY`, or (outside production) a key generated once into `DATA_DIR`.
fn encryption_key(config: &Config) -> Result<[u8; 32], ConfigError> {
    if let Some(key) = &config.auth.encryption_key {
        return SecretBox::parse_key(key.expose_secret())
            .ok_or_else(|| ConfigError::new("ENCRYPTION_KEY", "not a 32-byte key"));
    }
    let path = config.data_dir.join("encryption.key");
    let problem =
        |e: std::io::Error| ConfigError::new("DATA_DIR", format!("{}: {e}", path.display()));
    if !path.exists() {
        // Write the whole key to a file of our own, then link it into place: the
        // link fails if another process got there first, and nobody ever reads a
        // half-written key.
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(&config.data_dir).map_err(problem)?;
        let draft = config.data_dir.join(format!(
            "encryption.key.{}.{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&draft)
            .map_err(problem)?;
        file.write_all(SecretBox::generate_key_hex().as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(problem)?;
        match std::fs::hard_link(&draft, &path) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), "generated an encryption key; set ENCRYPTION_KEY in production")
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                let _ = std::fs::remove_file(&draft);
                return Err(problem(e));
            }
        }
        let _ = std::fs::remove_file(&draft);
    }
    let text = std::fs::read_to_string(&path).map_err(problem)?;
    SecretBox::parse_key(&text).ok_or_else(|| {
        ConfigError::new(
            "DATA_DIR",
            format!("{} does not hold a 32-byte key", path.display()),
        )
    })
}

/// Rows land in monthly partitions only if those exist: a long-running instance
/// creates next months' partitions itself, once a day.
async fn keep_partitions_ahead(db: Db) {
    let mut every_day = tokio::time::interval(Duration::from_secs(24 * 3600));
    every_day.tick().await;
    loop {
        every_day.tick().await;
        match db::ensure_partitions(&db).await {
            Ok(0) => {}
            Ok(created) => tracing::info!(created, "created monthly partitions"),
            Err(e) => tracing::error!(error = %e, "could not create monthly partitions"),
        }
    }
}

/// Expired `Idempotency-Key` rows are deleted every ten minutes, so the table
/// holds at most a day of keys (their lifetime) whatever callers send.
async fn sweep_idempotency_keys(db: Db) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        let swept = async {
            let mut conn = db.conn().await?;
            crate::graphql::idempotency::sweep_expired(&mut conn).await
        }
        .await;
        match swept {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "swept expired idempotency keys"),
            Err(e) => tracing::warn!(error = ?e, "could not sweep idempotency keys"),
        }
    }
}

/// The state handed to axum handlers and GraphQL resolvers.
pub type AppState = Arc<App>;
