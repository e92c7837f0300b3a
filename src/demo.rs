//! Demo data, loaded by `atelier seed` and `atelier serve --seed-demo`.
//!
//! Idempotent: every row has a fixed id derived from its name and is inserted
//! with `ON CONFLICT DO NOTHING`, so seeding twice changes nothing.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::accounts::password::hash_password;
use crate::app::App;
use crate::db::schema::{
    ai_model_versions, ai_models, assets, brand_kits, projects, team_members, teams, templates,
    users, workbenches,
};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "atelier-demo";

/// Demo accounts: (email, username, full name, role in the demo team).
pub const DEMO_USERS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "owner@atelier.test",
        "olivia",
        "Olivia Owner",
        Some("Owner"),
    ),
    ("admin@atelier.test", "adam", "Adam Admin", Some("Admin")),
    ("editor@atelier.test", "erin", "Erin Editor", Some("Editor")),
    (
        "viewer@atelier.test",
        "victor",
        "Victor Viewer",
        Some("Viewer"),
    ),
    ("guest@atelier.test", "gina", "Gina Guest", None),
];

/// A stable id for a demo row, so re-seeding finds the same rows.
pub fn demo_id(name: &str) -> Uuid {
    const NAMESPACE: Uuid = Uuid::from_u128(0x6a7e_11e5_0000_4000_8000_a7e1_1e5d_e305);
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// Loads the demo set; returns the text to print (credentials and counts).
pub async fn seed(app: &App) -> anyhow::Result<String> {
    let password_hash = tokio::task::spawn_blocking(|| hash_password(DEMO_PASSWORD)).await??;
    let mut pooled = app.db.conn().await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let inserted = conn
        .transaction(async |conn| seed_rows(conn, &password_hash).await)
        .await?;
    store_demo_files(app).await?;

    let mut report = format!(
        "Demo data ready ({inserted} new rows). Sign in with any of these (password '{DEMO_PASSWORD}'):\n"
    );
    for (email, _, name, role) in DEMO_USERS {
        let role = role.unwrap_or("no role: a guest of the team");
        report.push_str(&format!("  {email:<22} {name:<15} Acme Studio {role}\n"));
    }
    Ok(report)
}

async fn seed_rows(conn: &mut AsyncPgConnection, password_hash: &str) -> anyhow::Result<usize> {
    let mut inserted = 0;
    let owner = demo_id("user:owner@atelier.test");
    let team = demo_id("team:acme");

    for (email, username, full_name, _) in DEMO_USERS {
        inserted += diesel::insert_into(users::table)
            .values((
                users::id.eq(demo_id(&format!("user:{email}"))),
                users::email.eq(*email),
                users::username.eq(*username),
                users::full_name.eq(*full_name),
                users::password_hash.eq(password_hash),
                users::is_email_verified.eq(true),
                users::credit_balance.eq(Decimal::new(5000, 2)),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }

    inserted += diesel::insert_into(teams::table)
        .values((
            teams::id.eq(team),
            teams::name.eq("Acme Studio"),
            teams::description.eq("The demo team: one member of each role."),
            teams::owner_id.eq(owner),
            teams::credit_balance.eq(Decimal::new(50000, 2)),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    // The demo's balances are set above, not earned through the ledger: an
    // opening row each says so, so `atelier check-ledger` agrees with them.
    let demo_users: Vec<Uuid> = DEMO_USERS
        .iter()
        .map(|(email, ..)| demo_id(&format!("user:{email}")))
        .collect();
    diesel::sql_query(
        "INSERT INTO credit_ledger_openings (user_id, opening_balance, ledger_sum_at_opening)
         SELECT id, 50.00, 0 FROM users WHERE id = ANY($1)
         ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&demo_users)
    .execute(conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO credit_ledger_openings (team_id, opening_balance, ledger_sum_at_opening)
         VALUES ($1, 500.00, 0) ON CONFLICT DO NOTHING",
    )
    .bind::<diesel::sql_types::Uuid, _>(team)
    .execute(conn)
    .await?;

    for (email, _, _, role) in DEMO_USERS {
        let Some(role) = role else { continue };
        inserted += diesel::insert_into(team_members::table)
            .values((
                team_members::id.eq(demo_id(&format!("member:acme:{email}"))),
                team_members::team_id.eq(team),
                team_members::user_id.eq(demo_id(&format!("user:{email}"))),
                team_members::role.eq(*role),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }

    let brand_kit = demo_id("brandkit:acme");
    inserted += diesel::insert_into(brand_kits::table)
        .values((
            brand_kits::id.eq(brand_kit),
            brand_kits::user_id.eq(owner),
            brand_kits::team_id.eq(Some(team)),
            brand_kits::name.eq("Acme Brand"),
            brand_kits::colors.eq(json!([
                {"name": "Primary", "hex": "#E4572E", "variable": "--color-primary"},
                {"name": "Ink", "hex": "#29335C", "variable": "--color-ink"},
                {"name": "Paper", "hex": "#F3F1E9", "variable": "--color-paper"}
            ])),
            brand_kits::fonts.eq(json!([
                {"name": "Heading", "family": "Inter"},
                {"name": "Body", "family": "Source Serif"}
            ])),
            brand_kits::style_preferences
                .eq(Some(json!({"tone": "playful", "industry": "outdoor"}))),
            brand_kits::is_default.eq(true),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;

    let team_bench = demo_id("workbench:acme-campaigns");
    let personal_bench = demo_id("workbench:olivia-sketches");
    for (id, name, team_id) in [
        (team_bench, "Acme Campaigns", Some(team)),
        (personal_bench, "Olivia's sketches", None),
    ] {
        inserted += diesel::insert_into(workbenches::table)
            .values((
                workbenches::id.eq(id),
                workbenches::user_id.eq(owner),
                workbenches::team_id.eq(team_id),
                workbenches::name.eq(name),
                workbenches::default_brand_kit_id.eq(team_id.map(|_| brand_kit)),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }

    let template_rows = [
        (
            "template:instagram-story",
            "Instagram Story",
            "social",
            &["instagram", "story", "vertical"][..],
            true,
        ),
        (
            "template:youtube-thumbnail",
            "YouTube Thumbnail",
            "video",
            &["youtube", "thumbnail"][..],
            true,
        ),
        (
            "template:linkedin-banner",
            "LinkedIn Banner",
            "social",
            &["linkedin", "banner", "b2b"][..],
            true,
        ),
        (
            "template:olivia-private",
            "Olivia's poster grid",
            "print",
            &["poster"][..],
            false,
        ),
    ];
    for (key, name, category, tags, public) in template_rows {
        inserted += diesel::insert_into(templates::table)
            .values((
                templates::id.eq(demo_id(key)),
                templates::user_id.eq((!public).then_some(owner)),
                templates::name.eq(name),
                templates::description.eq(format!("{name} layout")),
                templates::category.eq(category),
                templates::preview_url.eq(format!(
                    "templates/{}.png",
                    key.trim_start_matches("template:")
                )),
                templates::source_data.eq(json!({"layers": [{"kind": "image"}, {"kind": "text"}]})),
                templates::tags.eq(Some(json!(tags))),
                templates::is_public.eq(public),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }

    let project_rows = [
        (
            "project:spring-launch",
            "Spring Launch",
            team_bench,
            Some(team),
            Some("InstagramStory"),
        ),
        (
            "project:holiday-promo",
            "Holiday Promo",
            team_bench,
            Some(team),
            Some("TikTok"),
        ),
        ("project:moodboard", "Moodboard", personal_bench, None, None),
    ];
    for (key, name, bench, team_id, platform) in project_rows {
        inserted += diesel::insert_into(projects::table)
            .values((
                projects::id.eq(demo_id(key)),
                projects::workbench_id.eq(bench),
                projects::user_id.eq(owner),
                projects::team_id.eq(team_id),
                projects::template_id.eq(Some(demo_id("template:instagram-story"))),
                projects::brand_kit_id.eq(team_id.map(|_| brand_kit)),
                projects::name.eq(name),
                projects::target_platform.eq(platform),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }

    for (key, name, project) in [
        (
            "asset:spring-hero",
            "spring-hero.png",
            "project:spring-launch",
        ),
        (
            "asset:spring-logo",
            "acme-logo.png",
            "project:spring-launch",
        ),
        (
            "asset:holiday-banner",
            "holiday-banner.png",
            "project:holiday-promo",
        ),
    ] {
        inserted += diesel::insert_into(assets::table)
            .values((
                assets::id.eq(demo_id(key)),
                assets::project_id.eq(Some(demo_id(project))),
                assets::user_id.eq(demo_id("user:editor@atelier.test")),
                assets::name.eq(name),
                assets::type_.eq("Uploaded"),
                assets::file_path.eq(format!("demo/{name}")),
                assets::mime_type.eq("image/png"),
                assets::format.eq("png"),
                assets::resolution.eq(Some("270x480")),
                assets::metadata.eq(Some(json!({"demo": true}))),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }

    inserted += seed_ai_models(conn).await?;
    Ok(inserted)
}

/// A small gradient in the brand's colours, so demo assets have real files.
fn demo_image(seed: u8) -> anyhow::Result<Vec<u8>> {
    let image = image::RgbImage::from_fn(270, 480, |x, y| {
        let t = (x + y) as f32 / (270.0 + 480.0);
        let (a, b) = ([0xE4u8, 0x57, 0x2E], [0x29u8, 0x33, 0x5C]);
        let mix = |i: usize| (f32::from(a[i]) * (1.0 - t) + f32::from(b[i]) * t) as u8;
        image::Rgb([mix(0), mix(1).wrapping_add(seed), mix(2)])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png)?;
    Ok(bytes.into_inner())
}

/// Writes the files the demo asset rows point at (overwriting is harmless).
async fn store_demo_files(app: &App) -> anyhow::Result<()> {
    for (i, name) in ["spring-hero.png", "acme-logo.png", "holiday-banner.png"]
        .into_iter()
        .enumerate()
    {
        app.storage
            .put(&format!("demo/{name}"), demo_image(i as u8 * 40)?)
            .await?;
    }
    Ok(())
}

async fn seed_ai_models(conn: &mut AsyncPgConnection) -> anyhow::Result<usize> {
    let mut inserted = 0;
    let local = |sample: &str, final_: &str| {
        json!({
            "provider": "local",
            "creditCost": {"sample": sample, "final": final_},
            "resolutions": ["512x512", "1024x1024", "1080x1920"],
            "formats": ["png", "jpeg", "webp"]
        })
    };
    let models = [
        (
            "Atelier Diffusion",
            "Internal",
            "ImageGeneration",
            true,
            "Balanced quality and speed for campaign visuals.",
            vec![
                ("1.0", "Deprecated", local("1.00", "3.00")),
                ("2.0", "Production", local("1.00", "4.00")),
            ],
        ),
        (
            "Atelier Sketch",
            "Internal",
            "ImageGeneration",
            true,
            "Fast, loose concept sketches.",
            vec![("1.0", "Production", local("0.50", "2.00"))],
        ),
        (
            "Atelier Safety",
            "Internal",
            "ContentSafety",
            true,
            "Screens prompts before generation.",
            vec![("1.0", "Production", json!({"provider": "blocklist"}))],
        ),
        (
            "Legacy Painter",
            "Internal",
            "StyleTransfer",
            false,
            "Retired style-transfer model.",
            vec![("0.9", "Archived", local("1.00", "1.00"))],
        ),
    ];
    for (name, provider, task, active, description, versions) in models {
        let model_id = demo_id(&format!("aimodel:{name}"));
        inserted += diesel::insert_into(ai_models::table)
            .values((
                ai_models::id.eq(model_id),
                ai_models::name.eq(name),
                ai_models::provider.eq(provider),
                ai_models::task_type.eq(task),
                ai_models::is_active.eq(active),
                ai_models::description.eq(description),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        for (number, status, parameters) in versions {
            inserted += diesel::insert_into(ai_model_versions::table)
                .values((
                    ai_model_versions::id.eq(demo_id(&format!("aimodelversion:{name}:{number}"))),
                    ai_model_versions::model_id.eq(model_id),
                    ai_model_versions::version_number.eq(number),
                    ai_model_versions::format.eq(Some("API")),
                    ai_model_versions::parameters.eq(Some(parameters)),
                    ai_model_versions::status.eq(status),
                    ai_model_versions::release_notes.eq(Some(format!("{name} {number}"))),
                ))
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
        }
    }
    Ok(inserted)
}
