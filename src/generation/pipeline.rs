//! The life of a generation request, in one place. [`transition`] is the only
//! code that changes a request's status: it checks the move against
//! `state::TRANSITIONS` (the database trigger is the backstop) and, in the same
//! transaction, does what the move pays for, refunds, creates and announces, as
//! its [`Effects`] describe. [`after_commit`] then publishes the status, balance
//! and notification events and wakes the workers; resolvers and workers both call
//! it with the [`Outcome`] they got.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

use super::events;
use super::model::{GenerationRequest, GenerationStatus, JobPhase, NewGenerationRequest};
use super::queue;
use crate::app::App;
use crate::credits::ledger::{self, Movement, Payer};
use crate::credits::usage::{self, UsageEntry};
use crate::db::schema::generation_requests;
use crate::error::{AppError, AppResult};
use crate::notifications::model::Notification;
use crate::notifications::service as notifications;
use crate::studio::service::{self as studio, GeneratedAsset, GeneratedFor};

/// Columns written together with a status change (`None`: left as they are). A
/// terminal status also sets `completedAt` and clears `phaseDeadline` by itself.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub error_message: Option<String>,
    pub sample_assets: Option<Value>,
    pub selected_sample_id: Option<Uuid>,
    pub final_asset_id: Option<Uuid>,
    pub processing_time_ms: Option<i32>,
    pub phase_deadline: Option<DateTime<Utc>>,
}

/// A phase's price, taken from the request's payer (the team's pool for a team
/// project, else the requester), once: the phase's `*_charged_at` is set with it.
#[derive(Debug, Clone)]
pub struct Charge {
    pub phase: JobPhase,
    /// Who spends (told when the balance runs low).
    pub actor: Uuid,
    pub description: String,
}

/// The usage log entry of a change.
#[derive(Debug, Clone)]
pub enum Usage<'a> {
    /// Written as given (the request's id is filled in).
    Entry(UsageEntry<'a>),
    /// The end of an unsuccessful request, with the phases it refunded.
    Ended { action_type: &'static str },
}

/// A notification written in the change's transaction, to the requester.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: &'static str,
    pub message: &'static str,
    pub metadata: Value,
}

/// Everything that goes with a status change, in its transaction.
#[derive(Debug, Clone, Default)]
pub struct Effects<'a> {
    pub set: Changes,
    pub charge: Option<Charge>,
    /// Refund each phase paid for and not delivered, exactly once (its
    /// `*_refunded_at` mark is set in the same statement as the status).
    pub refund_undelivered: bool,
    /// Generated images, recorded as the project's assets through studio.
    pub assets: Vec<GeneratedAsset>,
    /// Queue the job of this phase.
    pub enqueue: Option<JobPhase>,
    /// Give up the request's queued and running jobs.
    pub close_jobs: bool,
    pub usage: Option<Usage<'a>>,
    pub notice: Option<Notice>,
}

/// A balance a change moved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BalanceChange {
    pub payer: Payer,
    pub before: Decimal,
    pub after: Decimal,
    /// Who spent (a debit) or whose request was refunded.
    pub actor: Uuid,
}

/// What a committed change needs to tell the world.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The request as committed.
    pub request: GenerationRequest,
    pub balances: Vec<BalanceChange>,
    pub notifications: Vec<Notification>,
    pub debited: Decimal,
    pub refunded: Decimal,
    /// A job was queued.
    pub queued: bool,
}

/// The columns of one status change.
#[derive(AsChangeset)]
#[diesel(table_name = generation_requests)]
struct Update {
    status: GenerationStatus,
    error_message: Option<String>,
    sample_assets: Option<Value>,
    selected_sample_id: Option<Uuid>,
    final_asset_id: Option<Uuid>,
    processing_time_ms: Option<i32>,
    phase_deadline: Option<Option<DateTime<Utc>>>,
    completed_at: Option<DateTime<Utc>>,
    sample_charged_at: Option<DateTime<Utc>>,
    final_charged_at: Option<DateTime<Utc>>,
    sample_refunded_at: Option<DateTime<Utc>>,
    final_refunded_at: Option<DateTime<Utc>>,
}

