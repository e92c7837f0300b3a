//! Configuration, read once from the environment at start-up.
//!
//! The variables, their defaults and meanings are listed once, in README.md's
//! Configuration table; `docs::the_readme_settings_table_lists_what_config_reads_with_its_defaults`
//! fails when that table and the code below differ.
//!
//! Every error names the variable and what is wrong with it, on one line.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

/// A configuration value that cannot be used; its `Display` is the one line printed at start-up.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {problem}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, problem: impl Into<String>) -> Self {
        Self {
            setting,
            problem: problem.into(),
        }
    }
}

/// Whether the server runs for development (GraphiQL, introspection, detailed errors) or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `None` means: provision a private PostgreSQL under `DATA_DIR`.
    pub url: Option<SecretString>,
    pub pool_size: usize,
    pub statement_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: IpAddr,
    pub port: u16,
}

/// Accounts, sessions and their limits.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub session_ttl: Duration,
    pub encryption_key: Option<SecretString>,
    pub attempts_per_minute: u64,
    pub attempts_per_ip_per_minute: u64,
    pub api_client_default_rate_limit: u64,
    pub signup_credit_grant: rust_decimal::Decimal,
}

/// An S3-compatible bucket.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<SecretString>,
    pub allow_http: bool,
}

/// Asset files.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub max_upload_bytes: u64,
    pub download_url_ttl: Duration,
    pub s3: Option<S3Config>,
}

/// The generation pipeline.
#[derive(Debug, Clone)]
pub struct GenerationConfig {
    /// Workers inside the server process.
    pub workers: usize,
    /// How long a processing phase may take before the request fails (refunded).
    pub phase_deadline: Duration,
    /// How long samples wait for a selection before the request fails.
    pub selection_deadline: Duration,
    /// Words the content check refuses.
    pub blocklist: Vec<String>,
    pub max_attempts: u32,
    pub lease: Duration,
    pub poll_interval: Duration,
    pub sweep_interval: Duration,
    /// How often a `generationStatus` subscription re-reads the database even
    /// without an event (covers events lost while Redis was away).
    pub recheck_interval: Duration,
    /// A debit that takes a balance below this sends a `billing_alert`.
    pub low_balance_threshold: rust_decimal::Decimal,
}

/// Complexity budgets: what one query may cost, by who asks.
#[derive(Debug, Clone)]
pub struct BudgetConfig {
    pub anonymous: u64,
    pub free: u64,
    pub pro: u64,
    pub team: u64,
    pub enterprise: u64,
    pub api_client: u64,
}

/// Where mail goes.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub smtp_url: Option<SecretString>,
    pub from: String,
    pub public_url: String,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub level: String,
    pub format: LogFormat,
}

/// The whole configuration of one Atelier process.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub database: DatabaseConfig,
    /// `None` means in-process cache and events.
    pub redis_url: Option<SecretString>,
    pub redis_prefix: String,
    pub server: ServerConfig,
    pub data_dir: PathBuf,
    pub log: LogConfig,
    pub auth: AuthConfig,
    pub mail: MailConfig,
    pub storage: StorageConfig,
    pub generation: GenerationConfig,
    pub limits: crate::graphql::limits::Limits,
    pub budgets: BudgetConfig,
    pub http: HttpConfig,
    pub websocket: WebSocketConfig,
    pub telemetry: TelemetryConfig,
    /// Store sizes and waits that bound what a hostile caller can cost (`bounds.rs`).
    pub bounds: crate::bounds::Bounds,
    /// Team invitations and data exports (issue 15).
    pub sharing: SharingConfig,
    /// Social sign-in and social media connections (issue 15).
    pub social: SocialConfig,
    /// Payments (issue 14).
    pub stripe: StripeConfig,
    /// The Odoo sync (issue 14); `None` without the ODOO_* settings.
    pub odoo: Option<OdooConfig>,
}

