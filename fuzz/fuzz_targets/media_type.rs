//! The request's media type (`Content-Type` without parameters), which decides
//! 415s and the CSRF rule: lower-case, trimmed, parameter-free, and stable.
#![no_main]

use atelier::server::media_type;
use axum::http::{header, HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, value.clone());
    let media = media_type(&headers);
    assert_eq!(media.is_some(), value.to_str().is_ok());
    let Some(media) = media else {
        return;
    };
    assert!(!media.contains(';'), "{media:?}");
    assert_eq!(media, media.trim(), "trimmed");
    assert!(!media.bytes().any(|b| b.is_ascii_uppercase()), "{media:?}");
    // A value that is already a bare media type is read as itself.
    let mut again = HeaderMap::new();
    again.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&media).expect("a part of a header value is one"),
    );
    assert_eq!(media_type(&again).as_deref(), Some(media.as_str()));
    // Parameters never change the media type.
    let with_params = format!("{media}; boundary=x");
    if let Ok(v) = HeaderValue::from_str(&with_params) {
        again.insert(header::CONTENT_TYPE, v);
        assert_eq!(media_type(&again).as_deref(), Some(media.as_str()));
    }
});
