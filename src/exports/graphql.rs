//! Data exports in the schema: `requestDataExport`, `myDataExports`, and the
//! export's signed `downloadUrl`. SELF only: an export is its user's personal
//! resource (PERMISSIONS.md's UserDataExport row).

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use uuid::Uuid;

use super::loaders::{DataExportById, ExportLoaders};
use super::model::{DataExportKind, UserDataExport};
use super::service;
use crate::authz::guards::Need;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{Holder, Target};
use crate::error::{AppError, AppResult};
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::graphql::{app, loader};

#[ComplexObject]
impl UserDataExport {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::UserDataExport, self.id)
    }

    /// A signed link to the ZIP, valid `DOWNLOAD_URL_TTL_SECONDS`; `null` until
    /// the export is completed and after its file was removed.
    async fn download_url(&self, ctx: &Context<'_>) -> Option<String> {
        service::download_url(app(ctx), self)
    }
}

impl Target for UserDataExport {
    const RESOURCE: Resource = Resource::UserDataExport;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<ExportLoaders>(ctx)
            .load_one(DataExportById(id))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.message)))
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(Holder::User(self.user_id)))
    }
}

#[derive(Default)]
pub struct ExportQuery;

#[Object]
impl ExportQuery {
    /// The caller's data exports, newest first.
    #[graphql(guard = "Need::matrix(Resource::UserDataExport, Action::Read)")]
    async fn my_data_exports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<UserDataExport>> {
        let user_id = require_user(ctx)?;
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let mut conn = app(ctx).db.conn().await?;
        let total = service::count_for_user(&mut conn, user_id).await?;
        let window = args.window(total)?;
        let rows = service::page_for_user(&mut conn, user_id, window).await?;
        Ok(pagination::connection(window, total, rows))
    }
}

/// The input of `requestDataExport`.
#[derive(InputObject)]
pub struct RequestDataExportInput {
    /// What to export.
    pub kind: DataExportKind,
}

/// What `requestDataExport` returns.
#[derive(SimpleObject)]
pub struct RequestDataExportPayload {
    /// The export, pending; `notificationReceived` says when it is ready.
    pub data_export: UserDataExport,
}

#[derive(Default)]
pub struct ExportMutation;

#[Object]
impl ExportMutation {
    /// Asks for a ZIP of the caller's data (SELF). A job builds it; when it is
    /// ready a `data_export_completed` notification arrives and `downloadUrl`
    /// is set. One export at a time: `CONFLICT` while another is being built.
    #[graphql(guard = "Need::matrix(Resource::UserDataExport, Action::Create)")]
    async fn request_data_export(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `requestDataExport`.")] input: RequestDataExportInput,
    ) -> async_graphql::Result<RequestDataExportPayload> {
        let user_id = require_user(ctx)?;
        let data_export = service::request(app(ctx), user_id, input.kind).await?;
        Ok(RequestDataExportPayload { data_export })
    }
}
