//! The platform admin's queries and actions in GraphQL.
