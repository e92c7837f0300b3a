//! The database itself enforces the spec: CHECK, UNIQUE and NOT NULL constraints
//! of every table, the foreign-key actions, the named indexes, `updated_at`, and
//! the triggers (one Owner per team, checked at COMMIT; projects following their
//! workbench; generation requests moving only along `generation_status_transitions`,
//! which must equal `generation::state::TRANSITIONS`).
//!
//! Most tests are table driven: [`TABLES`] describes, per table, a valid row and
//! the constraints to break; each case runs in its own transaction, rolled back.
//! The owner rule's cases also really commit, each on a database of its own.
//! [`the_cases_cover_every_constraint_the_database_has`] compares those lists
//! with the catalog, so a new constraint or trigger without a case fails the suite.

use std::collections::{BTreeMap, BTreeSet};

use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::{BigInt, Bool, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::helpers::TestDb;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// Placeholders usable in any SQL below, and the fixed ids they stand for.
const IDS: &[(&str, &str)] = &[
    ("{user}", "00000000-0000-4000-8000-000000000001"),
    ("{user2}", "00000000-0000-4000-8000-000000000002"),
    ("{team}", "00000000-0000-4000-8000-000000000003"),
    ("{brand_kit}", "00000000-0000-4000-8000-000000000004"),
    ("{template}", "00000000-0000-4000-8000-000000000005"),
    ("{workbench}", "00000000-0000-4000-8000-000000000006"),
    ("{project}", "00000000-0000-4000-8000-000000000007"),
    ("{generation}", "00000000-0000-4000-8000-000000000008"),
    ("{asset}", "00000000-0000-4000-8000-000000000009"),
    ("{model}", "00000000-0000-4000-8000-00000000000a"),
    ("{version}", "00000000-0000-4000-8000-00000000000b"),
    ("{validation}", "00000000-0000-4000-8000-00000000000c"),
    ("{api_client}", "00000000-0000-4000-8000-00000000000d"),
    ("{row}", "00000000-0000-4000-8000-00000000000e"),
    ("{new_id}", "00000000-0000-4000-8000-00000000000f"),
];

/// `sql` with its `{placeholders}` replaced by the fixture ids.
fn sql(sql: &str) -> String {
    IDS.iter()
        .fold(sql.to_string(), |acc, (token, id)| acc.replace(token, id))
}

/// The parent rows every case may point at. `{user}` owns `{team}` and is its
/// Owner member (the owner check runs at the end of the seed's one transaction).
/// `{user2}` owns nothing and belongs to no team, so cases can give it exactly
/// the rows they need.
const SEED: &str = r#"
INSERT INTO users (id, email, username) VALUES
    ('{user}', 'owner@example.com', 'owner'),
    ('{user2}', 'member@example.com', 'member');
INSERT INTO teams (id, name, owner_id) VALUES ('{team}', 'Studio', '{user}');
INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user}', 'Owner');
INSERT INTO brand_kits (id, user_id, team_id, name, colors, fonts)
    VALUES ('{brand_kit}', '{user}', '{team}', 'Kit', '[]', '[]');
INSERT INTO templates (id, user_id, name, category, preview_url, source_data)
    VALUES ('{template}', '{user}', 'Story', 'social', 'https://cdn.example/p.png', '{"layers": []}');
INSERT INTO workbenches (id, user_id, name, default_brand_kit_id)
    VALUES ('{workbench}', '{user}', 'Bench', '{brand_kit}');
INSERT INTO projects (id, workbench_id, user_id, template_id, brand_kit_id, name)
    VALUES ('{project}', '{workbench}', '{user}', '{template}', '{brand_kit}', 'Launch');
INSERT INTO generation_requests (id, user_id, project_id, input_prompt)
    VALUES ('{generation}', '{user}', '{project}', 'a cat in a hat');
INSERT INTO assets (id, project_id, user_id, generation_request_id, name, type, file_path, mime_type, format)
    VALUES ('{asset}', '{project}', '{user}', '{generation}', 'cat.png', 'AIGenerated', 'bucket/cat.png', 'image/png', 'png');
INSERT INTO ai_models (id, name, provider, task_type)
    VALUES ('{model}', 'Painter', 'Internal', 'ImageGeneration');
INSERT INTO ai_model_versions (id, model_id, version_number) VALUES ('{version}', '{model}', '1.0');
INSERT INTO ai_model_validation_results (id, model_version_id, security_scan_status, functional_status)
    VALUES ('{validation}', '{version}', 'Passed', 'Passed');
INSERT INTO api_clients (id, user_id, name, api_key, secret_hash)
    VALUES ('{api_client}', '{user}', 'CI', 'seed-key', 'hash');
"#;

/// A migrated database holding [`SEED`], and a connection to it.
async fn seeded() -> (TestDb, AsyncPgConnection) {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    conn.batch_execute(&sql(SEED)).await.expect("seed fixtures");
    (db, conn)
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(diesel::QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

async fn count(conn: &mut AsyncPgConnection, query: &str) -> i64 {
    let row: Count = diesel::sql_query(sql(query))
        .get_result(conn)
        .await
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"));
    row.n
}

async fn flag(conn: &mut AsyncPgConnection, query: &str) -> bool {
    let row: Flag = diesel::sql_query(query)
        .get_result(conn)
        .await
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"));
    row.ok
}

/// Every value of a one-column `SELECT ... AS v`.
async fn texts(conn: &mut AsyncPgConnection, query: &str) -> BTreeSet<String> {
    let rows: Vec<One> = diesel::sql_query(query)
        .load(conn)
        .await
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"));
    rows.into_iter().map(|r| r.v).collect()
}

// ---------------------------------------------------------------------------
// What each table must accept and reject
// ---------------------------------------------------------------------------

type Columns = &'static [(&'static str, &'static str)];

/// One table: a valid row (column, SQL literal) and the constraints to break.
struct Table {
    name: &'static str,
    valid: Columns,
    /// Columns the spec marks required (plus the required columns it does not list).
    not_null: &'static [&'static str],
    /// Required in the spec, but nullable because their FK is ON DELETE SET NULL.
    nullable_by_design: &'static [&'static str],
    checks: &'static [Check],
    uniques: &'static [Unique],
    /// An assignment that changes a column, for tables with `updated_at`.
    touch: Option<&'static str>,
}

/// A CHECK constraint: after `prep`, each `good` literal in `column` passes,
/// each `bad` one fails.
struct Check {
    prep: &'static str,
    constraint: &'static str,
    column: &'static str,
    good: &'static [&'static str],
    bad: &'static [&'static str],
}

/// A uniqueness rule: after `prep` and a `first` row, a `second` row either
/// violates `violates` or (None) is accepted. Both rows are the valid row with
/// these overrides.
struct Unique {
    what: &'static str,
    prep: &'static str,
    first: Columns,
    second: Columns,
    violates: Option<&'static str>,
}

/// A second team, `{row}`, owned by `{user2}`; without its Owner member, which
/// only matters at a COMMIT the rolled-back cases never reach.
const TEAM_OF_USER2: &str =
    "INSERT INTO teams (id, name, owner_id) VALUES ('{row}', 'Agency', '{user2}')";
/// A second asset, `{row}`, in `{project}`.
const OTHER_ASSET: &str =
    "INSERT INTO assets (id, project_id, user_id, name, type, file_path, mime_type, format) \
     VALUES ('{row}', '{project}', '{user}', 'dog.png', 'Uploaded', 'bucket/dog.png', 'image/png', 'png')";
/// A second project, `{row}`, on `{workbench}`.
const OTHER_PROJECT: &str =
    "INSERT INTO projects (id, workbench_id, user_id, name) VALUES ('{row}', '{workbench}', '{user}', 'Relaunch')";

const NO_CHECKS: &[Check] = &[];
const NO_UNIQUES: &[Unique] = &[];

