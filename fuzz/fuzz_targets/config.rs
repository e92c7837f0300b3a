//! Settings (`Config::from_vars`): any values of the settings README's table
//! lists are read or refused with a `ConfigError`, never a panic; no settings at
//! all is a valid configuration; values are read trimmed, so surrounding spaces
//! never change the outcome; an error names a setting that was given.
#![no_main]

use std::collections::HashMap;

use atelier::config::Config;
use libfuzzer_sys::fuzz_target;

const SETTINGS: &[&str] = &[
    "API_CLIENT_DEFAULT_RATE_LIMIT",
    "APQ_MAX_ENTRIES",
    "APQ_MAX_QUERY_BYTES",
    "APQ_REGISTRATIONS_PER_MINUTE",
    "ATELIER_ENV",
    "AUTH_ATTEMPTS_PER_IP_PER_MINUTE",
    "AUTH_ATTEMPTS_PER_MINUTE",
    "CACHE_MAX_ENTRIES",
    "CACHE_MAX_MB",
    "CONTENT_BLOCKLIST",
    "CORS_ALLOWED_ORIGINS",
    "DATABASE_POOL_SIZE",
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "DATABASE_URL",
    "DATA_DIR",
    "DATA_EXPORT_TTL_DAYS",
    "DOWNLOAD_URL_TTL_SECONDS",
    "ENABLE_DASHBOARD",
    "ENABLE_GRAPHIQL",
    "ENABLE_INTROSPECTION",
    "ENCRYPTION_KEY",
    "GENERATION_MAX_ATTEMPTS",
    "GENERATION_PHASE_DEADLINE_SECONDS",
    "GENERATION_SELECTION_DEADLINE_SECONDS",
    "HOST",
    "HTTP2_MAX_STREAMS",
    "HTTP_HEADER_TIMEOUT_MS",
    "HTTP_IDLE_TIMEOUT_SECONDS",
    "HTTP_MAX_CONNECTIONS",
    "HTTP_MIN_BODY_BYTES_PER_SECOND",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "LOW_BALANCE_THRESHOLD",
    "MAIL_FROM",
    "MAX_BATCH",
    "MAX_UPLOAD_MB",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "OUTBOUND_CONNECT_TIMEOUT_MS",
    "OUTBOUND_TIMEOUT_SECONDS",
    "PERSISTED_QUERIES_FILE",
    "PORT",
    "PUBLIC_URL",
    "QUERY_BUDGET_ANONYMOUS",
    "QUERY_BUDGET_API_CLIENT",
    "QUERY_BUDGET_ENTERPRISE",
    "QUERY_BUDGET_FREE",
    "QUERY_BUDGET_PRO",
    "QUERY_BUDGET_TEAM",
    "QUERY_MAX_ALIASES",
    "QUERY_MAX_BYTES",
    "QUERY_MAX_DEPTH",
    "QUERY_MAX_DIRECTIVES",
    "QUERY_MAX_FRAGMENT_DEPTH",
    "QUERY_MAX_ROOT_FIELDS",
    "RATE_LIMIT_MAX_KEYS",
    "REDIS_PREFIX",
    "REDIS_TIMEOUT_MS",
    "REDIS_URL",
    "REQUEST_TIMEOUT_SECONDS",
    "S3_ACCESS_KEY_ID",
    "S3_ALLOW_HTTP",
    "S3_BUCKET",
    "S3_ENDPOINT",
    "S3_REGION",
    "S3_SECRET_ACCESS_KEY",
    "SESSION_TTL_DAYS",
    "SIGNUP_CREDIT_GRANT",
    "SMTP_URL",
    "SUBSCRIPTION_RECHECK_MS",
    "SWEEP_INTERVAL_MS",
    "TEAM_INVITATION_TTL_HOURS",
    "WORKERS",
    "WORKER_LEASE_SECONDS",
    "WORKER_POLL_MS",
    "WS_CREDENTIAL_RECHECK_MS",
    "WS_INIT_TIMEOUT_MS",
    "WS_KEEPALIVE_MS",
    "WS_MAX_CONNECTIONS",
    "WS_MAX_SUBSCRIPTIONS",
    "WS_OUTBOUND_QUEUE",
];

fn outcome(vars: &HashMap<String, String>) -> Result<(), &'static str> {
    Config::from_vars(vars).map(|_| ()).map_err(|e| e.setting)
}

fuzz_target!(|data: &[u8]| {
    // Each line is one setting: its first byte picks the name, the rest is the value.
    let text = String::from_utf8_lossy(data);
    let mut vars = HashMap::new();
    for line in text.split('\n') {
        let Some(&pick) = line.as_bytes().first() else {
            continue;
        };
        let name = SETTINGS[usize::from(pick) % SETTINGS.len()];
        let value = line.get(1..).unwrap_or_default();
        vars.insert(name.to_string(), value.to_string());
    }
    let result = outcome(&vars);
    assert_eq!(result, outcome(&vars), "reading is deterministic");
    if let Err(setting) = result {
        // The one setting required without being given: the key, in production.
        let production_key = setting == "ENCRYPTION_KEY" && vars.contains_key("ATELIER_ENV");
        assert!(
            vars.contains_key(setting) || production_key,
            "{setting} refused but not given: {vars:?}"
        );
    }
    let padded: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.clone(), format!(" {v}\t")))
        .collect();
    assert_eq!(outcome(&padded), result, "values are read trimmed");
    assert!(outcome(&HashMap::new()).is_ok());
});