/// Team invitations and data exports.
#[derive(Debug, Clone)]
pub struct SharingConfig {
    /// How long an invitation's token may be used.
    pub invitation_ttl: Duration,
    /// How long a completed export's file is kept before the sweep removes it.
    pub data_export_ttl: Duration,
}

impl SharingConfig {
    fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let invitation_hours = parse_number(
            get("TEAM_INVITATION_TTL_HOURS"),
            "TEAM_INVITATION_TTL_HOURS",
            168,
            1,
            90 * 24,
        )?;
        let export_days = parse_number(
            get("DATA_EXPORT_TTL_DAYS"),
            "DATA_EXPORT_TTL_DAYS",
            7,
            1,
            365,
        )?;
        Ok(Self {
            invitation_ttl: Duration::from_secs(invitation_hours * 3600),
            data_export_ttl: Duration::from_secs(export_days * 24 * 3600),
        })
    }
}

/// Stripe: every setting optional. Without `STRIPE_WEBHOOK_SECRET`,
/// `/webhooks/stripe` answers 503 `BILLING_NOT_CONFIGURED`.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// The API's secret key (`sk_...`), for calls to Stripe.
    pub secret_key: Option<SecretString>,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: Option<SecretString>,
    /// Where Stripe's API is (a local fake in tests).
    pub api_base: String,
    /// How often `serve` and `worker` grant the monthly credits that are due.
    pub grant_interval: Duration,
}

/// Limits of the subscription sockets.
#[derive(Debug, Clone)]
pub struct WebSocketConfig {
    /// A socket that has not sent `connection_init` by then is closed (4408).
    pub init_timeout: Duration,
    /// How often the server pings; a socket silent for three intervals is closed.
    pub keepalive: Duration,
    pub max_subscriptions: usize,
    pub max_connections: usize,
    /// Messages waiting for one socket before it counts as a slow consumer.
    pub outbound_queue: usize,
    /// Revocations close sockets at once through the event bus; this re-check is the
    /// backstop for an event lost while Redis was away, and for credentials that expire.
    pub credential_recheck: Duration,
}

/// Where traces go besides the log.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// OTLP/HTTP collector base URL; `None`: spans stay in the log.
    pub otlp_endpoint: Option<String>,
    pub service_name: String,
}

