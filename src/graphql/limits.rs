//! Query limits, checked on the parsed document before anything runs: depth,
//! aliases, root fields, directives per field, fragment nesting, document size,
//! and a complexity with real per-field costs (a connection multiplies its
//! children by its page size; mutation fields cost more than reads).
//!
//! The shape limits and the complexity measure the caller's own data. The
//! introspection fields (`__schema`, `__type` and everything under them) answer
//! from the schema, never from the database, so they have a cap of their own
//! ([`INTROSPECTION`]): the standard introspection queries of graphql-js,
//! GraphiQL and Apollo's tools pass, the shapes that make an answer grow out of
//! proportion do not.

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Field, FragmentDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::parser::Positioned;
use async_graphql::{Name, Variables};
use async_graphql_value::Value as AstValue;

use super::pagination::DEFAULT_PAGE_SIZE;
use crate::error::AppError;

/// The limits of one deployment (`QUERY_MAX_*` settings).
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_depth: u64,
    pub max_aliases: u64,
    pub max_root_fields: u64,
    pub max_directives_per_field: u64,
    pub max_fragment_depth: u64,
    pub max_document_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives_per_field: 5,
            max_fragment_depth: 8,
            max_document_bytes: 32 * 1024,
        }
    }
}

/// The separate cap of introspection, fixed rather than configurable: it
/// depends on the shape of GraphQL's introspection schema, not on ours.
#[derive(Debug, Clone, Copy)]
pub struct IntrospectionCap {
    /// `__schema` and `__type` fields in one operation. Tools send one; each
    /// answers up to the whole schema, so copies only multiply the answer.
    pub root_fields: u64,
    /// Introspection lists (`fields`, `inputFields`, `interfaces`,
    /// `possibleTypes`) nested in one another. Two is what graphql-js's own
    /// `MaxIntrospectionDepthRule` allows: each further level multiplies the
    /// answer by the size of the schema again (`fields { type { fields ...`).
    pub list_depth: u64,
    /// Nesting under an introspection root field: room for the seven `ofType`
    /// levels of graphql-js's `TypeRef` plus the path to it, and for the nine
    /// of graphql-js 17; a deeper `ofType` chain answers nothing more.
    pub depth: u64,
    /// Aliases under introspection fields: no tool sends one, and an aliased
    /// list repeats a schema-sized answer.
    pub aliases: u64,
}

/// The introspection cap of every deployment.
pub const INTROSPECTION: IntrospectionCap = IntrospectionCap {
    root_fields: 3,
    list_depth: 2,
    depth: 20,
    aliases: 5,
};

/// Field selections one operation may expand to once its fragments are
/// inlined. A fragment spread many times in a fragment spread many times grows
/// exponentially; past this the walk stops and the query is refused, so
/// measuring a document costs bounded time. Every data field costs at least 1,
/// so a query this large is over every plan's budget anyway.
pub const MAX_SELECTIONS: u64 = 200_000;

/// The introspection fields of the query root.
fn is_introspection_root(name: &str) -> bool {
    name == "__schema" || name == "__type"
}

/// The introspection fields that list types or fields, whose nesting multiplies an answer.
fn is_introspection_list(name: &str) -> bool {
    matches!(
        name,
        "fields" | "inputFields" | "interfaces" | "possibleTypes"
    )
}

/// What a document measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    pub depth: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub directives_per_field: u64,
    pub fragment_depth: u64,
    pub complexity: u64,
    /// `__schema` / `__type` fields.
    pub introspection_root_fields: u64,
    /// Deepest nesting of introspection lists.
    pub introspection_list_depth: u64,
    /// Deepest nesting under an introspection root field.
    pub introspection_depth: u64,
    /// Aliases under introspection root fields (those fields' own included).
    pub introspection_aliases: u64,
    /// Field selections with every fragment inlined (stops counting past [`MAX_SELECTIONS`]).
    pub selections: u64,
}

fn too_complex(limit: &'static str, measured: u64, max: u64) -> AppError {
    AppError::QueryTooComplex {
        limit,
        measured,
        max,
    }
}

