//! TOTP (RFC 6238) through `totp-rs`: 30-second steps, 6 digits, HMAC-SHA1, one
//! step of clock skew. What the crate leaves to us: a code is accepted once (the
//! caller stores the step it matched), and the secret is sealed at rest.

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

const STEP_SECONDS: u64 = 30;
const DIGITS: u8 = 6;
const ISSUER: &str = "Atelier";

/// The TOTP of a raw secret, as every authenticator app computes it.
fn totp(secret: &[u8]) -> Option<Totp> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret.to_vec())
        .build()
        .ok()
}

/// A new 160-bit secret, base32 without padding (what authenticator apps take).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::thread_rng().fill_bytes(&mut bytes);
    Secret::new_stack(bytes).to_base32()
}

/// The `otpauth://` URL an authenticator app scans.
pub fn otpauth_url(secret_b32: &str, account: &str) -> anyhow::Result<String> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|e| anyhow::anyhow!("the TOTP secret is not base32: {e:?}"))?;
    // A colon separates issuer and account in the label, so none may stand inside
    // the account (an email's local part may have one).
    let totp = Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account.replace(':', "_"))
        .build_noncompliant();
    Ok(totp.to_url()?)
}

/// The code of `secret` at time step `step`.
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let (Some(totp), Ok(step)) = (totp(secret), u64::try_from(step)) else {
        return u32::MAX;
    };
    totp.generate(step * STEP_SECONDS)
        .to_string()
        .parse()
        .unwrap_or(u32::MAX)
}

/// The time step of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS as i64)
}

/// The step a code matches (now, or one step either side), if it is later than
/// `last_used_step`: a code is accepted once.
pub fn verify(
    secret_b32: &str,
    code: &str,
    unix_seconds: i64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let secret = Secret::try_from_base32(secret_b32).ok()?;
    let step = totp(secret.as_bytes())?.check(code.trim(), u64::try_from(unix_seconds).ok()?)?;
    let step = i64::try_from(step).ok()?;
    last_used_step
        .is_none_or(|last| step > last)
        .then_some(step)
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
    fn one_step_of_clock_skew_either_way_and_no_more() {
        let secret = generate_secret();
        let raw = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .expect("b32");
        let now = 1_700_000_000;
        let step = step_of(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let code = format!("{:06}", code_at(&raw, step + offset));
            assert_eq!(
                verify(&secret, &code, now, None),
                accepted.then_some(step + offset),
                "step {offset:+}"
            );
        }
    }

    #[test]
    fn the_url_names_the_account() {
        // A real 160-bit secret: the crate re-encodes the bytes it decoded.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let url = otpauth_url(secret, "ada@example.com").expect("a URL");
        assert!(url.starts_with(&format!(
            "otpauth://totp/Atelier:ada%40example.com?secret={secret}&issuer=Atelier"
        )));
    }
}