/// What the HTTP surface exposes.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins allowed by CORS; empty: same-origin only. `*` allows any.
    pub cors_origins: Vec<String>,
    pub introspection: bool,
    pub graphiql: bool,
    /// The live dashboard page at `/dashboard`.
    pub dashboard: bool,
    /// An HTTP request taking longer is answered 408 (subscriptions are not affected).
    pub request_timeout: Duration,
    /// Safelist mode: only the operations in this file run.
    pub persisted_queries_file: Option<PathBuf>,
    /// Operations one JSON-array batch may hold.
    pub max_batch: usize,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&std::env::vars().collect())
    }

    /// Reads the given variables; tests use this to avoid touching the process environment.
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let environment = match get("ATELIER_ENV").as_deref() {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "ATELIER_ENV",
                    format!("expected 'development' or 'production', got '{other}'"),
                ))
            }
        };

        let database_url = get("DATABASE_URL")
            .map(|url| {
                if url.starts_with("postgres://") || url.starts_with("postgresql://") {
                    Ok(SecretString::from(url))
                } else {
                    Err(ConfigError::new(
                        "DATABASE_URL",
                        "expected a URL starting with postgres:// or postgresql://",
                    ))
                }
            })
            .transpose()?;

        let redis_url = get("REDIS_URL")
            .map(|url| {
                if url.starts_with("redis://")
                    || url.starts_with("rediss://")
                    || url.starts_with("redis+unix://")
                    || url.starts_with("unix://")
                {
                    Ok(SecretString::from(url))
                } else {
                    Err(ConfigError::new(
                        "REDIS_URL",
                        "expected a URL starting with redis://, rediss:// or unix://",
                    ))
                }
            })
            .transpose()?;

        let pool_size = parse_number(get("DATABASE_POOL_SIZE"), "DATABASE_POOL_SIZE", 16, 1, 1000)?;
        let statement_timeout_ms = parse_number(
            get("DATABASE_STATEMENT_TIMEOUT_MS"),
            "DATABASE_STATEMENT_TIMEOUT_MS",
            30_000,
            1,
            24 * 3_600_000,
        )?;

        let host = match get("HOST") {
            None => IpAddr::from([0, 0, 0, 0]),
            Some(h) if h == "localhost" => IpAddr::from([127, 0, 0, 1]),
            Some(h) => h.parse().map_err(|_| {
                ConfigError::new("HOST", format!("expected an IP address, got '{h}'"))
            })?,
        };
        let port = parse_number(get("PORT"), "PORT", 8080, 0, u16::MAX as u64)? as u16;

        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "./.atelier".into()));

        let level = get("LOG_LEVEL")
            .or_else(|| get("RUST_LOG"))
            .unwrap_or_else(|| "info".into());
        // Filters are ASCII (targets, levels, spans); tracing-subscriber 0.3.23
        // panics slicing some non-ASCII text (found by the `config` fuzz target).
        if !level.is_ascii() || tracing_subscriber::EnvFilter::try_new(&level).is_err() {
            return Err(ConfigError::new(
                "LOG_LEVEL",
                format!("not a valid filter: '{level}' (try info, debug or atelier=debug,info)"),
            ));
        }
        let format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("expected 'text' or 'json', got '{other}'"),
                ))
            }
        };

        let session_ttl_days =
            parse_number(get("SESSION_TTL_DAYS"), "SESSION_TTL_DAYS", 30, 1, 3650)?;
        let encryption_key = get("ENCRYPTION_KEY")
            .map(|key| match crate::secrets::SecretBox::parse_key(&key) {
                Some(_) => Ok(SecretString::from(key)),
                None => Err(ConfigError::new(
                    "ENCRYPTION_KEY",
                    "expected 32 bytes as 64 hex digits or base64",
                )),
            })
            .transpose()?;
        if encryption_key.is_none() && environment == Environment::Production {
            return Err(ConfigError::new(
                "ENCRYPTION_KEY",
                "required when ATELIER_ENV=production",
            ));
        }
        let signup_credit_grant = match get("SIGNUP_CREDIT_GRANT") {
            None => rust_decimal::Decimal::new(1000, 2),
            Some(raw) => raw
                .parse::<rust_decimal::Decimal>()
                .ok()
                .filter(|d| !d.is_sign_negative() && d.scale() <= 2)
                .ok_or_else(|| {
                    ConfigError::new(
                        "SIGNUP_CREDIT_GRANT",
                        format!("expected a non-negative amount like 10.00, got '{raw}'"),
                    )
                })?,
        };
        let smtp_url = get("SMTP_URL")
            .map(|url| {
                if url.starts_with("smtp://") || url.starts_with("smtps://") {
                    Ok(SecretString::from(url))
                } else {
                    Err(ConfigError::new(
                        "SMTP_URL",
                        "expected a URL starting with smtp:// or smtps://",
                    ))
                }
            })
            .transpose()?;
        let auth = AuthConfig {
            session_ttl: Duration::from_secs(session_ttl_days * 24 * 3600),
            encryption_key,
            attempts_per_minute: parse_number(
                get("AUTH_ATTEMPTS_PER_MINUTE"),
                "AUTH_ATTEMPTS_PER_MINUTE",
                10,
                1,
                100_000,
            )?,
            attempts_per_ip_per_minute: parse_number(
                get("AUTH_ATTEMPTS_PER_IP_PER_MINUTE"),
                "AUTH_ATTEMPTS_PER_IP_PER_MINUTE",
                30,
                1,
                100_000,
            )?,
            api_client_default_rate_limit: parse_number(
                get("API_CLIENT_DEFAULT_RATE_LIMIT"),
                "API_CLIENT_DEFAULT_RATE_LIMIT",
                600,
                1,
                1_000_000,
            )?,
            signup_credit_grant,
        };
        let mail = MailConfig {
            smtp_url,
            from: get("MAIL_FROM").unwrap_or_else(|| "Atelier <no-reply@atelier.local>".into()),
            public_url: get("PUBLIC_URL")
                .unwrap_or_else(|| format!("http://localhost:{port}"))
                .trim_end_matches('/')
                .to_string(),
        };

        let s3 = get("S3_BUCKET").map(|bucket| S3Config {
            bucket,
            region: get("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            endpoint: get("S3_ENDPOINT"),
            access_key_id: get("S3_ACCESS_KEY_ID"),
            secret_access_key: get("S3_SECRET_ACCESS_KEY").map(SecretString::from),
            allow_http: get("S3_ALLOW_HTTP").is_some_and(|v| v == "true" || v == "1"),
        });
        let storage = StorageConfig {
            max_upload_bytes: parse_number(get("MAX_UPLOAD_MB"), "MAX_UPLOAD_MB", 25, 1, 10_240)?
                * 1024
                * 1024,
            download_url_ttl: Duration::from_secs(parse_number(
                get("DOWNLOAD_URL_TTL_SECONDS"),
                "DOWNLOAD_URL_TTL_SECONDS",
                900,
                1,
                7 * 24 * 3600,
            )?),
            s3,
        };

        let generation = GenerationConfig {
            workers: parse_number(get("WORKERS"), "WORKERS", 2, 0, 64)? as usize,
            phase_deadline: Duration::from_secs(parse_number(
                get("GENERATION_PHASE_DEADLINE_SECONDS"),
                "GENERATION_PHASE_DEADLINE_SECONDS",
                600,
                1,
                86_400,
            )?),
            selection_deadline: Duration::from_secs(parse_number(
                get("GENERATION_SELECTION_DEADLINE_SECONDS"),
                "GENERATION_SELECTION_DEADLINE_SECONDS",
                86_400,
                1,
                30 * 86_400,
            )?),
            blocklist: get("CONTENT_BLOCKLIST")
                .unwrap_or_else(|| "gore,beheading,csam,nazi".into())
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty())
                .collect(),
            max_attempts: parse_number(
                get("GENERATION_MAX_ATTEMPTS"),
                "GENERATION_MAX_ATTEMPTS",
                3,
                1,
                20,
            )? as u32,
            lease: Duration::from_secs(parse_number(
                get("WORKER_LEASE_SECONDS"),
                "WORKER_LEASE_SECONDS",
                30,
                1,
                3600,
            )?),
            poll_interval: Duration::from_millis(parse_number(
                get("WORKER_POLL_MS"),
                "WORKER_POLL_MS",
                250,
                10,
                60_000,
            )?),
            sweep_interval: Duration::from_millis(parse_number(
                get("SWEEP_INTERVAL_MS"),
                "SWEEP_INTERVAL_MS",
                5_000,
                10,
                3_600_000,
            )?),
            recheck_interval: Duration::from_millis(parse_number(
                get("SUBSCRIPTION_RECHECK_MS"),
                "SUBSCRIPTION_RECHECK_MS",
                2_000,
                10,
                3_600_000,
            )?),
            low_balance_threshold: match get("LOW_BALANCE_THRESHOLD") {
                None => rust_decimal::Decimal::new(500, 2),
                Some(raw) => raw
                    .parse::<rust_decimal::Decimal>()
                    .ok()
                    .filter(|d| !d.is_sign_negative())
                    .ok_or_else(|| {
                        ConfigError::new(
                            "LOW_BALANCE_THRESHOLD",
                            format!("expected a non-negative amount, got '{raw}'"),
                        )
                    })?,
            },
        };

        let number = |name: &'static str, default: u64, max: u64| {
            parse_number(get(name), name, default, 1, max)
        };
        let limits = crate::graphql::limits::Limits {
            max_depth: number("QUERY_MAX_DEPTH", 12, 1000)?,
            max_aliases: number("QUERY_MAX_ALIASES", 30, 100_000)?,
            max_root_fields: number("QUERY_MAX_ROOT_FIELDS", 20, 100_000)?,
            max_directives_per_field: number("QUERY_MAX_DIRECTIVES", 5, 1000)?,
            max_fragment_depth: number("QUERY_MAX_FRAGMENT_DEPTH", 8, 1000)?,
            max_document_bytes: number("QUERY_MAX_BYTES", 32 * 1024, 10 * 1024 * 1024)?,
        };
        let budgets = BudgetConfig {
            anonymous: number("QUERY_BUDGET_ANONYMOUS", 10_000, u64::MAX / 2)?,
            free: number("QUERY_BUDGET_FREE", 50_000, u64::MAX / 2)?,
            pro: number("QUERY_BUDGET_PRO", 200_000, u64::MAX / 2)?,
            team: number("QUERY_BUDGET_TEAM", 500_000, u64::MAX / 2)?,
            enterprise: number("QUERY_BUDGET_ENTERPRISE", 1_000_000, u64::MAX / 2)?,
            api_client: number("QUERY_BUDGET_API_CLIENT", 200_000, u64::MAX / 2)?,
        };

        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).as_deref() {
                None => Ok(default),
                Some("true" | "1" | "yes") => Ok(true),
                Some("false" | "0" | "no") => Ok(false),
                Some(other) => Err(ConfigError::new(
                    name,
                    format!("expected true or false, got '{other}'"),
                )),
            }
        };
        let development = environment == Environment::Development;
        let http = HttpConfig {
            cors_origins: get("CORS_ALLOWED_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_string())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            introspection: flag("ENABLE_INTROSPECTION", development)?,
            graphiql: flag("ENABLE_GRAPHIQL", development)?,
            dashboard: flag("ENABLE_DASHBOARD", development)?,
            request_timeout: Duration::from_secs(parse_number(
                get("REQUEST_TIMEOUT_SECONDS"),
                "REQUEST_TIMEOUT_SECONDS",
                60,
                1,
                3600,
            )?),
            persisted_queries_file: get("PERSISTED_QUERIES_FILE").map(PathBuf::from),
            max_batch: parse_number(get("MAX_BATCH"), "MAX_BATCH", 10, 1, 1000)? as usize,
        };
        let websocket = WebSocketConfig {
            init_timeout: Duration::from_millis(number("WS_INIT_TIMEOUT_MS", 10_000, 3_600_000)?),
            keepalive: Duration::from_millis(number("WS_KEEPALIVE_MS", 15_000, 3_600_000)?),
            max_subscriptions: number("WS_MAX_SUBSCRIPTIONS", 100, 100_000)? as usize,
            max_connections: number("WS_MAX_CONNECTIONS", 10_000, 1_000_000)? as usize,
            outbound_queue: number("WS_OUTBOUND_QUEUE", 256, 1_000_000)? as usize,
            credential_recheck: Duration::from_millis(number(
                "WS_CREDENTIAL_RECHECK_MS",
                60_000,
                86_400_000,
            )?),
        };
        let otlp_endpoint = get("OTEL_EXPORTER_OTLP_ENDPOINT")
            .map(|url| {
                if url.starts_with("http://") || url.starts_with("https://") {
                    Ok(url.trim_end_matches('/').to_string())
                } else {
                    Err(ConfigError::new(
                        "OTEL_EXPORTER_OTLP_ENDPOINT",
                        "expected an http:// or https:// URL",
                    ))
                }
            })
            .transpose()?;
        let telemetry = TelemetryConfig {
            otlp_endpoint,
            service_name: get("OTEL_SERVICE_NAME").unwrap_or_else(|| "atelier".into()),
        };

        Ok(Self {
            environment,
            database: DatabaseConfig {
                url: database_url,
                pool_size: pool_size as usize,
                statement_timeout: Duration::from_millis(statement_timeout_ms),
            },
            redis_url,
            redis_prefix: get("REDIS_PREFIX").unwrap_or_else(|| "atelier".into()),
            server: ServerConfig { host, port },
            data_dir,
            log: LogConfig { level, format },
            auth,
            mail,
            storage,
            generation,
            limits,
            budgets,
            http,
            websocket,
            telemetry,
            bounds: crate::bounds::Bounds::from_vars(vars)?,
            sharing: SharingConfig::from_vars(vars)?,
            social: social_from_vars(&get)?,
            odoo: odoo_from_vars(&get)?,
            stripe: StripeConfig {
                secret_key: get("STRIPE_SECRET_KEY").map(SecretString::from),
                webhook_secret: get("STRIPE_WEBHOOK_SECRET").map(SecretString::from),
                api_base: get("STRIPE_API_BASE")
                    .unwrap_or_else(|| "https://api.stripe.com".into())
                    .trim_end_matches('/')
                    .to_string(),
                grant_interval: Duration::from_secs(parse_number(
                    get("BILLING_GRANT_INTERVAL_SECONDS"),
                    "BILLING_GRANT_INTERVAL_SECONDS",
                    300,
                    1,
                    86_400,
                )?),
            },
        })
    }
}

