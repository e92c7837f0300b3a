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

/// Every field of Query, Mutation and Subscription carries its own guard: each
/// one is called (with placeholder arguments) under a `GuardProbe`, which makes
/// every guard record its field and refuse, so no resolver runs; a field no guard
/// recorded has none. A field without a guard would have run its resolver.
#[tokio::test]
async fn every_root_field_carries_a_guard() {
    use atelier::authz::guards::GuardProbe;
    use futures_util::StreamExt;

    let app = crate::helpers::TestApp::spawn().await;
    let schema = atelier::graphql::build_schema(app.app.clone());
    let sdl = atelier::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let types = sdl_types(&document);
    let mut unguarded = Vec::new();
    let mut guarded = Vec::new();
    for (root, operation) in [
        ("Query", "query"),
        ("Mutation", "mutation"),
        ("Subscription", "subscription"),
    ] {
        let Some(TypeKind::Object(object)) = types.get(root) else {
            panic!("no {root} type in the SDL");
        };
        for field in &object.fields {
            let field = &field.node;
            let name = field.name.node.as_str();
            let args: Vec<String> = field
                .arguments
                .iter()
                .filter(|a| !a.node.ty.node.nullable && a.node.default_value.is_none())
                .map(|a| {
                    format!(
                        "{}: {}",
                        a.node.name.node,
                        placeholder(&types, &a.node.ty.node)
                    )
                })
                .collect();
            let args = if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            };
            let selection = match types.get(base_name(&field.ty.node)) {
                Some(TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)) => {
                    " { __typename }"
                }
                _ => "",
            };
            let query = format!("{operation} {{ {name}{args}{selection} }}");
            let probe = GuardProbe::default();
            let request = atelier::graphql::in_context(
                async_graphql::Request::new(query.clone()),
                &app.app,
                atelier::authz::Caller::Anonymous,
                atelier::authz::RequestInfo::default(),
            )
            .data(probe.clone());
            let response = if operation == "subscription" {
                schema.execute_stream(request).next().await
            } else {
                Some(schema.execute(request).await)
            };
            let errors: Vec<String> = response
                .map(|r| r.errors.iter().map(|e| e.message.clone()).collect())
                .unwrap_or_default();
            match probe.seen().iter().find(|(f, _)| f == name) {
                Some((_, need)) => {
                    assert_eq!(errors, vec![GuardProbe::REFUSAL.to_string()], "{query}");
                    guarded.push(format!("{root}.{name}: {need:?}"));
                }
                None => unguarded.push(format!("{root}.{name} (ran: {query} -> {errors:?})")),
            }
        }
    }
    assert!(
        unguarded.is_empty(),
        "root fields without a guard; declare who may call each one where it is \
         declared, e.g. #[graphql(guard = \"Need::matrix(Resource::Project, Action::Read)\")] \
         or Need::session() / Need::signed_in() / Need::anyone():\n{}",
        unguarded.join("\n")
    );
    println!(
        "{} root fields, each with its guard:\n{}",
        guarded.len(),
        guarded.join("\n")
    );
}

use async_graphql::parser::types::{
    BaseType, ServiceDocument, Type, TypeKind, TypeSystemDefinition,
};

/// The SDL's types by name.
fn sdl_types(document: &ServiceDocument) -> std::collections::HashMap<String, TypeKind> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            TypeSystemDefinition::Type(t) => {
                Some((t.node.name.node.to_string(), t.node.kind.clone()))
            }
            _ => None,
        })
        .collect()
}

fn base_name(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => base_name(inner),
    }
}

/// A literal the type accepts: required input fields filled in, the rest left out.
fn placeholder(types: &std::collections::HashMap<String, TypeKind>, ty: &Type) -> String {
    let BaseType::Named(name) = &ty.base else {
        return "[]".into();
    };
    match (name.as_str(), types.get(name.as_str())) {
        ("Int", _) => "1".into(),
        ("Float", _) => "1.5".into(),
        ("Boolean", _) => "false".into(),
        ("DateTime", _) => "\"2030-01-01T00:00:00Z\"".into(),
        ("Decimal", _) => "\"1\"".into(),
        ("JSON", _) => "{}".into(),
        ("Upload", _) => "\"#__graphql_file__:0\"".into(),
        (_, Some(TypeKind::Enum(e))) => e.values[0].node.value.node.to_string(),
        (_, Some(TypeKind::InputObject(input))) => {
            let fields: Vec<String> = input
                .fields
                .iter()
                .filter(|f| !f.node.ty.node.nullable && f.node.default_value.is_none())
                .map(|f| {
                    format!(
                        "{}: {}",
                        f.node.name.node,
                        placeholder(types, &f.node.ty.node)
                    )
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        _ => "\"x\"".into(),
    }
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
        // Issue 14.
        "subscription",
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
