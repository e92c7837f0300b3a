//! API clients: `Authorization: ApiKey <apiKey>:<secret>`. The secret is shown
//! once; the database keeps its SHA-256. A client acts as its user, limited to
//! its scopes, its allowed origins and IPs, its expiry and its rate limit.

use std::net::IpAddr;
use std::time::Duration;

use async_graphql::InputObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use ipnet::IpNet;
use rand::RngCore;
use serde_json::json;
use uuid::Uuid;

use super::model::ApiClient;
use crate::app::App;
use crate::authz::{Caller, RequestInfo, API_SCOPES};
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::{api_clients, users};
use crate::error::{AppError, AppResult};
use crate::events::Revoked;
use crate::graphql::id::{GlobalId, NodeType};
use crate::secrets::{constant_time_eq, random_token, sha256_hex};

/// What a new API client may do.
#[derive(Debug, InputObject)]
pub struct CreateApiClientInput {
    /// A name to recognise it by (1-100 characters).
    pub name: String,
    /// A team's client (team ADMIN or OWNER only); omitted for a personal client.
    pub team_id: Option<async_graphql::ID>,
    /// Scopes granted, e.g. `generation:write` (at least one).
    pub scopes: Vec<String>,
    /// Origins (`https://app.example.com`) allowed to use it; empty allows any.
    #[graphql(default)]
    pub allowed_origins: Vec<String>,
    /// IP addresses or CIDR ranges allowed to use it; empty allows any.
    #[graphql(default)]
    pub allowed_ips: Vec<String>,
    /// Requests per minute (default: the deployment's default).
    pub rate_limit_per_min: Option<i32>,
    /// After this instant the client is refused.
    pub expires_at: Option<DateTime<Utc>>,
}

fn new_api_key() -> String {
    let mut bytes = [0u8; 15];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!(
        "atl_{}",
        data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
    )
}

fn check_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', ' '])
}

fn parse_network(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// A new client's settings, checked: what `create` inserts.
#[derive(Debug)]
pub struct NewApiClient {
    /// The team whose client it is; the resolver checks the caller may create it.
    pub team_id: Option<Uuid>,
    name: String,
    scopes: Vec<String>,
    allowed_origins: Vec<String>,
    allowed_ips: Vec<String>,
    rate_limit_per_min: Option<i32>,
    expires_at: Option<DateTime<Utc>>,
}

/// Checks a new client's settings (`BAD_USER_INPUT` naming the field).
pub fn validate(input: CreateApiClientInput) -> AppResult<NewApiClient> {
    let name = input.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::bad_input(
            "name",
            "a name has 1 to 100 characters",
        ));
    }
    if input.scopes.is_empty() {
        return Err(AppError::bad_input("scopes", "grant at least one scope"));
    }
    if let Some(bad) = input
        .scopes
        .iter()
        .find(|s| !API_SCOPES.contains(&s.as_str()))
    {
        return Err(AppError::bad_input(
            "scopes",
            format!("unknown scope '{bad}'; known: {}", API_SCOPES.join(", ")),
        ));
    }
    if let Some(bad) = input.allowed_origins.iter().find(|o| !check_origin(o)) {
        return Err(AppError::bad_input(
            "allowedOrigins",
            format!("'{bad}' is not an origin like https://app.example.com"),
        ));
    }
    if let Some(bad) = input
        .allowed_ips
        .iter()
        .find(|ip| parse_network(ip).is_none())
    {
        return Err(AppError::bad_input(
            "allowedIps",
            format!("'{bad}' is not an IP address or CIDR range"),
        ));
    }
    if let Some(limit) = input.rate_limit_per_min {
        if !(1..=100_000).contains(&limit) {
            return Err(AppError::bad_input(
                "rateLimitPerMin",
                "between 1 and 100000",
            ));
        }
    }
    if input.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(AppError::bad_input("expiresAt", "must be in the future"));
    }
    let team_id = input
        .team_id
        .as_ref()
        .map(|id| GlobalId::decode_uuid(id, NodeType::Team, "teamId"))
        .transpose()?;
    let mut scopes = input.scopes;
    scopes.sort();
    scopes.dedup();
    Ok(NewApiClient {
        team_id,
        name,
        scopes,
        allowed_origins: input.allowed_origins,
        allowed_ips: input.allowed_ips,
        rate_limit_per_min: input.rate_limit_per_min,
        expires_at: input.expires_at,
    })
}