// --- Social sign-in and social media connections (issue 15) ---------------

/// One OpenID Connect provider: its issuer (the discovery document is
/// `<issuer>/.well-known/openid-configuration`) and this deployment's client.
#[derive(Debug, Clone)]
pub struct OidcProviderConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// One social media platform's OAuth 2.0 endpoints and client, from
/// `SOCIAL_PLATFORMS_FILE`.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlatformConfig {
    pub authorize_url: String,
    pub token_url: String,
    /// Where a token is revoked on disconnect (RFC 7009), when the platform has one.
    pub revoke_url: Option<String>,
    /// Answers `{"id": ...}` for the access token's account.
    pub account_url: String,
    pub client_id: String,
    #[serde(deserialize_with = "secret_string")]
    pub client_secret: SecretString,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Where the HTTP adapter posts media (`publishAsset`); without it the
    /// platform is connected but not published to.
    pub publish_url: Option<String>,
}

fn secret_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(SecretString::from)
}

#[derive(Debug, Clone, Default)]
pub struct SocialConfig {
    pub google: Option<OidcProviderConfig>,
    pub facebook: Option<OidcProviderConfig>,
    pub apple: Option<OidcProviderConfig>,
    /// Redirect URIs a flow may return to (exact match).
    pub redirect_uris: Vec<String>,
    /// Platform name as stored (`Instagram`...) to its endpoints.
    pub platforms: HashMap<String, PlatformConfig>,
    /// How often connections close to expiry are refreshed.
    pub refresh_interval: Duration,
    /// A token expiring within this margin is refreshed.
    pub refresh_margin: Duration,
}

