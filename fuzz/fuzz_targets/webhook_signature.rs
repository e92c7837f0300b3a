//! `Stripe-Signature`: any header text is refused or accepted without a panic
//! (hostile timestamps included); a header signed for a body, secret and time
//! verifies exactly that body under that secret within the tolerance.
#![no_main]

use atelier::billing::signature::{sign, verify, SignatureError, TOLERANCE_SECONDS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (head, rest) = data.split_at(9);
    let now = 1_700_000_000i64 + i64::from(head[0]) * 1_000_000;
    let skew = i64::from(i16::from_le_bytes([head[1], head[2]]));
    let split = usize::from(head[3]).min(rest.len());
    let (secret, body) = rest.split_at(split);

    // Arbitrary header text against arbitrary bodies: an answer, never a panic.
    if let Ok(header) = std::str::from_utf8(body) {
        let _ = verify(header, secret, secret, now);
        let _ = verify(header, body, secret, i64::from_le_bytes(head[1..9].try_into().unwrap_or([0; 8])));
    }

    // A real signature: valid within the tolerance, stale outside it.
    let t = now + skew;
    let header = sign(body, secret, t);
    let outcome = verify(&header, body, secret, now);
    if skew.abs() <= TOLERANCE_SECONDS {
        assert_eq!(outcome, Ok(()), "{header}");
    } else {
        assert_eq!(outcome, Err(SignatureError::Stale), "{header}");
    }
    if skew.abs() <= TOLERANCE_SECONDS {
        // One changed byte of the body, or another secret, never verifies.
        if let Some((&first, tail)) = body.split_first() {
            let mut changed = vec![first ^ 0x01];
            changed.extend_from_slice(tail);
            assert_eq!(verify(&header, &changed, secret, now), Err(SignatureError::Mismatch));
        }
        let mut other = secret.to_vec();
        other.push(0x5a);
        assert_eq!(verify(&header, body, &other, now), Err(SignatureError::Mismatch));
        // Extra, non-matching v1 values beside the real one do not hurt.
        let rolled = format!("{header},v1=00ff,v1=zz");
        assert_eq!(verify(&rolled, body, secret, now), Ok(()));
    }
});
