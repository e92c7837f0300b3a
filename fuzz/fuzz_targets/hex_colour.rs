//! Brand-kit colours (`#RGB`, `#RRGGBB`, `#RRGGBBAA`): user text, so any string
//! is parsed without a panic, only hex digits are accepted, and a colour written
//! back as `#RRGGBB` parses to itself.
#![no_main]

use atelier::generation::providers::parse_hex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some([r, g, b]) = parse_hex(&text) {
        let digits = &text[1..];
        assert!(digits.bytes().all(|c| c.is_ascii_hexdigit()), "{text:?}");
        assert!(matches!(digits.len(), 3 | 6 | 8), "{text:?}");
        let upper = format!("#{r:02X}{g:02X}{b:02X}");
        assert_eq!(parse_hex(&upper), Some([r, g, b]));
        assert_eq!(parse_hex(&upper.to_lowercase()), Some([r, g, b]));
    }
    if data.len() >= 3 {
        let rgb = [data[0], data[1], data[2]];
        let text = format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
        assert_eq!(parse_hex(&text), Some(rgb));
        assert_eq!(
            parse_hex(&format!("{text}ff")),
            Some(rgb),
            "alpha is ignored"
        );
    }
});
