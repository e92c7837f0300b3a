//! Migrations apply, revert and apply again on an empty database.

use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel_async::RunQueryDsl;

use crate::helpers::TestDb;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

async fn user_tables(db: &TestDb) -> i64 {
    let mut conn = db.conn().await;
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') \
         AND c.relname <> '__diesel_schema_migrations'",
    )
    .get_result(&mut conn)
    .await
    .expect("count tables");
    count.n
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let db = TestDb::empty().await;
    assert_eq!(user_tables(&db).await, 0);

    let applied = atelier::db::run_migrations(&db.url).await.expect("up");
    let all = MigrationSource::<Pg>::migrations(&atelier::db::MIGRATIONS).expect("embedded");
    assert_eq!(applied, all.len());
    // 23 tables plus the monthly and default partitions of the two partitioned ones.
    let after_up = user_tables(&db).await;
    assert!(after_up >= 23 + 2 * 5, "only {after_up} tables after up");

    let reverted = atelier::db::revert_all_migrations(&db.url)
        .await
        .expect("down");
    assert_eq!(reverted, applied);
    assert_eq!(user_tables(&db).await, 0, "down left tables behind");

    atelier::db::run_migrations(&db.url)
        .await
        .expect("up again");
    assert_eq!(user_tables(&db).await, after_up);
}

#[tokio::test]
async fn migrating_twice_applies_nothing_the_second_time() {
    let db = TestDb::migrated().await;
    let applied = atelier::db::run_migrations(&db.url).await.expect("up");
    assert_eq!(applied, 0);
}