const TABLES: &[Table] = &[
    Table {
        name: "users",
        valid: &[
            ("email", "'valid@example.com'"),
            ("username", "'valid_user'"),
            ("password_hash", "'argon2-hash'"),
            ("social_provider", "'google'"),
            ("social_provider_id", "'g-valid'"),
        ],
        not_null: &[
            "id",
            "email",
            "is_email_verified",
            "language_preference",
            "timezone",
            "mfa_enabled",
            "subscription_tier",
            "credit_balance",
            "created_at",
            "updated_at",
            "currency_preference",
            "number_notation",
            "is_platform_admin",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_users_social_provider",
                column: "social_provider",
                good: &["'google'", "'facebook'", "'apple'", "NULL"],
                bad: &["'github'", "'Google'"],
            },
            Check {
                prep: "",
                constraint: "ck_users_subscription_tier",
                column: "subscription_tier",
                good: &["'Free'", "'Pro'", "'Team'", "'Enterprise'"],
                bad: &["'Platinum'", "'free'"],
            },
            Check {
                prep: "",
                constraint: "ck_users_credit_balance",
                column: "credit_balance",
                good: &["0", "12.50"],
                bad: &["-0.01"],
            },
        ],
        uniques: &[
            Unique {
                what: "same email",
                prep: "",
                first: &[],
                second: &[("username", "'other'"), ("social_provider_id", "'g-other'")],
                violates: Some("uq_user_email"),
            },
            Unique {
                what: "same email, uq_user_email dropped",
                prep: "ALTER TABLE users DROP CONSTRAINT uq_user_email",
                first: &[],
                second: &[("username", "'other'"), ("social_provider_id", "'g-other'")],
                violates: Some("idx_user_email_unique"),
            },
            Unique {
                what: "same email in other case",
                prep: "",
                first: &[],
                second: &[
                    ("email", "'Valid@Example.com'"),
                    ("username", "'other'"),
                    ("social_provider_id", "'g-other'"),
                ],
                violates: Some("uq_user_email_lower"),
            },
            Unique {
                what: "same username",
                prep: "",
                first: &[],
                second: &[
                    ("email", "'other@example.com'"),
                    ("social_provider_id", "'g-other'"),
                ],
                violates: Some("uq_user_username"),
            },
            Unique {
                what: "same username, uq_user_username dropped",
                prep: "ALTER TABLE users DROP CONSTRAINT uq_user_username",
                first: &[],
                second: &[
                    ("email", "'other@example.com'"),
                    ("social_provider_id", "'g-other'"),
                ],
                violates: Some("idx_user_username_unique"),
            },
            Unique {
                what: "two NULL usernames",
                prep: "",
                first: &[("username", "NULL")],
                second: &[
                    ("email", "'other@example.com'"),
                    ("username", "NULL"),
                    ("social_provider_id", "'g-other'"),
                ],
                violates: None,
            },
            Unique {
                what: "two NULL usernames, uq_user_username dropped",
                prep: "ALTER TABLE users DROP CONSTRAINT uq_user_username",
                first: &[("username", "NULL")],
                second: &[
                    ("email", "'other@example.com'"),
                    ("username", "NULL"),
                    ("social_provider_id", "'g-other'"),
                ],
                violates: None,
            },
            Unique {
                what: "same social provider and id",
                prep: "",
                first: &[],
                second: &[("email", "'other@example.com'"), ("username", "'other'")],
                violates: Some("uq_user_social"),
            },
            Unique {
                what: "same social provider and id, uq_user_social dropped",
                prep: "DROP INDEX uq_user_social",
                first: &[],
                second: &[("email", "'other@example.com'"), ("username", "'other'")],
                violates: Some("idx_user_social_unique"),
            },
            Unique {
                what: "same provider, both provider ids NULL",
                prep: "",
                first: &[("social_provider_id", "NULL")],
                second: &[
                    ("email", "'other@example.com'"),
                    ("username", "'other'"),
                    ("social_provider_id", "NULL"),
                ],
                violates: None,
            },
            Unique {
                what: "same provider id, both providers NULL",
                prep: "",
                first: &[("social_provider", "NULL")],
                second: &[
                    ("email", "'other@example.com'"),
                    ("username", "'other'"),
                    ("social_provider", "NULL"),
                ],
                violates: None,
            },
            Unique {
                what: "same provider id, other provider",
                prep: "",
                first: &[],
                second: &[
                    ("email", "'other@example.com'"),
                    ("username", "'other'"),
                    ("social_provider", "'apple'"),
                ],
                violates: None,
            },
        ],
        touch: Some("full_name = 'Renamed'"),
    },
    Table {
        name: "brand_kits",
        valid: &[
            ("user_id", "'{user}'"),
            ("team_id", "'{team}'"),
            ("name", "'Brand'"),
            ("colors", r##"'[{"name": "Primary", "hex": "#FF0000"}]'"##),
            ("fonts", r#"'[{"name": "Heading", "family": "Arial"}]'"#),
        ],
        not_null: &[
            "id",
            "user_id",
            "name",
            "colors",
            "fonts",
            "is_default",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: &[
            Unique {
                what: "a second default kit of the team",
                prep: "",
                first: &[("is_default", "true")],
                second: &[("is_default", "true"), ("name", "'Other'")],
                violates: Some("uq_brandkit_default_team"),
            },
            Unique {
                what: "a second default kit of the team, by another user",
                prep: "",
                first: &[("is_default", "true")],
                second: &[("is_default", "true"), ("user_id", "'{user2}'")],
                violates: Some("uq_brandkit_default_team"),
            },
            Unique {
                what: "a non-default kit beside the team's default",
                prep: "",
                first: &[("is_default", "true")],
                second: &[("name", "'Other'")],
                violates: None,
            },
            Unique {
                what: "two non-default kits of the team",
                prep: "",
                first: &[],
                second: &[],
                violates: None,
            },
            Unique {
                what: "default kits of two teams",
                prep: TEAM_OF_USER2,
                first: &[("is_default", "true")],
                second: &[("is_default", "true"), ("team_id", "'{row}'")],
                violates: None,
            },
            Unique {
                what: "a second personal default kit of the user",
                prep: "",
                first: &[("is_default", "true"), ("team_id", "NULL")],
                second: &[("is_default", "true"), ("team_id", "NULL")],
                violates: Some("uq_brandkit_default_user"),
            },
            Unique {
                what: "a personal default kit and a team default kit of the same user",
                prep: "",
                first: &[("is_default", "true"), ("team_id", "NULL")],
                second: &[("is_default", "true")],
                violates: None,
            },
            Unique {
                what: "personal default kits of two users",
                prep: "",
                first: &[("is_default", "true"), ("team_id", "NULL")],
                second: &[
                    ("is_default", "true"),
                    ("team_id", "NULL"),
                    ("user_id", "'{user2}'"),
                ],
                violates: None,
            },
            Unique {
                what: "two personal non-default kits of the user",
                prep: "",
                first: &[("team_id", "NULL")],
                second: &[("team_id", "NULL")],
                violates: None,
            },
        ],
        touch: Some("name = 'Renamed'"),
    },
    Table {
        name: "workbenches",
        valid: &[
            ("user_id", "'{user}'"),
            ("name", "'Second bench'"),
            ("default_brand_kit_id", "'{brand_kit}'"),
            ("team_id", "'{team}'"),
        ],
        not_null: &["id", "user_id", "name", "created_at", "updated_at"],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: Some("name = 'Renamed'"),
    },
    Table {
        name: "projects",
        valid: &[
            ("workbench_id", "'{workbench}'"),
            ("user_id", "'{user}'"),
            ("template_id", "'{template}'"),
            ("brand_kit_id", "'{brand_kit}'"),
            ("name", "'Campaign'"),
            ("target_platform", "'InstagramStory'"),
            ("team_id", "'{team}'"),
        ],
        not_null: &[
            "id",
            "workbench_id",
            "user_id",
            "name",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: Some("name = 'Renamed'"),
    },
    Table {
        name: "assets",
        valid: &[
            ("project_id", "'{project}'"),
            ("user_id", "'{user}'"),
            ("generation_request_id", "'{generation}'"),
            ("name", "'logo.svg'"),
            ("type", "'Uploaded'"),
            ("file_path", "'bucket/logo.svg'"),
            ("mime_type", "'image/svg+xml'"),
            ("format", "'svg'"),
        ],
        not_null: &[
            "id",
            "user_id",
            "name",
            "type",
            "file_path",
            "mime_type",
            "format",
            "is_final",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_assets_type",
            column: "type",
            good: &["'Uploaded'", "'AIGenerated'", "'Derived'"],
            bad: &["'Generated'", "'uploaded'"],
        }],
        uniques: NO_UNIQUES,
        touch: Some("name = 'renamed.svg'"),
    },
    // The valid row is a state of the project; the unique cases' asset versions
    // name an asset and are no project state.
    Table {
        name: "asset_versions",
        valid: &[
            ("asset_id", "NULL"),
            ("project_id", "'{project}'"),
            ("version_number", "1"),
            ("created_by_user_id", "'{user}'"),
            ("is_project_state", "true"),
        ],
        not_null: &["id", "version_number", "created_at", "is_project_state"],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_asset_versions_project_state",
                column: "asset_id",
                good: &["NULL"],
                // a project state with an asset
                bad: &["'{asset}'"],
            },
            Check {
                prep: "",
                constraint: "ck_asset_versions_project_state",
                column: "project_id",
                good: &["'{project}'"],
                // a project state without a project
                bad: &["NULL"],
            },
            Check {
                prep: "",
                constraint: "ck_asset_versions_project_state",
                column: "is_project_state",
                // false: a version whose asset was deleted (asset_id SET NULL)
                good: &["true", "false"],
                bad: &[],
            },
        ],
        uniques: &[
            Unique {
                what: "same asset and version number",
                prep: "",
                first: &[("asset_id", "'{asset}'"), ("is_project_state", "false")],
                second: &[("asset_id", "'{asset}'"), ("is_project_state", "false")],
                violates: Some("uq_assetversion_asset_version"),
            },
            Unique {
                what: "same asset and version number, no project",
                prep: "",
                first: &[("asset_id", "'{asset}'"), ("is_project_state", "false")],
                second: &[
                    ("asset_id", "'{asset}'"),
                    ("is_project_state", "false"),
                    ("project_id", "NULL"),
                ],
                violates: Some("uq_assetversion_asset_version"),
            },
            Unique {
                what: "same asset, next version number",
                prep: "",
                first: &[("asset_id", "'{asset}'"), ("is_project_state", "false")],
                second: &[
                    ("asset_id", "'{asset}'"),
                    ("is_project_state", "false"),
                    ("version_number", "2"),
                ],
                violates: None,
            },
            Unique {
                what: "same version number, another asset",
                prep: OTHER_ASSET,
                first: &[("asset_id", "'{asset}'"), ("is_project_state", "false")],
                second: &[("asset_id", "'{row}'"), ("is_project_state", "false")],
                violates: None,
            },
            Unique {
                what: "two states of the project with the same number",
                prep: "",
                first: &[],
                second: &[],
                violates: Some("uq_assetversion_project_version"),
            },
            Unique {
                what: "states of two projects with the same number",
                prep: OTHER_PROJECT,
                first: &[],
                second: &[("project_id", "'{row}'")],
                violates: None,
            },
            Unique {
                what: "a project state and an asset version with the same number",
                prep: "",
                first: &[],
                second: &[("asset_id", "'{asset}'"), ("is_project_state", "false")],
                violates: None,
            },
            Unique {
                what: "a project state and a version of a deleted asset with the same number",
                prep: "",
                first: &[],
                second: &[("is_project_state", "false")],
                violates: None,
            },
            Unique {
                what: "two versions of deleted assets of the project with the same number",
                prep: "",
                first: &[("is_project_state", "false")],
                second: &[("is_project_state", "false")],
                violates: None,
            },
            Unique {
                what: "same number, neither asset nor project",
                prep: "",
                first: &[("project_id", "NULL"), ("is_project_state", "false")],
                second: &[("project_id", "NULL"), ("is_project_state", "false")],
                violates: None,
            },
        ],
        touch: None,
    },
    Table {
        name: "generation_requests",
        valid: &[
            ("user_id", "'{user}'"),
            ("project_id", "'{project}'"),
            ("input_prompt", "'a dog on a skateboard'"),
            ("idempotency_key", "'key-1'"),
            ("team_id", "'{team}'"),
            ("ai_model_version_id", "'{version}'"),
            ("phase_deadline", "now() + interval '10 minutes'"),
        ],
        not_null: &[
            "id",
            "user_id",
            "input_prompt",
            "status",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &["project_id"],
        checks: &[Check {
            // The point is the CHECK itself: trg_generation_requests_transition
            // would refuse any status but 'Pending' at INSERT, before the CHECK
            // sees it, so it is disabled here (the case is rolled back).
            // generation_requests_move_only_along_the_transition_table tests it.
            prep:
                "ALTER TABLE generation_requests DISABLE TRIGGER trg_generation_requests_transition",
            constraint: "ck_generation_requests_status",
            column: "status",
            good: &[
                "'Pending'",
                "'ProcessingSamples'",
                "'AwaitingSelection'",
                "'ProcessingFinal'",
                "'Completed'",
                "'Failed'",
                "'Cancelled'",
                "'ContentRejected'",
            ],
            bad: &["'Done'", "'pending'"],
        }],
        uniques: &[
            Unique {
                what: "same user and idempotency key",
                prep: "",
                first: &[],
                second: &[],
                violates: Some("uq_generationrequest_user_idempotency"),
            },
            Unique {
                what: "same user, both idempotency keys NULL",
                prep: "",
                first: &[("idempotency_key", "NULL")],
                second: &[("idempotency_key", "NULL")],
                violates: None,
            },
            Unique {
                what: "same idempotency key, other user",
                prep: "",
                first: &[],
                second: &[("user_id", "'{user2}'")],
                violates: None,
            },
        ],
        touch: Some("input_prompt = 'renamed'"),
    },
    Table {
        name: "social_media_connections",
        valid: &[
            ("user_id", "'{user}'"),
            ("platform", "'Instagram'"),
            ("external_user_id", "'ig-1'"),
            ("access_token", "'encrypted-token'"),
        ],
        not_null: &[
            "id",
            "user_id",
            "platform",
            "external_user_id",
            "access_token",
            "created_at",
            "updated_at",
            "status",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_social_media_connections_status",
                column: "status",
                good: &["'active'", "'expired'"],
                bad: &["'Active'", "'revoked'"],
            },
            Check {
            prep: "",
            constraint: "ck_social_media_connections_platform",
            column: "platform",
            good: &[
                "'Instagram'",
                "'Facebook'",
                "'LinkedIn'",
                "'Twitter'",
                "'Pinterest'",
                "'TikTok'",
            ],
            bad: &["'Snapchat'", "'instagram'"],
        },
        ],
        uniques: &[
            Unique {
                what: "same user and platform",
                prep: "",
                first: &[],
                second: &[("external_user_id", "'ig-2'")],
                violates: Some("uq_socialconnection_user_platform"),
            },
            Unique {
                what: "same user, other platform",
                prep: "",
                first: &[],
                second: &[("platform", "'TikTok'")],
                violates: None,
            },
            Unique {
                what: "same platform, other user",
                prep: "",
                first: &[],
                second: &[("user_id", "'{user2}'")],
                violates: None,
            },
        ],
        touch: Some("external_user_id = 'renamed'"),
    },
    Table {
        name: "published_posts",
        valid: &[
            ("user_id", "'{user}'"),
            ("asset_id", "'{asset}'"),
            ("platform", "'Instagram'"),
            ("caption", "'Out now'"),
            ("caption_hash", "repeat('a', 64)"),
        ],
        not_null: &[
            "id",
            "user_id",
            "asset_id",
            "platform",
            "caption",
            "caption_hash",
            "status",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_published_posts_status",
            column: "status",
            good: &["'pending'", "'published'", "'failed'"],
            bad: &["'Published'", "'draft'"],
        }],
        uniques: &[
            Unique {
                what: "same asset, connection and caption",
                prep: "INSERT INTO social_media_connections (id, user_id, platform, external_user_id, access_token) \
                       VALUES ('{row}', '{user}', 'Instagram', 'ig-1', 'sealed')",
                first: &[("connection_id", "'{row}'")],
                second: &[("connection_id", "'{row}'")],
                violates: Some("uq_publishedpost_asset_connection_caption"),
            },
            Unique {
                what: "same asset and connection, another caption",
                prep: "INSERT INTO social_media_connections (id, user_id, platform, external_user_id, access_token) \
                       VALUES ('{row}', '{user}', 'Instagram', 'ig-1', 'sealed')",
                first: &[("connection_id", "'{row}'")],
                second: &[("connection_id", "'{row}'"), ("caption_hash", "repeat('b', 64)")],
                violates: None,
            },
        ],
        touch: Some("caption = 'edited'"),
    },
    Table {
        name: "oauth_flows",
        valid: &[
            ("state_hash", "repeat('a', 64)"),
            ("purpose", "'sign_in'"),
            ("provider", "'google'"),
            ("expires_at", "now() + interval '10 minutes'"),
        ],
        not_null: &[
            "id",
            "state_hash",
            "purpose",
            "provider",
            "email_verified",
            "expires_at",
            "created_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_oauth_flows_purpose",
            column: "purpose",
            good: &["'sign_in'", "'connection'", "'link'"],
            bad: &["'signin'", "'login'"],
        }],
        uniques: &[
            Unique {
                what: "the same state twice",
                prep: "",
                first: &[],
                second: &[("purpose", "'connection'")],
                violates: Some("uq_oauthflow_state"),
            },
            Unique {
                what: "another state",
                prep: "",
                first: &[],
                second: &[("state_hash", "repeat('b', 64)")],
                violates: None,
            },
        ],
        touch: None,
    },
    Table {
        name: "api_clients",
        valid: &[
            ("user_id", "'{user}'"),
            ("team_id", "'{team}'"),
            ("name", "'Deploy key'"),
            ("api_key", "'valid-key'"),
            ("secret_hash", "'hash'"),
            ("allowed_origins", r#"'["https://app.example"]'"#),
            ("rate_limit_per_min", "60"),
        ],
        not_null: &[
            "id",
            "user_id",
            "name",
            "api_key",
            "secret_hash",
            "is_active",
            "created_at",
            "updated_at",
            "allowed_origins",
            "allowed_ips",
            "scopes",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_api_clients_allowed_origins",
                column: "allowed_origins",
                good: &["'[]'", r#"'["https://a.example", "https://b.example"]'"#],
                bad: &["'{}'", r#"'"https://a.example"'"#, "'null'"],
            },
            Check {
                prep: "",
                constraint: "ck_api_clients_allowed_ips",
                column: "allowed_ips",
                good: &["'[]'", r#"'["203.0.113.0/24"]'"#],
                bad: &[r#"'{"ip": "203.0.113.1"}'"#, "'42'"],
            },
            Check {
                prep: "",
                constraint: "ck_api_clients_scopes",
                column: "scopes",
                good: &["'[]'", r#"'["generate"]'"#],
                bad: &[r#"'"generate"'"#, "'{}'"],
            },
            Check {
                prep: "",
                constraint: "ck_api_clients_rate_limit_per_min",
                column: "rate_limit_per_min",
                good: &["1", "NULL"],
                bad: &["0", "-5"],
            },
        ],
        uniques: &[
            Unique {
                what: "same api key",
                prep: "",
                first: &[],
                second: &[("name", "'Other key'")],
                violates: Some("uq_apiclient_apikey"),
            },
            Unique {
                what: "same api key, uq_apiclient_apikey dropped",
                prep: "ALTER TABLE api_clients DROP CONSTRAINT uq_apiclient_apikey",
                first: &[],
                second: &[("name", "'Other key'")],
                violates: Some("idx_apiclient_apikey_unique"),
            },
        ],
        touch: Some("name = 'Renamed'"),
    },
    Table {
        name: "subscriptions",
        valid: &[
            ("user_id", "'{user}'"),
            ("odoo_sale_order_id", "'SO-0001'"),
            ("plan_id", "'pro_monthly'"),
            ("current_period_start", "now()"),
            ("current_period_end", "now() + interval '30 days'"),
            ("payment_provider", "'Stripe'"),
        ],
        not_null: &[
            "id",
            "user_id",
            "odoo_sale_order_id",
            "plan_id",
            "status",
            "current_period_start",
            "current_period_end",
            "payment_provider",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_subscriptions_status",
                column: "status",
                good: &[
                    "'Active'",
                    "'Trial'",
                    "'Suspended'",
                    "'Cancelled'",
                    "'Expired'",
                ],
                bad: &["'Paused'", "'active'"],
            },
            Check {
                prep: "",
                constraint: "ck_subscriptions_payment_provider",
                column: "payment_provider",
                good: &["'Stripe'", "'PayPal'", "'OdooManual'"],
                bad: &["'Bitcoin'", "'stripe'"],
            },
        ],
        uniques: &[Unique {
            what: "same Odoo sale order",
            prep: "",
            first: &[],
            second: &[("user_id", "'{user2}'")],
            violates: Some("uq_subscription_odoo_so"),
        },
        // 2026-12-04-100003_plans: one row per Stripe subscription.
        Unique {
            what: "same Stripe subscription",
            prep: "",
            first: &[("payment_provider_subscription_id", "'sub_1'")],
            second: &[("odoo_sale_order_id", "'SO-0002'"), ("payment_provider_subscription_id", "'sub_1'")],
            violates: Some("uq_subscription_provider_subscription"),
        }],
        touch: Some("plan_id = 'team_annual'"),
    },
    Table {
        name: "credit_transactions",
        valid: &[
            ("user_id", "'{user}'"),
            ("generation_request_id", "'{generation}'"),
            ("team_id", "'{team}'"),
            ("amount", "-1.50"),
            ("action_type", "'sample_generation'"),
        ],
        not_null: &[
            "id",
            "user_id",
            "amount",
            "action_type",
            "created_at",
            "synced_at",
        ],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "usage_logs",
        valid: &[
            ("user_id", "'{user}'"),
            ("generation_request_id", "'{generation}'"),
            ("api_client_id", "'{api_client}'"),
            ("action_type", "'api_call_success'"),
            ("credits_cost", "0.50"),
        ],
        not_null: &["id", "action_type", "timestamp"],
        nullable_by_design: &["user_id"],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "teams",
        valid: &[
            ("name", "'Agency'"),
            ("owner_id", "'{user2}'"),
            ("credit_balance", "100"),
        ],
        not_null: &[
            "id",
            "name",
            "owner_id",
            "created_at",
            "updated_at",
            "credit_balance",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_teams_credit_balance",
            column: "credit_balance",
            good: &["0"],
            bad: &["-1"],
        }],
        uniques: NO_UNIQUES,
        touch: Some("name = 'Renamed'"),
    },
    Table {
        name: "team_members",
        valid: &[
            ("team_id", "'{team}'"),
            ("user_id", "'{user2}'"),
            ("role", "'Editor'"),
        ],
        not_null: &["id", "team_id", "user_id", "role", "joined_at"],
        nullable_by_design: &[],
        checks: &[Check {
            // The seed's Owner steps aside, so that an 'Owner' row can pass
            // uq_teammember_one_owner (the owner check waits for a COMMIT that
            // never comes).
            prep: "DELETE FROM team_members WHERE team_id = '{team}' AND role = 'Owner'",
            constraint: "ck_team_members_role",
            column: "role",
            good: &["'Owner'", "'Admin'", "'Editor'", "'Viewer'"],
            bad: &["'Contributor'", "'Guest'", "'editor'"],
        }],
        uniques: &[
            Unique {
                what: "same team and user",
                prep: "",
                first: &[],
                second: &[("role", "'Viewer'")],
                violates: Some("uq_teammember_team_user"),
            },
            Unique {
                what: "same team, other user",
                prep: TEAM_OF_USER2,
                first: &[("team_id", "'{row}'")],
                second: &[("team_id", "'{row}'"), ("user_id", "'{user}'")],
                violates: None,
            },
            Unique {
                what: "two Owners in one team",
                prep: "DELETE FROM team_members WHERE team_id = '{team}'",
                first: &[("role", "'Owner'")],
                second: &[("user_id", "'{user}'"), ("role", "'Owner'")],
                violates: Some("uq_teammember_one_owner"),
            },
            Unique {
                what: "an Owner beside an Admin, in a second team",
                prep: TEAM_OF_USER2,
                first: &[
                    ("team_id", "'{row}'"),
                    ("user_id", "'{user}'"),
                    ("role", "'Admin'"),
                ],
                second: &[("team_id", "'{row}'"), ("role", "'Owner'")],
                violates: None,
            },
        ],
        touch: None,
    },
    Table {
        name: "sessions",
        valid: &[
            ("user_id", "'{user}'"),
            ("device_info", "'Firefox on Linux'"),
            ("ip_address", "'2001:db8::1'"),
            ("expires_at", "now() + interval '1 day'"),
            ("token_hash", "repeat('a', 64)"),
        ],
        not_null: &[
            "id",
            "user_id",
            "device_info",
            "ip_address",
            "last_activity",
            "expires_at",
            "created_at",
            "token_hash",
        ],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: &[
            Unique {
                what: "same token hash",
                prep: "",
                first: &[],
                second: &[("user_id", "'{user2}'")],
                violates: Some("uq_session_tokenhash"),
            },
            Unique {
                what: "same user, other token hash",
                prep: "",
                first: &[],
                second: &[("token_hash", "repeat('b', 64)")],
                violates: None,
            },
        ],
        touch: None,
    },
    Table {
        name: "notifications",
        valid: &[
            ("user_id", "'{user}'"),
            ("type", "'generation_complete'"),
            ("message", "'Your images are ready'"),
        ],
        not_null: &[
            "id",
            "user_id",
            "type",
            "message",
            "is_read",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: Some("is_read = true"),
    },
    Table {
        name: "templates",
        valid: &[
            ("name", "'Poster'"),
            ("category", "'print'"),
            ("preview_url", "'https://cdn.example/poster.png'"),
            ("source_data", r#"'{"layers": [{"kind": "text"}]}'"#),
            ("tags", r#"'["poster", "a3"]'"#),
            ("team_id", "'{team}'"),
        ],
        not_null: &[
            "id",
            "name",
            "category",
            "preview_url",
            "source_data",
            "is_public",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: Some("name = 'Renamed'"),
    },
    Table {
        name: "ai_models",
        valid: &[
            ("name", "'Writer'"),
            ("provider", "'OpenAI'"),
            ("task_type", "'TextGeneration'"),
        ],
        not_null: &[
            "id",
            "name",
            "provider",
            "task_type",
            "is_active",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_ai_models_task_type",
            column: "task_type",
            good: &[
                "'ImageGeneration'",
                "'TextGeneration'",
                "'ImageTransformation'",
                "'StyleTransfer'",
                "'ContentSafety'",
            ],
            bad: &["'SpeechToText'", "'textgeneration'"],
        }],
        uniques: &[Unique {
            what: "same model name",
            prep: "",
            first: &[],
            second: &[("provider", "'Internal'")],
            violates: Some("uq_aimodel_name"),
        }],
        touch: Some("description = 'Renamed'"),
    },
    Table {
        name: "ai_model_versions",
        valid: &[
            ("model_id", "'{model}'"),
            ("version_number", "'2.0'"),
            ("status", "'Production'"),
            ("validation_result_id", "'{validation}'"),
            ("created_by_user_id", "'{user}'"),
        ],
        not_null: &[
            "id",
            "model_id",
            "version_number",
            "status",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_ai_model_versions_status",
            column: "status",
            good: &[
                "'Staged'",
                "'Production'",
                "'Deprecated'",
                "'Archived'",
                "'Failed'",
            ],
            bad: &["'Live'", "'staged'"],
        }],
        uniques: &[
            Unique {
                what: "same model and version number",
                prep: "",
                first: &[],
                second: &[("status", "'Staged'")],
                violates: Some("uq_aimodelversion_model_version"),
            },
            Unique {
                what: "a second Production version of the model",
                prep: "",
                first: &[],
                second: &[("version_number", "'3.0'")],
                violates: Some("uq_aimodelversion_one_production"),
            },
            Unique {
                what: "a Production and a Deprecated version of the model",
                prep: "",
                first: &[],
                second: &[("version_number", "'3.0'"), ("status", "'Deprecated'")],
                violates: None,
            },
            Unique {
                what: "same model, other version number",
                prep: "",
                first: &[],
                // Staged: a second Production version is the next case's refusal.
                second: &[("version_number", "'2.1'"), ("status", "'Staged'")],
                violates: None,
            },
        ],
        touch: Some("release_notes = 'Renamed'"),
    },
    Table {
        name: "ai_model_validation_results",
        valid: &[
            ("model_version_id", "'{version}'"),
            ("security_scan_status", "'Passed'"),
            ("functional_status", "'Pending'"),
            ("validated_by_user_id", "'{user}'"),
        ],
        not_null: &[
            "id",
            "model_version_id",
            "validation_timestamp",
            "security_scan_status",
            "functional_status",
            "created_at",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_ai_model_validation_results_security_scan_status",
                column: "security_scan_status",
                good: &["'Passed'", "'Failed'", "'Pending'", "'Skipped'"],
                bad: &["'Unknown'", "'passed'"],
            },
            Check {
                prep: "",
                constraint: "ck_ai_model_validation_results_functional_status",
                column: "functional_status",
                good: &["'Passed'", "'Failed'", "'Pending'", "'Skipped'"],
                bad: &["'Unknown'", "'passed'"],
            },
        ],
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "ai_model_deployments",
        valid: &[
            ("model_version_id", "'{version}'"),
            ("environment", "'staging'"),
            ("deployment_strategy", "'canary'"),
            ("deployed_by_user_id", "'{user}'"),
        ],
        not_null: &[
            "id",
            "model_version_id",
            "environment",
            "status",
            "deployment_timestamp",
            "created_at",
            "updated_at",
            "traffic_percent",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_ai_model_deployments_environment",
                column: "environment",
                good: &["'staging'", "'production'", "'testing'"],
                bad: &["'dev'", "'Production'"],
            },
            Check {
                // trg_ai_model_deployments_transition refuses any status but
                // 'Initiated' at INSERT; disabled so the CHECK itself is seen.
                // registry::statuses_move_only_along_the_transition_tables tests it.
                prep: "ALTER TABLE ai_model_deployments DISABLE TRIGGER trg_ai_model_deployments_transition",
                constraint: "ck_ai_model_deployments_status",
                column: "status",
                good: &[
                    "'Initiated'",
                    "'Deploying'",
                    "'Active'",
                    "'Inactive'",
                    "'Failed'",
                    "'RolledBack'",
                ],
                bad: &["'Running'", "'active'"],
            },
            Check {
                prep: "",
                constraint: "ck_ai_model_deployments_traffic_percent",
                column: "traffic_percent",
                good: &["0", "20", "100"],
                bad: &["-1", "101"],
            },
        ],
        uniques: NO_UNIQUES,
        touch: Some("endpoint = 'http://painter.internal'"),
    },
    Table {
        name: "ai_model_feedback",
        valid: &[
            ("user_id", "'{user}'"),
            ("generation_request_id", "'{generation}'"),
            ("model_version_id", "'{version}'"),
            ("rating", "4"),
            ("comment", "'Nice'"),
        ],
        not_null: &["id", "feedback_timestamp", "created_at"],
        nullable_by_design: &["user_id"],
        checks: &[Check {
            prep: "",
            constraint: "ck_ai_model_feedback_rating",
            column: "rating",
            good: &["1", "2", "3", "4", "5", "NULL"],
            bad: &["0", "6", "-1"],
        }],
        uniques: &[
            Unique {
                what: "the same user rating the same request twice",
                prep: "",
                first: &[],
                second: &[("rating", "2")],
                violates: Some("uq_aimodelfeedback_user_request"),
            },
            Unique {
                what: "another user rating the same request",
                prep: "",
                first: &[],
                second: &[("user_id", "'{user2}'")],
                violates: None,
            },
        ],
        touch: None,
    },
    // Not in the spec: outgoing mail kept when there is no SMTP server.
    Table {
        name: "mail_outbox",
        valid: &[
            ("to_address", "'member@example.com'"),
            ("kind", "'verify_email'"),
            ("subject", "'Verify your email'"),
            ("body", "'Click the link'"),
        ],
        not_null: &["id", "to_address", "kind", "subject", "body", "created_at"],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "user_data_exports",
        valid: &[
            ("user_id", "'{user}'"),
            ("kind", "'dataset'"),
            ("status", "'pending'"),
        ],
        not_null: &["id", "user_id", "kind", "status", "requested_at"],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_user_data_exports_status",
                column: "status",
                good: &["'pending'", "'completed'", "'failed'"],
                bad: &["'done'", "'Pending'"],
            },
            // 2026-12-04-300002_data_exports: the seed's kinds and 'account'.
            Check {
                prep: "",
                constraint: "ck_user_data_exports_kind",
                column: "kind",
                good: &["'model'", "'dataset'", "'showcase'", "'account'"],
                bad: &["'assets'", "'Account'", "''"],
            },
            Check {
                prep: "",
                constraint: "ck_user_data_exports_byte_size",
                column: "byte_size",
                good: &["0", "1048576", "NULL"],
                bad: &["-1"],
            },
        ],
        uniques: &[
            Unique {
                what: "a second pending export of the same user",
                prep: "",
                first: &[],
                second: &[("kind", "'account'")],
                violates: Some("uq_userdataexport_one_pending"),
            },
            Unique {
                what: "a pending export beside a finished one",
                prep: "",
                first: &[("status", "'completed'")],
                second: &[],
                violates: None,
            },
            Unique {
                what: "pending exports of two users",
                prep: "",
                first: &[("user_id", "'{user2}'")],
                second: &[],
                violates: None,
            },
        ],
        touch: None,
    },
    // 2026-12-04-300001_team_invitations.
    Table {
        name: "team_invitations",
        valid: &[
            ("team_id", "'{team}'"),
            ("email", "'guest@example.com'"),
            ("role", "'Editor'"),
            ("token_hash", "'hash-1'"),
            ("invited_by", "'{user}'"),
            ("expires_at", "now() + interval '7 days'"),
        ],
        not_null: &[
            "id",
            "team_id",
            "email",
            "role",
            "token_hash",
            "expires_at",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_team_invitations_role",
            column: "role",
            good: &["'Admin'", "'Editor'", "'Viewer'"],
            bad: &["'Owner'", "'editor'", "''"],
        }],
        uniques: &[
            Unique {
                what: "the same token",
                prep: "",
                first: &[("email", "'a@example.com'")],
                second: &[("email", "'b@example.com'")],
                violates: Some("uq_teaminvitation_tokenhash"),
            },
            Unique {
                what: "a second pending invitation of the address, in another case",
                prep: "",
                first: &[],
                second: &[("email", "'Guest@Example.com'"), ("token_hash", "'hash-2'")],
                violates: Some("uq_teaminvitation_team_email_pending"),
            },
            Unique {
                what: "a pending invitation beside an accepted one",
                prep: "",
                first: &[("accepted_at", "now()"), ("accepted_by", "'{user2}'")],
                second: &[("token_hash", "'hash-2'")],
                violates: None,
            },
        ],
        touch: Some("role = 'Viewer'"),
    },
    // 2026-11-22-000013_generation_pipeline: the state machine's table (its
    // rows are checked against the code's in
    // the_transition_table_in_the_database_is_the_code_table) and the job queue.
    Table {
        name: "generation_status_transitions",
        valid: &[
            ("from_status", "'AwaitingSelection'"),
            ("to_status", "'ContentRejected'"),
        ],
        not_null: &["from_status", "to_status"],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: None,
    },
    // 2026-12-03-100001_model_registry: the state tables of versions and deployments.
    Table {
        name: "ai_model_status_transitions",
        valid: &[
            ("kind", "'version'"),
            ("from_status", "'Archived'"),
            ("to_status", "'Staged'"),
        ],
        not_null: &["kind", "from_status", "to_status"],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_ai_model_status_transitions_kind",
            column: "kind",
            good: &["'version'", "'deployment'"],
            bad: &["'model'"],
        }],
        uniques: NO_UNIQUES,
        touch: None,
    },
    // 2026-12-03-100002_admin_audit
    Table {
        name: "admin_audit",
        valid: &[
            ("admin_user_id", "'{user}'"),
            ("action", "'user.suspend'"),
            ("target_type", "'User'"),
            ("target_id", "'{user2}'"),
            ("before", "'{}'"),
            ("after", "'{}'"),
            ("request_id", "'req-1'"),
        ],
        not_null: &["id", "action", "target_type", "created_at"],
        nullable_by_design: &[],
        checks: NO_CHECKS,
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "generation_jobs",
        valid: &[
            ("generation_request_id", "'{generation}'"),
            ("phase", "'samples'"),
            ("locked_by", "'worker-1'"),
            ("lease_until", "now() + interval '1 minute'"),
        ],
        // generation_request_id is NULL for an export's or a publication's job
        // (issue 15): the subject CHECK requires it of the generation phases.
        not_null: &[
            "id",
            "phase",
            "status",
            "attempts",
            "run_after",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_generation_jobs_subject",
                column: "generation_request_id",
                good: &["'{generation}'"],
                bad: &["NULL"],
            },
            Check {
                prep: "INSERT INTO user_data_exports (id, user_id, kind) \
                       VALUES ('{new_id}', '{user}', 'account')",
                constraint: "ck_generation_jobs_subject",
                column: "data_export_id",
                good: &["NULL"],
                bad: &["'{new_id}'"],
            },
            Check {
                prep: "",
                constraint: "ck_generation_jobs_phase",
                column: "phase",
                good: &["'samples'", "'final'"],
                bad: &["'Samples'", "'preview'", "''"],
            },
            Check {
                prep: "",
                constraint: "ck_generation_jobs_status",
                column: "status",
                good: &["'queued'", "'running'", "'done'", "'failed'"],
                bad: &["'Queued'", "'cancelled'"],
            },
            Check {
                prep: "INSERT INTO published_posts (id, user_id, asset_id, platform, caption, caption_hash) \
                       VALUES ('{new_id}', '{user}', '{asset}', 'Instagram', 'c', repeat('c', 64))",
                constraint: "ck_generation_jobs_subject",
                column: "published_post_id",
                good: &["NULL"],
                bad: &["'{new_id}'"],
            },
            Check {
                prep: "",
                constraint: "ck_generation_jobs_attempts",
                column: "attempts",
                good: &["0", "5"],
                bad: &["-1"],
            },
        ],
        uniques: &[
            Unique {
                what: "one job per publication",
                prep: "INSERT INTO published_posts (id, user_id, asset_id, platform, caption, caption_hash) VALUES ('{row}', '{user}', '{asset}', 'Instagram', 'c', repeat('c', 64))",
                first: &[
                    ("generation_request_id", "NULL"),
                    ("phase", "'publish'"),
                    ("published_post_id", "'{row}'"),
                ],
                second: &[
                    ("generation_request_id", "NULL"),
                    ("phase", "'publish'"),
                    ("published_post_id", "'{row}'"),
                ],
                violates: Some("uq_generationjob_publishedpost"),
            },
            Unique {
                what: "same request and phase",
                prep: "",
                first: &[],
                second: &[("status", "'failed'")],
                violates: Some("uq_generationjob_request_phase"),
            },
            Unique {
                what: "same request, other phase",
                prep: "",
                first: &[],
                second: &[("phase", "'final'")],
                violates: None,
            },
            Unique {
                what: "same phase, other request",
                prep: "INSERT INTO generation_requests (id, user_id, input_prompt) \
                       VALUES ('{row}', '{user}', 'a fox')",
                first: &[],
                second: &[("generation_request_id", "'{row}'")],
                violates: None,
            },
            Unique {
                what: "two jobs of one export",
                prep: "INSERT INTO user_data_exports (id, user_id, kind) \
                       VALUES ('{new_id}', '{user}', 'account')",
                first: &[
                    ("generation_request_id", "NULL"),
                    ("phase", "'export'"),
                    ("data_export_id", "'{new_id}'"),
                ],
                second: &[
                    ("generation_request_id", "NULL"),
                    ("phase", "'export'"),
                    ("data_export_id", "'{new_id}'"),
                    ("status", "'failed'"),
                ],
                violates: Some("uq_generationjob_dataexport"),
            },
        ],
        touch: Some("attempts = 1"),
    },
    Table {
        name: "idempotency_keys",
        valid: &[
            ("caller", "'user:{user}'"),
            ("key", "'retry-1'"),
            ("request_hash", "'abc'"),
            ("expires_at", "now() + interval '1 day'"),
        ],
        not_null: &[
            "id",
            "caller",
            "key",
            "request_hash",
            "status",
            "created_at",
            "updated_at",
            "expires_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_idempotency_keys_status",
            column: "status",
            good: &["'running'", "'done'"],
            bad: &["'Done'", "'failed'", "''"],
        }],
        uniques: &[
            Unique {
                what: "same caller and key",
                prep: "",
                first: &[],
                second: &[("request_hash", "'def'")],
                violates: Some("uq_idempotencykey_caller_key"),
            },
            Unique {
                what: "same key, other caller",
                prep: "",
                first: &[],
                second: &[("caller", "'ip:127.0.0.1'")],
                violates: None,
            },
        ],
        touch: Some("status = 'done'"),
    },
    // 2026-12-04-100001_credit_ledger_check (issue 14)
    Table {
        name: "credit_ledger_openings",
        valid: &[
            ("user_id", "'{user}'"),
            ("opening_balance", "5.00"),
            ("ledger_sum_at_opening", "0"),
        ],
        not_null: &["id", "opening_balance", "ledger_sum_at_opening", "opened_at"],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_creditledgeropening_one_holder",
            column: "team_id",
            good: &["NULL"],
            bad: &["'{team}'"],
        }],
        uniques: &[
            Unique {
                what: "one opening per user",
                prep: "",
                first: &[],
                second: &[],
                violates: Some("uq_creditledgeropening_user"),
            },
            Unique {
                what: "one opening per team",
                prep: "",
                first: &[("user_id", "NULL"), ("team_id", "'{team}'")],
                second: &[("user_id", "NULL"), ("team_id", "'{team}'")],
                violates: Some("uq_creditledgeropening_team"),
            },
        ],
        touch: None,
    },
    // 2026-12-04-100002_stripe_webhooks
    Table {
        name: "stripe_events",
        valid: &[
            ("event_id", "'evt_1'"),
            ("event_type", "'invoice.paid'"),
            ("outcome", "'applied'"),
        ],
        not_null: &["event_id", "event_type", "outcome", "received_at"],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_stripeevents_outcome",
            column: "outcome",
            good: &["'applied'", "'ignored'", "'already_granted'"],
            bad: &["'Applied'", "''"],
        }],
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "billing_grants",
        valid: &[
            ("grant_key", "'invoice:in_1'"),
            ("user_id", "'{user}'"),
            ("team_id", "'{team}'"),
            ("amount", "100.00"),
            ("action_type", "'subscription_grant'"),
        ],
        not_null: &["grant_key", "user_id", "amount", "action_type", "created_at"],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_billinggrants_amount",
                column: "amount",
                good: &["0.01"],
                bad: &["0", "-1.00"],
            },
            Check {
                prep: "",
                constraint: "ck_billinggrants_action_type",
                column: "action_type",
                good: &["'purchase'", "'subscription_grant'"],
                bad: &["'refund'", "''"],
            },
        ],
        uniques: NO_UNIQUES,
        touch: None,
    },
    // 2026-12-04-100003_plans
    Table {
        name: "plans",
        valid: &[
            ("id", "'pro_monthly'"),
            ("name", "'Pro'"),
            ("tier", "'Pro'"),
            ("price", "19.00"),
            ("currency", "'EUR'"),
            ("monthly_credits", "200.00"),
        ],
        not_null: &[
            "id",
            "name",
            "tier",
            "price",
            "currency",
            "monthly_credits",
            "is_active",
            "sort_order",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_plans_tier",
                column: "tier",
                good: &["'Free'", "'Pro'", "'Team'", "'Enterprise'"],
                bad: &["'Gold'", "'pro'"],
            },
            Check {
                prep: "",
                constraint: "ck_plans_price",
                column: "price",
                good: &["0"],
                bad: &["-0.01"],
            },
            Check {
                prep: "",
                constraint: "ck_plans_monthly_credits",
                column: "monthly_credits",
                good: &["0"],
                bad: &["-1"],
            },
            Check {
                prep: "",
                constraint: "ck_plans_seats",
                column: "seats",
                good: &["NULL", "1"],
                bad: &["0"],
            },
            Check {
                prep: "",
                constraint: "ck_plans_currency",
                column: "currency",
                good: &["'USD'"],
                bad: &["'eur'", "'E1R'"],
            },
        ],
        uniques: NO_UNIQUES,
        touch: Some("name = 'Pro+'"),
    },
    Table {
        name: "credit_packs",
        valid: &[
            ("id", "'pack_100'"),
            ("name", "'100 credits'"),
            ("credits", "100.00"),
            ("price", "10.00"),
            ("currency", "'EUR'"),
        ],
        not_null: &[
            "id",
            "name",
            "credits",
            "price",
            "currency",
            "is_active",
            "sort_order",
            "created_at",
            "updated_at",
        ],
        nullable_by_design: &[],
        checks: &[
            Check {
                prep: "",
                constraint: "ck_creditpacks_credits",
                column: "credits",
                good: &["0.01"],
                bad: &["0"],
            },
            Check {
                prep: "",
                constraint: "ck_creditpacks_price",
                column: "price",
                good: &["0"],
                bad: &["-1"],
            },
            Check {
                prep: "",
                constraint: "ck_creditpacks_currency",
                column: "currency",
                good: &["'USD'"],
                bad: &["'usd'"],
            },
        ],
        uniques: NO_UNIQUES,
        touch: Some("name = '101 credits'"),
    },
    // 2026-12-04-500001_odoo_sync
    Table {
        name: "odoo_sync_cursors",
        valid: &[
            ("model", "'account.move'"),
            ("write_date", "'2026-12-04 10:00:00'"),
            ("last_id", "7"),
        ],
        not_null: &["model", "write_date", "last_id", "last_run_at"],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_odoosynccursors_model",
            column: "model",
            good: &["'sale.order'", "'account.move'"],
            bad: &["'res.partner'", "''"],
        }],
        uniques: NO_UNIQUES,
        touch: None,
    },
    Table {
        name: "odoo_invoices",
        valid: &[
            ("odoo_invoice_id", "'42'"),
            ("user_id", "'{user}'"),
            ("team_id", "'{team}'"),
            ("credits", "50.00"),
            ("write_date", "'2026-12-04 10:00:00'"),
        ],
        not_null: &[
            "odoo_invoice_id",
            "user_id",
            "credits",
            "write_date",
            "synced_at",
        ],
        nullable_by_design: &[],
        checks: &[Check {
            prep: "",
            constraint: "ck_odooinvoices_credits",
            column: "credits",
            good: &["0"],
            bad: &["-0.01"],
        }],
        uniques: NO_UNIQUES,
        touch: None,
    },
];

