//! Asset uploads through real GraphQL multipart requests: sniffing, size limit,
//! signed download URLs, nothing left behind by a refused upload, and who may upload.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

mod read_only;

const UPLOAD: &str = "mutation($input: UploadAssetInput!) { uploadAsset(input: $input) { asset { id name format mimeType resolution downloadUrl } } }";

/// An RGB image of `width` x `height` whose pixels depend on `seed`, encoded as `format`.
fn image_bytes(width: u32, height: u32, seed: u8, format: image::ImageFormat) -> Vec<u8> {
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x as u8).wrapping_mul(3).wrapping_add(seed),
            (y as u8).wrapping_mul(5).wrapping_add(seed),
            seed.wrapping_mul(7),
        ])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(pixels)
        .write_to(&mut out, format)
        .expect("encode image");
    out.into_inner()
}

pub(crate) fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    image_bytes(width, height, seed, image::ImageFormat::Png)
}

fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    image_bytes(width, height, seed, image::ImageFormat::Jpeg)
}

/// A real PNG padded after its end with bytes up to exactly `size` bytes.
fn png_of_size(size: usize) -> Vec<u8> {
    let mut bytes = png(16, 16, 9);
    assert!(bytes.len() < size);
    bytes.resize(size, 0xA5);
    bytes
}

/// One file for a multipart request.
struct FilePart<'a> {
    filename: &'a str,
    content_type: &'a str,
    bytes: &'a [u8],
}

/// A GraphQL multipart request (operations, map, one file part named `0`), built by hand.
fn multipart_body(operations: &Value, file: &FilePart<'_>) -> (String, Vec<u8>) {
    let boundary = format!("----atelier-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    let mut text_part = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text_part("operations", &operations.to_string());
    text_part("map", &json!({"0": ["variables.input.file"]}).to_string());
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
            file.filename, file.content_type
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends a raw multipart upload; returns the HTTP status and the body as JSON (or text).
async fn send_upload(
    app: &TestApp,
    token: Option<&str>,
    project_id: &str,
    name: Option<&str>,
    file: FilePart<'_>,
) -> (reqwest::StatusCode, Value) {
    let operations = json!({
        "query": UPLOAD,
        "variables": {"input": {"projectId": project_id, "name": name, "file": null}},
    });
    let (content_type, body) = multipart_body(&operations, &file);
    let mut request = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .header("apollo-require-preflight", "true")
        .body(body);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.expect("upload sent");
    let status = response.status();
    let text = response.text().await.expect("upload answer");
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// An upload that must reach GraphQL (HTTP 200); returns the GraphQL response.
pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    project_id: &str,
    name: Option<&str>,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> Value {
    let (status, body) = send_upload(
        app,
        Some(token),
        project_id,
        name,
        FilePart {
            filename,
            content_type,
            bytes,
        },
    )
    .await;
    assert!(status.is_success(), "HTTP {status}: {body}");
    body
}

/// `path?query` of a download URL, to be fetched from this test's server (the URL's
/// host is `PUBLIC_URL`, which tests do not set).
fn local_path(download_url: &str) -> String {
    let start = download_url.find("/files/").expect("a /files/ URL");
    download_url[start..].to_string()
}

async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .send()
        .await
        .expect("download sent")
}

/// Query parameters of a download path.
fn params(path: &str) -> (String, i64, String) {
    let (route, query) = path.split_once('?').expect("a query string");
    let id = route.trim_start_matches("/files/").to_string();
    let mut expires = None;
    let mut signature = None;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("expires", v)) => expires = v.parse().ok(),
            Some(("signature", v)) => signature = Some(v.to_string()),
            _ => {}
        }
    }
    (id, expires.expect("expires"), signature.expect("signature"))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    diesel::sql_query(sql)
        .get_result::<Count>(&mut conn)
        .await
        .expect("count query")
        .n
}

/// Every regular file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// A server whose local file store lives in a directory of this test.
async fn spawn_with_store(extra: &[(&str, &str)]) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().to_str().expect("utf-8 path").to_string();
    let mut vars = vec![("DATA_DIR", data_dir.as_str())];
    vars.extend_from_slice(extra);
    let app = TestApp::spawn_with(&vars).await;
    (app, dir)
}

fn stored_files(dir: &tempfile::TempDir) -> Vec<PathBuf> {
    files_under(&dir.path().join("files"))
}