impl Limits {
    /// The document size, checked before parsing.
    pub fn check_size(&self, query: &str) -> Result<(), AppError> {
        let size = query.len() as u64;
        if size > self.max_document_bytes {
            return Err(too_complex("documentBytes", size, self.max_document_bytes));
        }
        Ok(())
    }

    /// Every structural limit; the complexity budget is checked by the caller,
    /// which knows who is asking.
    pub fn check(&self, m: &Measure) -> Result<(), AppError> {
        let cap = INTROSPECTION;
        for (name, measured, max) in [
            ("selections", m.selections, MAX_SELECTIONS),
            ("depth", m.depth, self.max_depth),
            ("aliases", m.aliases, self.max_aliases),
            ("rootFields", m.root_fields, self.max_root_fields),
            (
                "directivesPerField",
                m.directives_per_field,
                self.max_directives_per_field,
            ),
            ("fragmentDepth", m.fragment_depth, self.max_fragment_depth),
            (
                "introspectionRootFields",
                m.introspection_root_fields,
                cap.root_fields,
            ),
            (
                "introspectionListDepth",
                m.introspection_list_depth,
                cap.list_depth,
            ),
            ("introspectionDepth", m.introspection_depth, cap.depth),
            ("introspectionAliases", m.introspection_aliases, cap.aliases),
        ] {
            if measured > max {
                return Err(too_complex(name, measured, max));
            }
        }
        Ok(())
    }
}

/// Checks `complexity` against a budget.
pub fn check_budget(complexity: u64, budget: u64) -> Result<(), AppError> {
    if complexity > budget {
        return Err(too_complex("complexity", complexity, budget));
    }
    Ok(())
}

/// What a field costs on its own; mutations write, so they cost more.
const READ_COST: u64 = 1;
const MUTATION_COST: u64 = 10;
/// A guard against absurd page sizes in the cost (the resolver refuses > 100).
const MAX_MULTIPLIER: u64 = 1_000;

struct Walker<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    variables: &'a Variables,
    measure: Measure,
    fragment_stack: Vec<&'a Name>,
}

/// Where in the document a selection set is: the caller's data, or under an
/// introspection root field (at `depth` below it, inside `lists` nested lists).
#[derive(Clone, Copy)]
enum Scope {
    Data,
    Introspection { depth: u64, lists: u64 },
}

/// Measures the operations of a document (the largest one, when it has several).
pub fn measure(document: &ExecutableDocument, variables: &Variables) -> Measure {
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(op) => vec![op],
        DocumentOperations::Multiple(ops) => ops.values().collect(),
    };
    let mut worst = Measure::default();
    for op in operations {
        let mut walker = Walker {
            fragments: &document.fragments,
            variables,
            measure: Measure::default(),
            fragment_stack: Vec::new(),
        };
        let base = if op.node.ty == OperationType::Mutation {
            MUTATION_COST
        } else {
            READ_COST
        };
        walker.measure.complexity =
            walker.walk(&op.node.selection_set.node, 1, 1, base, Scope::Data);
        let m = walker.measure;
        worst = Measure {
            depth: worst.depth.max(m.depth),
            aliases: worst.aliases.max(m.aliases),
            root_fields: worst.root_fields.max(m.root_fields),
            directives_per_field: worst.directives_per_field.max(m.directives_per_field),
            fragment_depth: worst.fragment_depth.max(m.fragment_depth),
            complexity: worst.complexity.max(m.complexity),
            introspection_root_fields: worst
                .introspection_root_fields
                .max(m.introspection_root_fields),
            introspection_list_depth: worst
                .introspection_list_depth
                .max(m.introspection_list_depth),
            introspection_depth: worst.introspection_depth.max(m.introspection_depth),
            introspection_aliases: worst.introspection_aliases.max(m.introspection_aliases),
            selections: worst.selections.max(m.selections),
        };
    }
    worst
}

