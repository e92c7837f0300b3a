//! Input rules for account fields; each failure names the offending field.

use crate::error::{AppError, AppResult};

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// Normalises and checks an email address (lower-cased, trimmed).
pub fn email(field: &str, raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let bad = || AppError::bad_input(field, "not a valid email address");
    if email.len() > 255 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(bad)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(bad());
    }
    Ok(email)
}

pub fn password(field: &str, password: &str) -> AppResult<()> {
    let length = password.chars().count();
    if !(PASSWORD_MIN..=PASSWORD_MAX).contains(&length) {
        return Err(AppError::bad_input(
            field,
            format!("the password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters"),
        ));
    }
    Ok(())
}

/// 3 to 50 of `a-z 0-9 _ . -`.
pub fn username(field: &str, raw: &str) -> AppResult<String> {
    let username = raw.trim().to_string();
    let valid_chars = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if !(3..=50).contains(&username.len()) || !valid_chars {
        return Err(AppError::bad_input(
            field,
            "a username has 3 to 50 characters among a-z, 0-9, '_', '.' and '-'",
        ));
    }
    Ok(username)
}

pub fn full_name(field: &str, raw: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(AppError::bad_input(field, "a name has 1 to 100 characters"));
    }
    Ok(name)
}

/// A BCP-47 tag as stored (at most 10 characters): `en`, `en-US`, `zh-Hant`, `es-419`.
pub fn language_tag(field: &str, raw: &str) -> AppResult<String> {
    let bad = || AppError::bad_input(field, "not a BCP-47 language tag such as en-US");
    let mut parts = raw.split('-');
    let language = parts.next().ok_or_else(bad)?;
    if !(2..=3).contains(&language.len()) || !language.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad());
    }
    let mut normalized = language.to_ascii_lowercase();
    for part in parts {
        let ok = match part.len() {
            2 => part.chars().all(|c| c.is_ascii_alphabetic()),
            3 => part.chars().all(|c| c.is_ascii_digit()),
            4 => part.chars().all(|c| c.is_ascii_alphabetic()),
            _ => false,
        };
        if !ok {
            return Err(bad());
        }
        normalized.push('-');
        normalized.push_str(&match part.len() {
            2 => part.to_ascii_uppercase(),
            4 => {
                let mut s = part.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                s
            }
            _ => part.to_string(),
        });
    }
    if normalized.len() > 10 {
        return Err(bad());
    }
    Ok(normalized)
}

pub fn timezone(field: &str, raw: &str) -> AppResult<String> {
    raw.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| AppError::bad_input(field, "not an IANA time zone such as Europe/Paris"))
}

/// ISO-4217 codes accepted for prices.
const CURRENCIES: &[&str] = &[
    "AED", "ARS", "AUD", "BGN", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK", "EGP",
    "EUR", "GBP", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JPY", "KES", "KRW", "MAD", "MXN",
    "MYR", "NGN", "NOK", "NZD", "PEN", "PHP", "PKR", "PLN", "RON", "RSD", "SAR", "SEK", "SGD",
    "THB", "TRY", "TWD", "UAH", "USD", "VND", "ZAR",
];

pub fn currency(field: &str, raw: &str) -> AppResult<String> {
    let code = raw.trim().to_ascii_uppercase();
    if CURRENCIES.contains(&code.as_str()) {
        Ok(code)
    } else {
        Err(AppError::bad_input(
            field,
            "not a supported ISO-4217 currency code",
        ))
    }
}

/// How numbers are written.
pub const NUMBER_NOTATIONS: &[&str] = &["standard", "compact", "scientific", "engineering"];

pub fn number_notation(field: &str, raw: &str) -> AppResult<String> {
    let notation = raw.trim().to_ascii_lowercase();
    if NUMBER_NOTATIONS.contains(&notation.as_str()) {
        Ok(notation)
    } else {
        Err(AppError::bad_input(
            field,
            format!("one of {}", NUMBER_NOTATIONS.join(", ")),
        ))
    }
}

pub fn url(field: &str, raw: &str, max: usize) -> AppResult<String> {
    let url = raw.trim().to_string();
    if url.len() > max || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AppError::bad_input(field, "an http(s) URL is expected"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("e", " Ada@Example.COM ").ok(),
            Some("ada@example.com".into())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@x.io",
            "ada@localhost",
            "a b@x.io",
            "ada@x..io",
        ] {
            assert!(email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn usernames_and_passwords() {
        assert!(username("u", "ada.l_ovelace-1").is_ok());
        for bad in ["ab", "Ada", "ada lovelace", "ada!", &"a".repeat(51)] {
            assert!(username("u", bad).is_err(), "{bad}");
        }
        assert!(password("p", "1234567").is_err());
        assert!(password("p", "12345678").is_ok());
        assert!(password("p", &"x".repeat(129)).is_err());
    }

    #[test]
    fn locales() {
        assert_eq!(language_tag("l", "en-us").ok(), Some("en-US".into()));
        assert_eq!(language_tag("l", "es-419").ok(), Some("es-419".into()));
        assert_eq!(language_tag("l", "zh-hant").ok(), Some("zh-Hant".into()));
        assert!(language_tag("l", "english").is_err());
        assert!(timezone("t", "Europe/Paris").is_ok());
        assert!(timezone("t", "Mars/Olympus").is_err());
        assert_eq!(currency("c", "eur").ok(), Some("EUR".into()));
        assert!(currency("c", "XYZ").is_err());
        assert!(number_notation("n", "compact").is_ok());
        assert!(number_notation("n", "roman").is_err());
    }
}
