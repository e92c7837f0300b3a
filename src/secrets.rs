//! Secrets at rest: random tokens, their SHA-256 digests, and the AES-256-GCM
//! envelope for values that must be read back (TOTP secrets, OAuth tokens).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Version prefix of the envelope, so the format can change without ambiguity.
const ENVELOPE_PREFIX: &str = "v1:";

/// A new random token of 256 bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The SHA-256 of a token, as lowercase hex: what the database stores. Tokens are
/// 256 random bits, so a fast hash is enough (no dictionary to guess from).
pub fn sha256_hex(token: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ (`subtle`
/// keeps the optimiser from short-circuiting the comparison).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Signs short messages (download URLs) with a key derived from `ENCRYPTION_KEY`.
#[derive(Clone)]
pub struct UrlSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner(..)")
    }
}

impl UrlSigner {
    /// A key of its own, so a signature never doubles as anything else.
    pub fn derive_from(master: &[u8; 32]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"atelier download urls v1");
        hasher.update(master);
        Self {
            key: hasher.finalize().into(),
        }
    }

    pub fn sign(&self, message: &str) -> String {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(message.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn verify(&self, message: &str, signature: &str) -> bool {
        constant_time_eq(&self.sign(message), signature)
    }
}

/// Encrypts and decrypts small values under the deployment's `ENCRYPTION_KEY`.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Parses a key given as 64 hex digits or as base64 of 32 bytes.
    pub fn parse_key(text: &str) -> Option<[u8; 32]> {
        let text = text.trim();
        let bytes = data_encoding::HEXLOWER_PERMISSIVE
            .decode(text.as_bytes())
            .ok()
            .or_else(|| STANDARD.decode(text).ok())?;
        bytes.try_into().ok()
    }

    /// A fresh random key, hex-encoded (how it is written to `DATA_DIR`).
    pub fn generate_key_hex() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        data_encoding::HEXLOWER.encode(&key)
    }

    /// `v1:` + base64(nonce ‖ ciphertext ‖ tag); a fresh nonce every time.
    pub fn seal(&self, plaintext: &str) -> anyhow::Result<String> {
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .map_err(|_| anyhow::anyhow!("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend(ciphertext);
        Ok(format!("{ENVELOPE_PREFIX}{}", STANDARD.encode(out)))
    }

    pub fn open(&self, sealed: &str) -> anyhow::Result<String> {
        let body = sealed
            .strip_prefix(ENVELOPE_PREFIX)
            .ok_or_else(|| anyhow::anyhow!("unknown envelope version"))?;
        let bytes = STANDARD.decode(body)?;
        if bytes.len() < 12 + 16 {
            anyhow::bail!("envelope too short");
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| anyhow::anyhow!("decryption failed (wrong ENCRYPTION_KEY?)"))?;
        Ok(String::from_utf8(plain)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let key = SecretBox::parse_key(&SecretBox::generate_key_hex()).expect("key");
        let sealed = SecretBox::new(&key).seal("JBSWY3DPEHPK3PXP").expect("seal");
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(
            SecretBox::new(&key).open(&sealed).expect("open"),
            "JBSWY3DPEHPK3PXP"
        );
        let other = SecretBox::new(&[7u8; 32]);
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        let (a, b) = (random_token(), random_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(sha256_hex(&a).len(), 64);
    }
}
