//! A schema-driven fuzzer in the test command: operations built from the served
//! SDL with hostile argument values (empty, huge, malformed IDs, wrong enum
//! values, injection strings, extreme numbers), sent anonymously and signed in,
//! with a fixed seed and a fixed count. Whatever they are, the answer is never a
//! 5xx, never `INTERNAL_SERVER_ERROR`, and every error carries `extensions.code`.
//! `FUZZ_OPERATIONS` and `FUZZ_SEED` run it longer or otherwise by hand.

use std::collections::{BTreeMap, HashMap};

use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// What the fuzzer knows of a type.
enum Shape {
    Object(Vec<Field>),
    Union,
    Enum(Vec<String>),
    Input(Vec<Argument>),
    Scalar,
}

struct Field {
    name: String,
    arguments: Vec<Argument>,
    ty: Ty,
}

struct Argument {
    name: String,
    ty: Ty,
}

#[derive(Clone)]
struct Ty {
    named: String,
    list: bool,
    required: bool,
}

fn ty_of(ty: &async_graphql::parser::types::Type) -> Ty {
    match &ty.base {
        BaseType::Named(name) => Ty {
            named: name.to_string(),
            list: false,
            required: !ty.nullable,
        },
        BaseType::List(inner) => Ty {
            list: true,
            required: !ty.nullable,
            ..ty_of(inner)
        },
    }
}

fn schema() -> HashMap<String, Shape> {
    let document =
        async_graphql::parser::parse_schema(atelier::graphql::sdl()).expect("the SDL parses");
    let mut types = HashMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let definition = definition.node;
        let arguments = |list: &[async_graphql::Positioned<
            async_graphql::parser::types::InputValueDefinition,
        >]| {
            list.iter()
                .map(|a| Argument {
                    name: a.node.name.node.to_string(),
                    ty: ty_of(&a.node.ty.node),
                })
                .collect::<Vec<_>>()
        };
        let fields = |list: &[async_graphql::Positioned<
            async_graphql::parser::types::FieldDefinition,
        >]| {
            list.iter()
                .map(|f| Field {
                    name: f.node.name.node.to_string(),
                    arguments: arguments(&f.node.arguments),
                    ty: ty_of(&f.node.ty.node),
                })
                .collect::<Vec<_>>()
        };
        let shape = match &definition.kind {
            TypeKind::Object(object) => Shape::Object(fields(&object.fields)),
            TypeKind::Interface(interface) => Shape::Object(fields(&interface.fields)),
            TypeKind::Union(_) => Shape::Union,
            TypeKind::Enum(e) => Shape::Enum(
                e.values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect(),
            ),
            TypeKind::InputObject(input) => Shape::Input(arguments(&input.fields)),
            TypeKind::Scalar => Shape::Scalar,
        };
        types.insert(definition.name.node.to_string(), shape);
    }
    types
}

struct Fuzzer<'a> {
    types: &'a HashMap<String, Shape>,
    rng: StdRng,
    known_ids: Vec<String>,
}

const STRINGS: &[&str] = &[
    "",
    " ",
    "a",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "ünïcödé 😀",
    "../../etc/passwd",
    "%00",
    "2026-13-45T99:99:99Z",
    "-1",
    "null",
    "#zzzzzz",
    "https://example.com/x.png",
    "nobody@example.com",
];

/// Mutations that would end the fuzzer's own session (and leave the rest of the
/// run anonymous); their refusals and successes are tested elsewhere.
const ENDS_THE_SESSION: &[&str] = &[
    "signOut",
    "deleteAccount",
    "revokeSession",
    "changePassword",
    "changeEmail",
];