/// Writes a new request (Pending) with its effects, in one transaction.
pub async fn start(
    conn: &mut AsyncPgConnection,
    mut new: NewGenerationRequest<'_>,
    effects: Effects<'_>,
) -> AppResult<Outcome> {
    let now = Utc::now();
    if let Some(charge) = &effects.charge {
        match charge.phase {
            JobPhase::Samples => new.sample_charged_at = Some(now),
            JobPhase::Final => new.final_charged_at = Some(now),
        }
    }
    conn.transaction(async |conn| {
        let request: GenerationRequest = diesel::insert_into(generation_requests::table)
            .values(&new)
            .returning(GenerationRequest::as_returning())
            .get_result(conn)
            .await?;
        let mut outcome = Outcome::of(request);
        apply(conn, &mut outcome, None, effects, (false, false)).await?;
        Ok(outcome)
    })
    .await
}

/// Moves request `id` from one of `from` to `to` with its effects, in one
/// transaction of its own (so do not call it inside another: [`after_commit`]
/// must follow the commit). `None` when the request is in none of `from`
/// (another writer got there first): then nothing was written.
pub async fn transition(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    from: &[GenerationStatus],
    to: GenerationStatus,
    effects: Effects<'_>,
) -> AppResult<Option<Outcome>> {
    if let Some(bad) = from.iter().find(|status| !status.can_become(to)) {
        return Err(AppError::internal(anyhow::anyhow!(
            "no transition {bad:?} -> {to:?}"
        )));
    }
    conn.transaction(async |conn| {
        // Locked, so concurrent changes (a cancel racing a worker) apply one after
        // the other, each seeing what the previous one wrote.
        let current: GenerationRequest = generation_requests::table
            .find(id)
            .for_update()
            .select(GenerationRequest::as_select())
            .first(conn)
            .await?;
        if !from.contains(&current.status) {
            return Ok(None);
        }
        let now = Utc::now();
        let samples_delivered = matches!(
            current.status,
            GenerationStatus::AwaitingSelection | GenerationStatus::ProcessingFinal
        );
        let refund_samples = effects.refund_undelivered
            && current.sample_charged_at.is_some()
            && current.sample_refunded_at.is_none()
            && !samples_delivered;
        let refund_final = effects.refund_undelivered
            && current.final_charged_at.is_some()
            && current.final_refunded_at.is_none();
        // Assets first: the request may point at them.
        studio::insert_generated_assets(conn, owner_of(&current), &effects.assets).await?;
        let charged = effects.charge.as_ref().map(|c| c.phase);
        let set = effects.set.clone();
        let terminal = to.is_terminal();
        let update = Update {
            status: to,
            error_message: set.error_message,
            sample_assets: set.sample_assets,
            selected_sample_id: set.selected_sample_id,
            final_asset_id: set.final_asset_id,
            processing_time_ms: set.processing_time_ms,
            phase_deadline: if terminal {
                Some(None)
            } else {
                set.phase_deadline.map(Some)
            },
            completed_at: terminal.then_some(now),
            sample_charged_at: (charged == Some(JobPhase::Samples)).then_some(now),
            final_charged_at: (charged == Some(JobPhase::Final)).then_some(now),
            sample_refunded_at: refund_samples.then_some(now),
            final_refunded_at: refund_final.then_some(now),
        };
        let request: GenerationRequest = diesel::update(generation_requests::table.find(id))
            .set(update)
            .returning(GenerationRequest::as_returning())
            .get_result(conn)
            .await?;
        let mut outcome = Outcome::of(request);
        apply(
            conn,
            &mut outcome,
            Some(current.status),
            effects,
            (refund_samples, refund_final),
        )
        .await?;
        Ok(Some(outcome))
    })
    .await
}

fn owner_of(request: &GenerationRequest) -> GeneratedFor {
    GeneratedFor {
        project_id: request.project_id,
        user_id: request.user_id,
        generation_request_id: request.id,
    }
}

