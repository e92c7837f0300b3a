//! The test harness: a fresh database per test, cloned from a migrated template,
//! and the real server spawned on a free port.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use atelier::app::App;
use atelier::config::Config;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The server tests create their databases on, as a URL to its `postgres` database.
static ADMIN_URL: OnceCell<String> = OnceCell::const_new();
/// The migrated template of this build's migrations.
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

/// `TEST_DATABASE_URL`, else the local server on 127.0.0.1:5432, else a private
/// cluster under the target directory.
async fn admin_url() -> String {
    ADMIN_URL
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
                return with_database(&url, "postgres");
            }
            let local = "postgres://postgres@127.0.0.1:5432/postgres".to_string();
            if AsyncPgConnection::establish(&local).await.is_ok() {
                return local;
            }
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("atelier-test-pg");
            let cluster = atelier::db::embedded::PrivatePostgres::start(&dir)
                .await
                .expect(
                    "no TEST_DATABASE_URL, no server on 127.0.0.1:5432, and no private cluster",
                );
            // Left running on purpose: the next test run reuses it.
            cluster.url_for("postgres")
        })
        .await
        .clone()
}

/// A name that changes whenever a migration changes, so a stale template is never used.
fn migrations_fingerprint() -> String {
    let mut files = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("migrations dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    // SHA-256: stable across processes and Rust versions, unlike DefaultHasher.
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(file.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(std::fs::read(&file).expect("migration file"));
        hasher.update([0]);
    }
    data_encoding::HEXLOWER.encode(&hasher.finalize()[..8])
}

async fn template() -> String {
    TEMPLATE
        .get_or_init(|| async {
            let admin = admin_url().await;
            let name = format!("atelier_tpl_{}", migrations_fingerprint());
            let mut conn = AsyncPgConnection::establish(&admin)
                .await
                .expect("connect to the test server");
            // Parallel test processes build the template once, under one lock.
            conn.batch_execute("SELECT pg_advisory_lock(7412)")
                .await
                .expect("lock");
            if !database_exists(&mut conn, &name).await {
                conn.batch_execute(&format!("CREATE DATABASE {name}_build"))
                    .await
                    .expect("create template");
                atelier::db::run_migrations(&with_database(&admin, &format!("{name}_build")))
                    .await
                    .expect("migrate template");
                conn.batch_execute(&format!("ALTER DATABASE {name}_build RENAME TO {name}"))
                    .await
                    .expect("publish template");
            }
            conn.batch_execute("SELECT pg_advisory_unlock(7412)")
                .await
                .expect("unlock");
            name
        })
        .await
        .clone()
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let found: Found =
        diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(conn)
            .await
            .expect("query pg_database");
    found.n > 0
}

/// A database of its own for one test; dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
    admin: String,
}

impl TestDb {
    /// A migrated database, cloned from the template.
    pub async fn migrated() -> Self {
        let template = template().await;
        Self::create(Some(&template)).await
    }

    /// An empty database, for migration tests.
    pub async fn empty() -> Self {
        Self::create(None).await
    }

