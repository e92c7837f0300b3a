//! The upload path's own parsing (multipart parsing itself is async-graphql's):
//! the claimed Content-Type against the format sniffed from the bytes, and the
//! dimensions read from the image header. Any file is accepted with a format and
//! a `WxH` resolution, or refused with BAD_USER_INPUT; never a panic.
#![no_main]

use atelier::studio::service::assets::{check_file, sniff};
use libfuzzer_sys::fuzz_target;

const CLAIMS: [&str; 8] = [
    "image/png",
    "IMAGE/JPEG; charset=binary",
    " image/webp ",
    "image/gif",
    "application/octet-stream",
    "text/plain",
    "",
    "image/svg+xml",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let claim = (pick < CLAIMS.len() as u8 * 2).then(|| CLAIMS[usize::from(pick) % CLAIMS.len()]);
    match check_file(bytes, claim, 1024 * 1024) {
        Ok((sniffed, resolution)) => {
            assert_eq!(sniff(bytes), Some(sniffed), "the format is the sniffed one");
            let normalised = claim
                .map(|c| {
                    c.split(';')
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_lowercase()
                })
                .unwrap_or_default();
            assert!(
                normalised.is_empty()
                    || normalised == "application/octet-stream"
                    || normalised == sniffed.mime_type,
                "{claim:?} accepted for {}",
                sniffed.mime_type
            );
            let resolution = resolution.expect("every accepted format has dimensions");
            let (w, h) = resolution.split_once('x').expect("WxH");
            assert!(
                w.parse::<u32>().is_ok() && h.parse::<u32>().is_ok(),
                "{resolution}"
            );
        }
        Err(e) => {
            assert_eq!(e.code(), "BAD_USER_INPUT");
            assert!(
                bytes.is_empty()
                    || sniff(bytes).is_none()
                    || claim.is_some_and(|c| !c.is_empty())
                    || image::ImageReader::new(std::io::Cursor::new(bytes))
                        .with_guessed_format()
                        .map_or(true, |r| r.into_dimensions().is_err()),
                "an image refused for no reason"
            );
        }
    }
});