/// `INSERT INTO table` of the `base` row with `overrides` replacing or adding columns.
fn insert<'a>(
    table: &str,
    base: &[(&'a str, &'a str)],
    overrides: &[(&'a str, &'a str)],
) -> String {
    let mut row: Vec<(&str, &str)> = base.to_vec();
    for &(column, value) in overrides {
        match row.iter_mut().find(|(c, _)| *c == column) {
            Some(slot) => slot.1 = value,
            None => row.push((column, value)),
        }
    }
    let columns: Vec<&str> = row.iter().map(|(c, _)| *c).collect();
    let values: Vec<&str> = row.iter().map(|(_, v)| *v).collect();
    sql(&format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        values.join(", ")
    ))
}

// ---------------------------------------------------------------------------
// Running cases
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Debug)]
enum Category {
    Valid,
    NotNull,
    Check,
    Unique,
}

enum Expect {
    Accepted,
    /// The error kind, the table, and the constraint (or, for NOT NULL, column) name.
    Rejected(DatabaseErrorKind, &'static str, &'static str),
}

struct Case {
    category: Category,
    what: String,
    setup: Vec<String>,
    statement: String,
    expect: Expect,
}

/// NOT NULL columns a BEFORE trigger fills in, so that a NULL never reaches the
/// constraint: (table, column, trigger). Their NULL case runs with the trigger
/// disabled; [`projects_take_their_user_and_team_from_the_workbench`] shows the
/// trigger at work.
const FILLED_BY_TRIGGER: &[(&str, &str, &str)] =
    &[("projects", "user_id", "trg_projects_follow_workbench")];