/// The effects after the row is written: money, jobs, usage, notification.
async fn apply(
    conn: &mut AsyncPgConnection,
    outcome: &mut Outcome,
    was: Option<GenerationStatus>,
    effects: Effects<'_>,
    (refund_samples, refund_final): (bool, bool),
) -> AppResult<()> {
    let request = outcome.request.clone();
    let payer = Payer::for_project(request.team_id, request.user_id);
    if let Some(charge) = effects.charge {
        let amount = price(&request, charge.phase);
        let after = ledger::debit(
            conn,
            payer,
            amount,
            Movement {
                user_id: charge.actor,
                action_type: match charge.phase {
                    JobPhase::Samples => "sample_generation",
                    JobPhase::Final => "final_generation",
                },
                description: Some(charge.description),
                generation_request_id: Some(request.id),
            },
        )
        .await?;
        outcome.debited += amount;
        outcome.balances.push(BalanceChange {
            payer,
            before: after + amount,
            after,
            actor: charge.actor,
        });
    }
    for (refund, phase) in [
        (refund_samples, JobPhase::Samples),
        (refund_final, JobPhase::Final),
    ] {
        let amount = price(&request, phase);
        if !refund || amount.is_zero() {
            continue;
        }
        let phase_name = match phase {
            JobPhase::Samples => "samples",
            JobPhase::Final => "final",
        };
        let after = ledger::credit(
            conn,
            payer,
            amount,
            Movement {
                user_id: request.user_id,
                action_type: "refund",
                description: Some(format!(
                    "Refund of the {phase_name}: {}",
                    request.status.as_db_str()
                )),
                generation_request_id: Some(request.id),
            },
        )
        .await?;
        outcome.refunded += amount;
        outcome.balances.push(BalanceChange {
            payer,
            before: after - amount,
            after,
            actor: request.user_id,
        });
    }
    if effects.close_jobs {
        queue::close_open(conn, request.id).await?;
    }
    if let Some(phase) = effects.enqueue {
        queue::enqueue(conn, request.id, phase).await?;
        outcome.queued = true;
    }
    match effects.usage {
        Some(Usage::Entry(entry)) => {
            usage::record(
                conn,
                UsageEntry {
                    generation_request_id: Some(request.id),
                    team_id: request.team_id,
                    ..entry
                },
            )
            .await?;
        }
        Some(Usage::Ended { action_type }) => {
            usage::record(
                conn,
                UsageEntry {
                    user_id: Some(request.user_id),
                    action_type,
                    generation_request_id: Some(request.id),
                    team_id: request.team_id,
                    details: Some(json!({
                        "from": was.map(GenerationStatus::as_db_str),
                        "refundedSample": refund_samples,
                        "refundedFinal": refund_final,
                    })),
                    ..Default::default()
                },
            )
            .await?;
        }
        None => {}
    }
    if let Some(notice) = effects.notice {
        let note = notifications::create(
            conn,
            request.user_id,
            notice.kind,
            notice.message,
            notice.metadata,
        )
        .await?;
        outcome.notifications.push(note);
    }
    Ok(())
}

fn price(request: &GenerationRequest, phase: JobPhase) -> Decimal {
    match phase {
        JobPhase::Samples => request.credits_cost_sample,
        JobPhase::Final => request.credits_cost_final,
    }
    .unwrap_or_default()
}

impl Outcome {
    fn of(request: GenerationRequest) -> Self {
        Self {
            request,
            balances: Vec::new(),
            notifications: Vec::new(),
            debited: Decimal::ZERO,
            refunded: Decimal::ZERO,
            queued: false,
        }
    }
}

/// After the change committed: count the credits, publish the request's new
/// status, the balances and the notifications, and wake this process's workers
/// for a queued job. Events never roll back, so they wait for the commit.
pub async fn after_commit(app: &App, outcome: &Outcome) {
    app.metrics.credits_debited(outcome.debited);
    app.metrics.credits_refunded(outcome.refunded);
    events::status_changed(app, &outcome.request).await;
    for change in &outcome.balances {
        events::balance_changed(app, change.payer, change.after).await;
        if change.after < change.before {
            events::warn_if_low(app, change.payer, change.before, change.after, change.actor).await;
        }
    }
    for note in &outcome.notifications {
        notifications::publish(app, note).await;
    }
    if outcome.queued {
        app.generation_wakeup.notify_waiters();
    }
}
