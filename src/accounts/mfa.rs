//! TOTP (RFC 6238): 30-second steps, 6 digits, HMAC-SHA1, one step of clock skew.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

const STEP_SECONDS: i64 = 30;
const DIGITS: u32 = 6;
const ISSUER: &str = "Atelier";

/// A new 160-bit secret, base32 without padding (what authenticator apps take).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret: &str, account: &str) -> String {
    format!(
        "otpauth://totp/{ISSUER}:{}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        percent_encode(account)
    )
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The code of `secret` at time step `step`.
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return u32::MAX;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(DIGITS)
}

/// The time step of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The step a code matches (now, or one step either side), if it is later than
/// `last_used_step`: a code is accepted once.
pub fn verify(
    secret_b32: &str,
    code: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let secret = data_encoding::BASE32_NOPAD
        .decode(secret_b32.as_bytes())
        .ok()?;
    let now = step_of(unix_seconds);
    [now - 1, now, now + 1]
        .into_iter()
        .filter(|step| last_used_step.is_none_or(|last| *step > last))
        .find(|step| code_at(&secret, *step) == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_6238_vectors() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", 8 digits -> last 6.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, step_of(59)), 287_082);
        assert_eq!(code_at(secret, step_of(1_111_111_109)), 81_804);
        assert_eq!(code_at(secret, step_of(2_000_000_000)), 279_037);
    }

    #[test]
    fn a_code_is_accepted_once_and_within_one_step() {
        let secret = generate_secret();
        let raw = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .expect("b32");
        let now = 1_700_000_000;
        let code = format!("{:06}", code_at(&raw, step_of(now)));
        let step = verify(&secret, &code, now, None).expect("valid");
        assert_eq!(verify(&secret, &code, now, Some(step)), None, "replayed");
        assert!(verify(&secret, &code, now + 90, None).is_none(), "too late");
        assert!(verify(&secret, "12345", now, None).is_none());
    }

    #[test]
    fn the_url_names_the_account() {
        let url = otpauth_url("ABC", "ada@example.com");
        assert!(
            url.starts_with("otpauth://totp/Atelier:ada%40example.com?secret=ABC&issuer=Atelier")
        );
    }
}
