//! `extensions.code` on the errors GraphQL itself raises (Apollo Server's codes):
//! a document that does not parse (`GRAPHQL_PARSE_FAILED`, with a one-line
//! message in graphql-js's words), one that does not validate
//! (`GRAPHQL_VALIDATION_FAILED`), an operation name that names none
//! (`OPERATION_RESOLUTION_FAILURE`), and a variable or argument that does not
//! coerce to its type (`BAD_USER_INPUT`, naming it in `extensions.field`),
//! and a subscription sent over HTTP (`BAD_REQUEST`, naming the WebSocket).
//! Errors of our own resolvers already carry their code ([`crate::error`]).

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextSubscribe,
    NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::parser::{Error as ParseError, Pos};
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use futures_util::stream::{BoxStream, StreamExt};

pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
pub const OPERATION_RESOLUTION_FAILURE: &str = "OPERATION_RESOLUTION_FAILURE";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
/// A request this transport cannot serve at all (Apollo Server's code).
pub const BAD_REQUEST: &str = "BAD_REQUEST";

/// The schema extension that gives every error a code.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension::default())
    }
}

/// One request's state: its query text, to name the argument of a coercion error.
#[derive(Default)]
struct ErrorCodesExtension {
    query: Arc<Mutex<Option<String>>>,
}

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        classify(&self.query, &mut response.errors);
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let query = self.query.clone();
        next.run(ctx, stream)
            .map(move |mut response| {
                classify(&query, &mut response.errors);
                response
            })
            .boxed()
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if let Ok(mut kept) = self.query.lock() {
            *kept = Some(query.to_string());
        }
        next.run(ctx, query, variables)
            .await
            .map_err(|error| parse_failed(query, error))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut error| {
                    match argument_path(&error.message) {
                        Some(path) => with_field(&mut error, BAD_USER_INPUT, &path),
                        None => set_code(&mut error, VALIDATION_FAILED),
                    }
                    error
                })
                .collect()
        })
    }
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

/// `BAD_USER_INPUT` naming the input: `field` is the innermost named part of
/// `path` (`input.email` -> `email`, as our own errors name input fields),
/// `argument` the argument it came in.
fn with_field(error: &mut ServerError, code: &str, path: &str) {
    let named: Vec<&str> = path
        .split('.')
        .filter(|part| !part.is_empty() && !part.chars().all(|c| c.is_ascii_digit()))
        .collect();
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", code);
    if let Some(field) = named.last() {
        extensions.set("field", *field);
    }
    if let Some(argument) = named.first() {
        extensions.set("argument", *argument);
    }
}

/// The errors left without a code once the request ran: coercion of an argument
/// inside a resolver (`Failed to parse "Int": ...`, or `Expected input type
/// "Upload", found ...` for a file sent inline), an unknown operation name,
/// and (Apollo Server's default) anything else as an internal error.
fn classify(query: &Mutex<Option<String>>, errors: &mut [ServerError]) {
    for error in errors.iter_mut().filter(|e| !has_code(e)) {
        if error.message.starts_with("Failed to parse")
            || error.message.starts_with("Expected input type")
        {
            let argument = query
                .lock()
                .ok()
                .and_then(|q| q.clone())
                .and_then(|q| error.locations.first().and_then(|at| argument_at(&q, *at)));
            match argument {
                Some(name) => with_field(error, BAD_USER_INPUT, &name),
                None => set_code(error, BAD_USER_INPUT),
            }
        } else if error.message.starts_with("Subscriptions are not supported") {
            // GraphiQL and other tools send a subscription over HTTP when they
            // mistake the operation: say where it runs instead.
            error.message = "Subscriptions are not supported over HTTP; subscribe over the \
                WebSocket at /graphql/ws (graphql-transport-ws or graphql-ws)."
                .to_owned();
            set_code(error, BAD_REQUEST);
        } else if error.message.starts_with("Unknown operation named")
            || error.message.starts_with("Operation name required")
        {
            set_code(error, OPERATION_RESOLUTION_FAILURE);
        } else if let Some(name) = error
            .message
            .strip_prefix("Variable ")
            .and_then(|rest| rest.strip_suffix(" is not defined."))
        {
            // A variable the operation uses but the request did not send.
            error.message = format!("Variable \"${name}\" was not provided.");
            let argument = query
                .lock()
                .ok()
                .and_then(|q| q.clone())
                .and_then(|q| error.locations.first().and_then(|at| argument_at(&q, *at)));
            match argument {
                Some(argument) => with_field(error, BAD_USER_INPUT, &argument),
                None => set_code(error, BAD_USER_INPUT),
            }
        } else {
            set_code(error, INTERNAL_SERVER_ERROR);
        }
    }
}

