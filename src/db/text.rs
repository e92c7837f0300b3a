//! Text helpers for SQL that every domain shares.

/// Escapes `%`, `_` and `\` so user text matches literally inside `LIKE`.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
