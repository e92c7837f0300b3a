//! `schema.graphql` is the served schema.

#[test]
fn schema_graphql_matches_the_served_schema() {
    let served = atelier::graphql::sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != served {
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &served).expect("write schema.graphql");
            return;
        }
        let diff = line_diff(&committed, &served);
        panic!(
            "schema.graphql differs from the served schema \
             (regenerate: cargo run -- schema > schema.graphql, or UPDATE_SCHEMA=1 cargo test):\n{diff}"
        );
    }
}

/// Lines only in the committed file (`-`) and only in the served schema (`+`).
fn line_diff(committed: &str, served: &str) -> String {
    let old: std::collections::HashSet<&str> = committed.lines().collect();
    let new: std::collections::HashSet<&str> = served.lines().collect();
    let mut out = String::new();
    for line in committed.lines().filter(|l| !new.contains(l)) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in served.lines().filter(|l| !old.contains(l)) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

#[test]
fn every_entity_of_the_spec_is_a_node() {
    let sdl = atelier::graphql::sdl();
    for name in [
        "User",
        "BrandKit",
        "Workbench",
        "Project",
        "Asset",
        "AssetVersion",
        "GenerationRequest",
        "SocialMediaConnection",
        "APIClient",
        "BillingSubscription",
        "CreditTransaction",
        "UsageLog",
        "Team",
        "TeamMember",
        "Session",
        "Notification",
        "Template",
        "AIModel",
        "AIModelVersion",
        "AIModelValidationResult",
        "AIModelDeployment",
        "AIModelFeedback",
    ] {
        assert!(
            sdl.contains(&format!("type {name} implements Node")),
            "{name} is not a Node"
        );
    }
}

#[test]
fn no_secret_column_is_a_field() {
    let sdl = atelier::graphql::sdl();
    for secret in [
        "passwordHash",
        "mfaSecret",
        "passwordResetToken",
        "emailVerificationToken",
        "secretHash",
        "accessToken",
        "refreshToken",
    ] {
        assert!(!sdl.contains(secret), "{secret} is exposed");
    }
}
