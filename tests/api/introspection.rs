//! Introspection under the default limits: graphql-js's standard query (every
//! option on, and its defaults, which Apollo Client Devtools sends) gets the
//! whole served schema back; the introspection cap still refuses the shapes
//! that make an answer explode, before anything runs.

use std::collections::BTreeMap;

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
use serde_json::{json, Value};

use crate::helpers::{error_code, TestApp};

/// Each type of the served SDL with its members (fields, input fields, enum
/// values or union members), and its description.
fn served_types() -> BTreeMap<String, (Vec<String>, Option<String>)> {
    let sdl = atelier::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let mut types = BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let mut members: Vec<String> = match &ty.kind {
            TypeKind::Scalar => vec![],
            TypeKind::Object(o) => o
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            TypeKind::Interface(i) => i
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
            TypeKind::Union(u) => u.members.iter().map(|m| m.node.to_string()).collect(),
            TypeKind::Enum(e) => e
                .values
                .iter()
                .map(|v| v.node.value.node.to_string())
                .collect(),
            TypeKind::InputObject(i) => i
                .fields
                .iter()
                .map(|f| f.node.name.node.to_string())
                .collect(),
        };
        members.sort();
        types.insert(
            ty.name.node.to_string(),
            (members, ty.description.map(|d| d.node)),
        );
    }
    types
}

/// Runs tests/node/introspect.mjs (graphql-js's `getIntrospectionQuery` and
/// `buildClientSchema`) against the server; returns what it printed.
async fn introspect(app: &TestApp, mode: &str) -> Value {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node/introspect.mjs");
    let output = tokio::process::Command::new("node")
        .arg(&script)
        .arg(app.url("/graphql"))
        .arg(mode)
        .output()
        .await
        .expect("node runs (the test command installs Node and tests/node's packages)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{mode}: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("a JSON summary")
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_js_introspection_with_every_option_gets_the_whole_schema() {
    let app = TestApp::spawn().await;
    let served = served_types();
    for mode in ["every-option", "defaults"] {
        let summary = introspect(&app, mode).await;
        assert_eq!(summary["query"], "Query", "{mode}");
        assert_eq!(summary["mutation"], "Mutation", "{mode}");
        assert_eq!(summary["subscription"], "Subscription", "{mode}");
        let introspected = summary["types"].as_object().expect("types");
        for (name, (members, description)) in &served {
            let got: Vec<String> = introspected
                .get(name)
                .unwrap_or_else(|| panic!("{mode}: {name} is missing"))["members"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| m.as_str().unwrap_or_default().to_string())
                .collect();
            assert_eq!(&got, members, "{mode}: the members of {name}");
            if mode == "every-option" {
                assert_eq!(
                    introspected[name]["description"].as_str(),
                    description.as_deref(),
                    "{mode}: the description of {name}"
                );
            }
        }
        let extra: Vec<&String> = introspected
            .keys()
            .filter(|name| !served.contains_key(*name))
            .collect();
        assert!(
            extra
                .iter()
                .all(|n| ["String", "Int", "Float", "Boolean", "ID"].contains(&n.as_str())),
            "{mode}: types the SDL does not have: {extra:?}"
        );
        assert!(served.len() > 100, "the whole schema: {}", served.len());
    }
}

async fn refused(app: &TestApp, query: &str) -> Value {
    let before = app.statements();
    let response = app.graphql(query, json!({})).await;
    assert_eq!(
        error_code(&response),
        Some("QUERY_TOO_COMPLEX"),
        "{response}"
    );
    assert!(response["data"].is_null(), "{response}");
    assert_eq!(app.statements(), before, "SQL ran for a refused query");
    response["errors"][0]["extensions"].clone()
}

#[tokio::test]
async fn the_introspection_cap_refuses_abusive_introspection() {
    let app = TestApp::spawn().await;

    // Each nested list multiplies the answer by the schema's size again.
    let nested = refused(
        &app,
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
    )
    .await;
    assert_eq!(nested["limit"], "introspectionListDepth", "{nested}");
    assert_eq!(nested["measured"], 3);
    assert_eq!(nested["max"], 2);

    // The same through fragments and `ofType`.
    let hidden = refused(
        &app,
        "{ __type(name: \"Query\") { ...A } } fragment A on __Type { fields { type { ofType { ...B } } } } \
         fragment B on __Type { interfaces { possibleTypes { name } } }",
    )
    .await;
    assert_eq!(hidden["limit"], "introspectionListDepth", "{hidden}");

    // Copies of the whole schema in one operation.
    let copies: String = (0..4)
        .map(|i| format!("s{i}: __schema {{ types {{ name }} }} "))
        .collect();
    let many = refused(&app, &format!("{{ {copies} }}")).await;
    assert_eq!(many["limit"], "introspectionRootFields", "{many}");
    assert_eq!(many["measured"], 4);

    // Aliased lists inside one answer.
    let lists: String = (0..6).map(|i| format!("t{i}: types {{ name }} ")).collect();
    let aliased = refused(&app, &format!("{{ __schema {{ {lists} }} }}")).await;
    assert_eq!(aliased["limit"], "introspectionAliases", "{aliased}");

    // An `ofType` chain far past any type reference.
    let mut chain = "name".to_string();
    for _ in 0..25 {
        chain = format!("ofType {{ {chain} }}");
    }
    let deep = refused(
        &app,
        &format!("{{ __type(name: \"Query\") {{ {chain} }} }}"),
    )
    .await;
    assert_eq!(deep["limit"], "introspectionDepth", "{deep}");

    // The caller's own data keeps its limits next to introspection.
    let aliases: String = (0..31).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let mixed = refused(
        &app,
        &format!("{{ __schema {{ queryType {{ name }} }} {aliases} }}"),
    )
    .await;
    assert_eq!(mixed["limit"], "aliases", "{mixed}");

    // And a reasonable introspection query still runs.
    let fine = app
        .graphql(
            "{ __type(name: \"GenerationRequest\") { fields { name type { kind ofType { name } } } } }",
            json!({}),
        )
        .await;
    assert!(fine["errors"].is_null(), "{fine}");
    assert!(fine["data"]["__type"]["fields"]
        .as_array()
        .is_some_and(|f| !f.is_empty()));
}
