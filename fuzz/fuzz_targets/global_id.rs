//! Global IDs: decoding any text either refuses it with BAD_USER_INPUT or yields
//! an ID whose canonical encoding is the text itself; encoding any key of any
//! type decodes back to it.
#![no_main]

use async_graphql::ID;
use atelier::graphql::id::{GlobalId, NodeType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };

    // Decoding arbitrary text.
    match GlobalId::decode(&ID(text.to_string()), "id") {
        Ok(global) => {
            assert!(!global.key.is_empty());
            let again = GlobalId::encode(global.node_type, &global.key);
            assert_eq!(again.0, text.trim_end_matches('='), "one encoding per ID");
            assert_eq!(GlobalId::decode(&again, "id").ok(), Some(global.clone()));
            let typed = GlobalId::decode_uuid(&again, global.node_type, "id");
            assert_eq!(typed.is_ok(), global.as_uuid("id").is_ok());
        }
        Err(e) => assert_eq!(e.code(), "BAD_USER_INPUT"),
    }

    // Encoding the text as a key of any type.
    let node_type = NodeType::ALL[usize::from(pick) % NodeType::ALL.len()];
    let id = GlobalId::encode(node_type, text);
    match GlobalId::decode(&id, "id") {
        Ok(global) => {
            assert_eq!(global.node_type, node_type);
            assert_eq!(global.key, text);
        }
        Err(_) => assert!(text.is_empty(), "a non-empty key must round-trip: {text:?}"),
    }
    // Of another type, the typed decoder refuses it.
    let other = NodeType::ALL[(usize::from(pick) + 1) % NodeType::ALL.len()];
    assert!(GlobalId::decode_uuid(&id, other, "id").is_err());
    // A UUID key round-trips through the typed decoder.
    if rest.len() >= 16 {
        let uuid = uuid::Uuid::from_slice(&rest[..16]).expect("16 bytes");
        let id = GlobalId::uuid(node_type, uuid);
        assert_eq!(GlobalId::decode_uuid(&id, node_type, "id").ok(), Some(uuid));
    }
});