fn oidc_provider(
    issuer: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    names: [&'static str; 3],
) -> Result<Option<OidcProviderConfig>, ConfigError> {
    match (issuer, client_id, client_secret) {
        (None, None, None) => Ok(None),
        (Some(issuer), Some(client_id), Some(client_secret)) => {
            if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
                return Err(ConfigError::new(names[0], "expected an https:// URL"));
            }
            Ok(Some(OidcProviderConfig {
                issuer,
                client_id,
                client_secret: SecretString::from(client_secret),
            }))
        }
        (issuer, client_id, _) => {
            let missing = if issuer.is_none() {
                names[0]
            } else if client_id.is_none() {
                names[1]
            } else {
                names[2]
            };
            Err(ConfigError::new(
                missing,
                "the provider's issuer, client id and client secret go together",
            ))
        }
    }
}

fn social_from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<SocialConfig, ConfigError> {
    let google = oidc_provider(
        get("GOOGLE_OIDC_ISSUER"),
        get("GOOGLE_OIDC_CLIENT_ID"),
        get("GOOGLE_OIDC_CLIENT_SECRET"),
        [
            "GOOGLE_OIDC_ISSUER",
            "GOOGLE_OIDC_CLIENT_ID",
            "GOOGLE_OIDC_CLIENT_SECRET",
        ],
    )?;
    let facebook = oidc_provider(
        get("FACEBOOK_OIDC_ISSUER"),
        get("FACEBOOK_OIDC_CLIENT_ID"),
        get("FACEBOOK_OIDC_CLIENT_SECRET"),
        [
            "FACEBOOK_OIDC_ISSUER",
            "FACEBOOK_OIDC_CLIENT_ID",
            "FACEBOOK_OIDC_CLIENT_SECRET",
        ],
    )?;
    let apple = oidc_provider(
        get("APPLE_OIDC_ISSUER"),
        get("APPLE_OIDC_CLIENT_ID"),
        get("APPLE_OIDC_CLIENT_SECRET"),
        [
            "APPLE_OIDC_ISSUER",
            "APPLE_OIDC_CLIENT_ID",
            "APPLE_OIDC_CLIENT_SECRET",
        ],
    )?;
    let redirect_uris = get("SOCIAL_REDIRECT_URIS")
        .map(|v| {
            v.split(',')
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let platforms = match get("SOCIAL_PLATFORMS_FILE") {
        None => HashMap::new(),
        Some(path) => {
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ConfigError::new("SOCIAL_PLATFORMS_FILE", format!("cannot read {path}: {e}"))
            })?;
            let platforms: HashMap<String, PlatformConfig> = serde_json::from_str(&text)
                .map_err(|e| ConfigError::new("SOCIAL_PLATFORMS_FILE", format!("{path}: {e}")))?;
            const KNOWN: [&str; 6] = [
                "Instagram",
                "Facebook",
                "LinkedIn",
                "Twitter",
                "Pinterest",
                "TikTok",
            ];
            if let Some(unknown) = platforms.keys().find(|k| !KNOWN.contains(&k.as_str())) {
                return Err(ConfigError::new(
                    "SOCIAL_PLATFORMS_FILE",
                    format!("unknown platform '{unknown}' (expected one of {KNOWN:?})"),
                ));
            }
            platforms
        }
    };
    Ok(SocialConfig {
        google,
        facebook,
        apple,
        redirect_uris,
        platforms,
        refresh_interval: Duration::from_millis(parse_number(
            get("SOCIAL_REFRESH_INTERVAL_MS"),
            "SOCIAL_REFRESH_INTERVAL_MS",
            60_000,
            10,
            86_400_000,
        )?),
        refresh_margin: Duration::from_secs(parse_number(
            get("SOCIAL_REFRESH_MARGIN_SECONDS"),
            "SOCIAL_REFRESH_MARGIN_SECONDS",
            300,
            0,
            30 * 86_400,
        )?),
    })
}

