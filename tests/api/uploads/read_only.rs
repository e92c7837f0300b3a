//! The disk under `DATA_DIR/files` turns read-only while the server runs (a
//! full or failing volume remounted read-only by the kernel looks the same):
//! an upload fails with a clear, retryable error and leaves no row, and works
//! again once the disk is writable, without a restart.

use std::process::Command;

use super::*;

/// A read-only bind mount of a directory over itself, undone on drop.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn mount(dir: &Path) -> Self {
        let run = |args: &[&str]| {
            let status = Command::new("mount")
                .args(args)
                .status()
                .expect("mount runs");
            assert!(
                status.success(),
                "mount {args:?} failed: this test needs root (CAP_SYS_ADMIN) to make a directory read-only"
            );
        };
        let path = dir.to_str().expect("utf-8 path");
        run(&["--bind", path, path]);
        let mounted = Self(dir.to_path_buf());
        run(&["-o", "remount,ro,bind", path]);
        mounted
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test]
async fn an_upload_to_a_read_only_disk_fails_retryably_leaves_nothing_and_works_once_writable() {
    let (app, store) = spawn_with_store(&[]).await;
    let (token, _) = app.sign_up("read-only@example.com", "password-123").await;
    let project_id = project_in(&app, &token, None).await;
    let bytes = png(32, 24, 3);
    let usage = "SELECT count(*) AS n FROM usage_logs WHERE action_type = 'asset_uploaded'";

    let files = store.path().join("files");
    let read_only = ReadOnly::mount(&files);
    assert!(
        std::fs::write(files.join("probe"), b"x").is_err(),
        "the files directory is read-only"
    );
    for _ in 0..3 {
        let refused = upload(
            &app,
            &token,
            &project_id,
            None,
            "a.png",
            "image/png",
            &bytes,
        )
        .await;
        let error = &refused["errors"][0];
        assert_eq!(
            error["extensions"]["code"], "INTERNAL_SERVER_ERROR",
            "{refused}"
        );
        assert_eq!(
            error["extensions"]["reason"], "STORAGE_UNAVAILABLE",
            "{refused}"
        );
        assert_eq!(error["extensions"]["retryable"], true, "{refused}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("nothing was saved") && !m.contains("Read-only")),
            "says what failed, without internal detail: {refused}"
        );
        assert_eq!(refused["data"]["uploadAsset"], Value::Null, "{refused}");
    }
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 0);
    assert_eq!(count(&app, usage).await, 0, "no usage logged");
    assert_eq!(stored_files(&store), Vec::<PathBuf>::new());

    // The disk is writable again: the same upload works, on the same server.
    drop(read_only);
    let stored = upload(
        &app,
        &token,
        &project_id,
        None,
        "a.png",
        "image/png",
        &bytes,
    )
    .await;
    assert_eq!(stored["errors"], Value::Null, "{stored}");
    let asset = &stored["data"]["uploadAsset"]["asset"];
    assert_eq!(asset["resolution"], "32x24");
    let served = fetch(
        &app,
        &local_path(asset["downloadUrl"].as_str().expect("url")),
    )
    .await
    .bytes()
    .await
    .expect("body");
    assert_eq!(served.to_vec(), bytes);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM assets").await, 1);
    assert_eq!(count(&app, usage).await, 1);
}