/// Creates a checked client for `user_id`; the secret is returned only here.
pub async fn create(app: &App, user_id: Uuid, new: NewApiClient) -> AppResult<(ApiClient, String)> {
    let team_id = new.team_id;
    let mut conn = app.db.conn().await?;
    let secret = random_token();
    let client: ApiClient = diesel::insert_into(api_clients::table)
        .values((
            api_clients::user_id.eq(user_id),
            api_clients::team_id.eq(team_id),
            api_clients::name.eq(new.name),
            api_clients::api_key.eq(new_api_key()),
            api_clients::secret_hash.eq(sha256_hex(&secret)),
            api_clients::scopes.eq(json!(new.scopes)),
            api_clients::allowed_origins.eq(json!(new.allowed_origins)),
            api_clients::allowed_ips.eq(json!(new.allowed_ips)),
            api_clients::rate_limit_per_min.eq(new.rate_limit_per_min),
            api_clients::expires_at.eq(new.expires_at),
        ))
        .returning(ApiClient::as_returning())
        .get_result(&mut conn)
        .await?;
    usage::record(
        &mut conn,
        UsageEntry {
            user_id: Some(user_id),
            action_type: "api_client_created",
            api_client_id: Some(client.id),
            details: Some(json!({"name": client.name, "teamId": team_id})),
            ..Default::default()
        },
    )
    .await?;
    Ok((client, secret))
}