pub(crate) fn parse_number(
    value: Option<String>,
    setting: &'static str,
    default: u64,
    min: u64,
    max: u64,
) -> Result<u64, ConfigError> {
    let Some(raw) = value else {
        return Ok(default);
    };
    match raw.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(ConfigError::new(
            setting,
            format!("expected a whole number from {min} to {max}, got '{raw}'"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_variables() {
        let config = Config::from_vars(&HashMap::new()).expect("defaults are valid");
        assert_eq!(config.server.port, 8080);
        assert!(config.database.url.is_none());
        assert!(config.redis_url.is_none());
        assert_eq!(config.environment, Environment::Development);
    }

    #[test]
    fn a_bad_port_names_the_setting() {
        let err = Config::from_vars(&vars(&[("PORT", "eighty")])).expect_err("invalid");
        assert_eq!(err.setting, "PORT");
        assert!(err.to_string().starts_with("PORT: "));
    }

    #[test]
    fn a_log_level_with_non_ascii_text_is_refused_not_a_panic() {
        for level in ["info,é", "atelier[spän]=debug", "ü=debug", "debug,a{b=ö}"] {
            let err = Config::from_vars(&vars(&[("LOG_LEVEL", level)])).expect_err(level);
            assert_eq!(err.setting, "LOG_LEVEL", "{level}");
        }
    }

    #[test]
    fn a_database_url_of_another_scheme_is_refused() {
        let err = Config::from_vars(&vars(&[("DATABASE_URL", "mysql://x")])).expect_err("bad");
        assert_eq!(err.setting, "DATABASE_URL");
    }

    #[test]
    fn production_needs_an_encryption_key() {
        let err = Config::from_vars(&vars(&[("ATELIER_ENV", "production")])).expect_err("no key");
        assert_eq!(err.setting, "ENCRYPTION_KEY");
        let bad = Config::from_vars(&vars(&[("ENCRYPTION_KEY", "short")])).expect_err("bad");
        assert_eq!(bad.setting, "ENCRYPTION_KEY");
    }

    #[test]
    fn a_redis_url_of_another_scheme_is_refused() {
        let err = Config::from_vars(&vars(&[("REDIS_URL", "http://x")])).expect_err("bad");
        assert_eq!(err.setting, "REDIS_URL");
    }
}

// --- The Odoo sync (issue 14) ----------------------------------------------

/// Odoo's external JSON-RPC API: all four of ODOO_URL, ODOO_DB, ODOO_USER and
/// ODOO_API_KEY, or none (the sync is off).
#[derive(Debug, Clone)]
pub struct OdooConfig {
    /// The Odoo server's base URL; calls go to `{url}/jsonrpc`.
    pub url: String,
    pub database: String,
    pub user: String,
    pub api_key: SecretString,
    /// How often `serve` and `worker` run a sync pass (a webhook runs one at once).
    pub sync_interval: Duration,
    /// Records asked for per `search_read` call.
    pub page_size: i64,
    /// Key of the `X-Odoo-Signature` HMAC on `POST /webhooks/odoo`; without it
    /// the webhook answers 503.
    pub webhook_secret: Option<SecretString>,
}

const ODOO_SETTINGS: [&str; 4] = ["ODOO_URL", "ODOO_DB", "ODOO_USER", "ODOO_API_KEY"];

fn odoo_from_vars(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<OdooConfig>, ConfigError> {
    let values = ODOO_SETTINGS.map(get);
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let Some(missing) = ODOO_SETTINGS
        .iter()
        .zip(&values)
        .find_map(|(name, value)| value.is_none().then_some(*name))
    {
        return Err(ConfigError::new(
            missing,
            "missing: the Odoo sync needs ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY together (or none of them)",
        ));
    }
    let [Some(url), Some(database), Some(user), Some(api_key)] = values else {
        return Ok(None);
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ConfigError::new(
            "ODOO_URL",
            format!("expected an http:// or https:// URL, got '{url}'"),
        ));
    }
    let sync_interval = Duration::from_secs(parse_number(
        get("ODOO_SYNC_INTERVAL_SECONDS"),
        "ODOO_SYNC_INTERVAL_SECONDS",
        300,
        1,
        86_400,
    )?);
    let page_size = parse_number(
        get("ODOO_SYNC_PAGE_SIZE"),
        "ODOO_SYNC_PAGE_SIZE",
        100,
        1,
        1000,
    )? as i64;
    Ok(Some(OdooConfig {
        url: url.trim_end_matches('/').to_string(),
        database,
        user,
        api_key: SecretString::from(api_key),
        sync_interval,
        page_size,
        webhook_secret: get("ODOO_WEBHOOK_SECRET").map(SecretString::from),
    }))
}