impl<'a> Walker<'a> {
    fn int_argument(&self, value: &AstValue) -> Option<u64> {
        match value {
            AstValue::Number(n) => n.as_u64(),
            AstValue::Variable(name) => match self.variables.get(name) {
                Some(async_graphql::Value::Number(n)) => n.as_u64(),
                _ => None,
            },
            _ => None,
        }
    }

    /// How many times the children of a field with children run: a
    /// connection's once per item of its page.
    fn page_factor(&self, field: &'a Field) -> u64 {
        let page = field
            .arguments
            .iter()
            .find(|(name, _)| name.node == "first" || name.node == "last")
            .and_then(|(_, value)| self.int_argument(&value.node));
        let is_connection = field.selection_set.node.items.iter().any(|s| {
            matches!(&s.node, Selection::Field(f) if f.node.name.node == "edges" || f.node.name.node == "nodes")
        });
        match (page, is_connection) {
            (Some(n), _) => n.max(1),
            (None, true) => DEFAULT_PAGE_SIZE as u64,
            (None, false) => 1,
        }
    }

    /// Walks a selection set at `depth` whose fields are each resolved
    /// `multiplier` times; returns their cost (introspection costs nothing:
    /// it has its own cap).
    fn walk(
        &mut self,
        set: &'a SelectionSet,
        depth: u64,
        multiplier: u64,
        field_cost: u64,
        scope: Scope,
    ) -> u64 {
        let mut cost: u64 = 0;
        for item in &set.items {
            if self.measure.selections > MAX_SELECTIONS {
                // Refused anyway (`selections`): stop walking an exploding document.
                return cost;
            }
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    self.measure.selections += 1;
                    self.measure.directives_per_field = self
                        .measure
                        .directives_per_field
                        .max(field.directives.len() as u64);
                    match scope {
                        Scope::Introspection { depth: at, lists } => {
                            if field.alias.is_some() {
                                self.measure.introspection_aliases += 1;
                            }
                            let lists = lists + u64::from(is_introspection_list(name));
                            let m = &mut self.measure;
                            m.introspection_depth = m.introspection_depth.max(at);
                            m.introspection_list_depth = m.introspection_list_depth.max(lists);
                            self.walk(
                                &field.selection_set.node,
                                depth,
                                multiplier,
                                field_cost,
                                Scope::Introspection {
                                    depth: at + 1,
                                    lists,
                                },
                            );
                        }
                        Scope::Data if depth == 1 && is_introspection_root(name) => {
                            self.measure.introspection_root_fields += 1;
                            if field.alias.is_some() {
                                self.measure.introspection_aliases += 1;
                            }
                            self.measure.introspection_depth =
                                self.measure.introspection_depth.max(1);
                            self.walk(
                                &field.selection_set.node,
                                depth,
                                multiplier,
                                field_cost,
                                Scope::Introspection { depth: 2, lists: 0 },
                            );
                        }
                        // Answered from the type alone (clients add it everywhere): free.
                        Scope::Data if name == "__typename" => {
                            if field.alias.is_some() {
                                self.measure.aliases += 1;
                            }
                        }
                        Scope::Data => {
                            if depth == 1 {
                                self.measure.root_fields += 1;
                            }
                            self.measure.depth = self.measure.depth.max(depth);
                            if field.alias.is_some() {
                                self.measure.aliases += 1;
                            }
                            cost = cost.saturating_add(field_cost.saturating_mul(multiplier));
                            if field.selection_set.node.items.is_empty() {
                                continue;
                            }
                            let inner = multiplier
                                .saturating_mul(self.page_factor(field))
                                .min(MAX_MULTIPLIER * MAX_MULTIPLIER);
                            cost = cost.saturating_add(self.walk(
                                &field.selection_set.node,
                                depth + 1,
                                inner,
                                READ_COST,
                                Scope::Data,
                            ));
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    cost = cost.saturating_add(self.walk(
                        &inline.node.selection_set.node,
                        depth,
                        multiplier,
                        field_cost,
                        scope,
                    ));
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if self.fragment_stack.contains(&name) {
                        // A cycle: validation refuses it; do not loop on it here.
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        self.fragment_stack.push(name);
                        self.measure.fragment_depth = self
                            .measure
                            .fragment_depth
                            .max(self.fragment_stack.len() as u64);
                        cost = cost.saturating_add(self.walk(
                            &fragment.node.selection_set.node,
                            depth,
                            multiplier,
                            field_cost,
                            scope,
                        ));
                        self.fragment_stack.pop();
                    }
                }
            }
        }
        cost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measured(query: &str) -> Measure {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        measure(&document, &Variables::default())
    }

    #[test]
    fn depth_aliases_and_root_fields() {
        let m = measured("{ a: me { id } b: me { id } aiModels { edges { node { versions { model { name } } } } } }");
        assert_eq!(m.root_fields, 3);
        assert_eq!(m.aliases, 2);
        assert_eq!(m.depth, 6);
    }

    #[test]
    fn connections_multiply_their_children() {
        let small = measured("{ projects(first: 10) { edges { node { id name } } } }");
        let large = measured("{ projects(first: 100) { edges { node { id name } } } }");
        assert!(
            large.complexity > 9 * small.complexity,
            "{small:?} {large:?}"
        );
        let nested = measured("{ projects(first: 100) { edges { node { assets(first: 100) { edges { node { id } } } } } } }");
        assert!(nested.complexity >= 10_000);
    }

    #[test]
    fn mutations_cost_more_than_reads() {
        assert!(
            measured("mutation { signOut { ok } }").complexity
                > measured("{ me { id } }").complexity
        );
    }

    #[test]
    fn fragment_cycles_do_not_hang() {
        let m = measured(
            "query { me { ...A } } fragment A on User { id ...B } fragment B on User { ...A }",
        );
        assert!(m.fragment_depth >= 2);
    }

    #[test]
    fn introspection_is_measured_apart_from_the_callers_data() {
        let m = measured(
            "{ me { id } __schema { types { name fields { name type { kind ofType { kind ofType { kind ofType { name } } } } } } } }",
        );
        assert_eq!(m.root_fields, 1, "{m:?}");
        assert_eq!(m.depth, 2, "only me {{ id }} counts: {m:?}");
        assert_eq!(m.complexity, 2, "introspection costs nothing: {m:?}");
        assert_eq!(m.introspection_root_fields, 1);
        assert_eq!(m.introspection_list_depth, 1);
        assert_eq!(m.introspection_depth, 8);
    }

    #[test]
    fn nested_introspection_lists_are_counted() {
        let m = measured(
            "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        );
        assert_eq!(m.introspection_list_depth, 3);
        assert!(Limits::default().check(&m).is_err());
        let through_fragments = measured(
            "{ __type(name: \"Query\") { ...F } } fragment F on __Type { fields { type { interfaces { ...G } } } } fragment G on __Type { possibleTypes { name } }",
        );
        assert_eq!(through_fragments.introspection_list_depth, 3);
    }

    #[test]
    fn typename_is_free() {
        let plain = measured("{ projects(first: 10) { edges { node { id } } } }");
        let typed = measured(
            "{ __typename projects(first: 10) { __typename edges { __typename node { __typename id } } } }",
        );
        assert_eq!(plain.complexity, typed.complexity);
        assert_eq!(plain.root_fields, typed.root_fields);
    }

    #[test]
    fn an_exploding_fragment_graph_is_measured_in_bounded_time() {
        let spreads = |to: &str| format!("...{to} ").repeat(50);
        let mut query = String::from("{ me { ...F0 } }");
        for i in 0..7 {
            query.push_str(&format!(
                " fragment F{i} on User {{ id {} }}",
                spreads(&format!("F{}", i + 1))
            ));
        }
        query.push_str(" fragment F7 on User { id }");
        let started = std::time::Instant::now();
        let m = measured(&query);
        assert!(m.selections > MAX_SELECTIONS, "{m:?}");
        assert!(Limits::default().check(&m).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
