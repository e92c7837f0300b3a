//! Relay connections: argument checks, the page window, and the connection type
//! with `totalCount`.
//!
//! Cursors are opaque positions in the filtered, ordered list. Each connection
//! costs two statements: a count and the page.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{OutputType, SimpleObject};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{AppError, AppResult};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: i64 = 20;
/// Largest `first` / `last` accepted.
pub const MAX_PAGE_SIZE: i64 = 100;

/// Fields every connection carries besides its edges.
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct ConnectionFields {
    /// How many items match, over all pages.
    pub total_count: i64,
}

/// A Relay connection of `T`, named `<T>Connection`.
pub type Conn<T> = Connection<String, T, ConnectionFields, EmptyFields>;

/// The four standard connection arguments.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// The slice of the ordered list a page covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    pub offset: i64,
    pub limit: i64,
}

impl PageArgs {
    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Self {
        Self {
            first,
            after,
            last,
            before,
        }
    }

    /// Checks the arguments before any SQL runs.
    pub fn validate(&self) -> AppResult<()> {
        for (name, value) in [("first", self.first), ("last", self.last)] {
            if let Some(n) = value {
                if n < 0 || i64::from(n) > MAX_PAGE_SIZE {
                    return Err(AppError::bad_input(
                        name,
                        format!("{name} must be between 0 and {MAX_PAGE_SIZE}"),
                    ));
                }
            }
        }
        if self.first.is_some() && self.last.is_some() {
            return Err(AppError::bad_input(
                "last",
                "pass either first or last, not both",
            ));
        }
        decode_cursor(self.after.as_deref(), "after")?;
        decode_cursor(self.before.as_deref(), "before")?;
        Ok(())
    }

    /// The window for a list of `total` items (after [`PageArgs::validate`]).
    pub fn window(&self, total: i64) -> AppResult<Window> {
        let after = decode_cursor(self.after.as_deref(), "after")?;
        let before = decode_cursor(self.before.as_deref(), "before")?;
        let mut start = after.map_or(0, |a| a + 1).min(total);
        let mut end = before.map_or(total, |b| b.min(total)).max(start);
        match (self.first, self.last) {
            (_, Some(last)) => start = start.max(end - i64::from(last)),
            (Some(first), None) => end = end.min(start + i64::from(first)),
            (None, None) => end = end.min(start + DEFAULT_PAGE_SIZE),
        }
        Ok(Window {
            offset: start,
            limit: end - start,
        })
    }
}

fn encode_cursor(position: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("cursor:{position}"))
}

fn decode_cursor(cursor: Option<&str>, field: &str) -> AppResult<Option<i64>> {
    let Some(cursor) = cursor else {
        return Ok(None);
    };
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("cursor:")?.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| AppError::bad_input(field, "not a cursor of this list"))
}

/// Builds the connection for a page of `items` taken at `window` out of `total`.
pub fn connection<T: OutputType>(window: Window, total: i64, items: Vec<T>) -> Conn<T> {
    let end = window.offset + items.len() as i64;
    let mut conn = Connection::with_additional_fields(
        window.offset > 0,
        end < total,
        ConnectionFields { total_count: total },
    );
    conn.edges.extend(
        items
            .into_iter()
            .enumerate()
            .map(|(i, item)| Edge::new(encode_cursor(window.offset + i as i64), item)),
    );
    conn
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(
        first: Option<i32>,
        after: Option<i64>,
        last: Option<i32>,
        before: Option<i64>,
    ) -> PageArgs {
        PageArgs::new(
            first,
            after.map(encode_cursor),
            last,
            before.map(encode_cursor),
        )
    }

    #[test]
    fn first_page_defaults_to_twenty() {
        let w = PageArgs::default().window(50).expect("valid");
        assert_eq!(
            w,
            Window {
                offset: 0,
                limit: 20
            }
        );
    }

    #[test]
    fn first_after_moves_forward() {
        let w = args(Some(10), Some(9), None, None)
            .window(25)
            .expect("valid");
        assert_eq!(
            w,
            Window {
                offset: 10,
                limit: 10
            }
        );
        let w = args(Some(10), Some(19), None, None)
            .window(25)
            .expect("valid");
        assert_eq!(
            w,
            Window {
                offset: 20,
                limit: 5
            }
        );
    }

    #[test]
    fn last_before_moves_backward() {
        let w = args(None, None, Some(5), Some(20))
            .window(25)
            .expect("valid");
        assert_eq!(
            w,
            Window {
                offset: 15,
                limit: 5
            }
        );
        let w = args(None, None, Some(5), None).window(25).expect("valid");
        assert_eq!(
            w,
            Window {
                offset: 20,
                limit: 5
            }
        );
    }

    #[test]
    fn limits_and_forged_cursors_are_refused() {
        assert!(args(Some(101), None, None, None).validate().is_err());
        assert!(args(Some(-1), None, None, None).validate().is_err());
        let forged = PageArgs::new(Some(1), Some("nope".into()), None, None);
        assert_eq!(
            forged.validate().expect_err("forged").code(),
            "BAD_USER_INPUT"
        );
    }
}