/// A team of `owner` with a workbench and a project; returns (team id, project id).
async fn team_project(app: &TestApp, owner: &str) -> (String, String) {
    let team = app
        .graphql_as(
            owner,
            "mutation { createTeam(input: {name: \"Studio\"}) { team { id } } }",
            json!({}),
        )
        .await;
    let team_id = team["data"]["createTeam"]["team"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("team: {team}"))
        .to_string();
    let project_id = project_in(app, owner, Some(&team_id)).await;
    (team_id, project_id)
}

/// A project in a new workbench, personal or of `team_id`.
pub(crate) async fn project_in(app: &TestApp, token: &str, team_id: Option<&str>) -> String {
    let workbench = app
        .graphql_as(
            token,
            "mutation($input: CreateWorkbenchInput!) { createWorkbench(input: $input) { workbench { id } } }",
            json!({"input": {"name": "Bench", "teamId": team_id}}),
        )
        .await;
    let workbench_id = workbench["data"]["createWorkbench"]["workbench"]["id"].clone();
    assert!(workbench_id.is_string(), "workbench: {workbench}");
    let project = app
        .graphql_as(
            token,
            "mutation($input: CreateProjectInput!) { createProject(input: $input) { project { id } } }",
            json!({"input": {"workbenchId": workbench_id, "name": "Launch"}}),
        )
        .await;
    project["data"]["createProject"]["project"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("project: {project}"))
        .to_string()
}

async fn add_member(app: &TestApp, owner: &str, team_id: &str, email: &str, role: &str) {
    let added = app
        .graphql_as(
            owner,
            "mutation($input: AddTeamMemberInput!) { addTeamMember(input: $input) { member { role } } }",
            json!({"input": {"teamId": team_id, "email": email, "role": role}}),
        )
        .await;
    assert_eq!(
        added["data"]["addTeamMember"]["member"]["role"], role,
        "{added}"
    );
}

