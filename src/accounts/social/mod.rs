//! Social sign-in with OpenID Connect (Google, Facebook, Apple). It lives in
//! `accounts` because it is one more way to open a session of an account: it
//! ends in the same sessions, MFA check and sign-up grant as `signIn`/`signUp`.
//! The `oauth_flows` service (`flows`) is shared with `connections`.

pub mod flows;
pub mod oidc;
pub mod service;
