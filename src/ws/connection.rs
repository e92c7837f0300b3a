//! One subscription socket, from `connection_init` to its close.
//!
//! The reading loop owns the protocol state; every operation runs in a task of
//! its own and writes to a bounded queue that one writer task drains into the
//! socket. Nothing waits on a slow client: when its queue is full the socket is
//! closed (1013) instead of the server buffering without bound or stalling the
//! event fan-out that feeds every other subscriber.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};
use tokio::time::Instant;

use super::protocol::{self, close, ClientMessage, Protocol};
use super::registry::{Closer, Slot};
use crate::accounts;
use crate::app::AppState;
use crate::authz::{Caller, RequestInfo};
use crate::error::AppError;
use crate::graphql::{self, admission, AtelierSchema};
use crate::metrics::WebSocketMetrics;

/// How long a closing socket waits for its close frame to go out and for the
/// client's answering close, so the client reads the code rather than a reset.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// A keep-alive interval passes this many times without a word from the client
/// before the socket is taken for dead.
const SILENT_INTERVALS: u32 = 3;

/// Everything one socket needs from the server.
pub struct Connection {
    pub app: AppState,
    pub schema: AtelierSchema,
    pub protocol: Protocol,
    pub info: RequestInfo,
    pub slot: Slot,
}

/// The socket's side of the outbound queue.
#[derive(Clone)]
struct Outbox {
    queue: mpsc::Sender<Message>,
    closer: Closer,
    metrics: WebSocketMetrics,
}

impl Outbox {
    /// Queues a message; false when the socket is going away, after closing it
    /// if the client is too slow to keep up.
    fn push(&self, text: String) -> bool {
        self.push_frame(Message::Text(text.into()))
    }

