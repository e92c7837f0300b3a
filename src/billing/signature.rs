//! `Stripe-Signature` verification, as Stripe documents it: the header holds a
//! timestamp `t` and one or more `v1` signatures (several while a secret is
//! being rolled); a `v1` is the hex HMAC-SHA256, keyed by the endpoint's
//! signing secret, of `"{t}.{raw body}"`. The raw bytes are what is signed, so
//! this runs before anything parses the body.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Stripe's default tolerance: a signature older (or newer) than this is refused,
/// so a captured delivery cannot be replayed later.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a delivery was refused (logged, never sent back in detail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Stripe-Signature` header, or one without `t` or any `v1`.
    Malformed,
    /// `t` is outside the tolerance.
    Stale,
    /// No `v1` matches.
    Mismatch,
}

/// Checks `header` (the `Stripe-Signature` value) against `body` and `secret`
/// at `now` (seconds since the epoch).
pub fn verify(header: &str, body: &[u8], secret: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp: Option<&str> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let Some((key, value)) = part.trim().split_once('=') else {
            continue;
        };
        match key {
            "t" => timestamp = Some(value),
            // A v1 that is not hex can never match; skip it rather than refuse
            // the others beside it.
            "v1" => {
                if let Ok(bytes) = data_encoding::HEXLOWER_PERMISSIVE.decode(value.as_bytes()) {
                    signatures.push(bytes);
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    let t: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // checked: a hostile `t` such as i64::MIN must not overflow.
    let age = now.checked_sub(t).map(i64::unsigned_abs);
    if age.is_none_or(|age| age > TOLERANCE_SECONDS.unsigned_abs()) {
        return Err(SignatureError::Stale);
    }
    let mut expected =
        Hmac::<Sha256>::new_from_slice(secret).map_err(|_| SignatureError::Mismatch)?;
    expected.update(timestamp.as_bytes());
    expected.update(b".");
    expected.update(body);
    // `verify_slice` compares in constant time; each candidate gets a fresh clone.
    if signatures
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The header Stripe would send for `body` at `t`: for tests and local tools.
pub fn sign(body: &[u8], secret: &[u8], t: i64) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot run.
        Err(_) => return format!("t={t}"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex = data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes());
    format!("t={t},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let header = sign(BODY, SECRET, 1_000);
        assert_eq!(verify(&header, BODY, SECRET, 1_010), Ok(()));
    }

    #[test]
    fn any_of_several_v1_values_may_match() {
        let good = sign(BODY, SECRET, 1_000);
        let v1 = good.split_once(",v1=").map(|(_, v)| v).unwrap_or_default();
        let header = format!("t=1000,v1={},v0=abc,v1={v1}", "0".repeat(64));
        assert_eq!(verify(&header, BODY, SECRET, 1_000), Ok(()));
    }

    #[test]
    fn a_changed_byte_another_secret_or_an_old_timestamp_is_refused() {
        let header = sign(BODY, SECRET, 1_000);
        let mut changed = BODY.to_vec();
        changed[5] ^= 1;
        assert_eq!(
            verify(&header, &changed, SECRET, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, BODY, b"whsec_other", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&header, BODY, SECRET, 1_000 + TOLERANCE_SECONDS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("t=1000", BODY, SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("", BODY, SECRET, 1_000),
            Err(SignatureError::Malformed)
        );
    }
}
