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

/// Field names of `Query`, `Mutation`, `Subscription` and `User`, by introspection.
async fn introspect() -> (Vec<String>, Vec<(String, bool)>) {
    let app = crate::helpers::TestApp::spawn().await;
    let response = app
        .graphql(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } }
               __type(name: \"User\") { fields { name type { kind } } } }",
            serde_json::json!({}),
        )
        .await;
    let schema = &response["data"]["__schema"];
    let mut roots = Vec::new();
    for (root, key) in [
        ("Query", "queryType"),
        ("Mutation", "mutationType"),
        ("Subscription", "subscriptionType"),
    ] {
        for field in schema[key]["fields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            roots.push(format!(
                "{root}.{}",
                field["name"].as_str().unwrap_or_default()
            ));
        }
    }
    let user = response["data"]["__type"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or_default().to_string(),
                f["type"]["kind"] == "NON_NULL",
            )
        })
        .collect();
    (roots, user)
}

#[tokio::test]
async fn every_root_field_has_exactly_one_policy_and_every_policy_a_field() {
    use atelier::authz::policy::ROOT_FIELDS;
    let (in_schema, _) = introspect().await;
    assert!(
        in_schema.len() > 50,
        "found only {} root fields",
        in_schema.len()
    );
    let missing: Vec<&String> = in_schema
        .iter()
        .filter(|f| !ROOT_FIELDS.iter().any(|(name, _)| name == f))
        .collect();
    assert!(
        missing.is_empty(),
        "root fields without a policy: {missing:?}"
    );
    let stale: Vec<&str> = ROOT_FIELDS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !in_schema.iter().any(|f| f == name))
        .collect();
    assert!(
        stale.is_empty(),
        "policies of fields that do not exist: {stale:?}"
    );
    for (i, (name, _)) in ROOT_FIELDS.iter().enumerate() {
        assert!(
            !ROOT_FIELDS[i + 1..].iter().any(|(other, _)| other == name),
            "{name} has two policies"
        );
    }
    println!("{} root fields, each with one policy", in_schema.len());
}

#[tokio::test]
async fn every_private_user_field_is_hidden_from_other_users() {
    // The User type's fields other than the public profile are resolved through
    // `private()` (null for others); this list must match the schema.
    let public = ["id", "username", "fullName", "profilePictureUrl"];
    let private = [
        "email",
        "pendingEmail",
        "isEmailVerified",
        "socialProvider",
        "mfaEnabled",
        "subscriptionTier",
        "creditBalance",
        "languagePreference",
        "timezone",
        "currencyPreference",
        "numberNotation",
        "isPlatformAdmin",
        "lastLoginAt",
        "createdAt",
        "updatedAt",
        "suspendedAt",
        "creditTransactions",
    ];
    let (_, user) = introspect().await;
    assert!(user.len() >= public.len() + private.len(), "{user:?}");
    for (name, non_null) in user {
        assert!(
            public.contains(&name.as_str()) || private.contains(&name.as_str()),
            "User.{name} is neither public profile nor private: classify it"
        );
        if private.contains(&name.as_str()) {
            assert!(!non_null, "private User.{name} must be nullable");
        }
    }
}
