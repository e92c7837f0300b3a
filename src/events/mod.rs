//! Infrastructure every domain shares: the event bus behind subscriptions
//! (`bus`) and the revocation event that closes sockets (`revoked`). It imports
//! no domain.

mod bus;
mod revoked;

pub use bus::{Event, EventBus};
pub use revoked::{Revoked, REVOKED_TOPIC};
