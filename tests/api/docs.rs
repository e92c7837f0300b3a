//! Docs that cannot drift: README's settings table against what `config.rs`
//! reads, and a description on everything the SDL exposes.

use std::collections::{BTreeMap, BTreeSet};

fn read(path: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The backticked words of one table cell.
fn ticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// README's configuration table: each variable with its default when the row
/// gives one per variable (`_FREE` after `QUERY_BUDGET_ANONYMOUS` is
/// `QUERY_BUDGET_FREE`).
fn readme_settings() -> BTreeMap<String, Option<String>> {
    let readme = read("README.md");
    let table = readme
        .split("| variable | default | meaning |")
        .nth(1)
        .expect("README has a `| variable | default | meaning |` table");
    let mut settings = BTreeMap::new();
    for row in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let mut names = ticked(cells[1]);
        let prefix = names[0]
            .rsplit_once('_')
            .map(|(p, _)| p.to_string())
            .unwrap_or_default();
        for name in names.iter_mut().filter(|n| n.starts_with('_')) {
            *name = format!("{prefix}{name}");
        }
        let defaults = ticked(cells[2]);
        for (i, name) in names.iter().enumerate() {
            let default = (defaults.len() == names.len()).then(|| defaults[i].clone());
            settings.insert(name.clone(), default);
        }
    }
    settings
}

/// Every variable `config.rs` reads (its string literals in SCREAMING_CASE),
/// and the default of each one parsed as a number, evaluated; with `bounds.rs`,
/// which reads the store sizes and timeouts for it.
fn config_settings() -> (BTreeSet<String>, BTreeMap<String, u64>) {
    let source = read("src/config.rs") + "\n" + &read("src/bounds.rs");
    let code: String = source
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = BTreeSet::new();
    for literal in code.split('"').skip(1).step_by(2) {
        if literal.len() > 2
            && literal
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            names.insert(literal.to_string());
        }
    }
    // `parse_number(get("X"), "X", default, ...)` and `number("X", default, ...)`.
    let flat: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut defaults = BTreeMap::new();
    for name in &names {
        for pattern in [
            format!("parse_number( get(\"{name}\"), \"{name}\", "),
            format!("parse_number(get(\"{name}\"), \"{name}\", "),
            format!("number(\"{name}\", "),
        ] {
            if let Some((_, rest)) = flat.split_once(&pattern) {
                let expr = rest.split(',').next().unwrap_or_default();
                let value = expr
                    .split('*')
                    .map(|f| f.trim().replace('_', "").parse::<u64>())
                    .try_fold(1u64, |acc, f| f.map(|f| acc * f));
                if let Ok(value) = value {
                    defaults.insert(name.clone(), value);
                }
            }
        }
    }
    (names, defaults)
}

#[test]
fn the_readme_settings_table_lists_what_config_reads_with_its_defaults() {
    let readme = readme_settings();
    let (read_by_config, defaults) = config_settings();
    // `RUST_LOG` is the fallback of `LOG_LEVEL`, documented in its row.
    let unlisted: Vec<&String> = read_by_config
        .iter()
        .filter(|n| *n != "RUST_LOG" && !readme.contains_key(*n))
        .collect();
    assert!(
        unlisted.is_empty(),
        "config.rs reads variables README's Configuration table does not list: {unlisted:?}"
    );
    let stale: Vec<&String> = readme
        .keys()
        .filter(|n| !read_by_config.contains(*n))
        .collect();
    assert!(
        stale.is_empty(),
        "README's Configuration table lists variables config.rs does not read: {stale:?}"
    );
    let mut wrong = Vec::new();
    for (name, default) in &defaults {
        if let Some(Some(documented)) = readme.get(name) {
            if documented.parse::<u64>().ok() != Some(*default) {
                wrong.push(format!(
                    "{name}: README `{documented}`, config.rs {default}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "README's defaults differ from config.rs:\n{}",
        wrong.join("\n")
    );
    // The parser above found the numbers it is meant to check.
    assert!(
        defaults.len() >= 30,
        "only {} numeric defaults found",
        defaults.len()
    );
}

/// Every type, field, argument, input field and enum value the SDL exposes
/// has a description (the `///` above its declaration), named when missing.
#[test]
fn every_sdl_type_field_argument_and_enum_value_is_described() {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    let sdl = atelier::graphql::sdl();
    let document = async_graphql::parser::parse_schema(&sdl).expect("the SDL parses");
    let mut missing = Vec::new();
    let mut described = 0;
    let mut check = |what: String, description: &Option<async_graphql::Positioned<String>>| {
        if description
            .as_ref()
            .is_some_and(|d| !d.node.trim().is_empty())
        {
            described += 1;
        } else {
            missing.push(what);
        }
    };
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = &ty.node;
        let name = ty.name.node.as_str();
        // async-graphql's own types, which take no description from us: the
        // `Connection` generic (its fields are described) and its `Decimal` scalar.
        if !(name.ends_with("Connection") || name == "Decimal") {
            check(name.to_string(), &ty.description);
        }
        let fields = match &ty.kind {
            TypeKind::Object(o) => Some(&o.fields),
            TypeKind::Interface(i) => Some(&i.fields),
            _ => None,
        };
        for field in fields.into_iter().flatten() {
            let field = &field.node;
            check(format!("{name}.{}", field.name.node), &field.description);
            for arg in &field.arguments {
                check(
                    format!("{name}.{}({}:)", field.name.node, arg.node.name.node),
                    &arg.node.description,
                );
            }
        }
        match &ty.kind {
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    check(
                        format!("{name}.{}", field.node.name.node),
                        &field.node.description,
                    );
                }
            }
            TypeKind::Enum(e) => {
                for value in &e.values {
                    check(
                        format!("{name}.{}", value.node.value.node),
                        &value.node.description,
                    );
                }
            }
            _ => {}
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} SDL elements have no description; add a `///` above each:\n{}",
        missing.len(),
        missing.len() + described,
        missing.join("\n")
    );
}
