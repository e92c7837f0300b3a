//! The monthly RANGE partitions of `credit_transactions` and `notifications`:
//! where rows land, what the migrations create, and how
//! `atelier_create_monthly_partitions(regclass, int)` adds months, idempotently,
//! moving rows out of the DEFAULT partition.

use std::collections::BTreeSet;

use chrono::{Datelike, Utc};
use diesel::sql_types::{BigInt, Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::helpers::TestDb;

const PARTITIONED: &[&str] = &["credit_transactions", "notifications"];
const USER: &str = "00000000-0000-4000-8000-0000000000a1";

#[derive(diesel::QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Created {
    #[diesel(sql_type = Integer)]
    created: i32,
}

async fn text(conn: &mut AsyncPgConnection, query: &str) -> String {
    let row: One = diesel::sql_query(query)
        .get_result(conn)
        .await
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"));
    row.v
}

async fn count(conn: &mut AsyncPgConnection, query: &str) -> i64 {
    let row: Count = diesel::sql_query(query)
        .get_result(conn)
        .await
        .unwrap_or_else(|e| panic!("`{query}` failed: {e}"));
    row.n
}

async fn create_partitions(conn: &mut AsyncPgConnection, table: &str, months: i32) -> i32 {
    let row: Created = diesel::sql_query(format!(
        "SELECT atelier_create_monthly_partitions('{table}', {months}) AS created"
    ))
    .get_result(conn)
    .await
    .unwrap_or_else(|e| panic!("creating {months} months of {table} failed: {e}"));
    row.created
}

