//! `ENCRYPTION_KEY` parsing and the sealed-value envelope: a parsed key is 32
//! bytes that its hex and base64 forms give back; any envelope text opens or is
//! refused without a panic; what is sealed opens to itself; download-URL
//! signatures verify only for the message they were made for.
#![no_main]

use atelier::secrets::{SecretBox, UrlSigner};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use libfuzzer_sys::fuzz_target;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(key) = SecretBox::parse_key(&text) {
        assert_eq!(SecretBox::parse_key(&hex(&key)), Some(key));
        assert_eq!(SecretBox::parse_key(&hex(&key).to_uppercase()), Some(key));
        assert_eq!(SecretBox::parse_key(&STANDARD.encode(key)), Some(key));
    }
    if data.len() < 32 {
        return;
    }
    let (key_bytes, rest) = data.split_at(32);
    let key: [u8; 32] = key_bytes.try_into().expect("32 bytes");
    assert_eq!(SecretBox::parse_key(&hex(&key)), Some(key));
    assert_eq!(
        SecretBox::parse_key(&format!(" {} ", STANDARD.encode(key))),
        Some(key)
    );

    let sealer = SecretBox::new(&key);
    let rest_text = String::from_utf8_lossy(rest);
    let _ = sealer.open(&rest_text);
    let _ = sealer.open(&format!("v1:{rest_text}"));
    let sealed = sealer.seal(&rest_text).expect("seal");
    assert_eq!(sealer.open(&sealed).expect("open").as_str(), &*rest_text);

    let signer = UrlSigner::derive_from(&key);
    let signature = signer.sign(&rest_text);
    assert!(signer.verify(&rest_text, &signature));
    assert!(!signer.verify(&format!("{rest_text}x"), &signature));
});
