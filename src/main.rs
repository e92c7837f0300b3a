//! The `atelier` command: `serve` (the default), `worker`, `migrate`, `seed`, `schema`,
//! `admin`, `models`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use atelier::app::App;
use atelier::config::{Config, LogFormat};
use atelier::telemetry::SpanExport;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

/// A nested read allocates for every field of its response (glibc's malloc and
/// free were 36 % of Q2's instructions, bench/profile-before.md); mimalloc's
/// thread-local free lists make that a fraction. Servers the tests start
/// in-process keep the system allocator; the gain is measured by bench/profile.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: atelier [serve [--seed-demo] | worker | migrate | seed | schema | admin grant|revoke EMAIL | models import FILE.json | plans import FILE.json | grant-credits | check-ledger | odoo-sync | help]

  serve        run the GraphQL server (the default); --seed-demo loads the demo data first
  worker       run generation workers only (WORKERS of them, default 2), no HTTP server
  migrate      apply pending database migrations and exit
  seed         load the demo data (idempotent) and print the demo credentials
  schema       print the GraphQL schema (SDL) to stdout
  admin        grant or revoke platform administration: atelier admin grant ada@example.com
  models       import a model catalogue (idempotent): atelier models import models.json
  plans        import the plan catalogue and credit packs (idempotent): atelier plans import plans.json
  grant-credits grant the monthly credits of the subscriptions due now (once per period) and exit
  check-ledger check that every balance equals its ledger; exit 1 listing the holders that differ
  odoo-sync    run one Odoo sync pass (sale orders, invoices) and exit

