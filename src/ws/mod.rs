//! Subscriptions over WebSocket (`graphql-transport-ws` and the legacy
//! `graphql-ws`), with the protocol's close codes, keep-alives, a cap on
//! operations per socket and on sockets per instance, a bounded outbound queue,
//! and sockets closed as soon as their credentials are revoked.

mod connection;
pub mod protocol;
mod registry;

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

pub use registry::Sockets;

use crate::app::AppState;
use crate::authz::RequestInfo;
use crate::graphql::AtelierSchema;
use connection::Connection;
use protocol::{close, Protocol};

/// The initial read buffer of a socket.
const WS_READ_BUFFER_BYTES: usize = 4 * 1024;
/// The largest message (and frame) a client may send; a larger one ends the socket.
pub const WS_MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Takes a socket if the instance has room (503 otherwise). A client that
/// offers neither sub-protocol is closed with 4406 once the socket is open.
pub fn upgrade(
    app: AppState,
    schema: AtelierSchema,
    sockets: &Arc<Sockets>,
    upgrade: WebSocketUpgrade,
    info: RequestInfo,
) -> Response {
    let Some(slot) = sockets.reserve() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            "too many open sockets on this instance; retry later",
        )
            .into_response();
    };
    // tungstenite's defaults are a 128 KiB read buffer per socket, zero-filled up
    // front (most of a socket's memory at 10,000 subscribers), and 64 MiB
    // messages; a GraphQL message is a query under QUERY_MAX_BYTES and its
    // variables, so it gets a small buffer that grows and a bound of its own.
    let mut upgrade = upgrade
        .read_buffer_size(WS_READ_BUFFER_BYTES)
        .max_message_size(WS_MAX_MESSAGE_BYTES)
        .max_frame_size(WS_MAX_MESSAGE_BYTES)
        .protocols(Protocol::NAMES);
    if upgrade.selected_protocol().is_none() {
        // Strict clients fail a handshake that does not echo one of the protocols
        // they offered, and would never see why; echo their first, then close 4406.
        let offered = upgrade.requested_protocols().next().cloned();
        if let Some(offered) = offered {
            upgrade.set_selected_protocol(offered);
        }
    }
    upgrade.on_upgrade(move |socket| async move {
        let protocol = socket
            .protocol()
            .and_then(|p| p.to_str().ok())
            .and_then(Protocol::from_name);
        match protocol {
            Some(protocol) => {
                let connection = Connection {
                    app,
                    schema,
                    protocol,
                    info,
                    slot,
                };
                connection::serve(socket, connection).await;
            }
            None => refuse(socket, close::SUBPROTOCOL, "Subprotocol not acceptable").await,
        }
    })
}

/// Closes a socket that never got going, waiting briefly for the client's answer.
async fn refuse(mut socket: WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    if socket.send(Message::Close(Some(frame))).await.is_ok() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async {
            while let Some(Ok(message)) = socket.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}