impl Fuzzer<'_> {
    fn string(&mut self) -> String {
        let pick = self.rng.gen_range(0..STRINGS.len() + 2);
        let text = match pick {
            n if n < STRINGS.len() => STRINGS[n].to_string(),
            n if n == STRINGS.len() => "x".repeat(self.rng.gen_range(256..5000)),
            _ => format!("{:x}", self.rng.gen::<u64>()),
        };
        serde_json::to_string(&text).unwrap_or_default()
    }

    fn scalar(&mut self, name: &str) -> String {
        match name {
            "Int" => ["0", "-1", "1", "2147483647", "-2147483648", "3", "100"]
                [self.rng.gen_range(0..7)]
            .to_string(),
            "Float" => ["0.0", "-1.5", "1e300", "3.25"][self.rng.gen_range(0..4)].to_string(),
            "Boolean" => self.rng.gen_bool(0.5).to_string(),
            "ID" if !self.known_ids.is_empty() && self.rng.gen_bool(0.5) => {
                let i = self.rng.gen_range(0..self.known_ids.len());
                serde_json::to_string(&self.known_ids[i]).unwrap_or_default()
            }
            "Decimal" | "BigDecimal" => ["\"1.00\"", "\"-5\"", "\"1e99\"", "\"abc\"", "\"0.001\""]
                [self.rng.gen_range(0..5)]
            .to_string(),
            "JSON" => {
                ["{}", "{a: 1}", "[1, 2]", "\"x\"", "null"][self.rng.gen_range(0..5)].to_string()
            }
            _ => self.string(),
        }
    }

    fn value(&mut self, ty: &Ty, depth: usize) -> String {
        if !ty.required && self.rng.gen_bool(0.15) {
            return "null".into();
        }
        if ty.list {
            let one = Ty {
                list: false,
                required: true,
                ..ty.clone()
            };
            let n = self.rng.gen_range(0..3);
            let items: Vec<String> = (0..n).map(|_| self.value(&one, depth)).collect();
            return format!("[{}]", items.join(", "));
        }
        match self.types.get(&ty.named) {
            Some(Shape::Enum(values)) => {
                if self.rng.gen_bool(0.1) {
                    "NOT_A_VALUE".into()
                } else {
                    values[self.rng.gen_range(0..values.len())].clone()
                }
            }
            Some(Shape::Input(fields)) if depth < 3 => {
                let mut parts = Vec::new();
                for field in fields {
                    if field.ty.required || self.rng.gen_bool(0.4) {
                        let value = self.value(&field.ty, depth + 1);
                        parts.push(format!("{}: {value}", field.name));
                    }
                }
                format!("{{{}}}", parts.join(", "))
            }
            Some(Shape::Input(_)) => "{}".into(),
            _ => self.scalar(&ty.named),
        }
    }

    fn arguments(&mut self, arguments: &[Argument]) -> Option<String> {
        if arguments.iter().any(|a| a.ty.named == "Upload") {
            return None;
        }
        let mut parts = Vec::new();
        for argument in arguments {
            if argument.ty.required || self.rng.gen_bool(0.5) {
                let value = self.value(&argument.ty, 0);
                parts.push(format!("{}: {value}", argument.name));
            }
        }
        Some(if parts.is_empty() {
            String::new()
        } else {
            format!("({})", parts.join(", "))
        })
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let Some(Shape::Object(fields)) = self.types.get(type_name) else {
            return "{ __typename }".into();
        };
        let mut parts = vec!["__typename".to_string()];
        let picks = self.rng.gen_range(1..=4);
        for _ in 0..picks {
            let field = &fields[self.rng.gen_range(0..fields.len())];
            let leaf = matches!(
                self.types.get(&field.ty.named),
                None | Some(Shape::Scalar) | Some(Shape::Enum(_))
            );
            if !leaf && depth >= 3 {
                continue;
            }
            let Some(arguments) = self.arguments(&field.arguments) else {
                continue;
            };
            let alias = format!("f{}", parts.len());
            if leaf {
                parts.push(format!("{alias}: {}{arguments}", field.name));
            } else {
                let inner = self.selection(&field.ty.named, depth + 1);
                parts.push(format!("{alias}: {}{arguments} {inner}", field.name));
            }
        }
        format!("{{ {} }}", parts.join(" "))
    }

    /// One operation on a random root field of `root`.
    fn operation(&mut self, keyword: &str, root: &str) -> Option<String> {
        let Some(Shape::Object(fields)) = self.types.get(root) else {
            return None;
        };
        let field = &fields[self.rng.gen_range(0..fields.len())];
        if ENDS_THE_SESSION.contains(&field.name.as_str()) {
            return None;
        }
        let arguments = self.arguments(&field.arguments)?;
        let selection = match self.types.get(&field.ty.named) {
            None | Some(Shape::Scalar) | Some(Shape::Enum(_)) => String::new(),
            _ => self.selection(&field.ty.named, 1),
        };
        Some(format!(
            "{keyword} {{ {}{arguments} {selection} }}",
            field.name
        ))
    }
}

#[tokio::test]
async fn generated_operations_never_get_a_5xx_an_internal_error_or_an_error_without_a_code() {
    let operations: usize = std::env::var("FUZZ_OPERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(600);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let app = TestApp::spawn_with(&[
        ("AUTH_ATTEMPTS_PER_IP_PER_MINUTE", "100000"),
        ("AUTH_ATTEMPTS_PER_MINUTE", "100000"),
    ])
    .await;
    app.seed_demo().await;
    let (token, user_id) = app.sign_up("fuzzer@example.com", "password-123").await;
    let team = app
        .graphql_as(
            &token,
            "mutation { createTeam(input: {name: \"Fuzz\"}) { team { id } } }",
            json!({}),
        )
        .await;
    let types = schema();
    let mut fuzzer = Fuzzer {
        types: &types,
        rng: StdRng::seed_from_u64(seed),
        known_ids: vec![
            user_id,
            team["data"]["createTeam"]["team"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            "VXNlcjox".into(),
            "not-an-id".into(),
        ],
    };

    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    let mut sent = 0;
    let mut problems = Vec::new();
    while sent < operations {
        let (keyword, root) = if fuzzer.rng.gen_bool(0.5) {
            ("query", "Query")
        } else {
            ("mutation", "Mutation")
        };
        let Some(operation) = fuzzer.operation(keyword, root) else {
            continue;
        };
        sent += 1;
        let mut request = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({"query": operation}));
        if fuzzer.rng.gen_bool(0.6) {
            request = request.bearer_auth(&token);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_server_error() {
            problems.push(format!("HTTP {status} for {operation}"));
            continue;
        }
        for error in body["errors"].as_array().into_iter().flatten() {
            match error["extensions"]["code"].as_str() {
                Some("INTERNAL_SERVER_ERROR") => {
                    problems.push(format!("INTERNAL_SERVER_ERROR for {operation}: {error}"))
                }
                Some(code) => *codes.entry(code.to_string()).or_default() += 1,
                None => problems.push(format!("no code for {operation}: {error}")),
            }
        }
        if body["errors"].as_array().is_none_or(Vec::is_empty) {
            *codes.entry("(no error)".into()).or_default() += 1;
        }
    }
    eprintln!("fuzz: {sent} operations, seed {seed}, outcomes {codes:?}");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The seed reaches past argument validation, not only into it.
    assert!(codes.len() >= 4, "{codes:?}");
}