/// The client with this id, if any (the resolver checks who may manage it).
pub async fn find(app: &App, client_id: Uuid) -> AppResult<Option<ApiClient>> {
    let mut conn = app.db.conn().await?;
    Ok(api_clients::table
        .find(client_id)
        .select(ApiClient::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

/// Replaces the secret of a client the caller manages; the old one stops at once.
pub async fn rotate_secret(
    app: &App,
    user_id: Uuid,
    client_id: Uuid,
) -> AppResult<(ApiClient, String)> {
    let mut conn = app.db.conn().await?;
    let secret = random_token();
    let client: ApiClient = diesel::update(api_clients::table.find(client_id))
        .set(api_clients::secret_hash.eq(sha256_hex(&secret)))
        .returning(ApiClient::as_returning())
        .get_result(&mut conn)
        .await?;
    log(&mut conn, user_id, client_id, "api_client_rotated").await?;
    // Sockets opened with the old secret must not outlive it.
    close_sockets_of(app, client_id).await;
    Ok((client, secret))
}

/// Deactivates a client the caller manages.
pub async fn revoke(app: &App, user_id: Uuid, client_id: Uuid) -> AppResult<ApiClient> {
    let mut conn = app.db.conn().await?;
    let client: ApiClient = diesel::update(api_clients::table.find(client_id))
        .set(api_clients::is_active.eq(false))
        .returning(ApiClient::as_returning())
        .get_result(&mut conn)
        .await?;
    log(&mut conn, user_id, client_id, "api_client_revoked").await?;
    close_sockets_of(app, client_id).await;
    Ok(client)
}

async fn close_sockets_of(app: &App, client_id: Uuid) {
    Revoked {
        clients: vec![client_id],
        ..Revoked::default()
    }
    .announce(&app.events)
    .await;
}

async fn log(
    conn: &mut AsyncPgConnection,
    user_id: Uuid,
    client_id: Uuid,
    action: &str,
) -> AppResult<()> {
    usage::record(
        conn,
        UsageEntry {
            user_id: Some(user_id),
            action_type: action,
            api_client_id: Some(client_id),
            ..Default::default()
        },
    )
    .await
}

/// The user's personal clients and those of `teams` (the teams whose clients
/// the caller may read, from the matrix).
pub async fn list_managed(app: &App, user_id: Uuid, teams: &[Uuid]) -> AppResult<Vec<ApiClient>> {
    let mut conn = app.db.conn().await?;
    Ok(api_clients::table
        .filter(
            api_clients::user_id
                .eq(user_id)
                .and(api_clients::team_id.is_null())
                .or(api_clients::team_id.eq_any(teams.to_vec())),
        )
        .order(api_clients::created_at.desc())
        .select(ApiClient::as_select())
        .load(&mut conn)
        .await?)
}

/// Resolves `ApiKey <apiKey>:<secret>`; every refusal is `UNAUTHENTICATED`,
/// except the rate limit.
pub async fn authenticate(app: &App, credentials: &str, info: &RequestInfo) -> AppResult<Caller> {
    let (api_key, secret) = credentials
        .split_once(':')
        .ok_or(AppError::Unauthenticated)?;
    let mut conn = app.db.conn().await?;
    let found: Option<(ApiClient, Option<DateTime<Utc>>)> = api_clients::table
        .inner_join(users::table)
        .filter(api_clients::api_key.eq(api_key))
        // A suspended account's keys stop working with its sessions.
        .filter(users::suspended_at.is_null())
        .select((ApiClient::as_select(), users::deleted_at))
        .first(&mut conn)
        .await
        .optional()?;
    let Some((client, user_deleted_at)) = found else {
        return Err(AppError::Unauthenticated);
    };
    let usable = constant_time_eq(&client.secret_hash, &sha256_hex(secret))
        && client.is_active
        && user_deleted_at.is_none()
        && client.expires_at.is_none_or(|at| at > Utc::now())
        && origin_allowed(&client, info.origin.as_deref())
        && ip_allowed(&client, info.ip);
    if !usable {
        return Err(AppError::Unauthenticated);
    }
    let limit = client
        .rate_limit_per_min
        .map_or(app.config.auth.api_client_default_rate_limit, |l| l as u64);
    app.rate_limiter
        .hit(
            &format!("api:{}", client.id),
            limit,
            Duration::from_secs(60),
        )
        .await?;
    diesel::update(api_clients::table.find(client.id))
        .filter(
            api_clients::last_used_at
                .is_null()
                .or(api_clients::last_used_at.lt(Utc::now() - chrono::TimeDelta::minutes(1))),
        )
        .set(api_clients::last_used_at.eq(Utc::now()))
        .execute(&mut conn)
        .await?;
    let scopes = client
        .scopes
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok(Caller::ApiClient {
        user_id: client.user_id,
        client_id: client.id,
        team_id: client.team_id,
        scopes,
    })
}

fn strings(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default()
}

/// With a non-empty allow list, the request must come from one of its origins.
fn origin_allowed(client: &ApiClient, origin: Option<&str>) -> bool {
    let allowed = strings(&client.allowed_origins);
    allowed.is_empty()
        || origin.is_some_and(|o| {
            allowed.iter().any(|a| {
                a.trim_end_matches('/')
                    .eq_ignore_ascii_case(o.trim_end_matches('/'))
            })
        })
}

fn ip_allowed(client: &ApiClient, ip: Option<IpAddr>) -> bool {
    let allowed = strings(&client.allowed_ips);
    allowed.is_empty()
        || ip.is_some_and(|ip| {
            let ip = match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
                v4 => v4,
            };
            allowed
                .iter()
                .filter_map(|a| parse_network(a))
                .any(|net| net.contains(&ip))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_networks_parse() {
        assert!(check_origin("https://app.example.com"));
        assert!(check_origin("http://localhost:3000"));
        assert!(!check_origin("app.example.com"));
        assert!(!check_origin("https://app.example.com/path"));
        assert!(parse_network("10.0.0.0/8").is_some());
        assert!(parse_network("127.0.0.1").is_some());
        assert!(parse_network("::1").is_some());
        assert!(parse_network("10.0.0.300").is_none());
    }
}
