//! Which requests need a CSRF-prevention header.
//!
//! Cross-site request forgery rides on credentials the browser attaches by
//! itself: cookies, and HTTP authentication it has cached (Basic, Digest,
//! Negotiate, NTLM). Atelier reads neither: its credentials are an
//! `Authorization: Bearer` or `ApiKey` header that a script must set, and a
//! script setting `Authorization` makes the browser preflight the request,
//! which CORS refuses for any origin outside `CORS_ALLOWED_ORIGINS`. So the
//! preflight header is asked of the requests a cross-site page could send
//! without a preflight that still carry something a browser attached (a proxy
//! in front may authenticate by cookie or Basic auth), and of credential-less
//! POSTs with a simple body, which could run anonymous mutations (sign-ups,
//! password-reset mails) from the visitor's address. A credential-less GET
//! only reads, and a cross-site page cannot read its answer.

use axum::http::{header, HeaderMap};

/// The schemes a script sets itself; any other is one a browser may add.
const EXPLICIT_SCHEMES: [&str; 2] = ["bearer", "apikey"];

/// Whether a request a browser could send cross-site without a preflight (a
/// GET, or a POST with a simple content type) must carry a preflight header.
pub fn needs_preflight(headers: &HeaderMap, is_get: bool) -> bool {
    if carries_ambient_credential(headers) {
        return true;
    }
    if headers.contains_key(header::AUTHORIZATION) {
        // An explicit credential: no cross-site page can have sent it unpreflighted.
        return false;
    }
    !is_get
}

/// A cookie, or an `Authorization` of a scheme the browser manages itself.
fn carries_ambient_credential(headers: &HeaderMap) -> bool {
    if headers.contains_key(header::COOKIE) {
        return true;
    }
    headers.get_all(header::AUTHORIZATION).iter().any(|value| {
        let scheme = value
            .to_str()
            .ok()
            .and_then(|v| v.split_whitespace().next())
            .unwrap_or_default()
            .to_ascii_lowercase();
        !EXPLICIT_SCHEMES.contains(&scheme.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, header::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn explicit_credentials_need_no_preflight_header() {
        for auth in ["Bearer abc", "bearer abc", "ApiKey k:s"] {
            assert!(!needs_preflight(&headers(&[("authorization", auth)]), true));
            assert!(!needs_preflight(
                &headers(&[("authorization", auth)]),
                false
            ));
        }
    }

    #[test]
    fn ambient_credentials_do() {
        for auth in [
            "Basic dXNlcjpwYXNz",
            "Negotiate YII",
            "Digest x",
            "NTLM y",
            "",
        ] {
            assert!(
                needs_preflight(&headers(&[("authorization", auth)]), true),
                "{auth}"
            );
        }
        assert!(needs_preflight(&headers(&[("cookie", "s=1")]), true));
        assert!(needs_preflight(
            &headers(&[("cookie", "s=1"), ("authorization", "Bearer abc")]),
            true
        ));
        assert!(needs_preflight(
            &headers(&[
                ("authorization", "Bearer abc"),
                ("authorization", "Basic x")
            ]),
            true
        ));
    }

    #[test]
    fn without_credentials_only_a_get_goes_through() {
        assert!(!needs_preflight(&HeaderMap::new(), true));
        assert!(needs_preflight(&HeaderMap::new(), false));
    }
}
