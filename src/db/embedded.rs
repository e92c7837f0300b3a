//! A private PostgreSQL cluster under `DATA_DIR`, for running with no `DATABASE_URL`.
//!
//! It uses the machine's installed PostgreSQL binaries, listens only on a unix
//! socket inside `DATA_DIR`, survives restarts (the data directory is reused) and
//! is stopped when Atelier shuts down. PostgreSQL refuses to run as root, so when
//! Atelier runs as root, `initdb`, `pg_ctl` and the server run as the `postgres`
//! system user.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// The database Atelier creates inside its private cluster.
pub const DATABASE_NAME: &str = "atelier";
/// The port only names the socket file (`.s.PGSQL.<port>`); nothing listens on TCP.
const SOCKET_PORT: u16 = 5432;

/// A running private cluster; stopped by [`PrivatePostgres::stop`].
#[derive(Debug)]
pub struct PrivatePostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<(u32, u32)>,
}

impl PrivatePostgres {
    /// Creates (first run) or reuses the cluster under `root` and starts it.
    pub async fn start(root: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_bin_dir()?;
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        let root = root
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", root.display()))?;
        let data_dir = root.join("postgres");
        let socket_dir = root.join("run");
        let run_as = if is_root() {
            Some(postgres_user_ids()?)
        } else {
            None
        };

        if let Some((uid, gid)) = run_as {
            check_reachable_by_others(&root)?;
            for dir in [&data_dir, &socket_dir] {
                std::fs::create_dir_all(dir)?;
                std::os::unix::fs::chown(dir, Some(uid), Some(gid))
                    .with_context(|| format!("cannot hand {} to postgres", dir.display()))?;
            }
        } else {
            std::fs::create_dir_all(&data_dir)?;
            std::fs::create_dir_all(&socket_dir)?;
        }
        std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o700))?;

        let cluster = Self {
            bin_dir,
            data_dir,
            socket_dir,
            run_as,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb()?;
        }
        if !cluster.is_running() {
            cluster.pg_ctl_start()?;
        }
        cluster.ensure_database().await?;
        Ok(cluster)
    }

    /// A connection string for `database` over the private socket.
    /// The socket directory is the only host: with `localhost` in the authority
    /// too, the client tried a PostgreSQL on localhost:5432 first and, where one
    /// ran, used it instead of the private cluster.
    pub fn url_for(&self, database: &str) -> String {
        format!(
            "postgresql://postgres@/{database}?host={}&port={SOCKET_PORT}",
            self.socket_dir.display()
        )
    }

    /// The connection string of Atelier's database.
    pub fn url(&self) -> String {
        self.url_for(DATABASE_NAME)
    }

    /// Stops the server (fast mode: connections are closed, data is flushed).
    pub fn stop(&self) -> anyhow::Result<()> {
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "stop"])
            .output()
            .context("cannot run pg_ctl stop")?;
        if !status.status.success() && self.is_running() {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&status.stderr).trim()
            );
        }
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        if let Some((uid, gid)) = self.run_as {
            use std::os::unix::process::CommandExt;
            cmd.uid(uid).gid(gid);
        }
        // The child must not inherit a libpq environment meant for another server.
        for var in ["PGHOST", "PGPORT", "PGDATA", "PGUSER", "PGDATABASE"] {
            cmd.env_remove(var);
        }
        cmd
    }

    fn initdb(&self) -> anyhow::Result<()> {
        tracing::info!(dir = %self.data_dir.display(), "creating a private PostgreSQL cluster");
        let out = self
            .command("initdb")
            .arg("-D")
            .arg(&self.data_dir)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ])
            .output()
            .context("cannot run initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("status")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn pg_ctl_start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-c listen_addresses='' -k {} -p {SOCKET_PORT} -c max_connections=200",
            self.socket_dir.display()
        );
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(self.data_dir.join("server.log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .output()
            .context("cannot run pg_ctl start")?;
        if !out.status.success() {
            bail!(
                "the private PostgreSQL did not start (see {}): {}",
                self.data_dir.join("server.log").display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    async fn ensure_database(&self) -> anyhow::Result<()> {
        let mut conn = AsyncPgConnection::establish(&self.url_for("postgres"))
            .await
            .context("cannot connect to the private PostgreSQL")?;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let found: Exists = diesel::sql_query(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists",
        )
        .bind::<diesel::sql_types::Text, _>(DATABASE_NAME)
        .get_result(&mut conn)
        .await?;
        if !found.exists {
            diesel::sql_query(format!("CREATE DATABASE {DATABASE_NAME}"))
                .execute(&mut conn)
                .await?;
        }
        Ok(())
    }
}

/// Where the PostgreSQL server binaries are: `pg_config --bindir`, then the
/// highest `/usr/lib/postgresql/*/bin`, then `initdb` on `PATH`.
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Ok(dir);
        }
    }
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .filter_map(Result::ok)
            .filter_map(|e| {
                let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                has_initdb(&bin).then_some((version, bin))
            })
            .collect();
        versions.sort();
        if let Some((_, dir)) = versions.pop() {
            return Ok(dir);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_initdb(&dir) {
                return Ok(dir);
            }
        }
    }
    bail!("no PostgreSQL server binaries found (install postgresql, or set DATABASE_URL)")
}

fn is_root() -> bool {
    // The effective uid is what PostgreSQL checks; /proc/self is owned by it.
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn postgres_user_ids() -> anyhow::Result<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").context("cannot read /etc/passwd")?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields.as_slice() {
                ["postgres", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        })
        .context("running as root needs a 'postgres' system user to run PostgreSQL")
}

/// The `postgres` user must be able to walk down to the data directory.
fn check_reachable_by_others(root: &Path) -> anyhow::Result<()> {
    let mut dir = Some(root);
    while let Some(d) = dir {
        let mode = std::fs::metadata(d)?.permissions().mode();
        if mode & 0o001 == 0 {
            if d == root {
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o711))?;
            } else {
                bail!(
                    "the postgres system user cannot enter {} (running as root, PostgreSQL runs as 'postgres'); choose a DATA_DIR outside it",
                    d.display()
                );
            }
        }
        dir = d.parent();
    }
    Ok(())
}
