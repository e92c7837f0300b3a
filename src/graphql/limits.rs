//! Query limits, checked on the parsed document before anything runs: depth,
//! aliases, root fields, directives per field, fragment nesting, document size,
//! and a complexity with real per-field costs (a connection multiplies its
//! children by its page size; mutation fields cost more than reads).

use std::collections::HashMap;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, OperationType, Selection,
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

/// What a document measures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measure {
    pub depth: u64,
    pub aliases: u64,
    pub root_fields: u64,
    pub directives_per_field: u64,
    pub fragment_depth: u64,
    pub complexity: u64,
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
        for (name, measured, max) in [
            ("depth", m.depth, self.max_depth),
            ("aliases", m.aliases, self.max_aliases),
            ("rootFields", m.root_fields, self.max_root_fields),
            (
                "directivesPerField",
                m.directives_per_field,
                self.max_directives_per_field,
            ),
            ("fragmentDepth", m.fragment_depth, self.max_fragment_depth),
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
        walker.measure.root_fields = walker.count_fields(&op.node.selection_set.node);
        walker.measure.complexity = walker.walk(&op.node.selection_set.node, 1, 1, base);
        let m = walker.measure;
        worst = Measure {
            depth: worst.depth.max(m.depth),
            aliases: worst.aliases.max(m.aliases),
            root_fields: worst.root_fields.max(m.root_fields),
            directives_per_field: worst.directives_per_field.max(m.directives_per_field),
            fragment_depth: worst.fragment_depth.max(m.fragment_depth),
            complexity: worst.complexity.max(m.complexity),
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

    /// Fields selected directly (through fragments too) by a selection set.
    fn count_fields(&mut self, set: &'a SelectionSet) -> u64 {
        let mut count = 0;
        for item in &set.items {
            match &item.node {
                Selection::Field(_) => count += 1,
                Selection::InlineFragment(inline) => {
                    count += self.count_fields(&inline.node.selection_set.node)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if self.fragment_stack.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        self.fragment_stack.push(name);
                        count += self.count_fields(&fragment.node.selection_set.node);
                        self.fragment_stack.pop();
                    }
                }
            }
        }
        count
    }

    /// Walks a selection set at `depth` whose fields are each resolved
    /// `multiplier` times; returns their cost.
    fn walk(&mut self, set: &'a SelectionSet, depth: u64, multiplier: u64, field_cost: u64) -> u64 {
        let mut cost: u64 = 0;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    self.measure.depth = self.measure.depth.max(depth);
                    if field.alias.is_some() {
                        self.measure.aliases += 1;
                    }
                    self.measure.directives_per_field = self
                        .measure
                        .directives_per_field
                        .max(field.directives.len() as u64);
                    cost = cost.saturating_add(field_cost.saturating_mul(multiplier));
                    if field.selection_set.node.items.is_empty() {
                        continue;
                    }
                    let page = field
                        .arguments
                        .iter()
                        .find(|(name, _)| name.node == "first" || name.node == "last")
                        .and_then(|(_, value)| self.int_argument(&value.node));
                    let is_connection = field.selection_set.node.items.iter().any(|s| {
                        matches!(&s.node, Selection::Field(f) if f.node.name.node == "edges" || f.node.name.node == "nodes")
                    });
                    // A connection's children run once per item of its page.
                    let factor = match (page, is_connection) {
                        (Some(n), _) => n.max(1),
                        (None, true) => DEFAULT_PAGE_SIZE as u64,
                        (None, false) => 1,
                    };
                    let inner = multiplier
                        .saturating_mul(factor)
                        .min(MAX_MULTIPLIER * MAX_MULTIPLIER);
                    cost = cost.saturating_add(self.walk(
                        &field.selection_set.node,
                        depth + 1,
                        inner,
                        READ_COST,
                    ));
                }
                Selection::InlineFragment(inline) => {
                    cost = cost.saturating_add(self.walk(
                        &inline.node.selection_set.node,
                        depth,
                        multiplier,
                        field_cost,
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
}