/// The input path of a validation error about an argument's value:
/// `Invalid value for argument "input.email", expected type "String"`.
fn argument_path(message: &str) -> Option<String> {
    let rest = message.strip_prefix("Invalid value for argument \"")?;
    let end = rest.find('"')?;
    Some(rest[..end].to_string())
}

/// The name of the argument whose value starts at `at` in `query`.
fn argument_at(query: &str, at: Pos) -> Option<String> {
    fn search(set: &SelectionSet, at: Pos) -> Option<String> {
        set.items.iter().find_map(|item| match &item.node {
            Selection::Field(field) => field
                .node
                .arguments
                .iter()
                .find(|(_, value)| value.pos == at)
                .map(|(name, _)| name.node.to_string())
                .or_else(|| search(&field.node.selection_set.node, at)),
            Selection::InlineFragment(inline) => search(&inline.node.selection_set.node, at),
            Selection::FragmentSpread(_) => None,
        })
    }
    let document = async_graphql::parser::parse_query(query).ok()?;
    document
        .operations
        .iter()
        .find_map(|(_, op)| search(&op.node.selection_set.node, at))
        .or_else(|| {
            document
                .fragments
                .values()
                .find_map(|f| search(&f.node.selection_set.node, at))
        })
}

/// A refused document: graphql-js's one-line message for a syntax error (the
/// parser's own is a multi-line drawing), and graphql-js's validation messages
/// and code for what it treats as validation (two anonymous operations...).
fn parse_failed(query: &str, mut error: ServerError) -> ServerError {
    let (message, code) = match async_graphql::parser::parse_query(query) {
        Err(ParseError::Syntax { message, start, .. }) => {
            (syntax_message(query, &message, start), PARSE_FAILED)
        }
        Err(ParseError::MultipleOperations { .. }) => (
            "This anonymous operation must be the only defined operation.".to_string(),
            VALIDATION_FAILED,
        ),
        Err(ParseError::OperationDuplicated { operation, .. }) => (
            format!("There can be only one operation named \"{operation}\"."),
            VALIDATION_FAILED,
        ),
        Err(ParseError::FragmentDuplicated { fragment, .. }) => (
            format!("There can be only one fragment named \"{fragment}\"."),
            VALIDATION_FAILED,
        ),
        Err(ParseError::MissingOperation) => {
            ("Must provide an operation.".to_string(), VALIDATION_FAILED)
        }
        Err(ParseError::RecursionLimitExceeded) => (
            "Syntax Error: Document is nested too deeply.".to_string(),
            PARSE_FAILED,
        ),
        // Parsed, then refused by async-graphql's own nesting or directive checks.
        _ => (error.message.clone(), VALIDATION_FAILED),
    };
    error.message = message;
    set_code(&mut error, code);
    error
}

/// `Syntax Error: Expected Name, found <EOF>.` from the parser's `expected ...`
/// line and the token at the error.
fn syntax_message(query: &str, parser_message: &str, at: Pos) -> String {
    let found = token_at(query, at);
    if let Token::BadCharacter(c) = found {
        return format!(
            "Syntax Error: Unexpected character: \"{}\".",
            c.escape_default()
        );
    }
    let expected = parser_message
        .lines()
        .find_map(|line| line.trim_start().strip_prefix("= "))
        .and_then(|line| line.strip_prefix("expected "))
        .and_then(|rules| {
            // graphql-js names the token it tried last, and a selection set's
            // or argument list's next item is a Name wherever one would do.
            let expected: Vec<&str> = rules
                .split([',', ' '])
                .filter(|r| !r.is_empty() && *r != "or")
                .filter_map(expected_token)
                .collect();
            expected
                .iter()
                .find(|e| **e == "Name")
                .or(expected.first())
                .copied()
        });
    match expected {
        Some(expected) => format!("Syntax Error: Expected {expected}, found {found}."),
        None => format!("Syntax Error: Unexpected {found}."),
    }
}

/// What graphql-js names as expected where the parser wanted `rule`.
fn expected_token(rule: &str) -> Option<&'static str> {
    Some(match rule {
        "name" | "selection" | "field" | "alias" | "argument" | "object_field" | "enum_value"
        | "type_" | "fragment_spread" => "Name",
        "selection_set" => "\"{\"",
        "variable" | "variable_definition" => "\"$\"",
        "type_condition" => "\"on\"",
        "directive" => "\"@\"",
        "arguments" | "variable_definitions" => "\"(\"",
        _ => return None,
    })
}