#[tokio::test]
async fn png_and_jpeg_round_trip_through_signed_download_urls() {
    let (app, store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;

    let png_bytes = png(64, 48, 11);
    let jpeg_bytes = jpeg(64, 48, 200);
    assert_ne!(
        png(64, 48, 11),
        png(64, 48, 12),
        "seeds give distinct pixels"
    );

    let cases = [
        (
            Some("Hero image"),
            "hero.png",
            "image/png",
            &png_bytes,
            "png",
        ),
        (None, "photo.jpg", "image/jpeg", &jpeg_bytes, "jpeg"),
    ];
    for (name, filename, mime, bytes, format) in cases {
        let response = upload(&app, &token, &project_id, name, filename, mime, bytes).await;
        assert_eq!(response["errors"], Value::Null, "{response}");
        let asset = &response["data"]["uploadAsset"]["asset"];
        assert_eq!(
            asset["name"],
            name.unwrap_or(filename),
            "name defaults to the file name"
        );
        assert_eq!(asset["format"], format);
        assert_eq!(asset["mimeType"], mime);
        assert_eq!(asset["resolution"], "64x48");

        let url = asset["downloadUrl"].as_str().expect("a download URL");
        let downloaded = fetch(&app, &local_path(url)).await;
        assert_eq!(downloaded.status(), 200, "{url}");
        assert_eq!(
            downloaded
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some(mime)
        );
        assert_eq!(
            downloaded
                .headers()
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        let body = downloaded.bytes().await.expect("file bytes");
        assert_eq!(body.as_ref(), bytes.as_slice(), "the exact bytes come back");
    }

    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 2);
    let files = stored_files(&store);
    assert_eq!(files.len(), 2, "one stored object per asset: {files:?}");
    let sizes: Vec<usize> = {
        let mut s: Vec<usize> = files
            .iter()
            .map(|f| std::fs::read(f).expect("stored file").len())
            .collect();
        s.sort();
        s
    };
    let mut expected = vec![png_bytes.len(), jpeg_bytes.len()];
    expected.sort();
    assert_eq!(sizes, expected);
}

#[tokio::test]
async fn octet_stream_is_accepted_and_the_type_is_read_from_the_bytes() {
    let (app, _store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    let response = upload(
        &app,
        &token,
        &project_id,
        None,
        "no-extension",
        "application/octet-stream",
        &png(10, 20, 3),
    )
    .await;
    assert_eq!(response["errors"], Value::Null, "{response}");
    let asset = &response["data"]["uploadAsset"]["asset"];
    assert_eq!(asset["mimeType"], "image/png");
    assert_eq!(asset["format"], "png");
    assert_eq!(asset["resolution"], "10x20");
}

#[tokio::test]
async fn tampered_and_expired_download_urls_are_refused() {
    let (app, _store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    let mut paths = Vec::new();
    for seed in [1, 2] {
        let response = upload(
            &app,
            &token,
            &project_id,
            None,
            "a.png",
            "image/png",
            &png(8, 8, seed),
        )
        .await;
        let url = response["data"]["uploadAsset"]["asset"]["downloadUrl"]
            .as_str()
            .unwrap_or_else(|| panic!("upload: {response}"))
            .to_string();
        paths.push(local_path(&url));
    }
    assert_eq!(fetch(&app, &paths[0]).await.status(), 200);
    let (id, expires, signature) = params(&paths[0]);
    let (other_id, _, other_signature) = params(&paths[1]);

    // A changed signature character.
    let mut chars: Vec<char> = signature.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    let flipped: String = chars.into_iter().collect();
    // A later expiry under the old signature, a signature of another asset, none at all.
    let refused = [
        format!("/files/{id}?expires={expires}&signature={flipped}"),
        format!(
            "/files/{id}?expires={}&signature={signature}",
            expires + 3600
        ),
        format!(
            "/files/{id}?expires={}&signature={signature}",
            expires - 3600
        ),
        format!("/files/{id}?expires={expires}&signature={other_signature}"),
        format!("/files/{other_id}?expires={expires}&signature={signature}"),
        format!("/files/{id}?expires={expires}&signature="),
    ];
    for path in &refused {
        let response = fetch(&app, path).await;
        assert_eq!(response.status(), 403, "{path}");
    }

    // A genuine signature whose expiry has passed.
    let past = chrono::Utc::now().timestamp() - 10;
    let signed_past = app.app.url_signer.sign(&format!("{id}:{past}"));
    let expired = format!("/files/{id}?expires={past}&signature={signed_past}");
    assert_eq!(fetch(&app, &expired).await.status(), 403, "{expired}");

    // The same genuine signature with a future expiry works: only the time refused it.
    let future = chrono::Utc::now().timestamp() + 60;
    let signed_future = app.app.url_signer.sign(&format!("{id}:{future}"));
    let fresh = format!("/files/{id}?expires={future}&signature={signed_future}");
    assert_eq!(fetch(&app, &fresh).await.status(), 200, "{fresh}");

    // A valid signature for an asset that does not exist.
    let missing = uuid::Uuid::new_v4();
    let signed_missing = app.app.url_signer.sign(&format!("{missing}:{future}"));
    let response = fetch(
        &app,
        &format!("/files/{missing}?expires={future}&signature={signed_missing}"),
    )
    .await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn a_download_url_stops_working_when_its_ttl_passes() {
    let (app, _store) = spawn_with_store(&[("DOWNLOAD_URL_TTL_SECONDS", "1")]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    let response = upload(
        &app,
        &token,
        &project_id,
        None,
        "a.png",
        "image/png",
        &png(8, 8, 1),
    )
    .await;
    let url = response["data"]["uploadAsset"]["asset"]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("upload: {response}"))
        .to_string();
    let path = local_path(&url);
    let (_, expires, _) = params(&path);
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now..=now + 1).contains(&expires),
        "expires {expires} is now + TTL"
    );
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    assert_eq!(fetch(&app, &path).await.status(), 403, "{path}");
}

#[tokio::test]
async fn deleted_assets_and_assets_of_deleted_projects_are_not_served() {
    let (app, _store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    let mut assets = Vec::new();
    for seed in [1, 2] {
        let response = upload(
            &app,
            &token,
            &project_id,
            None,
            "a.png",
            "image/png",
            &png(8, 8, seed),
        )
        .await;
        let asset = &response["data"]["uploadAsset"]["asset"];
        let path = local_path(
            asset["downloadUrl"]
                .as_str()
                .unwrap_or_else(|| panic!("upload: {response}")),
        );
        assets.push((asset["id"].clone(), path));
    }
    let (first_id, first_path) = &assets[0];
    let (_, second_path) = &assets[1];

    let deleted = app
        .graphql_as(
            &token,
            "mutation($id: ID!) { deleteAsset(input: {id: $id}) { asset { deletedAt } } }",
            json!({"id": first_id}),
        )
        .await;
    assert!(
        deleted["data"]["deleteAsset"]["asset"]["deletedAt"].is_string(),
        "{deleted}"
    );
    assert_eq!(fetch(&app, first_path).await.status(), 404);
    assert_eq!(fetch(&app, second_path).await.status(), 200);

    // Restored, the same signed URL works again.
    let restored = app
        .graphql_as(
            &token,
            "mutation($id: ID!) { restoreAsset(input: {id: $id}) { asset { deletedAt } } }",
            json!({"id": first_id}),
        )
        .await;
    assert_eq!(error_code(&restored), None, "{restored}");
    assert_eq!(fetch(&app, first_path).await.status(), 200);

    // A deleted project takes its assets' files out of reach.
    let gone = app
        .graphql_as(
            &token,
            "mutation($id: ID!) { deleteProject(input: {id: $id}) { project { deletedAt } } }",
            json!({"id": project_id}),
        )
        .await;
    assert_eq!(error_code(&gone), None, "{gone}");
    assert_eq!(fetch(&app, first_path).await.status(), 404);
    assert_eq!(fetch(&app, second_path).await.status(), 404);
}

#[tokio::test]
async fn an_oversize_file_is_refused_and_leaves_nothing() {
    let (app, store) = spawn_with_store(&[("MAX_UPLOAD_MB", "1")]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;

    for size in [1024 * 1024 + 1, 1024 * 1024 * 3 / 2] {
        let response = upload(
            &app,
            &token,
            &project_id,
            None,
            "big.png",
            "image/png",
            &png_of_size(size),
        )
        .await;
        assert_eq!(error_code(&response), Some("BAD_USER_INPUT"), "{response}");
        assert_eq!(response["errors"][0]["extensions"]["field"], "file");
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 0);
    assert_eq!(stored_files(&store), Vec::<PathBuf>::new());

    // Exactly the limit is fine.
    let response = upload(
        &app,
        &token,
        &project_id,
        None,
        "limit.png",
        "image/png",
        &png_of_size(1024 * 1024),
    )
    .await;
    assert_eq!(response["errors"], Value::Null, "{response}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 1);
    assert_eq!(stored_files(&store).len(), 1);
}

/// The HTTP body limit of the server (`MAX_UPLOAD_MB` + 1 MiB, `src/server.rs`) holds
/// for `/graphql` too: a multipart body far above it is refused (413) instead of
/// being read to the end into a temporary file.
#[tokio::test]
async fn a_request_body_above_the_http_limit_is_refused() {
    let (app, store) = spawn_with_store(&[("MAX_UPLOAD_MB", "1")]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    let bytes = png_of_size(4 * 1024 * 1024);
    let (status, body) = send_upload(
        &app,
        Some(&token),
        &project_id,
        None,
        FilePart {
            filename: "huge.png",
            content_type: "image/png",
            bytes: &bytes,
        },
    )
    .await;
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 0);
    assert_eq!(stored_files(&store), Vec::<PathBuf>::new());
    assert_eq!(
        status,
        reqwest::StatusCode::PAYLOAD_TOO_LARGE,
        "a 4 MiB body with a 2 MiB limit: {body}"
    );
}

#[tokio::test]
async fn bytes_that_do_not_match_the_declared_type_are_refused_and_leave_nothing() {
    let (app, store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;

    let png_bytes = png(32, 32, 5);
    let jpeg_bytes = jpeg(32, 32, 5);
    let mut truncated = png_bytes.clone();
    truncated.truncate(20);
    let cases: [(&str, &str, &[u8]); 6] = [
        ("fake.jpg", "image/jpeg", &png_bytes),
        ("fake.png", "image/png", &jpeg_bytes),
        ("notes.png", "image/png", b"just some text, not an image\n"),
        ("notes.txt", "text/plain", b"just some text, not an image\n"),
        ("empty.png", "image/png", b""),
        ("cut.png", "image/png", &truncated),
    ];
    for (filename, content_type, bytes) in cases {
        let response = upload(
            &app,
            &token,
            &project_id,
            None,
            filename,
            content_type,
            bytes,
        )
        .await;
        assert_eq!(
            error_code(&response),
            Some("BAD_USER_INPUT"),
            "{filename} as {content_type}: {response}"
        );
        assert_eq!(
            response["errors"][0]["extensions"]["field"], "file",
            "{filename}"
        );
        assert_eq!(response["data"], Value::Null);
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 0);
    assert_eq!(stored_files(&store), Vec::<PathBuf>::new());
}

/// CRC-32 (IEEE) of PNG chunks.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut checked = kind.to_vec();
    checked.extend_from_slice(data);
    out.extend_from_slice(&checked);
    out.extend_from_slice(&crc32(&checked).to_be_bytes());
}

/// A PNG whose header claims `width` x `height` (8-bit grey), with a token IDAT.
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// Whatever the header of an image claims, the upload either succeeds or is a
/// `BAD_USER_INPUT` on `file` (never an internal error), and a refusal leaves no row
/// and no stored object. Observed: 100000000x2147483647 is accepted (its 19-character
/// resolution fits the column); a width of 10 digits is refused by the decoder's
/// row-size limit, so `resolution` never exceeds its 20 characters.
#[tokio::test]
async fn images_with_extreme_dimensions_are_handled_and_failures_leave_nothing() {
    let (app, store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("maker@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    for (width, height) in [
        (100_000_000, 2_147_483_647),
        (1_000_000_000, 2_147_483_647),
        (1_000_000_000, 1),
        (2_147_483_647, 2_147_483_647),
    ] {
        let rows_before = count(&app, "SELECT count(*) AS n FROM assets").await;
        let files_before = stored_files(&store).len();
        let response = upload(
            &app,
            &token,
            &project_id,
            None,
            "wide.png",
            "image/png",
            &png_header_only(width, height),
        )
        .await;
        let rows = count(&app, "SELECT count(*) AS n FROM assets").await;
        let files = stored_files(&store).len();
        if response["errors"].is_null() {
            assert_eq!(
                response["data"]["uploadAsset"]["asset"]["resolution"],
                format!("{width}x{height}")
            );
            assert_eq!((rows, files), (rows_before + 1, files_before + 1));
        } else {
            assert_eq!(
                error_code(&response),
                Some("BAD_USER_INPUT"),
                "{width}x{height}: {response}"
            );
            assert_eq!(response["errors"][0]["extensions"]["field"], "file");
            assert_eq!(
                (rows, files),
                (rows_before, files_before),
                "a refused upload left something behind"
            );
        }
    }
}

#[tokio::test]
async fn viewers_cannot_upload_and_outsiders_do_not_see_the_project() {
    let (app, store) = spawn_with_store(&[]).await;
    let (owner, _) = app.sign_up("owner@example.com", "password-123").await;
    let (viewer, _) = app.sign_up("viewer@example.com", "password-123").await;
    let (editor, _) = app.sign_up("editor@example.com", "password-123").await;
    let (outsider, _) = app.sign_up("outsider@example.com", "password-123").await;
    let (team_id, project_id) = team_project(&app, &owner).await;
    add_member(&app, &owner, &team_id, "viewer@example.com", "VIEWER").await;
    add_member(&app, &owner, &team_id, "editor@example.com", "EDITOR").await;
    let bytes = png(8, 8, 4);

    for (token, code) in [(&viewer, "FORBIDDEN"), (&outsider, "NOT_FOUND")] {
        let response = upload(&app, token, &project_id, None, "a.png", "image/png", &bytes).await;
        assert_eq!(error_code(&response), Some(code), "{response}");
    }
    let (status, anonymous) = send_upload(
        &app,
        None,
        &project_id,
        None,
        FilePart {
            filename: "a.png",
            content_type: "image/png",
            bytes: &bytes,
        },
    )
    .await;
    assert!(status.is_success());
    assert_eq!(
        error_code(&anonymous),
        Some("UNAUTHENTICATED"),
        "{anonymous}"
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 0);
    assert_eq!(stored_files(&store), Vec::<PathBuf>::new());

    // An EDITOR may; the VIEWER then reads the asset and gets a download URL.
    let response = upload(
        &app,
        &editor,
        &project_id,
        None,
        "a.png",
        "image/png",
        &bytes,
    )
    .await;
    assert_eq!(response["errors"], Value::Null, "{response}");
    let asset_id = response["data"]["uploadAsset"]["asset"]["id"].clone();
    let seen = app
        .graphql_as(
            &viewer,
            "query($id: ID!) { asset(id: $id) { name downloadUrl } }",
            json!({"id": asset_id}),
        )
        .await;
    let url = seen["data"]["asset"]["downloadUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("viewer: {seen}"));
    let downloaded = fetch(&app, &local_path(url)).await;
    assert_eq!(downloaded.status(), 200);
    assert_eq!(
        downloaded.bytes().await.expect("bytes").as_ref(),
        bytes.as_slice()
    );
    let hidden = app
        .graphql_as(
            &outsider,
            "query($id: ID!) { asset(id: $id) { name } }",
            json!({"id": asset_id}),
        )
        .await;
    assert_eq!(hidden["data"]["asset"], Value::Null, "{hidden}");
}