/// (year, month) of the UTC month `offset` months from now.
fn month(offset: i32) -> (i32, u32) {
    let now = Utc::now();
    let index = now.year() * 12 + now.month0() as i32 + offset;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

/// `<table>_pYYYY_MM` for the month `offset` months from now.
fn partition(table: &str, offset: i32) -> String {
    let (y, m) = month(offset);
    format!("{table}_p{y:04}_{m:02}")
}

/// A timestamp literal `day` days (1-based) into the month `offset` months from now, UTC.
fn in_month(offset: i32, day: u32, time: &str) -> String {
    let (y, m) = month(offset);
    format!("'{y:04}-{m:02}-{day:02} {time}+00'")
}

/// Inserts a row into `table` created at `created_at` (an SQL expression); returns its id.
async fn insert_row(conn: &mut AsyncPgConnection, table: &str, created_at: &str) -> String {
    let statement = match table {
        "credit_transactions" => format!(
            "INSERT INTO credit_transactions (user_id, amount, action_type, created_at) \
             VALUES ('{USER}', 5.00, 'purchase', {created_at}) RETURNING id::text AS v"
        ),
        "notifications" => format!(
            "INSERT INTO notifications (user_id, type, message, created_at, updated_at) \
             VALUES ('{USER}', 'system_update', 'hello', {created_at}, '2000-01-01 00:00:00+00') \
             RETURNING id::text AS v"
        ),
        other => panic!("no row recipe for {other}"),
    };
    text(conn, &statement).await
}

/// The partition holding the row `id` of `table`.
async fn home(conn: &mut AsyncPgConnection, table: &str, id: &str) -> String {
    text(
        conn,
        &format!("SELECT tableoid::regclass::text AS v FROM {table} WHERE id = '{id}'"),
    )
    .await
}

/// The names of the partitions of `table`.
async fn partitions_of(conn: &mut AsyncPgConnection, table: &str) -> BTreeSet<String> {
    let rows: Vec<One> = diesel::sql_query(format!(
        "SELECT inhrelid::regclass::text AS v FROM pg_inherits WHERE inhparent = '{table}'::regclass"
    ))
    .load(conn)
    .await
    .expect("partitions");
    rows.into_iter().map(|r| r.v).collect()
}

async fn database_with_a_user() -> (TestDb, AsyncPgConnection) {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    conn.batch_execute(&format!(
        "INSERT INTO users (id, email) VALUES ('{USER}', 'ledger@example.com')"
    ))
    .await
    .expect("user");
    (db, conn)
}

#[tokio::test]
async fn migrating_creates_the_current_and_next_three_months_and_a_default() {
    // A fresh migration, not the shared template: the template may be from an
    // earlier month, and its partitions are relative to when it was built.
    let db = TestDb::empty().await;
    atelier::db::run_migrations(&db.url).await.expect("migrate");
    let mut conn = db.conn().await;
    conn.batch_execute("SET TimeZone = 'UTC'")
        .await
        .expect("utc");
    for table in PARTITIONED {
        let mut expected: BTreeSet<String> = (0..=3).map(|i| partition(table, i)).collect();
        expected.insert(format!("{table}_default"));
        assert_eq!(partitions_of(&mut conn, table).await, expected, "{table}");

        let bounds = text(
            &mut conn,
            &format!(
                "SELECT pg_get_expr(relpartbound, oid) AS v FROM pg_class WHERE relname = '{}'",
                partition(table, 1)
            ),
        )
        .await;
        let (from, to) = (month(1), month(2));
        assert_eq!(
            bounds,
            format!(
                "FOR VALUES FROM ('{:04}-{:02}-01 00:00:00+00') TO ('{:04}-{:02}-01 00:00:00+00')",
                from.0, from.1, to.0, to.1
            ),
            "{table}: a month runs from its first instant, UTC, to the next month's"
        );
    }
}

#[tokio::test]
async fn rows_land_in_the_partition_of_their_month_or_the_default() {
    let (_db, mut conn) = database_with_a_user().await;
    let mut checked = 0;
    for table in PARTITIONED {
        // What the app does at start-up; a no-op unless the template is from an earlier month.
        create_partitions(&mut conn, table, 3).await;
        let default = format!("{table}_default");
        let cases = [
            ("now()".to_string(), partition(table, 0)),
            (in_month(2, 15, "12:00:00"), partition(table, 2)),
            (in_month(-24, 15, "12:00:00"), default.clone()),
            // Beyond the months created ahead of time.
            (in_month(4, 15, "12:00:00"), default.clone()),
            // Month bounds are UTC instants, whatever the session time zone.
            (in_month(1, 1, "00:00:00"), partition(table, 1)),
            (
                in_month(1, 1, "00:00:00") + "::timestamptz - interval '1 microsecond'",
                partition(table, 0),
            ),
        ];
        conn.batch_execute("SET TimeZone = 'America/Los_Angeles'")
            .await
            .expect("time zone");
        for (created_at, expected) in cases {
            let id = insert_row(&mut conn, table, &created_at).await;
            assert_eq!(
                home(&mut conn, table, &id).await,
                expected,
                "{table}: a row created at {created_at}"
            );
            checked += 1;
        }
        conn.batch_execute("RESET TimeZone")
            .await
            .expect("time zone");
    }
    println!("partition placement: {checked} rows checked");
    assert_eq!(checked, 12);
}

#[tokio::test]
async fn creating_months_ahead_is_idempotent_and_moves_rows_out_of_the_default() {
    let (_db, mut conn) = database_with_a_user().await;
    let mut checked = 0;
    for table in PARTITIONED {
        create_partitions(&mut conn, table, 3).await;
        let default = format!("{table}_default");
        let before = partitions_of(&mut conn, table).await;
        for i in 4..=6 {
            assert!(
                !before.contains(&partition(table, i)),
                "{table}: month +{i} already exists"
            );
        }

        // Month +5 has no partition yet: the row goes to the default.
        let early = insert_row(&mut conn, table, &in_month(5, 10, "08:30:00")).await;
        assert_eq!(home(&mut conn, table, &early).await, default);

        // Bounds must not depend on the caller's time zone.
        conn.batch_execute("SET TimeZone = 'Pacific/Kiritimati'")
            .await
            .expect("time zone");
        let created = create_partitions(&mut conn, table, 6).await;
        conn.batch_execute("RESET TimeZone")
            .await
            .expect("time zone");
        assert_eq!(created, 3, "{table}: months +4, +5 and +6 were missing");
        let after = partitions_of(&mut conn, table).await;
        let added: BTreeSet<String> = after.difference(&before).cloned().collect();
        let expected: BTreeSet<String> = (4..=6).map(|i| partition(table, i)).collect();
        assert_eq!(added, expected, "{table}: the new partitions");
        assert!(
            after.is_superset(&before),
            "{table}: a partition disappeared"
        );

        // The row moved, once, with its data.
        let moved_to = partition(table, 5);
        assert_eq!(home(&mut conn, table, &early).await, moved_to);
        let where_early = format!("WHERE id = '{early}'");
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM {table} {where_early}")
            )
            .await,
            1
        );
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM ONLY {default} {where_early}")
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &mut conn,
                &format!(
                    "SELECT count(*) AS n FROM {table} {where_early} AND user_id = '{USER}' \
                     AND created_at = {}",
                    in_month(5, 10, "08:30:00")
                )
            )
            .await,
            1,
            "{table}: the moved row kept its values"
        );

        // The attached partition is a full partition: UTC bounds, the parent's
        // indexes and foreign keys, and new rows of its month.
        conn.batch_execute("SET TimeZone = 'UTC'")
            .await
            .expect("utc");
        let (from, to) = (month(5), month(6));
        assert_eq!(
            text(
                &mut conn,
                &format!(
                    "SELECT pg_get_expr(relpartbound, oid) AS v FROM pg_class WHERE relname = '{moved_to}'"
                )
            )
            .await,
            format!(
                "FOR VALUES FROM ('{:04}-{:02}-01 00:00:00+00') TO ('{:04}-{:02}-01 00:00:00+00')",
                from.0, from.1, to.0, to.1
            )
        );
        conn.batch_execute("RESET TimeZone")
            .await
            .expect("time zone");
        let indexes = |relation: &str| {
            format!("SELECT count(*) AS n FROM pg_index WHERE indrelid = '{relation}'::regclass")
        };
        let foreign_keys = |relation: &str| {
            format!(
                "SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND conrelid = '{relation}'::regclass"
            )
        };
        let parent_indexes = count(&mut conn, &indexes(table)).await;
        let parent_fks = count(&mut conn, &foreign_keys(table)).await;
        assert!(
            parent_indexes >= 4 && parent_fks >= 1,
            "{table}: parent has indexes and FKs"
        );
        assert_eq!(
            count(&mut conn, &indexes(&moved_to)).await,
            parent_indexes,
            "{table}: indexes"
        );
        assert_eq!(
            count(&mut conn, &foreign_keys(&moved_to)).await,
            parent_fks,
            "{table}: FKs"
        );
        let later = insert_row(&mut conn, table, &in_month(5, 20, "23:00:00")).await;
        assert_eq!(home(&mut conn, table, &later).await, moved_to);

        // Idempotent: nothing left to create.
        assert_eq!(
            create_partitions(&mut conn, table, 6).await,
            0,
            "{table}: second call"
        );
        assert_eq!(
            partitions_of(&mut conn, table).await,
            after,
            "{table}: second call"
        );
        checked += 1;
    }
    assert_eq!(checked, PARTITIONED.len());

    // The moved rows' triggers and FKs work: the updated_at trigger fires on the
    // moved notification, and deleting the user cascades into both moved rows.
    let moved_notification = partition("notifications", 5);
    conn.batch_execute(&format!("UPDATE {moved_notification} SET is_read = true"))
        .await
        .expect("mark read");
    assert_eq!(
        count(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM {moved_notification} \
                 WHERE is_read AND updated_at > now() - interval '1 minute'"
            )
        )
        .await,
        2,
        "updated_at trigger on the attached partition"
    );
    conn.batch_execute(&format!("DELETE FROM users WHERE id = '{USER}'"))
        .await
        .expect("delete user");
    for table in PARTITIONED {
        assert_eq!(
            count(
                &mut conn,
                &format!("SELECT count(*) AS n FROM {}", partition(table, 5))
            )
            .await,
            0,
            "{table}: ON DELETE CASCADE reaches the attached partition"
        );
    }
}

#[tokio::test]
async fn creating_partitions_rejects_bad_arguments() {
    let db = TestDb::migrated().await;
    let mut conn = db.conn().await;
    for (call, why) in [
        (
            "atelier_create_monthly_partitions('credit_transactions', -1)",
            "negative months",
        ),
        (
            "atelier_create_monthly_partitions('credit_transactions', NULL)",
            "NULL months",
        ),
        (
            "atelier_create_monthly_partitions('users', 1)",
            "a table that is not partitioned",
        ),
    ] {
        let result = diesel::sql_query(format!("SELECT {call}"))
            .execute(&mut conn)
            .await;
        let message = match result {
            Ok(_) => panic!("{call} ({why}) succeeded"),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains("atelier_create_monthly_partitions"),
            "{call}: unexpected error {message}"
        );
    }
}
