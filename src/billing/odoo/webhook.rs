//! `POST /webhooks/odoo`: an Odoo automated action (or anything holding
//! ODOO_WEBHOOK_SECRET) asks for a sync pass now. The body is not trusted for
//! data — the pass reads Odoo itself — so all the signature buys is that no one
//! else can make us call Odoo; it is still checked on the raw bytes, in
//! constant time, before anything happens.

use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;

use crate::app::App;

/// Why a webhook was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The Odoo sync or ODOO_WEBHOOK_SECRET is not set.
    NotConfigured,
    /// Missing, not hex, or not the body's HMAC.
    Signature,
}

/// Checks `signature` (the `X-Odoo-Signature` value: hex HMAC-SHA256 of the
/// raw body under the secret) and wakes the sync task.
pub fn receive(app: &App, signature: Option<&str>, body: &[u8]) -> Result<(), Refusal> {
    let secret = app
        .config
        .odoo
        .as_ref()
        .and_then(|c| c.webhook_secret.as_ref())
        .ok_or(Refusal::NotConfigured)?;
    verify(signature, body, secret.expose_secret().as_bytes())?;
    app.odoo_wakeup.notify_one();
    Ok(())
}

/// Constant-time check of a hex HMAC-SHA256 of `body`.
pub fn verify(signature: Option<&str>, body: &[u8], secret: &[u8]) -> Result<(), Refusal> {
    let given = signature
        .map(str::trim)
        .map(|s| s.strip_prefix("sha256=").unwrap_or(s))
        .and_then(decode_hex)
        .ok_or(Refusal::Signature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| Refusal::Signature)?;
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| Refusal::Signature)
}

/// The header value for `body`: for tests and for configuring Odoo's side.
pub fn sign(body: &[u8], secret: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_of_the_body_verifies_and_a_changed_byte_does_not() {
        let body = br#"{"model":"account.move","id":7}"#;
        let signature = sign(body, b"secret");
        assert_eq!(verify(Some(&signature), body, b"secret"), Ok(()));
        assert_eq!(
            verify(Some(&signature.to_uppercase()), body, b"secret"),
            Ok(())
        );
        assert_eq!(
            verify(
                Some(&signature),
                br#"{"model":"account.move","id":8}"#,
                b"secret"
            ),
            Err(Refusal::Signature)
        );
        assert_eq!(
            verify(Some(&signature), body, b"other"),
            Err(Refusal::Signature)
        );
        assert_eq!(verify(Some("zz"), body, b"secret"), Err(Refusal::Signature));
        assert_eq!(verify(None, body, b"secret"), Err(Refusal::Signature));
    }
}