/// Every case of every table in [`TABLES`].
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for table in TABLES {
        let t = table.name;
        let row = |overrides: Columns| insert(t, table.valid, overrides);
        cases.push(Case {
            category: Category::Valid,
            what: format!("{t}: a valid row"),
            setup: vec![],
            statement: row(&[]),
            expect: Expect::Accepted,
        });
        for &column in table.not_null {
            let setup = FILLED_BY_TRIGGER
                .iter()
                .filter(|&&(table, col, _)| table == t && col == column)
                .map(|(_, _, trigger)| format!("ALTER TABLE {t} DISABLE TRIGGER {trigger}"))
                .collect();
            cases.push(Case {
                category: Category::NotNull,
                what: format!("{t}.{column} = NULL"),
                setup,
                statement: insert(t, table.valid, &[(column, "NULL")]),
                expect: Expect::Rejected(DatabaseErrorKind::NotNullViolation, t, column),
            });
        }
        for &column in table.nullable_by_design {
            cases.push(Case {
                category: Category::NotNull,
                what: format!("{t}.{column} = NULL (nullable: its FK is ON DELETE SET NULL)"),
                setup: vec![],
                statement: insert(t, table.valid, &[(column, "NULL")]),
                expect: Expect::Accepted,
            });
        }
        for check in table.checks {
            let setup: Vec<String> = match check.prep {
                "" => vec![],
                prep => vec![sql(prep)],
            };
            for &value in check.good {
                cases.push(Case {
                    category: Category::Check,
                    what: format!("{t}.{} = {value} passes {}", check.column, check.constraint),
                    setup: setup.clone(),
                    statement: insert(t, table.valid, &[(check.column, value)]),
                    expect: Expect::Accepted,
                });
            }
            for &value in check.bad {
                cases.push(Case {
                    category: Category::Check,
                    what: format!("{t}.{} = {value} breaks {}", check.column, check.constraint),
                    setup: setup.clone(),
                    statement: insert(t, table.valid, &[(check.column, value)]),
                    expect: Expect::Rejected(
                        DatabaseErrorKind::CheckViolation,
                        t,
                        check.constraint,
                    ),
                });
            }
        }
        for unique in table.uniques {
            let mut setup = Vec::new();
            if !unique.prep.is_empty() {
                setup.push(sql(unique.prep));
            }
            setup.push(row(unique.first));
            cases.push(Case {
                category: Category::Unique,
                what: format!("{t}: {}", unique.what),
                setup,
                statement: row(unique.second),
                expect: match unique.violates {
                    Some(name) => Expect::Rejected(DatabaseErrorKind::UniqueViolation, t, name),
                    None => Expect::Accepted,
                },
            });
        }
    }
    cases
}

/// Whether `result` is what `expect` says; `Err` explains how it is not.
fn verdict(expect: &Expect, result: Result<usize, Error>) -> Result<(), String> {
    match (expect, result) {
        (Expect::Accepted, Ok(_)) => Ok(()),
        (Expect::Accepted, Err(e)) => Err(format!("expected success, got: {e}")),
        (Expect::Rejected(kind, ..), Ok(_)) => Err(format!("expected {kind:?}, but it succeeded")),
        (Expect::Rejected(kind, table, name), Err(Error::DatabaseError(actual, info))) => {
            let reported = if *kind == DatabaseErrorKind::NotNullViolation {
                info.column_name()
            } else {
                info.constraint_name()
            };
            // Rows of partitioned tables are reported on their partition.
            let on_table = info.table_name().is_some_and(|t| t.starts_with(table));
            if actual == *kind && reported == Some(*name) && on_table {
                Ok(())
            } else {
                Err(format!(
                    "expected {kind:?} on {table} naming {name}, got {actual:?} on {:?} naming {reported:?}: {}",
                    info.table_name(),
                    info.message()
                ))
            }
        }
        (Expect::Rejected(kind, ..), Err(e)) => Err(format!("expected {kind:?}, got: {e}")),
    }
}

/// Runs each case of `category` in its own transaction, rolled back; returns how
/// many ran, and panics listing every case that did not behave.
async fn run(conn: &mut AsyncPgConnection, category: Category) -> usize {
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in cases().into_iter().filter(|c| c.category == category) {
        conn.batch_execute("BEGIN").await.expect("begin");
        let mut setup_ok = true;
        for statement in &case.setup {
            if let Err(e) = conn.batch_execute(statement).await {
                failures.push(format!("{}: setup `{statement}` failed: {e}", case.what));
                setup_ok = false;
                break;
            }
        }
        if setup_ok {
            let result = diesel::sql_query(&case.statement).execute(conn).await;
            if let Err(why) = verdict(&case.expect, result) {
                failures.push(format!("{}: {why}\n    {}", case.what, case.statement));
            }
        }
        conn.batch_execute("ROLLBACK").await.expect("rollback");
        ran += 1;
    }
    println!("{category:?}: {ran} cases ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} {category:?} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    ran
}

// ---------------------------------------------------------------------------
// Constraint tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn every_table_accepts_a_valid_row() {
    let (_db, mut conn) = seeded().await;
    let ran = run(&mut conn, Category::Valid).await;
    assert!(ran >= 26, "only {ran} valid-row cases ran");
}

#[tokio::test]
async fn not_null_columns_reject_null() {
    let (_db, mut conn) = seeded().await;
    let ran = run(&mut conn, Category::NotNull).await;
    assert!(ran >= 176, "only {ran} NOT NULL cases ran");
}

#[tokio::test]
async fn check_constraints_accept_the_spec_values_and_reject_others() {
    let (_db, mut conn) = seeded().await;
    let ran = run(&mut conn, Category::Check).await;
    assert!(ran >= 149, "only {ran} CHECK cases ran");
}

#[tokio::test]
async fn unique_constraints_reject_duplicates_and_partial_ones_allow_nulls() {
    let (_db, mut conn) = seeded().await;
    let ran = run(&mut conn, Category::Unique).await;
    assert!(ran >= 52, "only {ran} UNIQUE cases ran");
}

/// The function of every `set_updated_at` trigger.
const UPDATED_AT_FUNCTION: &str = "diesel_set_updated_at";

/// The triggers besides `set_updated_at`, as (`table.trigger`, function); each
/// has a test below.
const OTHER_TRIGGERS: &[(&str, &str)] = &[
    // the_owner_rule_is_checked_at_commit, and at SET CONSTRAINTS ALL IMMEDIATE;
    // moving_the_owner_membership_to_another_team_is_refused
    ("teams.trg_teams_single_owner", "atelier_check_team_owner"),
    (
        "team_members.trg_team_members_single_owner",
        "atelier_check_team_owner",
    ),
    // projects_take_their_user_and_team_from_the_workbench
    (
        "projects.trg_projects_follow_workbench",
        "atelier_project_follows_workbench",
    ),
    // deleting_assets_and_moving_workbenches_keep_the_rules
    (
        "workbenches.trg_workbenches_move_projects",
        "atelier_workbench_moves_projects",
    ),
    // generation_requests_move_only_along_the_transition_table
    (
        "generation_requests.trg_generation_requests_transition",
        "atelier_check_generation_transition",
    ),
    // registry::statuses_move_only_along_the_transition_tables
    (
        "ai_model_versions.trg_ai_model_versions_transition",
        "atelier_check_ai_model_transition",
    ),
    (
        "ai_model_deployments.trg_ai_model_deployments_transition",
        "atelier_check_ai_model_transition",
    ),
];

/// The functions of the schema that no trigger runs, each with its test.
const OTHER_FUNCTIONS: &[&str] = &[
    // creates the set_updated_at triggers: updated_at_is_maintained_by_a_trigger_on_every_table
    "diesel_manage_updated_at",
    // tests/api/partitions.rs
    "atelier_create_monthly_partitions",
    // the ledger check (issue 14): tests/api/billing.rs, every money test
    "atelier_ledger_mismatches",
];

