//! Input rules of the creative graph; each failure names its field.

use serde_json::Value;

use crate::error::{AppError, AppResult};

/// A trimmed, non-empty name of at most `max` characters.
pub fn name(field: &str, raw: &str, max: usize) -> AppResult<String> {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > max || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(field, format!("1 to {max} characters")));
    }
    Ok(name)
}

pub fn optional_text(field: &str, raw: Option<String>, max: usize) -> AppResult<Option<String>> {
    match raw.map(|t| t.trim().to_string()) {
        Some(t) if t.chars().count() > max => Err(AppError::bad_input(
            field,
            format!("at most {max} characters"),
        )),
        Some(t) if t.is_empty() => Ok(None),
        other => Ok(other),
    }
}

fn is_hex_colour(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('#') else {
        return false;
    };
    matches!(digits.len(), 3 | 6 | 8) && digits.chars().all(|c| c.is_ascii_hexdigit())
}

/// `[{name, hex, variable?}]` with non-empty names and `#RGB`/`#RRGGBB`/`#RRGGBBAA` colours.
pub fn colours(value: &Value) -> AppResult<()> {
    let items = value
        .as_array()
        .ok_or_else(|| AppError::bad_input("colors", "a list of {name, hex} objects"))?;
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.trim().is_empty() {
            return Err(AppError::bad_input(
                "colors",
                format!("colour {i} has no name"),
            ));
        }
        let hex = item.get("hex").and_then(Value::as_str).unwrap_or_default();
        if !is_hex_colour(hex) {
            return Err(AppError::bad_input(
                "colors",
                format!("colour '{name}' is not a hex colour like #FF0000"),
            ));
        }
    }
    Ok(())
}

/// `[{name, family, url?}]` with non-empty names and families.
pub fn fonts(value: &Value) -> AppResult<()> {
    let items = value
        .as_array()
        .ok_or_else(|| AppError::bad_input("fonts", "a list of {name, family} objects"))?;
    for (i, item) in items.iter().enumerate() {
        for key in ["name", "family"] {
            let text = item.get(key).and_then(Value::as_str).unwrap_or_default();
            if text.trim().is_empty() {
                return Err(AppError::bad_input(
                    "fonts",
                    format!("font {i} has no {key}"),
                ));
            }
        }
    }
    Ok(())
}

/// `[{name, path, format}]` with non-empty names and paths.
pub fn logos(value: &Value) -> AppResult<()> {
    let items = value
        .as_array()
        .ok_or_else(|| AppError::bad_input("logos", "a list of {name, path, format} objects"))?;
    for (i, item) in items.iter().enumerate() {
        for key in ["name", "path"] {
            let text = item.get(key).and_then(Value::as_str).unwrap_or_default();
            if text.trim().is_empty() {
                return Err(AppError::bad_input(
                    "logos",
                    format!("logo {i} has no {key}"),
                ));
            }
        }
    }
    Ok(())
}

pub fn object(field: &str, value: &Value) -> AppResult<()> {
    if value.is_object() {
        Ok(())
    } else {
        Err(AppError::bad_input(field, "a JSON object is expected"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brand_kit_json_is_checked() {
        assert!(colours(&json!([{"name": "Primary", "hex": "#FF0000"}])).is_ok());
        assert!(colours(&json!([{"name": "Primary", "hex": "red"}])).is_err());
        assert!(colours(&json!([{"name": "", "hex": "#fff"}])).is_err());
        assert!(colours(&json!({"name": "x"})).is_err());
        assert!(fonts(&json!([{"name": "Heading", "family": "Inter"}])).is_ok());
        assert!(fonts(&json!([{"name": "Heading"}])).is_err());
        assert!(
            logos(&json!([{"name": "Main", "path": "logos/main.png", "format": "png"}])).is_ok()
        );
    }
}