    fn push_frame(&self, message: Message) -> bool {
        match self.queue.try_send(message) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                // Counted once per socket, however many messages found the queue full.
                if self.closer.close(
                    close::TRY_AGAIN_LATER,
                    "slow consumer: messages were not read in time",
                ) {
                    self.metrics.slow_consumer();
                }
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// How an operation ended, as far as the client must hear of it.
enum Ending {
    Complete,
    Error(Vec<async_graphql::ServerError>),
    /// The socket is closing; nothing more can be said.
    Abandoned,
}

struct Session {
    caller: Option<Caller>,
    /// What `connection_init` carried, to check the credentials again later.
    authorization: Option<String>,
    active: HashMap<String, AbortHandle>,
    tasks: JoinSet<(String, Ending)>,
}

/// Runs the socket until either side closes it.
pub async fn serve(socket: WebSocket, connection: Connection) {
    let settings = connection.app.config.websocket.clone();
    let closer = connection.slot.closer.clone();
    let (sink, mut stream) = socket.split();
    let (queue, outbound) = mpsc::channel(settings.outbound_queue);
    let writer = tokio::spawn(write(sink, outbound, closer.clone()));
    let outbox = Outbox {
        queue,
        closer: closer.clone(),
        metrics: connection.app.metrics.websocket.clone(),
    };
    let mut session = Session {
        caller: None,
        authorization: None,
        active: HashMap::new(),
        tasks: JoinSet::new(),
    };
    let init_deadline = tokio::time::sleep(settings.init_timeout);
    tokio::pin!(init_deadline);
    let mut keep_alive =
        tokio::time::interval_at(Instant::now() + settings.keepalive, settings.keepalive);
    let mut last_heard = Instant::now();
    let mut recheck = tokio::time::interval_at(
        Instant::now() + settings.credential_recheck,
        settings.credential_recheck,
    );
    // Whether the client already ended the conversation (then there is nobody
    // left to wait for).
    let mut client_gone = false;

    loop {
        tokio::select! {
            biased;
            () = closer.requested() => break,
            frame = stream.next() => match frame {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => {
                    client_gone = true;
                    break;
                }
                Some(Ok(message)) => {
                    last_heard = Instant::now();
                    match message {
                        Message::Text(text) => {
                            if !connection.handle(text.as_str(), &mut session, &outbox).await {
                                break;
                            }
                        }
                        Message::Binary(_) => {
                            closer.close(close::BAD_MESSAGE, "Invalid message received: binary frames are not supported");
                            break;
                        }
                        Message::Ping(_) | Message::Pong(_) | Message::Close(_) => {}
                    }
                }
            },
            () = &mut init_deadline, if session.caller.is_none() => {
                closer.close(close::INIT_TIMEOUT, "Connection initialisation timeout");
                break;
            }
            _ = keep_alive.tick() => {
                if last_heard.elapsed() >= settings.keepalive * SILENT_INTERVALS {
                    closer.close(close::GOING_AWAY, "keep-alive timeout");
                    break;
                }
                // The protocol's own ping (answered by graphql-ws clients) and a
                // WebSocket ping (answered by every WebSocket stack, so the liveness
                // check does not depend on the client's GraphQL library).
                if !outbox.push(protocol::keep_alive(connection.protocol))
                    || !outbox.push_frame(Message::Ping(Default::default()))
                {
                    break;
                }
            }
            _ = recheck.tick(), if session.caller.is_some() => {
                if !connection.credentials_hold(&session).await {
                    closer.close(close::FORBIDDEN, "Forbidden: credentials revoked");
                    break;
                }
            }
            Some(done) = session.tasks.join_next_with_id(), if !session.tasks.is_empty() => {
                // A cancelled task was removed when it was cancelled.
                if let Ok((task, (id, ending))) = done {
                    if session.active.get(&id).is_some_and(|h| h.id() == task) {
                        session.active.remove(&id);
                        outbox.metrics.subscriptions(-1);
                        let sent = match ending {
                            Ending::Complete => outbox.push(protocol::complete(&id)),
                            Ending::Error(errors) => outbox.push(protocol::error(&id, &errors)),
                            Ending::Abandoned => false,
                        };
                        if !sent && closer.reason().is_some() {
                            break;
                        }
                    }
                }
            }
        }
    }

    outbox.metrics.subscriptions(-(session.active.len() as i64));
    session.tasks.abort_all();
    drop(session);
    drop(outbox);
    if closer.reason().is_some() && !client_gone {
        // Read until the client answers our close frame (or goes), so that the
        // close code reaches it before the connection is torn down.
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Some(Ok(frame)) = stream.next().await {
                if matches!(frame, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
    let _ = tokio::time::timeout(CLOSE_GRACE * 2, writer).await;
}

impl Connection {
    /// Whether the socket's credentials still give the same caller. A failure of
    /// ours (the database away) is not held against the client.
    async fn credentials_hold(&self, session: &Session) -> bool {
        let authorization = session.authorization.as_deref();
        match accounts::authenticate(&self.app, authorization, &self.info).await {
            Ok(caller) => session.caller.as_ref() == Some(&caller),
            // Neither our failure nor a busy API client is a reason to drop the socket.
            Err(AppError::Internal(_) | AppError::RateLimited { .. }) => true,
            Err(_) => false,
        }
    }

    /// Acts on one text frame; false when the socket is to close.
    async fn handle(&self, text: &str, session: &mut Session, outbox: &Outbox) -> bool {
        let closer = &self.slot.closer;
        let message = match protocol::parse(self.protocol, text) {
            Ok(message) => message,
            Err(reason) => {
                closer.close(close::BAD_MESSAGE, reason);
                return false;
            }
        };
        match message {
            ClientMessage::Init(payload) => {
                if session.caller.is_some() {
                    closer.close(close::TOO_MANY_INITS, "Too many initialisation requests");
                    return false;
                }
                let authorization = payload.as_ref().and_then(|fields| {
                    ["authorization", "Authorization"]
                        .iter()
                        .find_map(|k| fields.get(*k).and_then(|v| v.as_str()))
                });
                match accounts::authenticate(&self.app, authorization, &self.info).await {
                    Ok(caller) => {
                        self.slot.identify(&caller);
                        session.caller = Some(caller);
                        session.authorization = authorization.map(str::to_string);
                        outbox.push(protocol::ack(self.protocol))
                            && (self.protocol == Protocol::TransportWs
                                || outbox.push(protocol::keep_alive(self.protocol)))
                    }
                    Err(AppError::Internal(cause)) => {
                        // Not the client's fault: it may retry (1013) rather than give up.
                        tracing::error!(error = ?cause, "socket authentication failed");
                        closer.close(close::TRY_AGAIN_LATER, "Internal server error");
                        false
                    }
                    Err(refusal) => {
                        if self.protocol == Protocol::Legacy {
                            outbox.push(protocol::connection_error(&refusal.message()));
                        }
                        closer.close(close::FORBIDDEN, "Forbidden");
                        false
                    }
                }
            }
            ClientMessage::Ping(payload) => outbox.push(protocol::pong(payload)),
            ClientMessage::Pong => true,
            ClientMessage::Terminate => {
                closer.close(close::NORMAL, "");
                false
            }
            ClientMessage::Complete { id } => {
                if let Some(handle) = session.active.remove(&id) {
                    handle.abort();
                    outbox.metrics.subscriptions(-1);
                }
                true
            }
            ClientMessage::Subscribe { id, request } => {
                let Some(caller) = session.caller.clone() else {
                    closer.close(close::UNAUTHORIZED, "Unauthorized");
                    return false;
                };
                if session.active.contains_key(&id) {
                    closer.close(
                        close::DUPLICATE_ID,
                        format!("Subscriber for {} already exists", truncated(&id)),
                    );
                    return false;
                }
                let max = self.app.config.websocket.max_subscriptions;
                if session.active.len() >= max {
                    let refusal = admission::refused(AppError::QueryTooComplex {
                        limit: "subscriptions",
                        measured: session.active.len() as u64 + 1,
                        max: max as u64,
                    });
                    return outbox.push(protocol::error(&id, &refusal.errors));
                }
                let operation = Operation {
                    app: self.app.clone(),
                    schema: self.schema.clone(),
                    protocol: self.protocol,
                    caller,
                    info: self.info.clone(),
                    outbox: outbox.clone(),
                };
                let task_id = id.clone();
                let handle = session.tasks.spawn(async move {
                    (task_id.clone(), operation.run(&task_id, *request).await)
                });
                session.active.insert(id, handle);
                outbox.metrics.subscriptions(1);
                true
            }
        }
    }
}

/// A close reason must fit a control frame (123 bytes); ids are the client's to choose.
fn truncated(id: &str) -> &str {
    let mut end = id.len().min(64);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    &id[..end]
}

/// One operation of a socket: the same checks as over HTTP, then its results.
struct Operation {
    app: AppState,
    schema: AtelierSchema,
    protocol: Protocol,
    caller: Caller,
    info: RequestInfo,
    outbox: Outbox,
}

impl Operation {
    async fn run(self, id: &str, mut request: async_graphql::Request) -> Ending {
        let admitted = match admission::admit(&self.app, &mut request).await {
            Ok(admitted) => admitted,
            Err(refusal) => return Ending::Error(refusal.errors),
        };
        if let Err(refusal) = admission::check_budget(&self.app, &self.caller, admitted.cost).await
        {
            return Ending::Error(refusal.errors);
        }
        admission::register(&self.app, admitted.registration, &self.caller, &self.info).await;
        let request = graphql::in_context(request, &self.app, self.caller, self.info);
        let mut responses = self.schema.execute_stream(request);
        let mut first = true;
        while let Some(response) = responses.next().await {
            // Refused before producing anything (invalid, unauthorised, not found):
            // the protocol's `error` message, as graphql-ws clients expect.
            if first && response.data == async_graphql::Value::Null && !response.errors.is_empty() {
                return Ending::Error(response.errors);
            }
            first = false;
            if !self
                .outbox
                .push(protocol::next(self.protocol, id, &response))
            {
                return Ending::Abandoned;
            }
        }
        Ending::Complete
    }
}

/// Drains the outbound queue into the socket. On a close request it stops
/// waiting for more, gives what is already queued (a refusal, say) a moment to
/// go out, then sends the close frame.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    mut outbound: mpsc::Receiver<Message>,
    closer: Closer,
) {
    loop {
        let message = tokio::select! {
            biased;
            () = closer.requested() => break,
            message = outbound.recv() => match message {
                Some(message) => message,
                None => break,
            },
        };
        tokio::select! {
            biased;
            () = closer.requested() => break,
            sent = sink.send(message) => if sent.is_err() { return },
        }
    }
    if let Some(reason) = closer.reason() {
        let _ = tokio::time::timeout(CLOSE_GRACE, async {
            while let Ok(message) = outbound.try_recv() {
                sink.feed(message).await?;
            }
            sink.flush().await
        })
        .await;
        let frame = CloseFrame {
            code: reason.code,
            reason: reason.reason.into(),
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
    }
    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
}
