//! The safelist file (`PERSISTED_QUERIES_FILE`): any file content is loaded or
//! refused with the setting named, never a panic; a list of query texts always
//! loads, and an object loads only when every key is its text's SHA-256.
#![no_main]

use atelier::graphql::persisted::{sha256_hex, Safelist};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // One file per fuzzing process, rewritten for every input.
    let path =
        std::env::temp_dir().join(format!("atelier-fuzz-safelist-{}.json", std::process::id()));
    std::fs::write(&path, data).expect("write the file");
    let loaded = Safelist::load(Some(&path));
    let value = std::str::from_utf8(data)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok());
    let expected_ok = match &value {
        Some(serde_json::Value::Array(items)) => items.iter().all(|i| i.is_string()),
        Some(serde_json::Value::Object(map)) => map.iter().all(|(hash, query)| {
            query
                .as_str()
                .is_some_and(|q| sha256_hex(q) == hash.to_ascii_lowercase())
        }),
        _ => false,
    };
    match loaded {
        Ok(list) => {
            assert!(expected_ok, "loaded a file it should refuse");
            assert!(list.is_enabled());
        }
        Err(e) => {
            assert!(!expected_ok, "refused a valid file: {}", e.problem);
            assert_eq!(e.setting, "PERSISTED_QUERIES_FILE");
        }
    }
    // The same texts as a list, then as a hash object, always load.
    if let Some(serde_json::Value::Array(items)) = value {
        let texts: Vec<&str> = items.iter().filter_map(|i| i.as_str()).collect();
        let object: serde_json::Map<String, serde_json::Value> = texts
            .iter()
            .map(|t| (sha256_hex(t), serde_json::Value::from(*t)))
            .collect();
        std::fs::write(&path, serde_json::Value::Object(object).to_string()).expect("write");
        assert!(Safelist::load(Some(&path)).is_ok());
    }
    assert!(Safelist::load(None).is_ok_and(|l| !l.is_enabled()));
});