    async fn create(template: Option<&str>) -> Self {
        let admin = admin_url().await;
        let name = format!("atelier_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = AsyncPgConnection::establish(&admin).await.expect("connect");
        let sql = match template {
            Some(t) => format!("CREATE DATABASE {name} TEMPLATE {t}"),
            None => format!("CREATE DATABASE {name}"),
        };
        conn.batch_execute(&sql)
            .await
            .expect("create test database");
        Self {
            url: with_database(&admin, &name),
            name,
            admin,
        }
    }

    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = AsyncPgConnection::establish(&admin).await {
                    let _ = conn
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// The real server, on a free port of 127.0.0.1, over its own database.
pub struct TestApp {
    pub address: SocketAddr,
    pub app: Arc<App>,
    pub db: Arc<TestDb>,
    /// `DATA_DIR` of this server (and of its siblings): files, generated keys.
    pub data_dir: Arc<tempfile::TempDir>,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// The in-process generation workers (`WORKERS`, default 2; `0` for none).
    pub workers: Option<atelier::generation::worker::Workers>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Spawns with extra configuration variables.
    pub async fn spawn_with(vars: &[(&str, &str)]) -> Self {
        let data_dir = Arc::new(tempfile::tempdir().expect("a data dir"));
        Self::spawn_on(Arc::new(TestDb::migrated().await), data_dir, vars).await
    }

    /// A second server instance over the same database (e.g. two instances sharing Redis).
    pub async fn spawn_sibling(&self, vars: &[(&str, &str)]) -> Self {
        Self::spawn_on(self.db.clone(), self.data_dir.clone(), vars).await
    }

    async fn spawn_on(
        db: Arc<TestDb>,
        data_dir: Arc<tempfile::TempDir>,
        vars: &[(&str, &str)],
    ) -> Self {
        let mut env: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), db.url.clone()),
            ("HOST".into(), "127.0.0.1".into()),
            ("PORT".into(), "0".into()),
            ("DATABASE_POOL_SIZE".into(), "5".into()),
            ("DATA_DIR".into(), data_dir.path().display().to_string()),
        ]);
        for (k, v) in vars {
            env.insert((*k).into(), (*v).into());
        }
        let config = Config::from_vars(&env).expect("test configuration");
        let app = Arc::new(App::start(config).await.expect("app starts"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server_app = app.clone();
        tokio::spawn(async move {
            let _ = atelier::server::serve(server_app, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        let workers =
            atelier::generation::worker::Workers::start(app.clone(), app.config.generation.workers);
        Self {
            address,
            app,
            db,
            data_dir,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            workers,
        }
    }

    /// Loads the demo data set.
    pub async fn seed_demo(&self) {
        atelier::demo::seed(&self.app)
            .await
            .expect("demo data loads");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// POSTs a GraphQL operation and returns the whole response body.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await
            .expect("request sent");
        assert!(
            response.status().is_success(),
            "HTTP {} for {query}",
            response.status()
        );
        response.json().await.expect("JSON body")
    }

    /// POSTs an operation with an `Authorization` header (`Bearer ...` or `ApiKey ...`)
    /// and optional extra headers.
    pub async fn graphql_with(
        &self,
        authorization: Option<&str>,
        headers: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request sent");
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("JSON body")
    }

    /// POSTs an operation as the holder of a session token.
    pub async fn graphql_as(&self, token: &str, query: &str, variables: Value) -> Value {
        self.graphql_with(Some(&format!("Bearer {token}")), &[], query, variables)
            .await
    }

    /// Signs up a new account; returns its session token and user ID.
    pub async fn sign_up(&self, email: &str, password: &str) -> (String, String) {
        let response = self
            .graphql(
                "mutation($input: SignUpInput!) { signUp(input: $input) { token user { id } } }",
                json!({"input": {"email": email, "password": password}}),
            )
            .await;
        let payload = &response["data"]["signUp"];
        assert!(payload["token"].is_string(), "sign-up failed: {response}");
        (
            payload["token"].as_str().unwrap_or_default().to_string(),
            payload["user"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    }

    /// The body of the newest outbox mail of `kind` to `to`.
    pub async fn last_mail(&self, to: &str, kind: &str) -> Option<String> {
        #[derive(diesel::QueryableByName)]
        struct Body {
            #[diesel(sql_type = diesel::sql_types::Text)]
            body: String,
        }
        let mut conn = self.db.conn().await;
        diesel::sql_query(
            "SELECT body FROM mail_outbox WHERE to_address = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1",
        )
        .bind::<diesel::sql_types::Text, _>(to)
        .bind::<diesel::sql_types::Text, _>(kind)
        .get_result::<Body>(&mut conn)
        .await
        .ok()
        .map(|b| b.body)
    }

    /// SQL statements this app has sent so far.
    pub fn statements(&self) -> u64 {
        self.app.db.statements_executed()
    }

    /// A value of this server's `/metrics`. Every `App` has a registry of its own,
    /// so the tests running beside this one never move these counters.
    pub async fn metric(&self, name: &str) -> rust_decimal::Decimal {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics body");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| panic!("{name} in {text}"))
    }

    /// Begins the server's graceful shutdown (as SIGTERM does).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(workers) = self.workers.take() {
            workers.abort();
        }
    }
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(response: &Value) -> Option<&str> {
    response["errors"][0]["extensions"]["code"].as_str()
}

/// `REDIS_URL` (from `TEST_REDIS_URL`, default the local Redis) and a key prefix of
/// this test's own, so parallel tests and runs never see each other's keys.
pub fn redis_vars(prefix: &str) -> [(&'static str, String); 2] {
    let url = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    [
        ("REDIS_URL", url),
        (
            "REDIS_PREFIX",
            format!("atelier-test-{prefix}-{}", uuid::Uuid::new_v4().simple()),
        ),
    ]
}

// --- The money invariant (issue 14) ---------------------------------------

impl TestApp {
    /// Fails the test when any balance differs from its opening plus its ledger
    /// (`atelier_ledger_mismatches()`); every money test ends with it.
    pub async fn assert_books_balance(&self) {
        #[derive(diesel::QueryableByName)]
        struct Mismatches {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
            list: Option<String>,
        }
        let mut conn = self.db.conn().await;
        let found: Mismatches = diesel::sql_query(
            "SELECT string_agg(format('%s %s: balance %s, ledger %s', holder_kind, holder_id,
                                      balance, expected), '; ') AS list
               FROM atelier_ledger_mismatches()",
        )
        .get_result(&mut conn)
        .await
        .expect("the ledger check runs");
        assert_eq!(found.list, None, "balances that differ from their ledger");
    }
}