/// The cases above cover the catalog exactly: every table, NOT NULL column,
/// CHECK constraint and unique index, every table with `updated_at`, every
/// trigger with its function, and every function.
#[tokio::test]
async fn the_cases_cover_every_constraint_the_database_has() {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    const TABLES_SQL: &str = "c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') \
         AND NOT c.relispartition AND c.relname <> '__diesel_schema_migrations'";

    let tables = texts(
        &mut conn,
        &format!("SELECT c.relname::text AS v FROM pg_class c WHERE {TABLES_SQL}"),
    )
    .await;
    let not_null = texts(
        &mut conn,
        &format!(
            "SELECT c.relname::text || '.' || a.attname::text AS v FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             WHERE {TABLES_SQL} AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull"
        ),
    )
    .await;
    let checks = texts(
        &mut conn,
        &format!(
            "SELECT k.conname::text AS v FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid \
             WHERE {TABLES_SQL} AND k.contype = 'c'"
        ),
    )
    .await;
    let unique_indexes = texts(
        &mut conn,
        &format!(
            "SELECT x.relname::text AS v FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
             JOIN pg_class x ON x.oid = i.indexrelid \
             WHERE {TABLES_SQL} AND i.indisunique AND NOT i.indisprimary"
        ),
    )
    .await;
    let with_updated_at = texts(
        &mut conn,
        &format!(
            "SELECT c.relname::text AS v FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
             WHERE {TABLES_SQL} AND a.attname = 'updated_at' AND NOT a.attisdropped"
        ),
    )
    .await;
    let triggers = texts(
        &mut conn,
        &format!(
            "SELECT c.relname::text || '.' || t.tgname::text || ' -> ' || p.proname::text AS v \
             FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
             JOIN pg_proc p ON p.oid = t.tgfoid WHERE {TABLES_SQL} AND NOT t.tgisinternal"
        ),
    )
    .await;
    // Not those of extensions.
    let functions = texts(
        &mut conn,
        "SELECT p.proname::text AS v FROM pg_proc p \
         WHERE p.pronamespace = 'public'::regnamespace AND NOT EXISTS \
         (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass \
          AND d.objid = p.oid AND d.deptype = 'e')",
    )
    .await;

    let listed_tables: BTreeSet<String> = TABLES.iter().map(|t| t.name.to_string()).collect();
    let listed_not_null: BTreeSet<String> = TABLES
        .iter()
        .flat_map(|t| t.not_null.iter().map(move |c| format!("{}.{c}", t.name)))
        .collect();
    let listed_checks: BTreeSet<String> = TABLES
        .iter()
        .flat_map(|t| t.checks.iter().map(|c| c.constraint.to_string()))
        .collect();
    let listed_uniques: BTreeSet<String> = TABLES
        .iter()
        .flat_map(|t| {
            t.uniques
                .iter()
                .filter_map(|u| u.violates.map(str::to_string))
        })
        .collect();
    let listed_touch: BTreeSet<String> = TABLES
        .iter()
        .filter(|t| t.touch.is_some())
        .map(|t| t.name.to_string())
        .collect();
    let listed_triggers: BTreeSet<String> = listed_touch
        .iter()
        .map(|t| format!("{t}.set_updated_at -> {UPDATED_AT_FUNCTION}"))
        .chain(
            OTHER_TRIGGERS
                .iter()
                .map(|(trigger, function)| format!("{trigger} -> {function}")),
        )
        .collect();
    let listed_functions: BTreeSet<String> = OTHER_TRIGGERS
        .iter()
        .map(|(_, function)| function.to_string())
        .chain([UPDATED_AT_FUNCTION.to_string()])
        .chain(OTHER_FUNCTIONS.iter().map(|f| f.to_string()))
        .collect();

    let mut problems = Vec::new();
    for (what, in_db, listed) in [
        ("tables", &tables, &listed_tables),
        ("NOT NULL columns", &not_null, &listed_not_null),
        ("CHECK constraints", &checks, &listed_checks),
        ("unique indexes", &unique_indexes, &listed_uniques),
        ("tables with updated_at", &with_updated_at, &listed_touch),
        ("triggers", &triggers, &listed_triggers),
        ("functions", &functions, &listed_functions),
    ] {
        let untested: Vec<_> = in_db.difference(listed).collect();
        let missing: Vec<_> = listed.difference(in_db).collect();
        if !untested.is_empty() {
            problems.push(format!(
                "{what} in the database without a case: {untested:?}"
            ));
        }
        if !missing.is_empty() {
            problems.push(format!(
                "{what} expected but not in the database: {missing:?}"
            ));
        }
    }
    println!(
        "catalog: {} tables, {} NOT NULL columns, {} CHECKs, {} unique indexes, {} with updated_at, \
         {} triggers, {} functions",
        tables.len(),
        not_null.len(),
        checks.len(),
        unique_indexes.len(),
        with_updated_at.len(),
        triggers.len(),
        functions.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ---------------------------------------------------------------------------
// Foreign-key actions
// ---------------------------------------------------------------------------

/// An FK action: after `setup`, `probe` counts `before`; after `action`, it
/// counts `after`, or the action fails with a foreign-key violation of the
/// named constraint.
struct FkCase {
    what: &'static str,
    setup: &'static str,
    action: &'static str,
    probe: &'static str,
    before: i64,
    after: Result<i64, &'static str>,
}

const SESSION_OF_USER2: &str =
    "INSERT INTO sessions (id, user_id, device_info, ip_address, expires_at, token_hash) \
     VALUES ('{row}', '{user2}', 'phone', '203.0.113.9', now() + interval '1 day', repeat('c', 64))";
const DELETE_USER2: &str = "DELETE FROM users WHERE id = '{user2}'";

const FK_CASES: &[FkCase] = &[
    // ON DELETE CASCADE
    FkCase {
        what: "deleting a user deletes their sessions",
        setup: SESSION_OF_USER2,
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM sessions WHERE id = '{row}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a user deletes their workbenches",
        setup: "INSERT INTO workbenches (id, user_id, name) VALUES ('{row}', '{user2}', 'Bench 2')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM workbenches WHERE id = '{row}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a user deletes their team memberships",
        setup: "INSERT INTO team_members (id, team_id, user_id, role) VALUES ('{row}', '{team}', '{user2}', 'Editor')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM team_members WHERE id = '{row}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a user deletes their notifications (partitioned)",
        setup: "INSERT INTO notifications (id, user_id, type, message) VALUES ('{row}', '{user2}', 'system_update', 'hi')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM notifications WHERE id = '{row}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a user deletes their credit transactions (partitioned)",
        setup: "INSERT INTO credit_transactions (id, user_id, amount, action_type) VALUES ('{row}', '{user2}', 10, 'purchase')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM credit_transactions WHERE id = '{row}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a team deletes its members",
        setup: "INSERT INTO team_members (id, team_id, user_id, role) VALUES ('{row}', '{team}', '{user2}', 'Viewer')",
        action: "DELETE FROM teams WHERE id = '{team}'",
        probe: "SELECT count(*) AS n FROM team_members WHERE id = '{row}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a team deletes its templates, not the others",
        setup: "INSERT INTO templates (id, team_id, name, category, preview_url, source_data) \
                VALUES ('{row}', '{team}', 'Team story', 'social', 'https://cdn.example/t.png', '{\"layers\": []}')",
        action: "DELETE FROM teams WHERE id = '{team}'",
        probe: "SELECT (SELECT count(*) FROM templates WHERE id = '{row}') \
                + (SELECT count(*) FROM templates WHERE id = '{template}') AS n",
        before: 2,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a workbench deletes its projects",
        setup: "",
        action: "DELETE FROM workbenches WHERE id = '{workbench}'",
        probe: "SELECT count(*) AS n FROM projects WHERE id = '{project}'",
        before: 1,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a project deletes its asset versions, project states or not",
        setup: "INSERT INTO asset_versions (id, project_id, version_number, is_project_state) \
                VALUES ('{row}', '{project}', 1, true), ('{new_id}', '{project}', 1, false)",
        action: "DELETE FROM projects WHERE id = '{project}'",
        probe: "SELECT count(*) AS n FROM asset_versions WHERE project_id = '{project}'",
        before: 2,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a model deletes its versions and their validation results",
        setup: "",
        action: "DELETE FROM ai_models WHERE id = '{model}'",
        probe: "SELECT (SELECT count(*) FROM ai_model_versions WHERE id = '{version}') \
                + (SELECT count(*) FROM ai_model_validation_results WHERE id = '{validation}') AS n",
        before: 2,
        after: Ok(0),
    },
    FkCase {
        what: "deleting a generation request deletes its jobs, not the others'",
        setup: "INSERT INTO generation_requests (id, user_id, input_prompt) VALUES ('{new_id}', '{user}', 'a fox'); \
                INSERT INTO generation_jobs (id, generation_request_id, phase) VALUES \
                ('{row}', '{generation}', 'samples'), (gen_random_uuid(), '{generation}', 'final'), \
                (gen_random_uuid(), '{new_id}', 'samples')",
        action: "DELETE FROM generation_requests WHERE id = '{generation}'",
        probe: "SELECT count(*) AS n FROM generation_jobs",
        before: 3,
        after: Ok(1),
    },
    // ON DELETE SET NULL
    FkCase {
        what: "deleting a team sets generation_requests.team_id NULL",
        setup: "UPDATE generation_requests SET team_id = '{team}' WHERE id = '{generation}'",
        action: "DELETE FROM teams WHERE id = '{team}'",
        probe: "SELECT count(*) AS n FROM generation_requests WHERE id = '{generation}' AND team_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a model version sets generation_requests.ai_model_version_id NULL",
        setup: "UPDATE generation_requests SET ai_model_version_id = '{version}' WHERE id = '{generation}'",
        action: "DELETE FROM ai_model_versions WHERE id = '{version}'",
        probe: "SELECT count(*) AS n FROM generation_requests \
                WHERE id = '{generation}' AND ai_model_version_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a project sets assets.project_id NULL",
        setup: "",
        action: "DELETE FROM projects WHERE id = '{project}'",
        probe: "SELECT count(*) AS n FROM assets WHERE id = '{asset}' AND project_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a project sets generation_requests.project_id NULL",
        setup: "",
        action: "DELETE FROM projects WHERE id = '{project}'",
        probe: "SELECT count(*) AS n FROM generation_requests WHERE id = '{generation}' AND project_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a template sets projects.template_id NULL",
        setup: "",
        action: "DELETE FROM templates WHERE id = '{template}'",
        probe: "SELECT count(*) AS n FROM projects WHERE id = '{project}' AND template_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a user sets usage_logs.user_id NULL",
        setup: "INSERT INTO usage_logs (id, user_id, action_type) VALUES (900001, '{user2}', 'login_success')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM usage_logs WHERE id = 900001 AND user_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a user sets ai_model_feedback.user_id NULL",
        setup: "INSERT INTO ai_model_feedback (id, user_id, rating) VALUES ('{row}', '{user2}', 5)",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM ai_model_feedback WHERE id = '{row}' AND user_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a brand kit sets workbenches.default_brand_kit_id and projects.brand_kit_id NULL",
        setup: "",
        action: "DELETE FROM brand_kits WHERE id = '{brand_kit}'",
        probe: "SELECT (SELECT count(*) FROM workbenches WHERE id = '{workbench}' AND default_brand_kit_id IS NULL) \
                + (SELECT count(*) FROM projects WHERE id = '{project}' AND brand_kit_id IS NULL) AS n",
        before: 0,
        after: Ok(2),
    },
    FkCase {
        what: "deleting a generation request sets assets.generation_request_id NULL",
        setup: "",
        action: "DELETE FROM generation_requests WHERE id = '{generation}'",
        probe: "SELECT count(*) AS n FROM assets WHERE id = '{asset}' AND generation_request_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "deleting a validation result sets ai_model_versions.validation_result_id NULL",
        setup: "UPDATE ai_model_versions SET validation_result_id = '{validation}' WHERE id = '{version}'",
        action: "DELETE FROM ai_model_validation_results WHERE id = '{validation}'",
        probe: "SELECT count(*) AS n FROM ai_model_versions WHERE id = '{version}' AND validation_result_id IS NULL",
        before: 0,
        after: Ok(1),
    },
    // ON DELETE RESTRICT, with a control showing the user is otherwise deletable
    FkCase {
        what: "a user with generation requests cannot be deleted",
        setup: "INSERT INTO generation_requests (id, user_id, input_prompt) VALUES ('{row}', '{user2}', 'a fox')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM users WHERE id = '{user2}'",
        before: 1,
        after: Err("generation_requests_user_id_fkey"),
    },
    FkCase {
        what: "a user who owns a team cannot be deleted",
        setup: "INSERT INTO teams (id, name, owner_id) VALUES ('{row}', 'Own team', '{user2}')",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM users WHERE id = '{user2}'",
        before: 1,
        after: Err("teams_owner_id_fkey"),
    },
    FkCase {
        what: "a user with neither can be deleted",
        setup: "",
        action: DELETE_USER2,
        probe: "SELECT count(*) AS n FROM users WHERE id = '{user2}'",
        before: 1,
        after: Ok(0),
    },
    // ON UPDATE CASCADE, with a NO ACTION control
    FkCase {
        what: "workbenches.default_brand_kit_id follows a new brand_kits.id",
        setup: "",
        action: "UPDATE brand_kits SET id = '{new_id}' WHERE id = '{brand_kit}'",
        probe: "SELECT count(*) AS n FROM workbenches WHERE id = '{workbench}' AND default_brand_kit_id = '{new_id}'",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "projects.brand_kit_id follows a new brand_kits.id",
        setup: "",
        action: "UPDATE brand_kits SET id = '{new_id}' WHERE id = '{brand_kit}'",
        probe: "SELECT count(*) AS n FROM projects WHERE id = '{project}' AND brand_kit_id = '{new_id}'",
        before: 0,
        after: Ok(1),
    },
    FkCase {
        what: "sessions.user_id (ON UPDATE NO ACTION) blocks changing users.id",
        setup: SESSION_OF_USER2,
        action: "UPDATE users SET id = '{new_id}' WHERE id = '{user2}'",
        probe: "SELECT count(*) AS n FROM sessions WHERE id = '{row}'",
        before: 1,
        after: Err("sessions_user_id_fkey"),
    },
    // A workbench that does not exist: the projects trigger leaves user_id and
    // team_id as given, so the foreign key names the bad id.
    FkCase {
        what: "a project inserted on a workbench that does not exist",
        setup: "",
        action: "INSERT INTO projects (id, workbench_id, user_id, team_id, name) \
                 VALUES ('{new_id}', '{row}', '{user}', '{team}', 'Orphan')",
        probe: "SELECT count(*) AS n FROM projects WHERE id = '{new_id}'",
        before: 0,
        after: Err("projects_workbench_id_fkey"),
    },
    FkCase {
        what: "a project moved to a workbench that does not exist",
        setup: "",
        action: "UPDATE projects SET workbench_id = '{row}' WHERE id = '{project}'",
        probe: "SELECT count(*) AS n FROM projects WHERE id = '{project}' AND workbench_id = '{workbench}'",
        before: 1,
        after: Err("projects_workbench_id_fkey"),
    },
];

#[tokio::test]
async fn foreign_keys_cascade_set_null_and_restrict_as_the_spec_says() {
    let (_db, mut conn) = seeded().await;
    let mut failures = Vec::new();
    for case in FK_CASES {
        conn.batch_execute("BEGIN").await.expect("begin");
        if !case.setup.is_empty() {
            conn.batch_execute(&sql(case.setup))
                .await
                .unwrap_or_else(|e| panic!("{}: setup failed: {e}", case.what));
        }
        let before = count(&mut conn, case.probe).await;
        let result = diesel::sql_query(sql(case.action)).execute(&mut conn).await;
        let problem = match (&case.after, result) {
            _ if before != case.before => {
                Some(format!("before: {before}, expected {}", case.before))
            }
            (Ok(expected), Ok(_)) => {
                let after = count(&mut conn, case.probe).await;
                (after != *expected).then(|| format!("after: {after}, expected {expected}"))
            }
            (Ok(_), Err(e)) => Some(format!("the action failed: {e}")),
            (Err(name), Ok(_)) => {
                Some(format!("the action succeeded; expected {name} to block it"))
            }
            (Err(name), Err(Error::DatabaseError(kind, info))) => {
                let ok = kind == DatabaseErrorKind::ForeignKeyViolation
                    && info.constraint_name() == Some(*name);
                (!ok).then(|| {
                    format!(
                        "expected ForeignKeyViolation of {name}, got {kind:?} of {:?}",
                        info.constraint_name()
                    )
                })
            }
            (Err(_), Err(e)) => Some(format!("unexpected error: {e}")),
        };
        conn.batch_execute("ROLLBACK").await.expect("rollback");
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", case.what));
        }
    }
    println!("foreign-key actions: {} cases ran", FK_CASES.len());
    assert!(FK_CASES.len() >= 29);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every FK, `table.column` -> (referenced table, ON DELETE, ON UPDATE), as in the spec.
#[rustfmt::skip]
const FOREIGN_KEYS: &[(&str, &str, &str, &str)] = &[
    ("brand_kits.user_id", "users", "CASCADE", "NO ACTION"),
    ("brand_kits.team_id", "teams", "CASCADE", "NO ACTION"),
    ("workbenches.user_id", "users", "CASCADE", "NO ACTION"),
    ("workbenches.default_brand_kit_id", "brand_kits", "SET NULL", "CASCADE"),
    ("projects.workbench_id", "workbenches", "CASCADE", "NO ACTION"),
    ("projects.user_id", "users", "CASCADE", "NO ACTION"),
    ("projects.template_id", "templates", "SET NULL", "NO ACTION"),
    ("projects.brand_kit_id", "brand_kits", "SET NULL", "CASCADE"),
    ("assets.project_id", "projects", "SET NULL", "NO ACTION"),
    ("assets.user_id", "users", "CASCADE", "NO ACTION"),
    ("assets.generation_request_id", "generation_requests", "SET NULL", "NO ACTION"),
    ("asset_versions.asset_id", "assets", "SET NULL", "NO ACTION"),
    ("asset_versions.project_id", "projects", "CASCADE", "NO ACTION"),
    ("asset_versions.created_by_user_id", "users", "SET NULL", "NO ACTION"),
    ("generation_requests.user_id", "users", "RESTRICT", "NO ACTION"),
    ("generation_requests.project_id", "projects", "SET NULL", "NO ACTION"),
    ("generation_requests.final_asset_id", "assets", "SET NULL", "NO ACTION"),
    ("social_media_connections.user_id", "users", "CASCADE", "NO ACTION"),
    ("oauth_flows.user_id", "users", "CASCADE", "NO ACTION"),
    ("published_posts.user_id", "users", "CASCADE", "NO ACTION"),
    ("published_posts.asset_id", "assets", "CASCADE", "NO ACTION"),
    ("published_posts.connection_id", "social_media_connections", "SET NULL", "NO ACTION"),
    ("generation_jobs.published_post_id", "published_posts", "CASCADE", "NO ACTION"),
    ("api_clients.user_id", "users", "CASCADE", "NO ACTION"),
    ("subscriptions.user_id", "users", "CASCADE", "NO ACTION"),
    ("credit_transactions.user_id", "users", "CASCADE", "NO ACTION"),
    ("credit_transactions.generation_request_id", "generation_requests", "SET NULL", "NO ACTION"),
    ("usage_logs.user_id", "users", "SET NULL", "NO ACTION"),
    ("usage_logs.generation_request_id", "generation_requests", "SET NULL", "NO ACTION"),
    ("usage_logs.api_client_id", "api_clients", "SET NULL", "NO ACTION"),
    ("teams.owner_id", "users", "RESTRICT", "NO ACTION"),
    ("team_members.team_id", "teams", "CASCADE", "NO ACTION"),
    ("team_members.user_id", "users", "CASCADE", "NO ACTION"),
    ("sessions.user_id", "users", "CASCADE", "NO ACTION"),
    ("notifications.user_id", "users", "CASCADE", "NO ACTION"),
    ("templates.user_id", "users", "SET NULL", "NO ACTION"),
    ("ai_model_versions.model_id", "ai_models", "CASCADE", "NO ACTION"),
    ("ai_model_versions.validation_result_id", "ai_model_validation_results", "SET NULL", "NO ACTION"),
    ("ai_model_versions.created_by_user_id", "users", "SET NULL", "NO ACTION"),
    ("ai_model_validation_results.model_version_id", "ai_model_versions", "CASCADE", "NO ACTION"),
    ("ai_model_validation_results.validated_by_user_id", "users", "SET NULL", "NO ACTION"),
    ("ai_model_deployments.model_version_id", "ai_model_versions", "CASCADE", "NO ACTION"),
    ("ai_model_deployments.deployed_by_user_id", "users", "SET NULL", "NO ACTION"),
    ("ai_model_feedback.user_id", "users", "SET NULL", "NO ACTION"),
    ("ai_model_feedback.generation_request_id", "generation_requests", "SET NULL", "NO ACTION"),
    ("ai_model_feedback.model_version_id", "ai_model_versions", "SET NULL", "NO ACTION"),
    // Not in the spec (team ownership and data exports, from the users-teams
    // source document): pinned to the migrations' choice.
    ("workbenches.team_id", "teams", "CASCADE", "NO ACTION"),
    ("projects.team_id", "teams", "CASCADE", "NO ACTION"),
    ("api_clients.team_id", "teams", "CASCADE", "NO ACTION"),
    ("templates.team_id", "teams", "CASCADE", "NO ACTION"),
    ("credit_transactions.team_id", "teams", "SET NULL", "NO ACTION"),
    ("user_data_exports.user_id", "users", "CASCADE", "NO ACTION"),
    // 2026-11-22-000013_generation_pipeline
    ("generation_requests.team_id", "teams", "SET NULL", "NO ACTION"),
    ("generation_requests.ai_model_version_id", "ai_model_versions", "SET NULL", "NO ACTION"),
    ("generation_jobs.generation_request_id", "generation_requests", "CASCADE", "NO ACTION"),
    // Issue 15: team invitations and data exports.
    ("generation_jobs.data_export_id", "user_data_exports", "CASCADE", "NO ACTION"),
    ("team_invitations.team_id", "teams", "CASCADE", "NO ACTION"),
    ("team_invitations.invited_by", "users", "SET NULL", "NO ACTION"),
    ("team_invitations.accepted_by", "users", "SET NULL", "NO ACTION"),
    // 2026-12-03-100001_model_registry, 2026-12-03-100002_admin_audit
    ("generation_requests.ai_model_deployment_id", "ai_model_deployments", "SET NULL", "NO ACTION"),
    ("admin_audit.admin_user_id", "users", "SET NULL", "NO ACTION"),
    // 2026-12-03-100003_feedback_and_history
    ("usage_logs.team_id", "teams", "SET NULL", "NO ACTION"),
    // 2026-12-04-100001..100003 (issue 14)
    ("credit_ledger_openings.user_id", "users", "CASCADE", "NO ACTION"),
    ("credit_ledger_openings.team_id", "teams", "CASCADE", "NO ACTION"),
    ("billing_grants.user_id", "users", "CASCADE", "NO ACTION"),
    ("billing_grants.team_id", "teams", "CASCADE", "NO ACTION"),
    ("subscriptions.team_id", "teams", "CASCADE", "NO ACTION"),
    // 2026-12-04-500001_odoo_sync
    ("odoo_invoices.user_id", "users", "CASCADE", "NO ACTION"),
    ("odoo_invoices.team_id", "teams", "CASCADE", "NO ACTION"),
];

#[derive(diesel::QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    col: String,
    #[diesel(sql_type = Text)]
    target: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
    #[diesel(sql_type = Text)]
    on_update: String,
    #[diesel(sql_type = BigInt)]
    width: i64,
}

/// crates.io style: the catalog's FK actions match the table above, one by one.
#[tokio::test]
async fn every_foreign_key_has_the_actions_the_spec_gives_it() {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    // conparentid = 0: the partitions' copies of an FK are not separate FKs.
    let found: Vec<ForeignKey> = diesel::sql_query(
        "SELECT c.relname::text || '.' || a.attname::text AS col, r.relname::text AS target, \
                k.confdeltype::text AS on_delete, k.confupdtype::text AS on_update, \
                cardinality(k.conkey)::bigint AS width \
         FROM pg_constraint k \
         JOIN pg_class c ON c.oid = k.conrelid \
         JOIN pg_class r ON r.oid = k.confrelid \
         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
         WHERE k.contype = 'f' AND k.conparentid = 0 AND c.relnamespace = 'public'::regnamespace",
    )
    .load(&mut conn)
    .await
    .expect("foreign keys");

    let action = |code: &str| match code {
        "a" => "NO ACTION",
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "unknown",
    };
    let expected: BTreeMap<&str, (&str, &str, &str)> = FOREIGN_KEYS
        .iter()
        .map(|&(column, target, del, upd)| (column, (target, del, upd)))
        .collect();
    assert_eq!(
        expected.len(),
        FOREIGN_KEYS.len(),
        "a column is listed twice"
    );

    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for fk in &found {
        seen.insert(fk.col.as_str());
        let actual = (
            fk.target.as_str(),
            action(&fk.on_delete),
            action(&fk.on_update),
        );
        match expected.get(fk.col.as_str()) {
            None => problems.push(format!(
                "{} -> {actual:?} is not in the expected list",
                fk.col
            )),
            Some(want) if *want != actual => {
                problems.push(format!("{}: expected {want:?}, found {actual:?}", fk.col))
            }
            Some(_) if fk.width != 1 => {
                problems.push(format!("{} spans {} columns", fk.col, fk.width))
            }
            Some(_) => {}
        }
    }
    for column in expected.keys().filter(|c| !seen.contains(*c)) {
        problems.push(format!("{column}: no such foreign key"));
    }
    println!(
        "foreign keys: {} in the catalog, {} expected",
        found.len(),
        expected.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // 53, issue 15's nine (team invitations, the export job, social sign-in
    // flows, connections, published posts and their job), issue 14's five (billing)
    // and two of the Odoo sync (odoo_invoices).
    assert_eq!(found.len(), 69);
}

// ---------------------------------------------------------------------------
// Named indexes
// ---------------------------------------------------------------------------

/// Every index and unique constraint the spec names: (name, table, columns,
/// unique, method, partial-index condition as Postgres prints it).
#[rustfmt::skip]
const SPEC_INDEXES: &[(&str, &str, &str, bool, &str, &str)] = &[
    ("uq_user_email", "users", "email", true, "btree", ""),
    ("uq_user_username", "users", "username", true, "btree", ""),
    ("uq_user_social", "users", "social_provider,social_provider_id", true, "btree", "((social_provider IS NOT NULL) AND (social_provider_id IS NOT NULL))"),
    ("idx_user_email_unique", "users", "email", true, "btree", ""),
    ("idx_user_username_unique", "users", "username", true, "btree", "(username IS NOT NULL)"),
    ("idx_user_social_unique", "users", "social_provider,social_provider_id", true, "btree", "((social_provider IS NOT NULL) AND (social_provider_id IS NOT NULL))"),
    ("idx_user_subscriptiontier", "users", "subscription_tier", false, "btree", ""),
    ("idx_user_deletedat", "users", "deleted_at", false, "btree", "(deleted_at IS NOT NULL)"),
    ("idx_brandkit_userid", "brand_kits", "user_id", false, "btree", ""),
    ("idx_brandkit_teamid", "brand_kits", "team_id", false, "btree", ""),
    ("idx_brandkit_colors_gin", "brand_kits", "colors", false, "gin", ""),
    ("idx_brandkit_fonts_gin", "brand_kits", "fonts", false, "gin", ""),
    ("idx_workbench_userid", "workbenches", "user_id", false, "btree", ""),
    ("idx_project_workbenchid", "projects", "workbench_id", false, "btree", ""),
    ("idx_project_userid", "projects", "user_id", false, "btree", ""),
    ("idx_project_updatedat", "projects", "updated_at", false, "btree", ""),
    ("idx_asset_projectid_createdat", "assets", "project_id,created_at", false, "btree", ""),
    ("idx_asset_userid", "assets", "user_id", false, "btree", ""),
    ("idx_asset_generationrequestid", "assets", "generation_request_id", false, "btree", ""),
    ("idx_asset_type", "assets", "type", false, "btree", ""),
    ("idx_assetversion_assetid", "asset_versions", "asset_id", false, "btree", ""),
    ("idx_assetversion_projectid", "asset_versions", "project_id", false, "btree", ""),
    ("idx_assetversion_assetid_version", "asset_versions", "asset_id,version_number", false, "btree", ""),
    ("idx_assetversion_projectid_version", "asset_versions", "project_id,version_number", false, "btree", ""),
    ("idx_generationrequest_userid", "generation_requests", "user_id", false, "btree", ""),
    ("idx_generationrequest_projectid", "generation_requests", "project_id", false, "btree", ""),
    ("idx_generationrequest_status_createdat", "generation_requests", "status,created_at", false, "btree", ""),
    ("uq_socialconnection_user_platform", "social_media_connections", "user_id,platform", true, "btree", ""),
    ("idx_socialconnection_userid_platform", "social_media_connections", "user_id,platform", false, "btree", ""),
    ("uq_apiclient_apikey", "api_clients", "api_key", true, "btree", ""),
    ("idx_apiclient_apikey_unique", "api_clients", "api_key", true, "btree", ""),
    ("idx_apiclient_userid", "api_clients", "user_id", false, "btree", ""),
    ("uq_subscription_odoo_so", "subscriptions", "odoo_sale_order_id", true, "btree", ""),
    ("idx_subscription_userid_status", "subscriptions", "user_id,status", false, "btree", ""),
    ("idx_subscription_currentperiodend", "subscriptions", "current_period_end", false, "btree", ""),
    ("idx_credittransaction_userid_createdat", "credit_transactions", "user_id,created_at", false, "btree", ""),
    ("idx_credittransaction_actiontype", "credit_transactions", "action_type", false, "btree", ""),
    ("idx_usagelog_userid_timestamp", "usage_logs", r#"user_id,"timestamp""#, false, "btree", ""),
    ("idx_usagelog_actiontype", "usage_logs", "action_type", false, "btree", ""),
    ("idx_usagelog_generationrequestid", "usage_logs", "generation_request_id", false, "btree", ""),
    ("idx_usagelog_apiclientid", "usage_logs", "api_client_id", false, "btree", ""),
    ("idx_team_ownerid", "teams", "owner_id", false, "btree", ""),
    ("uq_teammember_team_user", "team_members", "team_id,user_id", true, "btree", ""),
    ("idx_teammember_userid_role", "team_members", "user_id,role", false, "btree", ""),
    ("idx_teammember_teamid", "team_members", "team_id", false, "btree", ""),
    ("idx_session_userid_expiresat", "sessions", "user_id,expires_at", false, "btree", ""),
    ("idx_session_expiresat", "sessions", "expires_at", false, "btree", ""),
    ("idx_session_lastactivity", "sessions", "last_activity", false, "btree", ""),
    ("idx_notification_userid_isread_createdat", "notifications", "user_id,is_read,created_at", false, "btree", ""),
    ("idx_notification_userid_isread_unread", "notifications", "user_id,is_read", false, "btree", "(is_read = false)"),
    ("idx_template_category_ispublic", "templates", "category,is_public", false, "btree", ""),
    ("idx_template_userid", "templates", "user_id", false, "btree", ""),
    ("idx_template_tags_gin", "templates", "tags", false, "gin", ""),
    ("uq_aimodel_name", "ai_models", "name", true, "btree", ""),
    ("idx_aimodel_provider_tasktype", "ai_models", "provider,task_type", false, "btree", ""),
    ("uq_aimodelversion_model_version", "ai_model_versions", "model_id,version_number", true, "btree", ""),
    ("idx_aimodelversion_modelid", "ai_model_versions", "model_id", false, "btree", ""),
    ("idx_aimodelversion_status", "ai_model_versions", "status", false, "btree", ""),
    ("idx_aimodelvalidationresult_versionid", "ai_model_validation_results", "model_version_id", false, "btree", ""),
    ("idx_aimodelvalidationresult_timestamp", "ai_model_validation_results", "validation_timestamp", false, "btree", ""),
    ("idx_aimodeldeployment_versionid_env", "ai_model_deployments", "model_version_id,environment", false, "btree", ""),
    ("idx_aimodeldeployment_status", "ai_model_deployments", "status", false, "btree", ""),
    ("idx_aimodelfeedback_userid", "ai_model_feedback", "user_id", false, "btree", ""),
    ("idx_aimodelfeedback_generationrequestid", "ai_model_feedback", "generation_request_id", false, "btree", ""),
    ("idx_aimodelfeedback_modelversionid", "ai_model_feedback", "model_version_id", false, "btree", ""),
];

/// Indexes the spec does not name, pinned to the migrations' choice (same fields).
#[rustfmt::skip]
const OTHER_INDEXES: &[(&str, &str, &str, bool, &str, &str)] = &[
    // 2026-11-22-000012_teams_and_studio
    ("uq_teammember_one_owner", "team_members", "team_id", true, "btree", "((role)::text = 'Owner'::text)"),
    ("uq_brandkit_default_team", "brand_kits", "team_id", true, "btree", "(is_default AND (team_id IS NOT NULL))"),
    ("uq_brandkit_default_user", "brand_kits", "user_id", true, "btree", "(is_default AND (team_id IS NULL))"),
    ("idx_template_teamid", "templates", "team_id", false, "btree", ""),
    ("uq_assetversion_asset_version", "asset_versions", "asset_id,version_number", true, "btree", "(asset_id IS NOT NULL)"),
    ("uq_assetversion_project_version", "asset_versions", "project_id,version_number", true, "btree", "is_project_state"),
    ("idx_asset_projectid_live", "assets", "project_id,created_at", false, "btree", "(deleted_at IS NULL)"),
    // 2026-11-22-000013_generation_pipeline
    ("idx_generationrequest_deadline", "generation_requests", "phase_deadline", false, "btree", "((status)::text = ANY ((ARRAY['Pending'::character varying, 'ProcessingSamples'::character varying, 'AwaitingSelection'::character varying, 'ProcessingFinal'::character varying])::text[]))"),
    ("uq_generationjob_request_phase", "generation_jobs", "generation_request_id,phase", true, "btree", ""),
    ("idx_generationjob_claimable", "generation_jobs", "run_after", false, "btree", "((status)::text = ANY ((ARRAY['queued'::character varying, 'running'::character varying])::text[]))"),
    ("uq_idempotencykey_caller_key", "idempotency_keys", "caller,key", true, "btree", ""),
    ("idx_idempotencykey_expires", "idempotency_keys", "expires_at", false, "btree", ""),
    // 2026-12-03-100001_model_registry
    ("uq_aimodelversion_one_production", "ai_model_versions", "model_id", true, "btree", "((status)::text = 'Production'::text)"),
    ("idx_aimodeldeployment_active", "ai_model_deployments", "environment,model_version_id", false, "btree", "((status)::text = 'Active'::text)"),
    ("idx_generationrequest_deploymentid", "generation_requests", "ai_model_deployment_id", false, "btree", ""),
    // 2026-12-03-100002_admin_audit
    ("idx_adminaudit_createdat", "admin_audit", "created_at", false, "btree", ""),
    ("idx_adminaudit_adminuserid_createdat", "admin_audit", "admin_user_id,created_at", false, "btree", ""),
    ("idx_adminaudit_target", "admin_audit", "target_type,target_id", false, "btree", ""),
    ("idx_user_suspendedat", "users", "suspended_at", false, "btree", "(suspended_at IS NOT NULL)"),
    // 2026-12-03-100003_feedback_and_history
    ("uq_aimodelfeedback_user_request", "ai_model_feedback", "user_id,generation_request_id", true, "btree", ""),
    ("idx_generationrequest_userid_createdat", "generation_requests", "user_id,created_at", false, "btree", ""),
    ("idx_generationrequest_projectid_createdat", "generation_requests", "project_id,created_at", false, "btree", ""),
    ("idx_credittransaction_teamid_createdat", "credit_transactions", "team_id,created_at", false, "btree", ""),
    ("idx_usagelog_teamid_timestamp", "usage_logs", "team_id,\"timestamp\"", false, "btree", ""),
];

/// The spec's unique constraints that are plain (unconditional) UNIQUE constraints.
const SPEC_UNIQUE_CONSTRAINTS: &[&str] = &[
    "uq_user_email",
    "uq_user_username",
    "uq_socialconnection_user_platform",
    "uq_apiclient_apikey",
    "uq_subscription_odoo_so",
    "uq_teammember_team_user",
    "uq_aimodel_name",
    "uq_aimodelversion_model_version",
];

#[derive(diesel::QueryableByName, Debug)]
struct IndexRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    tbl: String,
    #[diesel(sql_type = Text)]
    columns: String,
    #[diesel(sql_type = Bool)]
    is_unique: bool,
    #[diesel(sql_type = Text)]
    method: String,
    #[diesel(sql_type = Text)]
    condition: String,
}

#[tokio::test]
async fn every_index_and_constraint_named_in_the_spec_exists_as_specified() {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    let rows: Vec<IndexRow> = diesel::sql_query(
        "SELECT x.relname::text AS name, t.relname::text AS tbl, \
                (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), ',' ORDER BY k) \
                   FROM generate_series(1, i.indnkeyatts::int) AS k) AS columns, \
                i.indisunique AS is_unique, am.amname::text AS method, \
                coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS condition \
         FROM pg_index i \
         JOIN pg_class x ON x.oid = i.indexrelid \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_am am ON am.oid = x.relam \
         WHERE t.relnamespace = 'public'::regnamespace AND NOT t.relispartition",
    )
    .load(&mut conn)
    .await
    .expect("indexes");
    let by_name: BTreeMap<&str, &IndexRow> = rows.iter().map(|r| (r.name.as_str(), r)).collect();

    let mut problems = Vec::new();
    for &(name, table, columns, is_unique, method, condition) in
        SPEC_INDEXES.iter().chain(OTHER_INDEXES)
    {
        match by_name.get(name) {
            None => problems.push(format!("{name}: missing")),
            Some(found) => {
                let actual = (
                    found.tbl.as_str(),
                    found.columns.as_str(),
                    found.is_unique,
                    found.method.as_str(),
                    found.condition.as_str(),
                );
                if actual != (table, columns, is_unique, method, condition) {
                    problems.push(format!(
                        "{name}: expected {:?}, found {actual:?}",
                        (table, columns, is_unique, method, condition)
                    ));
                }
            }
        }
    }
    let constraints = texts(
        &mut conn,
        "SELECT conname::text AS v FROM pg_constraint \
         WHERE contype = 'u' AND connamespace = 'public'::regnamespace",
    )
    .await;
    for name in SPEC_UNIQUE_CONSTRAINTS {
        if !constraints.contains(*name) {
            problems.push(format!("{name}: not a UNIQUE constraint"));
        }
    }
    println!(
        "spec names: {} indexes checked, {} unique constraints checked; {} other indexes checked",
        SPEC_INDEXES.len(),
        SPEC_UNIQUE_CONSTRAINTS.len(),
        OTHER_INDEXES.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(
        SPEC_INDEXES.len(),
        65,
        "the spec names 65 indexes and unique constraints"
    );
}

// ---------------------------------------------------------------------------
// updated_at
// ---------------------------------------------------------------------------

/// For every table with `updated_at`: an update of another column moves it to
/// now; an update that sets it explicitly keeps the given value.
#[tokio::test]
async fn updated_at_is_maintained_by_a_trigger_on_every_table() {
    let (_db, mut conn) = seeded().await;
    let past = "'2000-01-01 00:00:00+00'";
    let mut failures = Vec::new();
    let mut ran = 0;
    for table in TABLES {
        let Some(touch) = table.touch else { continue };
        let t = table.name;
        // Rolled back: a committed team would need its Owner member.
        conn.batch_execute("BEGIN").await.expect("begin");
        let id: One = diesel::sql_query(format!(
            "{} RETURNING id::text AS v",
            insert(t, table.valid, &[("updated_at", past)])
        ))
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{t}: insert failed: {e}"));
        let row = format!("FROM {t} WHERE id = '{}'", id.v);

        let kept_on_insert = flag(
            &mut conn,
            &format!("SELECT updated_at = {past} AS ok {row}"),
        )
        .await;
        diesel::sql_query(format!("UPDATE {t} SET {touch} WHERE id = '{}'", id.v))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{t}: update failed: {e}"));
        let bumped = flag(
            &mut conn,
            &format!("SELECT updated_at > now() - interval '1 minute' AS ok {row}"),
        )
        .await;
        diesel::sql_query(format!(
            "UPDATE {t} SET {touch}, updated_at = {past} WHERE id = '{}'",
            id.v
        ))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{t}: explicit update failed: {e}"));
        let explicit_kept = flag(
            &mut conn,
            &format!("SELECT updated_at = {past} AS ok {row}"),
        )
        .await;
        conn.batch_execute("ROLLBACK").await.expect("rollback");

        if !(kept_on_insert && bumped && explicit_kept) {
            failures.push(format!(
                "{t}: insert kept the given updated_at: {kept_on_insert}, \
                 update moved it to now: {bumped}, explicit value kept: {explicit_kept}"
            ));
        }
        ran += 1;
    }
    println!("updated_at: {ran} tables checked");
    assert!(ran >= 16, "only {ran} tables with updated_at checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// Team ownership, checked at COMMIT
// ---------------------------------------------------------------------------

/// One transaction on the seed (`{team}`, owned by `{user}`, its Owner member):
/// every statement succeeds, as the owner check is deferred; the transaction's
/// end then succeeds or fails with ck_team_single_owner. Afterwards `probe`
/// counts `after`: the change if accepted, the seed unchanged if refused.
struct OwnerCase {
    what: &'static str,
    statements: &'static [&'static str],
    accepted: bool,
    probe: &'static str,
    after: i64,
}

/// The team `{row}` with `{user2}` as teams.owner_id.
const NEW_TEAM: &str =
    "INSERT INTO teams (id, name, owner_id) VALUES ('{row}', 'Agency', '{user2}')";
const SEED_OWNER_UNCHANGED: &str = "SELECT count(*) AS n FROM teams t \
     JOIN team_members m ON m.team_id = t.id AND m.user_id = t.owner_id AND m.role = 'Owner' \
     WHERE t.id = '{team}' AND t.owner_id = '{user}'";

const OWNER_CASES: &[OwnerCase] = &[
    OwnerCase {
        what: "a team and its Owner member, in one transaction",
        statements: &[
            NEW_TEAM,
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{row}', '{user2}', 'Owner')",
        ],
        accepted: true,
        probe: "SELECT count(*) AS n FROM teams t \
                JOIN team_members m ON m.team_id = t.id AND m.user_id = t.owner_id AND m.role = 'Owner' \
                WHERE t.id = '{row}'",
        after: 1,
    },
    OwnerCase {
        what: "a team without an Owner member",
        statements: &[NEW_TEAM],
        accepted: false,
        probe: "SELECT count(*) AS n FROM teams WHERE id = '{row}'",
        after: 0,
    },
    OwnerCase {
        what: "a team whose members are not Owners",
        statements: &[
            NEW_TEAM,
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{row}', '{user2}', 'Admin')",
        ],
        accepted: false,
        probe: "SELECT count(*) AS n FROM teams WHERE id = '{row}'",
        after: 0,
    },
    OwnerCase {
        what: "a team whose Owner member is not teams.owner_id",
        statements: &[
            NEW_TEAM,
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{row}', '{user2}', 'Admin')",
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{row}', '{user}', 'Owner')",
        ],
        accepted: false,
        probe: "SELECT count(*) AS n FROM teams WHERE id = '{row}'",
        after: 0,
    },
    OwnerCase {
        what: "two Owners (uq_teammember_one_owner dropped, so the trigger must see it)",
        statements: &[
            "DROP INDEX uq_teammember_one_owner",
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user2}', 'Owner')",
        ],
        accepted: false,
        probe: "SELECT (SELECT count(*) FROM team_members WHERE team_id = '{team}') \
                + (SELECT count(*) FROM pg_class WHERE relname = 'uq_teammember_one_owner') AS n",
        after: 2,
    },
    OwnerCase {
        what: "teams.owner_id moved to a member who is not the Owner",
        statements: &[
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user2}', 'Admin')",
            "UPDATE teams SET owner_id = '{user2}' WHERE id = '{team}'",
        ],
        accepted: false,
        probe: SEED_OWNER_UNCHANGED,
        after: 1,
    },
    OwnerCase {
        what: "the Owner demoted, no successor",
        statements: &[
            "UPDATE team_members SET role = 'Admin' WHERE team_id = '{team}' AND user_id = '{user}'",
        ],
        accepted: false,
        probe: SEED_OWNER_UNCHANGED,
        after: 1,
    },
    OwnerCase {
        what: "the Owner member removed",
        statements: &["DELETE FROM team_members WHERE team_id = '{team}' AND user_id = '{user}'"],
        accepted: false,
        probe: SEED_OWNER_UNCHANGED,
        after: 1,
    },
    // uq_teammember_one_owner is not deferrable: demote, then promote.
    OwnerCase {
        what: "ownership transferred to another member in one transaction",
        statements: &[
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user2}', 'Admin')",
            "UPDATE team_members SET role = 'Admin' WHERE team_id = '{team}' AND user_id = '{user}'",
            "UPDATE team_members SET role = 'Owner' WHERE team_id = '{team}' AND user_id = '{user2}'",
            "UPDATE teams SET owner_id = '{user2}' WHERE id = '{team}'",
        ],
        accepted: true,
        probe: "SELECT count(*) AS n FROM teams t \
                JOIN team_members m ON m.team_id = t.id AND m.user_id = t.owner_id AND m.role = 'Owner' \
                WHERE t.id = '{team}' AND t.owner_id = '{user2}' \
                AND EXISTS (SELECT 1 FROM team_members WHERE team_id = '{team}' AND user_id = '{user}' AND role = 'Admin')",
        after: 1,
    },
    OwnerCase {
        what: "the Owner membership handed to a non-member, with teams.owner_id",
        statements: &[
            "UPDATE teams SET owner_id = '{user2}' WHERE id = '{team}'",
            "UPDATE team_members SET user_id = '{user2}' WHERE team_id = '{team}' AND role = 'Owner'",
        ],
        accepted: true,
        probe: "SELECT count(*) AS n FROM teams t \
                JOIN team_members m ON m.team_id = t.id AND m.user_id = t.owner_id AND m.role = 'Owner' \
                WHERE t.id = '{team}' AND t.owner_id = '{user2}'",
        after: 1,
    },
    OwnerCase {
        what: "a team deleted with its members",
        statements: &[
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user2}', 'Editor')",
            "DELETE FROM teams WHERE id = '{team}'",
        ],
        accepted: true,
        probe: "SELECT (SELECT count(*) FROM teams WHERE id = '{team}') \
                + (SELECT count(*) FROM team_members WHERE team_id = '{team}') AS n",
        after: 0,
    },
];

