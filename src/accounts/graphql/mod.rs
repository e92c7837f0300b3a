//! The accounts part of the schema.

mod api_clients;
mod auth;
mod security;
mod social;
mod user;

pub use api_clients::{ApiClientMutation, ApiClientQuery};
pub use auth::AuthMutation;
pub use security::{SecurityMutation, SecurityQuery};
pub use social::SocialSignInMutation;
pub use user::UserQuery;

/// A payload that only confirms the request was taken.
macro_rules! ok_payload {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$meta])*
            #[derive(async_graphql::SimpleObject)]
            pub struct $name {
                /// Always true: failures are errors.
                pub ok: bool,
            }
        )+
    };
}
pub(crate) use ok_payload;
