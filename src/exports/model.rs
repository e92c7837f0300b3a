//! Export rows (`user_data_exports`, the seed's USER_BACKUPS).

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::schema::user_data_exports;
use crate::db::string_enum;
use crate::error::AppResult;

string_enum! {
    /// Progress of a data export.
    pub enum DataExportStatus {
        /// Queued or being built.
        Pending => "pending",
        /// The file is ready (until it expires).
        Completed => "completed",
        /// The export could not be produced; `failureReason` says why.
        Failed => "failed",
    }
}

string_enum! {
    /// What an export holds (README "Data exports" has the layout of each).
    pub enum DataExportKind {
        /// The models the user generated with, with the user's requests and ratings of each.
        Model => "model",
        /// The user's generation requests (prompt, parameters) with the images they produced.
        Dataset => "dataset",
        /// The user's final assets with their projects: the portfolio.
        Showcase => "showcase",
        /// Everything the account owns (a GDPR-style copy).
        Account => "account",
    }
}

/// A requested export of a user's data.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = user_data_exports, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct UserDataExport {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// What is exported.
    pub kind: DataExportKind,
    /// Progress.
    pub status: DataExportStatus,
    #[graphql(skip)]
    pub file_path: Option<String>,
    /// When the export was asked for.
    pub requested_at: DateTime<Utc>,
    /// When the file was ready (or the export failed).
    pub completed_at: Option<DateTime<Utc>>,
    /// Why a failed export failed.
    pub failure_reason: Option<String>,
    /// Size of the ZIP in bytes, once completed.
    pub byte_size: Option<i64>,
    /// When the file is removed (`DATA_EXPORT_TTL_DAYS` after completion).
    pub expires_at: Option<DateTime<Utc>>,
    /// When the file was removed; the record stays.
    pub removed_at: Option<DateTime<Utc>>,
}

impl UserDataExport {
    /// Whether its file can be downloaded now.
    pub fn downloadable(&self) -> bool {
        self.status == DataExportStatus::Completed
            && self.removed_at.is_none()
            && self.file_path.is_some()
            && self.expires_at.is_none_or(|at| at > Utc::now())
    }
}

pub async fn by_id(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Option<UserDataExport>> {
    Ok(user_data_exports::table
        .find(id)
        .select(UserDataExport::as_select())
        .first(conn)
        .await
        .optional()?)
}