/// How an [`OwnerCase`]'s transaction ends.
#[derive(Clone, Copy, PartialEq)]
enum End {
    /// A real COMMIT.
    Commit,
    /// `SET CONSTRAINTS ALL IMMEDIATE`, which runs the deferred checks at once,
    /// then ROLLBACK.
    Immediate,
}

/// Runs `case`, ending as `end` says; `Err` explains how it misbehaved.
async fn run_owner_case(
    conn: &mut AsyncPgConnection,
    case: &OwnerCase,
    end: End,
) -> Result<(), String> {
    conn.batch_execute("BEGIN").await.expect("begin");
    for statement in case.statements {
        if let Err(e) = conn.batch_execute(&sql(statement)).await {
            conn.batch_execute("ROLLBACK").await.expect("rollback");
            return Err(format!("`{statement}` failed before the check: {e}"));
        }
    }
    let ending = match end {
        End::Commit => "COMMIT",
        End::Immediate => "SET CONSTRAINTS ALL IMMEDIATE",
    };
    let result = conn.batch_execute(ending).await;
    let problem = match (case.accepted, result) {
        (true, Ok(())) => None,
        (true, Err(e)) => Some(format!("{ending} failed: {e}")),
        (false, Ok(())) => Some(format!(
            "{ending} succeeded; expected ck_team_single_owner to refuse it"
        )),
        (false, Err(Error::DatabaseError(kind, info))) => {
            let ok = kind == DatabaseErrorKind::CheckViolation
                && info.constraint_name() == Some("ck_team_single_owner");
            (!ok).then(|| {
                format!(
                    "{ending}: expected CheckViolation of ck_team_single_owner, got {kind:?} of {:?}: {}",
                    info.constraint_name(),
                    info.message()
                )
            })
        }
        (false, Err(e)) => Some(format!("{ending}: unexpected error {e}")),
    };
    // A COMMIT ends the transaction, committed or not; the other ending leaves
    // it open (aborted if refused), to be rolled back.
    let open = end == End::Immediate;
    if let Some(problem) = problem {
        if open {
            conn.batch_execute("ROLLBACK").await.expect("rollback");
        }
        return Err(problem);
    }
    if open && !case.accepted {
        conn.batch_execute("ROLLBACK").await.expect("rollback");
    }
    // An accepted change is seen before its ROLLBACK; a refused one never.
    let after = count(conn, case.probe).await;
    if open && case.accepted {
        conn.batch_execute("ROLLBACK").await.expect("rollback");
    }
    (after == case.after)
        .then_some(())
        .ok_or(format!("after: {after}, expected {}", case.after))
}

