//! Outgoing mail. Every mail is first written to the `mail_outbox` table (so none
//! is lost), then sent over SMTP when `SMTP_URL` is set and marked sent.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{ConfigError, MailConfig};
use crate::db::schema::mail_outbox;
use crate::error::AppResult;

/// One mail to send.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    /// What the mail is for (`email_verification`, `password_reset`), for tests and audits.
    pub kind: &'static str,
    pub subject: String,
    pub body: String,
}

pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    OutboxOnly,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Smtp { .. } => "Mailer::Smtp",
            Self::OutboxOnly => "Mailer::OutboxOnly",
        })
    }
}

impl Mailer {
    pub fn from_config(config: &MailConfig) -> Result<Self, ConfigError> {
        let Some(url) = &config.smtp_url else {
            return Ok(Self::OutboxOnly);
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|e| ConfigError::new("SMTP_URL", e.to_string()))?
            .build()
            .into();
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| ConfigError::new("MAIL_FROM", e.to_string()))?;
        Ok(Self::Smtp { transport, from })
    }

    /// Records the mail in the outbox (inside the caller's transaction when there is
    /// one) and returns its id; [`Mailer::deliver`] sends it after commit.
    pub async fn enqueue(conn: &mut AsyncPgConnection, mail: &Mail) -> AppResult<uuid::Uuid> {
        let id = diesel::insert_into(mail_outbox::table)
            .values((
                mail_outbox::to_address.eq(&mail.to),
                mail_outbox::kind.eq(mail.kind),
                mail_outbox::subject.eq(&mail.subject),
                mail_outbox::body.eq(&mail.body),
            ))
            .returning(mail_outbox::id)
            .get_result(conn)
            .await?;
        Ok(id)
    }

    /// Sends a queued mail over SMTP, if configured; failures are logged and the
    /// mail stays unsent in the outbox.
    pub async fn deliver(&self, conn: &mut AsyncPgConnection, id: uuid::Uuid, mail: &Mail) {
        let Self::Smtp { transport, from } = self else {
            return;
        };
        let message = match mail.to.parse::<Mailbox>().map(|to| {
            Message::builder()
                .from(from.clone())
                .to(to)
                .subject(&mail.subject)
                .body(mail.body.clone())
        }) {
            Ok(Ok(message)) => message,
            Ok(Err(e)) => return tracing::error!(error = %e, "mail not buildable"),
            Err(e) => return tracing::error!(error = %e, "bad recipient"),
        };
        match transport.send(message).await {
            Ok(_) => {
                let marked = diesel::update(mail_outbox::table.find(id))
                    .set(mail_outbox::sent_at.eq(diesel::dsl::now))
                    .execute(conn)
                    .await;
                if let Err(e) = marked {
                    tracing::warn!(error = %e, "mail sent but not marked");
                }
            }
            Err(e) => tracing::error!(error = %e, kind = mail.kind, "SMTP delivery failed"),
        }
    }
}
