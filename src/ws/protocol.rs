//! The two sub-protocols on the wire: `graphql-transport-ws` (the graphql-ws
//! library) and the legacy `graphql-ws` (subscriptions-transport-ws). Both carry
//! the same operations; they differ in message names and keep-alives.

use serde::Deserialize;
use serde_json::{json, Value};

/// Close codes of the graphql-transport-ws protocol (and of ours, for both).
pub mod close {
    pub const BAD_MESSAGE: u16 = 4400;
    pub const UNAUTHORIZED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const SUBPROTOCOL: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
    pub const NORMAL: u16 = 1000;
    pub const GOING_AWAY: u16 = 1001;
    /// The client reads too slowly; it may come back later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    TransportWs,
    Legacy,
}

impl Protocol {
    pub const NAMES: [&'static str; 2] = ["graphql-transport-ws", "graphql-ws"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "graphql-transport-ws" => Some(Self::TransportWs),
            "graphql-ws" => Some(Self::Legacy),
            _ => None,
        }
    }
}

/// What a client may send.
#[derive(Debug)]
pub enum ClientMessage {
    Init(Option<serde_json::Map<String, Value>>),
    Ping(Option<Value>),
    Pong,
    Subscribe {
        id: String,
        request: Box<async_graphql::Request>,
    },
    Complete {
        id: String,
    },
    /// Legacy `connection_terminate`.
    Terminate,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    id: Option<String>,
    payload: Option<Value>,
}

/// Reads one text frame; `Err` holds the reason the socket is closed with (4400).
pub fn parse(protocol: Protocol, text: &str) -> Result<ClientMessage, &'static str> {
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|_| "Invalid message received: not a message object")?;
    let id = || match &envelope.id {
        Some(id) if !id.is_empty() => Ok(id.clone()),
        _ => Err("Invalid message received: an id is required"),
    };
    match (protocol, envelope.kind.as_str()) {
        (_, "connection_init") => match envelope.payload {
            None | Some(Value::Null) => Ok(ClientMessage::Init(None)),
            Some(Value::Object(fields)) => Ok(ClientMessage::Init(Some(fields))),
            Some(_) => Err("Invalid message received: the payload must be an object"),
        },
        (Protocol::TransportWs, "ping") => Ok(ClientMessage::Ping(envelope.payload)),
        (Protocol::TransportWs, "pong") => Ok(ClientMessage::Pong),
        (Protocol::TransportWs, "subscribe") | (Protocol::Legacy, "start") => {
            let id = id()?;
            let payload = envelope
                .payload
                .ok_or("Invalid message received: a payload is required")?;
            let request: async_graphql::Request = serde_json::from_value(payload)
                .map_err(|_| "Invalid message received: the payload is not a GraphQL request")?;
            Ok(ClientMessage::Subscribe {
                id,
                request: Box::new(request),
            })
        }
        (Protocol::TransportWs, "complete") | (Protocol::Legacy, "stop") => {
            Ok(ClientMessage::Complete { id: id()? })
        }
        (Protocol::Legacy, "connection_terminate") => Ok(ClientMessage::Terminate),
        _ => Err("Invalid message received: unknown message type"),
    }
}

/// What the server sends, encoded for the socket's protocol.
pub fn ack(_: Protocol) -> String {
    json!({"type": "connection_ack"}).to_string()
}

/// The periodic keep-alive: a `ping` the client answers, or the legacy `ka`.
pub fn keep_alive(protocol: Protocol) -> String {
    match protocol {
        Protocol::TransportWs => json!({"type": "ping"}).to_string(),
        Protocol::Legacy => json!({"type": "ka"}).to_string(),
    }
}

pub fn pong(payload: Option<Value>) -> String {
    match payload {
        Some(payload) => json!({"type": "pong", "payload": payload}).to_string(),
        None => json!({"type": "pong"}).to_string(),
    }
}

pub fn next(protocol: Protocol, id: &str, response: &async_graphql::Response) -> String {
    let kind = match protocol {
        Protocol::TransportWs => "next",
        Protocol::Legacy => "data",
    };
    json!({"type": kind, "id": id, "payload": response}).to_string()
}

pub fn error(id: &str, errors: &[async_graphql::ServerError]) -> String {
    json!({"type": "error", "id": id, "payload": errors}).to_string()
}

pub fn complete(id: &str) -> String {
    json!({"type": "complete", "id": id}).to_string()
}

/// Legacy only: why `connection_init` was refused, sent before the close.
pub fn connection_error(message: &str) -> String {
    json!({"type": "connection_error", "payload": {"message": message}}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_protocols_name_the_same_operations_differently() {
        let start = r#"{"type":"start","id":"1","payload":{"query":"{ __typename }"}}"#;
        assert!(matches!(
            parse(Protocol::Legacy, start),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(parse(Protocol::TransportWs, start).is_err());
        let subscribe = r#"{"type":"subscribe","id":"1","payload":{"query":"{ __typename }"}}"#;
        assert!(matches!(
            parse(Protocol::TransportWs, subscribe),
            Ok(ClientMessage::Subscribe { .. })
        ));
        assert!(parse(Protocol::Legacy, subscribe).is_err());
    }

    #[test]
    fn malformed_messages_are_refused_with_a_reason() {
        for text in [
            "not json",
            "[]",
            r#"{"id":"1"}"#,
            r#"{"type":"subscribe","payload":{"query":"{ a }"}}"#,
            r#"{"type":"subscribe","id":"","payload":{"query":"{ a }"}}"#,
            r#"{"type":"subscribe","id":"1"}"#,
            r#"{"type":"subscribe","id":"1","payload":{"query":7}}"#,
            r#"{"type":"connection_init","payload":"token"}"#,
            r#"{"type":"complete"}"#,
            r#"{"type":"next","id":"1","payload":{}}"#,
        ] {
            assert!(parse(Protocol::TransportWs, text).is_err(), "{text}");
        }
    }
}
