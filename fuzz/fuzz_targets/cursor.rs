//! Cursor decoding and the page window: any arguments either fail validation
//! with BAD_USER_INPUT or give a window inside the list no larger than asked;
//! a cursor the server handed out decodes back to its position.
#![no_main]

use atelier::graphql::pagination::{
    connection, PageArgs, Window, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
use libfuzzer_sys::fuzz_target;

fn int(bytes: &[u8]) -> i32 {
    let mut b = [0u8; 4];
    for (i, x) in bytes.iter().take(4).enumerate() {
        b[i] = *x;
    }
    i32::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 12 {
        return;
    }
    let (head, rest) = data.split_at(12);
    let flags = head[0];
    let first = (flags & 1 != 0).then(|| int(&head[1..5]) % 256 - 64);
    let last = (flags & 2 != 0).then(|| int(&head[5..9]) % 256 - 64);
    let total = i64::from(u16::from_le_bytes([head[9], head[10]]));
    let text = String::from_utf8_lossy(rest);
    let (after, before) = match text.split_once('\n') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text.to_string(), String::new()),
    };
    let after = (flags & 4 != 0).then_some(after);
    let before = (flags & 8 != 0).then_some(before);

    let args = PageArgs::new(first, after, last, before);
    match args.validate() {
        Err(e) => assert_eq!(e.code(), "BAD_USER_INPUT"),
        Ok(()) => {
            let w = args
                .window(total)
                .expect("validated arguments give a window");
            assert!(w.offset >= 0 && w.limit >= 0, "{w:?}");
            assert!(w.offset + w.limit <= total, "{w:?} of {total}");
            let asked = last.or(first).map_or(DEFAULT_PAGE_SIZE, i64::from);
            assert!(
                w.limit <= asked && w.limit <= MAX_PAGE_SIZE,
                "{w:?} for {asked}"
            );
        }
    }

    // Cursors handed out by a connection decode to their positions: `after` the
    // cursor of position p starts at p + 1, `before` it ends at p.
    let offset = i64::from(head[11]);
    let items = usize::from(head[11] % 8);
    let total = offset + items as i64 + i64::from(flags >> 4);
    let conn = connection(
        Window {
            offset,
            limit: items as i64,
        },
        total,
        vec![0i32; items],
    );
    for (i, edge) in conn.edges.iter().enumerate() {
        let position = offset + i as i64;
        let after = PageArgs::new(Some(1), Some(edge.cursor.clone()), None, None);
        assert!(after.validate().is_ok(), "our own cursor {:?}", edge.cursor);
        let w = after.window(total).expect("valid");
        assert_eq!(w.offset, position + 1, "after {position}");
        let before = PageArgs::new(None, None, Some(1), Some(edge.cursor.clone()));
        let w = before.window(total).expect("valid");
        assert_eq!(w.offset + w.limit, position, "before {position}");
    }
});
