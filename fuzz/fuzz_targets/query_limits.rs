//! Query limits: any document that parses is measured in bounded work, and the
//! measure is consistent with itself and with `Limits::check`.
#![no_main]

use async_graphql::{Name, Number, Value, Variables};
use atelier::graphql::limits::{measure, Limits, Measure, INTROSPECTION, MAX_SELECTIONS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte is a page-size variable `$n`, so `first: $n` is reached too.
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let Ok(query) = std::str::from_utf8(rest) else {
        return;
    };
    let limits = Limits::default();
    let size_ok = limits.check_size(query).is_ok();
    assert_eq!(size_ok, query.len() as u64 <= limits.max_document_bytes);
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return;
    };
    let mut variables = Variables::default();
    variables.insert(Name::new("n"), Value::Number(Number::from(n)));
    let m = measure(&document, &variables);
    assert_eq!(
        m,
        measure(&document, &variables),
        "measuring is deterministic"
    );

    // The walk stops one selection past the cap: bounded work whatever the fragments.
    assert!(m.selections <= MAX_SELECTIONS + 1, "{m:?}");
    // Every counted thing is a counted selection, or nests counted selections.
    for (name, count) in [
        ("depth", m.depth),
        ("aliases", m.aliases),
        ("root_fields", m.root_fields),
        ("introspection_root_fields", m.introspection_root_fields),
        ("introspection_aliases", m.introspection_aliases),
        ("introspection_depth", m.introspection_depth),
    ] {
        assert!(count <= m.selections, "{name} > selections: {m:?}");
    }
    assert!(m.root_fields <= m.selections);
    // An introspection list sits at least one level under its root field.
    assert!(
        m.introspection_list_depth == 0 || m.introspection_list_depth < m.introspection_depth,
        "{m:?}"
    );
    assert_eq!(
        m.introspection_depth == 0,
        m.introspection_root_fields == 0,
        "{m:?}"
    );
    // Every data field costs at least 1, so root fields bound the complexity from below.
    assert!(m.complexity >= m.root_fields, "{m:?}");
    assert_eq!(m.depth == 0, m.root_fields == 0, "{m:?}");
    // Fragment nesting never exceeds the fragments there are.
    assert!(m.fragment_depth <= document.fragments.len() as u64, "{m:?}");

    // `check` refuses exactly the measures past a limit.
    let over = over_a_limit(&limits, &m);
    match limits.check(&m) {
        Ok(()) => assert!(!over, "passed over a limit: {m:?}"),
        Err(e) => {
            assert!(over, "refused within the limits: {m:?}");
            assert_eq!(e.code(), "QUERY_TOO_COMPLEX");
        }
    }
});

fn over_a_limit(l: &Limits, m: &Measure) -> bool {
    let cap = INTROSPECTION;
    m.selections > MAX_SELECTIONS
        || m.depth > l.max_depth
        || m.aliases > l.max_aliases
        || m.root_fields > l.max_root_fields
        || m.directives_per_field > l.max_directives_per_field
        || m.fragment_depth > l.max_fragment_depth
        || m.introspection_root_fields > cap.root_fields
        || m.introspection_list_depth > cap.list_depth
        || m.introspection_depth > cap.depth
        || m.introspection_aliases > cap.aliases
}