Configuration comes from the environment; see README.md.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = args.first().map(String::as_str).unwrap_or("serve");
    if matches!(command, "help" | "--help" | "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if command == "schema" {
        print!("{}", atelier::graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return fail(e),
    };
    // Before the runtime: the span export runs on a thread of its own, not on tokio.
    let span_export = match init_logging(&config) {
        Ok(export) => export,
        Err(e) => return fail(e),
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    let flags: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let result = runtime.block_on(async move {
        match command {
            "serve" => serve(config, flags.contains(&"--seed-demo")).await,
            "migrate" => App::start(config)
                .await
                .map(|app| app.shutdown())
                .map_err(|e| e.to_string()),
            "seed" => seed(config).await,
            "worker" => worker(config).await,
            "admin" => admin(config, &flags).await,
            "models" => models(config, &flags).await,
            "plans" => plans(config, &flags).await,
            "check-ledger" => check_ledger(config).await,
            "odoo-sync" => odoo_sync(config).await,
            "grant-credits" => grant_credits(config).await,
            other => Err(format!("unknown command '{other}'\n{USAGE}")),
        }
    });
    // Once the command has returned, so the spans of its shutdown are sent too.
    if let Some(export) = span_export {
        export.shutdown();
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

fn fail(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

/// The log on stderr, plus span export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
fn init_logging(config: &Config) -> Result<Option<SpanExport>, String> {
    let span_export = SpanExport::start(&config.telemetry)?;
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match config.log.format {
        LogFormat::Json => fmt.json().boxed(),
        LogFormat::Text => fmt.boxed(),
    };
    // LOG_LEVEL filters both: a span below the log level is not exported either.
    tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new(&config.log.level))
        .with(fmt)
        .with(span_export.as_ref().map(SpanExport::layer))
        .init();
    Ok(span_export)
}

async fn seed(config: Config) -> Result<(), String> {
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = atelier::demo::seed(&app).await;
    app.shutdown();
    let report = result.map_err(|e| format!("seeding failed: {e:#}"))?;
    println!("{report}");
    Ok(())
}

async fn admin(config: Config, args: &[&str]) -> Result<(), String> {
    let (grant, email) = match args {
        ["grant", email] => (true, *email),
        ["revoke", email] => (false, *email),
        _ => {
            return Err(format!(
                "expected: atelier admin grant|revoke EMAIL\n{USAGE}"
            ))
        }
    };
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = atelier::accounts::security::set_platform_admin(&app, email, grant).await;
    app.shutdown();
    match result {
        Ok(true) => {
            let verb = if grant { "is now" } else { "is no longer" };
            println!("{email} {verb} a platform admin");
            Ok(())
        }
        Ok(false) => Err(format!("no account with email {email}")),
        Err(e) => Err(format!("{:#}", anyhow::Error::from(e))),
    }
}

async fn models(config: Config, args: &[&str]) -> Result<(), String> {
    let ["import", path] = args else {
        return Err(format!(
            "expected: atelier models import FILE.json\n{USAGE}"
        ));
    };
    let json = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = atelier::ai_models::import::import(&app, &json).await;
    app.shutdown();
    let report = result.map_err(|e| format!("{path}: {e:#}"))?;
    println!("{report}");
    Ok(())
}

async fn plans(config: Config, args: &[&str]) -> Result<(), String> {
    let ["import", path] = args else {
        return Err(format!("expected: atelier plans import FILE.json\n{USAGE}"));
    };
    let json = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = atelier::billing::plans::import(&app, &json).await;
    app.shutdown();
    let report = result.map_err(|e| format!("{path}: {e:#}"))?;
    println!("{report}");
    Ok(())
}

async fn grant_credits(config: Config) -> Result<(), String> {
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = atelier::billing::grants::run_once(&app).await;
    app.shutdown();
    let granted = result.map_err(|e| format!("{:#}", anyhow::Error::from(e)))?;
    println!("{granted} monthly grants");
    Ok(())
}

async fn odoo_sync(config: Config) -> Result<(), String> {
    if config.odoo.is_none() {
        return Err(atelier::billing::odoo::sync::SyncError::NotConfigured.to_string());
    }
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = atelier::billing::odoo::sync::run_once(&app).await;
    app.shutdown();
    let report = result.map_err(|e| e.to_string())?;
    println!("{report}");
    Ok(())
}

async fn check_ledger(config: Config) -> Result<(), String> {
    let app = App::start(config).await.map_err(|e| e.to_string())?;
    let result = async {
        let mut conn = app.db.conn().await?;
        atelier::credits::service::ledger_mismatches(&mut conn).await
    }
    .await;
    app.shutdown();
    let mismatches = result.map_err(|e| format!("{:#}", anyhow::Error::from(e)))?;
    if mismatches.is_empty() {
        println!("ledger ok: every balance equals its opening plus its transactions");
        return Ok(());
    }
    for m in &mismatches {
        println!(
            "{} {}: balance {} but the ledger says {}",
            m.holder_kind, m.holder_id, m.balance, m.expected
        );
    }
    Err(format!(
        "{} holder(s) whose balance differs from the ledger",
        mismatches.len()
    ))
}

async fn worker(config: Config) -> Result<(), String> {
    let count = config.generation.workers.max(1);
    let app = Arc::new(App::start(config).await.map_err(|e| e.to_string())?);
    tracing::info!(count, "generation workers running");
    atelier::billing::grants::spawn(app.clone(), app.config.stripe.grant_interval);
    atelier::billing::odoo::sync::spawn(app.clone());
    let workers = atelier::generation::worker::Workers::start(app.clone(), count);
    shutdown_signal().await;
    if let Some(workers) = workers {
        workers.stop(Duration::from_secs(20)).await;
    }
    app.shutdown();
    Ok(())
}

async fn serve(config: Config, seed_demo: bool) -> Result<(), String> {
    let address = std::net::SocketAddr::new(config.server.host, config.server.port);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("PORT: cannot listen on {address}: {e}"))?;
    let app = Arc::new(App::start(config).await.map_err(|e| e.to_string())?);
    if seed_demo {
        match atelier::demo::seed(&app).await {
            Ok(report) => println!("{report}"),
            Err(e) => {
                app.shutdown();
                return Err(format!("seeding failed: {e:#}"));
            }
        }
    }
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(graphql = %format!("http://{local}/graphql"), graphiql = %format!("http://{local}/graphiql"), "Atelier is listening");
    let workers =
        atelier::generation::worker::Workers::start(app.clone(), app.config.generation.workers);
    atelier::billing::grants::spawn(app.clone(), app.config.stripe.grant_interval);
    atelier::billing::odoo::sync::spawn(app.clone());
    let result = atelier::server::serve(app.clone(), listener, shutdown_signal()).await;
    if let Some(workers) = workers {
        workers.stop(Duration::from_secs(20)).await;
    }
    app.shutdown();
    result.map_err(|e| format!("server error: {e}"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