/// A lexical token, as graphql-js describes it in a message.
enum Token {
    Eof,
    Punctuator(&'static str),
    Name(String),
    Number { float: bool, text: String },
    String,
    BadCharacter(char),
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Eof => f.write_str("<EOF>"),
            Self::Punctuator(p) => write!(f, "\"{p}\""),
            Self::Name(name) => write!(f, "Name \"{name}\""),
            Self::Number { float: true, text } => write!(f, "Float \"{text}\""),
            Self::Number { float: false, text } => write!(f, "Int \"{text}\""),
            Self::String => f.write_str("String"),
            Self::BadCharacter(c) => write!(f, "\"{c}\""),
        }
    }
}

/// The token at a 1-based line and column (in characters), after any ignored
/// characters (white space, commas, comments).
fn token_at(query: &str, at: Pos) -> Token {
    let line_start: usize = query
        .split_inclusive('\n')
        .take(at.line.saturating_sub(1))
        .map(str::len)
        .sum();
    let offset = query[line_start.min(query.len())..]
        .char_indices()
        .nth(at.column.saturating_sub(1))
        .map_or(query.len(), |(i, _)| line_start + i);
    let mut rest = &query[offset.min(query.len())..];
    loop {
        let trimmed = rest.trim_start_matches([' ', '\t', '\n', '\r', ',', '\u{feff}']);
        match trimmed.strip_prefix('#') {
            Some(comment) => rest = comment.find('\n').map_or("", |end| &comment[end..]),
            None => {
                rest = trimmed;
                break;
            }
        }
    }
    let Some(first) = rest.chars().next() else {
        return Token::Eof;
    };
    if rest.starts_with("...") {
        return Token::Punctuator("...");
    }
    const PUNCTUATORS: [&str; 13] = [
        "!", "$", "&", "(", ")", ":", "=", "@", "[", "]", "{", "|", "}",
    ];
    if let Some(p) = PUNCTUATORS.iter().find(|p| rest.starts_with(**p)) {
        return Token::Punctuator(p);
    }
    if first == '"' {
        return Token::String;
    }
    if first.is_ascii_alphabetic() || first == '_' {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        return Token::Name(name);
    }
    if first.is_ascii_digit() || first == '-' {
        let text: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
            .collect();
        let float = text.contains(['.', 'e', 'E']);
        return Token::Number { float, text };
    }
    Token::BadCharacter(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn syntax(query: &str) -> String {
        let error = async_graphql::parser::parse_query(query).expect_err("does not parse");
        parse_failed(query, ServerError::new(error.to_string(), None)).message
    }

    #[test]
    fn syntax_errors_read_as_graphql_js_writes_them() {
        assert_eq!(
            syntax("{ aiModels {"),
            "Syntax Error: Expected Name, found <EOF>."
        );
        assert_eq!(syntax("{ me { id } } }"), "Syntax Error: Unexpected \"}\".");
        assert_eq!(
            syntax("query Q($id: ID!) { node(id: $id) { id } ) }"),
            "Syntax Error: Expected Name, found \")\"."
        );
        assert_eq!(
            syntax("{ me { id % } }"),
            "Syntax Error: Unexpected character: \"%\"."
        );
        assert_eq!(
            syntax("{\n  me {\n    id\n"),
            "Syntax Error: Expected Name, found <EOF>."
        );
    }

    #[test]
    fn document_level_errors_are_validation_errors() {
        let query = "{ me { id } } query A { me { id } }";
        let error = parse_failed(query, ServerError::new("x", None));
        assert_eq!(
            error.message,
            "This anonymous operation must be the only defined operation."
        );
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(code, Some(async_graphql::Value::from(VALIDATION_FAILED)));
    }

    #[test]
    fn the_argument_of_a_value_is_found_by_its_position() {
        let query = "query { aiModels(first: 5, after: \"x\") { totalCount } }";
        let document = async_graphql::parser::parse_query(query).expect("parses");
        let at = match &document.operations {
            async_graphql::parser::types::DocumentOperations::Single(op) => {
                match &op.node.selection_set.node.items[0].node {
                    Selection::Field(f) => f.node.arguments[1].1.pos,
                    _ => unreachable!(),
                }
            }
            _ => unreachable!(),
        };
        assert_eq!(argument_at(query, at).as_deref(), Some("after"));
    }

    #[test]
    fn an_input_path_names_its_innermost_field() {
        let mut error = ServerError::new("x", None);
        with_field(
            &mut error,
            BAD_USER_INPUT,
            "input.inputParameters.0.sampleCount",
        );
        let ext = error.extensions.expect("extensions");
        assert_eq!(ext.get("field"), Some(&"sampleCount".into()));
        assert_eq!(ext.get("argument"), Some(&"input".into()));
    }
}