/// Each case really commits, on a database of its own.
#[tokio::test]
async fn the_owner_rule_is_checked_at_commit() {
    let mut failures = Vec::new();
    for case in OWNER_CASES {
        let (_db, mut conn) = seeded().await;
        if let Err(problem) = run_owner_case(&mut conn, case, End::Commit).await {
            failures.push(format!("{}: {problem}", case.what));
        }
    }
    println!("owner rule at COMMIT: {} cases ran", OWNER_CASES.len());
    assert!(OWNER_CASES.len() >= 11);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The same cases, each rolled back after SET CONSTRAINTS ALL IMMEDIATE; and the
/// check is deferred: made immediate from the start, a new team is refused
/// before its Owner member can follow.
#[tokio::test]
async fn the_owner_rule_is_checked_at_set_constraints_immediate_and_deferred_until_then() {
    let (_db, mut conn) = seeded().await;
    let mut failures = Vec::new();
    for case in OWNER_CASES {
        if let Err(problem) = run_owner_case(&mut conn, case, End::Immediate).await {
            failures.push(format!("{}: {problem}", case.what));
        }
    }

    conn.batch_execute("BEGIN; SET CONSTRAINTS ALL IMMEDIATE")
        .await
        .expect("begin");
    let result = diesel::sql_query(sql(NEW_TEAM)).execute(&mut conn).await;
    let refused_at_once = matches!(
        &result,
        Err(Error::DatabaseError(DatabaseErrorKind::CheckViolation, info))
            if info.constraint_name() == Some("ck_team_single_owner")
    );
    conn.batch_execute("ROLLBACK").await.expect("rollback");
    if !refused_at_once {
        failures.push(format!(
            "immediate from the start: a new team without its Owner yet: expected \
             ck_team_single_owner at the INSERT, got {result:?}"
        ));
    }
    println!(
        "owner rule at SET CONSTRAINTS ALL IMMEDIATE: {} cases ran, plus the deferral control",
        OWNER_CASES.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// projects.user_id and projects.team_id follow the workbench
// ---------------------------------------------------------------------------

/// After `setup`, `statement` succeeds and `probe` counts `after`; rolled back.
struct ProbeCase {
    what: &'static str,
    setup: &'static str,
    statement: &'static str,
    probe: &'static str,
    after: i64,
}

/// The workbench `{row}` of `{user2}` in `{team}`.
const TEAM_BENCH: &str = "INSERT INTO workbenches (id, user_id, name, team_id) \
     VALUES ('{row}', '{user2}', 'Team bench', '{team}')";

const PROJECT_CASES: &[ProbeCase] = &[
    ProbeCase {
        what: "inserted on a personal workbench, claiming {user2} and {team}",
        setup: "",
        statement: "INSERT INTO projects (id, workbench_id, user_id, team_id, name) \
                    VALUES ('{new_id}', '{workbench}', '{user2}', '{team}', 'Stray')",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{new_id}' AND user_id = '{user}' AND team_id IS NULL",
        after: 1,
    },
    ProbeCase {
        what: "inserted on a team workbench, claiming {user} and no team",
        setup: TEAM_BENCH,
        statement: "INSERT INTO projects (id, workbench_id, user_id, team_id, name) \
                    VALUES ('{new_id}', '{row}', '{user}', NULL, 'Stray')",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{new_id}' AND user_id = '{user2}' AND team_id = '{team}'",
        after: 1,
    },
    ProbeCase {
        what: "inserted without user_id",
        setup: TEAM_BENCH,
        statement:
            "INSERT INTO projects (id, workbench_id, name) VALUES ('{new_id}', '{row}', 'Bare')",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{new_id}' AND user_id = '{user2}' AND team_id = '{team}'",
        after: 1,
    },
    ProbeCase {
        what: "user_id and team_id updated away from the workbench's",
        setup: "",
        statement:
            "UPDATE projects SET user_id = '{user2}', team_id = '{team}' WHERE id = '{project}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{project}' AND user_id = '{user}' AND team_id IS NULL",
        after: 1,
    },
    ProbeCase {
        what: "moved to a team workbench",
        setup: TEAM_BENCH,
        statement: "UPDATE projects SET workbench_id = '{row}' WHERE id = '{project}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{project}' AND user_id = '{user2}' AND team_id = '{team}'",
        after: 1,
    },
];

/// Runs each case in its own transaction, rolled back; the failures, explained.
async fn run_probe_cases(conn: &mut AsyncPgConnection, cases: &[ProbeCase]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        conn.batch_execute("BEGIN").await.expect("begin");
        if !case.setup.is_empty() {
            conn.batch_execute(&sql(case.setup))
                .await
                .unwrap_or_else(|e| panic!("{}: setup failed: {e}", case.what));
        }
        let problem = match conn.batch_execute(&sql(case.statement)).await {
            Err(e) => Some(format!("the statement failed: {e}")),
            Ok(()) => {
                let after = count(conn, case.probe).await;
                (after != case.after).then(|| format!("after: {after}, expected {}", case.after))
            }
        };
        conn.batch_execute("ROLLBACK").await.expect("rollback");
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", case.what));
        }
    }
    failures
}

#[tokio::test]
async fn projects_take_their_user_and_team_from_the_workbench() {
    let (_db, mut conn) = seeded().await;
    let failures = run_probe_cases(&mut conn, PROJECT_CASES).await;
    println!(
        "projects follow the workbench: {} cases ran",
        PROJECT_CASES.len()
    );
    assert!(PROJECT_CASES.len() >= 5);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// Defects once in 2026-11-22-000012_teams_and_studio, now fixed
// ---------------------------------------------------------------------------

/// Memberships moved between teams: the owner check looks at the team left
/// (OLD.team_id) as well as the team joined.
const MOVE_CASES: &[OwnerCase] = &[
    OwnerCase {
        what: "the Owner membership moved to a new team the same user owns",
        statements: &[
            "INSERT INTO teams (id, name, owner_id) VALUES ('{row}', 'Agency', '{user}')",
            "UPDATE team_members SET team_id = '{row}' WHERE team_id = '{team}' AND user_id = '{user}'",
        ],
        accepted: false,
        probe: SEED_OWNER_UNCHANGED,
        after: 1,
    },
    OwnerCase {
        what: "the Owner membership moved to a new team, a successor taking over the old one",
        statements: &[
            "INSERT INTO teams (id, name, owner_id) VALUES ('{row}', 'Agency', '{user}')",
            "INSERT INTO team_members (team_id, user_id, role) VALUES ('{team}', '{user2}', 'Admin')",
            "UPDATE team_members SET team_id = '{row}' WHERE team_id = '{team}' AND user_id = '{user}'",
            "UPDATE team_members SET role = 'Owner' WHERE team_id = '{team}' AND user_id = '{user2}'",
            "UPDATE teams SET owner_id = '{user2}' WHERE id = '{team}'",
        ],
        accepted: true,
        probe: "SELECT count(*) AS n FROM teams t \
                JOIN team_members m ON m.team_id = t.id AND m.user_id = t.owner_id AND m.role = 'Owner' \
                WHERE (t.id = '{team}' AND t.owner_id = '{user2}') OR (t.id = '{row}' AND t.owner_id = '{user}')",
        after: 2,
    },
];

/// Each case at a real COMMIT, on a database of its own, then all of them at
/// SET CONSTRAINTS ALL IMMEDIATE.
#[tokio::test]
async fn moving_the_owner_membership_to_another_team_is_refused() {
    let mut failures = Vec::new();
    for case in MOVE_CASES {
        let (_db, mut conn) = seeded().await;
        if let Err(problem) = run_owner_case(&mut conn, case, End::Commit).await {
            failures.push(format!("{} (COMMIT): {problem}", case.what));
        }
    }
    let (_db, mut conn) = seeded().await;
    for case in MOVE_CASES {
        if let Err(problem) = run_owner_case(&mut conn, case, End::Immediate).await {
            failures.push(format!("{} (IMMEDIATE): {problem}", case.what));
        }
    }
    println!("memberships moved: {} cases ran, twice", MOVE_CASES.len());
    assert!(MOVE_CASES.len() >= 2);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// [`TEAM_BENCH`], and a project `{new_id}` on it.
const TEAM_BENCH_AND_PROJECT: &str = "INSERT INTO workbenches (id, user_id, name, team_id) \
     VALUES ('{row}', '{user2}', 'Team bench', '{team}'); \
     INSERT INTO projects (id, workbench_id, name) VALUES ('{new_id}', '{row}', 'Team launch')";

const DELETE_AND_MOVE_CASES: &[ProbeCase] = &[
    // asset_versions.asset_id is ON DELETE SET NULL: the versions of a deleted
    // asset have no asset, but are no project states.
    ProbeCase {
        what: "deleting an asset whose project has a state of the same version number",
        setup: "INSERT INTO asset_versions (asset_id, project_id, version_number, is_project_state) \
                VALUES ('{asset}', '{project}', 1, false), (NULL, '{project}', 1, true)",
        statement: "DELETE FROM assets WHERE id = '{asset}'",
        probe: "SELECT (SELECT count(*) FROM asset_versions \
                        WHERE project_id = '{project}' AND asset_id IS NULL AND is_project_state) \
                + 10 * (SELECT count(*) FROM asset_versions \
                        WHERE project_id = '{project}' AND asset_id IS NULL AND NOT is_project_state) AS n",
        after: 11,
    },
    ProbeCase {
        what: "deleting two assets of a project that both have a version 1",
        setup: "INSERT INTO assets (id, project_id, user_id, name, type, file_path, mime_type, format) \
                VALUES ('{row}', '{project}', '{user}', 'dog.png', 'Uploaded', 'bucket/dog.png', 'image/png', 'png'); \
                INSERT INTO asset_versions (asset_id, project_id, version_number) VALUES \
                ('{asset}', '{project}', 1), ('{row}', '{project}', 1)",
        statement: "DELETE FROM assets WHERE id IN ('{asset}', '{row}')",
        probe: "SELECT count(*) AS n FROM asset_versions \
                WHERE project_id = '{project}' AND asset_id IS NULL AND NOT is_project_state",
        after: 2,
    },
    // trg_workbenches_move_projects: a workbench that changes hands takes its
    // projects along, and only its own.
    ProbeCase {
        what: "a workbench moved into a team takes its projects along",
        setup: "",
        statement: "UPDATE workbenches SET team_id = '{team}' WHERE id = '{workbench}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{project}' AND user_id = '{user}' AND team_id = '{team}'",
        after: 1,
    },
    ProbeCase {
        what: "a workbench given to another user takes its projects along",
        setup: "",
        statement: "UPDATE workbenches SET user_id = '{user2}' WHERE id = '{workbench}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{project}' AND user_id = '{user2}' AND team_id IS NULL",
        after: 1,
    },
    ProbeCase {
        what: "a workbench given to another user in a team takes its projects along",
        setup: "",
        statement: "UPDATE workbenches SET user_id = '{user2}', team_id = '{team}' WHERE id = '{workbench}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{project}' AND user_id = '{user2}' AND team_id = '{team}'",
        after: 1,
    },
    ProbeCase {
        what: "a workbench taken out of its team takes its projects along",
        setup: TEAM_BENCH_AND_PROJECT,
        statement: "UPDATE workbenches SET team_id = NULL WHERE id = '{row}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{new_id}' AND user_id = '{user2}' AND team_id IS NULL",
        after: 1,
    },
    ProbeCase {
        what: "the projects of other workbenches stay where they are",
        setup: TEAM_BENCH_AND_PROJECT,
        statement: "UPDATE workbenches SET user_id = '{user2}' WHERE id = '{workbench}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE (id = '{project}' AND user_id = '{user2}' AND team_id IS NULL) \
                OR (id = '{new_id}' AND user_id = '{user2}' AND team_id = '{team}')",
        after: 2,
    },
    // The trigger's WHEN: an update that leaves user_id and team_id as they
    // were does not touch the projects (whose updated_at would move).
    ProbeCase {
        what: "a workbench renamed, its owner set to the same values, leaves its projects alone",
        setup: "UPDATE projects SET updated_at = '2000-01-01 00:00:00+00' WHERE id = '{project}'",
        statement: "UPDATE workbenches SET name = 'Renamed', user_id = '{user}', team_id = NULL \
                    WHERE id = '{workbench}'",
        probe: "SELECT count(*) AS n FROM projects \
                WHERE id = '{project}' AND updated_at = '2000-01-01 00:00:00+00'",
        after: 1,
    },
];

#[tokio::test]
async fn deleting_assets_and_moving_workbenches_keep_the_rules() {
    let (_db, mut conn) = seeded().await;
    let failures = run_probe_cases(&mut conn, DELETE_AND_MOVE_CASES).await;
    println!(
        "asset deletions and workbench moves: {} cases ran",
        DELETE_AND_MOVE_CASES.len()
    );
    assert!(DELETE_AND_MOVE_CASES.len() >= 8);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// The generation state machine (2026-11-22-000013_generation_pipeline)
// ---------------------------------------------------------------------------

use atelier::generation::model::GenerationStatus;
use atelier::generation::state::TRANSITIONS;

/// Forbidden changes the spec's state machine names; all of them, and every
/// other pair outside [`TRANSITIONS`], are refused below.
const FORBIDDEN_SAMPLE: &[(&str, &str)] = &[
    ("Pending", "Completed"),
    ("Completed", "Cancelled"),
    ("AwaitingSelection", "ContentRejected"),
    ("Failed", "Pending"),
];

/// The request every transition case inserts, Pending, in its own transaction.
fn new_request(status: GenerationStatus) -> String {
    sql(&format!(
        "INSERT INTO generation_requests (id, user_id, project_id, input_prompt, status) \
         VALUES ('{{new_id}}', '{{user}}', '{{project}}', 'a bird', '{}')",
        status.as_db_str()
    ))
}

fn set_status(status: GenerationStatus) -> String {
    sql(&format!(
        "UPDATE generation_requests SET status = '{}' WHERE id = '{{new_id}}'",
        status.as_db_str()
    ))
}

/// The shortest way from Pending to `to` along [`TRANSITIONS`]: the statuses
/// after Pending, `to` last (empty for Pending itself).
fn path_to(to: GenerationStatus) -> Vec<GenerationStatus> {
    let mut paths: BTreeMap<&str, Vec<GenerationStatus>> = BTreeMap::new();
    paths.insert(GenerationStatus::Pending.as_db_str(), vec![]);
    let mut frontier = vec![GenerationStatus::Pending];
    while !frontier.is_empty() {
        let mut next = Vec::new();
        for from in frontier {
            for &(f, t) in TRANSITIONS {
                if f == from && !paths.contains_key(t.as_db_str()) {
                    let mut path = paths[from.as_db_str()].clone();
                    path.push(t);
                    paths.insert(t.as_db_str(), path);
                    next.push(t);
                }
            }
        }
        frontier = next;
    }
    paths
        .remove(to.as_db_str())
        .unwrap_or_else(|| panic!("{} cannot be reached from Pending", to.as_db_str()))
}

/// Whether `result` is a refusal by the transition trigger. The trigger's
/// RAISE names the constraint but no table, so the table is not checked.
fn refused_by_transition_trigger(result: Result<usize, Error>) -> Result<(), String> {
    match result {
        Ok(_) => Err("accepted; expected ck_generation_transition to refuse it".into()),
        Err(Error::DatabaseError(DatabaseErrorKind::CheckViolation, info))
            if info.constraint_name() == Some("ck_generation_transition") =>
        {
            Ok(())
        }
        Err(Error::DatabaseError(kind, info)) => Err(format!(
            "expected CheckViolation of ck_generation_transition, got {kind:?} of {:?}: {}",
            info.constraint_name(),
            info.message()
        )),
        Err(e) => Err(format!("unexpected error: {e}")),
    }
}

#[tokio::test]
async fn the_transition_table_in_the_database_is_the_code_table() {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    let in_db = texts(
        &mut conn,
        "SELECT from_status::text || ' -> ' || to_status::text AS v \
         FROM generation_status_transitions",
    )
    .await;
    let in_code: BTreeSet<String> = TRANSITIONS
        .iter()
        .map(|(from, to)| format!("{} -> {}", from.as_db_str(), to.as_db_str()))
        .collect();
    assert_eq!(
        in_code.len(),
        TRANSITIONS.len(),
        "a transition is listed twice"
    );
    let only_in_db: Vec<_> = in_db.difference(&in_code).collect();
    let only_in_code: Vec<_> = in_code.difference(&in_db).collect();
    println!(
        "transition table: {} rows in the database, {} in the code",
        in_db.len(),
        in_code.len()
    );
    assert!(
        only_in_db.is_empty() && only_in_code.is_empty(),
        "only in generation_status_transitions: {only_in_db:?}; \
         only in generation::state::TRANSITIONS: {only_in_code:?}"
    );
    // Every status the CHECK allows appears in the code's enum, and back.
    let statuses = texts(
        &mut conn,
        "SELECT unnest(ARRAY[from_status, to_status])::text AS v FROM generation_status_transitions",
    )
    .await;
    let all: BTreeSet<String> = GenerationStatus::ALL
        .iter()
        .map(|s| s.as_db_str().to_string())
        .collect();
    assert_eq!(statuses, all, "the table does not mention every status");
}

/// Every allowed change accepted, every other change refused, a change to the
/// same status accepted (no change at all), and a request inserted in any
/// status but Pending refused. Each case in its own transaction, rolled back:
/// a request `{new_id}` is inserted Pending and walked to the case's `from`
/// along allowed changes.
#[tokio::test]
async fn generation_requests_move_only_along_the_transition_table() {
    use GenerationStatus::*;
    for &(from, to) in FORBIDDEN_SAMPLE {
        let (from, to) = (
            GenerationStatus::from_db_str(from).expect("a status"),
            GenerationStatus::from_db_str(to).expect("a status"),
        );
        assert!(
            !from.can_become(to),
            "{from:?} -> {to:?} is allowed in the code"
        );
    }

    let (_db, mut conn) = seeded().await;
    let mut failures = Vec::new();
    let (mut accepted, mut refused) = (0, 0);
    for &from in GenerationStatus::ALL {
        for &to in GenerationStatus::ALL {
            let allowed = from == to || TRANSITIONS.contains(&(from, to));
            let what = format!("{} -> {}", from.as_db_str(), to.as_db_str());
            conn.batch_execute("BEGIN").await.expect("begin");
            let mut setup = vec![new_request(Pending)];
            setup.extend(path_to(from).into_iter().map(set_status));
            let mut setup_ok = true;
            for statement in &setup {
                if let Err(e) = diesel::sql_query(statement).execute(&mut conn).await {
                    failures.push(format!("{what}: setup `{statement}` failed: {e}"));
                    setup_ok = false;
                    break;
                }
            }
            if setup_ok {
                let result = diesel::sql_query(set_status(to)).execute(&mut conn).await;
                let verdict = if allowed {
                    accepted += 1;
                    match result {
                        Ok(1) => {
                            let now = count(
                                &mut conn,
                                &format!(
                                    "SELECT count(*) AS n FROM generation_requests \
                                     WHERE id = '{{new_id}}' AND status = '{}'",
                                    to.as_db_str()
                                ),
                            )
                            .await;
                            (now == 1)
                                .then_some(())
                                .ok_or_else(|| "accepted, but the status did not change".into())
                        }
                        Ok(n) => Err(format!("{n} rows updated")),
                        Err(e) => Err(format!("expected success, got: {e}")),
                    }
                } else {
                    refused += 1;
                    refused_by_transition_trigger(result)
                };
                if let Err(why) = verdict {
                    failures.push(format!("{what}: {why}"));
                }
            }
            conn.batch_execute("ROLLBACK").await.expect("rollback");
        }
    }

    let mut inserted = 0;
    for &status in GenerationStatus::ALL {
        conn.batch_execute("BEGIN").await.expect("begin");
        let result = diesel::sql_query(new_request(status))
            .execute(&mut conn)
            .await;
        let verdict = if status == Pending {
            result
                .map(|_| ())
                .map_err(|e| format!("expected success, got: {e}"))
        } else {
            refused_by_transition_trigger(result)
        };
        conn.batch_execute("ROLLBACK").await.expect("rollback");
        if let Err(why) = verdict {
            failures.push(format!("inserted {}: {why}", status.as_db_str()));
        }
        inserted += 1;
    }

    println!(
        "generation transitions: {accepted} accepted ({} allowed, {} unchanged), \
         {refused} refused, {inserted} inserts",
        TRANSITIONS.len(),
        GenerationStatus::ALL.len()
    );
    assert_eq!(accepted, TRANSITIONS.len() + GenerationStatus::ALL.len());
    assert_eq!(
        refused,
        GenerationStatus::ALL.len() * (GenerationStatus::ALL.len() - 1) - TRANSITIONS.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
