//! Past generations: a user's own (`myGenerationRequests`) and a project's
//! (`Project.generationRequests`), newest first, one indexed query per page
//! plus its count.

use async_graphql::{InputObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::{GenerationRequest, GenerationStatus};
use crate::app::App;
use crate::db::schema::{generation_requests, team_members};
use crate::error::AppResult;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};

/// Narrows a generation history.
#[derive(Debug, Clone, Default, InputObject)]
pub struct GenerationHistoryFilter {
    /// Only requests in this status.
    pub status: Option<GenerationStatus>,
    /// Only requests of this project (`myGenerationRequests`).
    pub project_id: Option<ID>,
    /// Only requests made from this moment on.
    pub since: Option<DateTime<Utc>>,
}

/// Whose requests.
#[derive(Debug, Clone, Copy)]
pub enum Of {
    /// A user's own requests that they can still read: personal ones and those
    /// of teams they belong to (a member who left a team no longer sees its
    /// prompts); `only_team` narrows them to one team (a team's API client).
    User {
        id: Uuid,
        only_team: Option<Uuid>,
    },
    Project(Uuid),
}

pub async fn connection(
    app: &App,
    of: Of,
    filter: Option<GenerationHistoryFilter>,
    first: Option<i32>,
    after: Option<String>,
) -> AppResult<Conn<GenerationRequest>> {
    let args = PageArgs::new(first, after, None, None);
    args.validate()?;
    let filter = filter.unwrap_or_default();
    let project = filter
        .project_id
        .as_ref()
        .map(|id| GlobalId::decode_uuid(id, NodeType::Project, "projectId"))
        .transpose()?;
    let query = || {
        let mut query = generation_requests::table.into_boxed();
        query = match of {
            Of::User { id, only_team } => {
                let query = query.filter(generation_requests::user_id.eq(id));
                match only_team {
                    Some(team) => query.filter(generation_requests::team_id.eq(team)),
                    None => query.filter(
                        generation_requests::team_id
                            .is_null()
                            .or(generation_requests::team_id.eq_any(
                                team_members::table
                                    .filter(team_members::user_id.eq(id))
                                    .select(team_members::team_id.nullable()),
                            )),
                    ),
                }
            }
            Of::Project(id) => query.filter(generation_requests::project_id.eq(id)),
        };
        if let Some(project) = project {
            query = query.filter(generation_requests::project_id.eq(project));
        }
        if let Some(status) = filter.status {
            query = query.filter(generation_requests::status.eq(status));
        }
        if let Some(since) = filter.since {
            query = query.filter(generation_requests::created_at.ge(since));
        }
        query
    };
    let mut conn = app.db.conn().await?;
    let total: i64 = query().count().get_result(&mut conn).await?;
    let window = args.window(total)?;
    let rows = query()
        .order((
            generation_requests::created_at.desc(),
            generation_requests::id.desc(),
        ))
        .offset(window.offset)
        .limit(window.limit)
        .select(GenerationRequest::as_select())
        .load(&mut conn)
        .await?;
    Ok(pagination::connection(window, total, rows))
}
