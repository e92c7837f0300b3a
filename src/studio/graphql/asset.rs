//! `Asset` and `AssetVersion`: files, uploaded or generated, and their history.

use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::Need;
use crate::authz::roles::{load_authorized, Target};
use crate::generation::loaders::GenerationLoaders;
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, Upload, ID};
use uuid::Uuid;

use super::loader_error;
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{authorize, can, Holder};
use crate::error::{AppError, AppResult};
use crate::generation::loaders::GenerationRequestById;
use crate::generation::model::GenerationRequest;
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::studio::loaders::{AssetById, ProjectById, VersionsOfAsset};
use crate::studio::model::{Asset, AssetVersion, Project};
use crate::studio::service::assets::{self, AssetChanges};
use crate::studio::service::validate;

/// Who holds an asset: its project's holder, or its owner for a library asset.
/// `None` when its project is deleted (the asset is then out of sight).
pub(crate) async fn asset_holder(ctx: &Context<'_>, asset: &Asset) -> AppResult<Option<Holder>> {
    let Some(project_id) = asset.project_id else {
        return Ok(Some(Holder::User(asset.user_id)));
    };
    let project = loader::<StudioLoaders>(ctx)
        .load_one(ProjectById(project_id))
        .await
        .map_err(loader_error)?;
    Ok(project
        .filter(|p| p.deleted_at.is_none())
        .map(|p| p.holder()))
}

impl Target for Asset {
    const RESOURCE: Resource = Resource::Asset;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<StudioLoaders>(ctx)
            .load_one(AssetById(id))
            .await
            .map_err(loader_error)
    }

    async fn holder(&self, ctx: &Context<'_>) -> AppResult<Option<Holder>> {
        asset_holder(ctx, self).await
    }

    fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// What the caller may do with an asset.
#[derive(SimpleObject)]
pub struct AssetViewerCan {
    /// Whether the caller may update it.
    pub update: bool,
    /// Whether the caller may delete it.
    pub delete: bool,
    /// Whether the caller may download it.
    pub download: bool,
    /// Whether the caller may add a version.
    pub create_version: bool,
}

#[ComplexObject]
impl Asset {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::Asset, self.id)
    }

    /// The project it belongs to; `null` for a library asset.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        match self.project_id {
            Some(id) => loader::<StudioLoaders>(ctx).load_one(ProjectById(id)).await,
            None => Ok(None),
        }
    }

    /// Who uploaded or generated it.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.user_id))
            .await
    }

    /// The generation request that produced it, for AI-generated assets.
    async fn generation_request(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<GenerationRequest>> {
        match self.generation_request_id {
            Some(id) => {
                loader::<GenerationLoaders>(ctx)
                    .load_one(GenerationRequestById(id))
                    .await
            }
            None => Ok(None),
        }
    }

    /// Its versions, oldest first.
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AssetVersion>> {
        Ok(loader::<StudioLoaders>(ctx)
            .load_one(VersionsOfAsset(self.id))
            .await?
            .unwrap_or_default())
    }

    /// A signed URL of this server that serves the file for a limited time
    /// (`DOWNLOAD_URL_TTL_SECONDS`); `null` for callers who may not download it.
    async fn download_url(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        let Some(holder) = asset_holder(ctx, self).await? else {
            return Ok(None);
        };
        if !can(ctx, holder, Resource::Asset, Action::Download).await? {
            return Ok(None);
        }
        Ok(Some(assets::download_url(app(ctx), self.id)))
    }

    /// What the caller may do here.
    async fn viewer_can(&self, ctx: &Context<'_>) -> async_graphql::Result<AssetViewerCan> {
        let Some(h) = asset_holder(ctx, self).await? else {
            return Ok(AssetViewerCan {
                update: false,
                delete: false,
                download: false,
                create_version: false,
            });
        };
        Ok(AssetViewerCan {
            update: can(ctx, h, Resource::Asset, Action::Update).await?,
            delete: can(ctx, h, Resource::Asset, Action::Delete).await?,
            download: can(ctx, h, Resource::Asset, Action::Download).await?,
            create_version: can(ctx, h, Resource::Asset, Action::CreateVersion).await?,
        })
    }
}

#[async_graphql::ComplexObject]
impl AssetVersion {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::AssetVersion, self.id)
    }

    /// The asset it is a version of.
    async fn asset(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Asset>> {
        match self.asset_id {
            Some(id) => loader::<StudioLoaders>(ctx).load_one(AssetById(id)).await,
            None => Ok(None),
        }
    }

    /// The project it belongs to.
    async fn project(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Project>> {
        match self.project_id {
            Some(id) => loader::<StudioLoaders>(ctx).load_one(ProjectById(id)).await,
            None => Ok(None),
        }
    }

    /// Who saved it.
    async fn created_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.created_by_user_id {
            Some(id) => loader::<AccountLoaders>(ctx).load_one(UserById(id)).await,
            None => Ok(None),
        }
    }
}

#[derive(Default)]
pub struct AssetQuery;

#[Object]
impl AssetQuery {
    /// An asset the caller can read; `null` otherwise. `deleted: true` finds a
    /// soft-deleted one (ADMIN).
    #[graphql(guard = "Need::matrix(Resource::Asset, Action::Read)")]
    async fn asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of an Asset.")] id: ID,
        #[graphql(default, desc = "Find it although soft-deleted (ADMIN).")] deleted: bool,
    ) -> async_graphql::Result<Option<Asset>> {
        let action = if deleted {
            Action::ReadDeleted
        } else {
            Action::Read
        };
        match load_authorized::<Asset>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::Asset, "id")?,
            action,
        )
        .await
        {
            Ok(a) if deleted == a.deleted_at.is_some() => Ok(Some(a)),
            // Deleted rows are absent unless the caller may see them: null, not an error.
            Ok(_) | Err(AppError::NotFound(_)) => Ok(None),
            Err(AppError::Forbidden) if deleted => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// A file for a project (GraphQL multipart request).
#[derive(InputObject)]
pub struct UploadAssetInput {
    /// ID of the project.
    pub project_id: ID,
    /// A display name; defaults to the file name.
    pub name: Option<String>,
    /// PNG, JPEG, WebP or GIF, at most `MAX_UPLOAD_MB`.
    pub file: Upload,
}

/// The input of `updateAsset`.
#[derive(InputObject)]
pub struct UpdateAssetInput {
    /// ID of the asset to update.
    pub id: ID,
    /// Rename.
    pub name: Option<String>,
    /// Mark (or unmark) as the chosen final.
    pub is_final: Option<bool>,
}

/// The input of `deleteAsset`.
#[derive(InputObject)]
pub struct DeleteAssetInput {
    /// ID of the asset to delete.
    pub id: ID,
}

/// The input of `restoreAsset`.
#[derive(InputObject)]
pub struct RestoreAssetInput {
    /// ID of the asset to restore.
    pub id: ID,
}

/// The input of `createAssetVersion`.
#[derive(InputObject)]
pub struct CreateAssetVersionInput {
    /// ID of the asset.
    pub asset_id: ID,
    /// What changed.
    pub description: Option<String>,
    /// Editor state at this version.
    pub state_data: Option<serde_json::Value>,
}

/// What `uploadAsset` returns.
#[derive(SimpleObject)]
pub struct UploadAssetPayload {
    /// The asset, as it is now.
    pub asset: Asset,
}

/// What `updateAsset` returns.
#[derive(SimpleObject)]
pub struct UpdateAssetPayload {
    /// The asset, as it is now.
    pub asset: Asset,
}

/// What `deleteAsset` returns.
#[derive(SimpleObject)]
pub struct DeleteAssetPayload {
    /// The asset, now soft-deleted.
    pub asset: Asset,
}

/// What `restoreAsset` returns.
#[derive(SimpleObject)]
pub struct RestoreAssetPayload {
    /// The asset, as it is now.
    pub asset: Asset,
}

/// What `createAssetVersion` returns.
#[derive(SimpleObject)]
pub struct CreateAssetVersionPayload {
    /// The asset version, as it is now.
    pub asset_version: AssetVersion,
}

#[derive(Default)]
pub struct AssetMutation;

#[Object]
impl AssetMutation {
    /// Uploads a file into a project (EDITOR). The type is read from the bytes;
    /// a mismatch with the declared type, or an oversize file, is refused.
    #[graphql(guard = "Need::matrix(Resource::Asset, Action::Create)")]
    async fn upload_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `uploadAsset`.")] input: UploadAssetInput,
    ) -> async_graphql::Result<UploadAssetPayload> {
        let user_id = require_user(ctx)?;
        let project = load_authorized::<Project>(
            ctx,
            GlobalId::decode_uuid(&input.project_id, NodeType::Project, "projectId")?,
            Action::Read,
        )
        .await?;
        authorize(ctx, project.holder(), Resource::Asset, Action::Create).await?;
        let value = input.file.value(ctx)?;
        let max = app(ctx).storage.max_upload_bytes;
        if value.size()? > max {
            return Err(AppError::bad_input(
                "file",
                format!("the file is larger than {} MiB", max / (1024 * 1024)),
            )
            .into());
        }
        let filename = value.filename.clone();
        let content_type = value.content_type.clone();
        let mut content = value.content;
        let bytes = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut content, &mut bytes).map(|_| bytes)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        let name = validate::name("name", input.name.as_deref().unwrap_or(&filename), 255)?;
        let asset = assets::upload(
            app(ctx),
            user_id,
            project.id,
            name,
            assets::Upload {
                filename,
                content_type,
                bytes,
            },
        )
        .await?;
        Ok(UploadAssetPayload { asset })
    }

    /// Renames an asset or marks it final (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::Asset, Action::Update)")]
    async fn update_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateAsset`.")] input: UpdateAssetInput,
    ) -> async_graphql::Result<UpdateAssetPayload> {
        let asset = load_authorized::<Asset>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Asset, "id")?,
            Action::Update,
        )
        .await?;
        let changes = AssetChanges {
            name: input
                .name
                .as_deref()
                .map(|n| validate::name("name", n, 255))
                .transpose()?,
            is_final: input.is_final,
        };
        let mut conn = app(ctx).db.conn().await?;
        let asset = assets::update(&mut conn, &asset, changes).await?;
        Ok(UpdateAssetPayload { asset })
    }

    /// Soft-deletes an asset (ADMIN); its file is kept for restoring.
    #[graphql(guard = "Need::matrix(Resource::Asset, Action::Delete)")]
    async fn delete_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteAsset`.")] input: DeleteAssetInput,
    ) -> async_graphql::Result<DeleteAssetPayload> {
        let asset = load_authorized::<Asset>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Asset, "id")?,
            Action::Delete,
        )
        .await?;
        let mut conn = app(ctx).db.conn().await?;
        let asset = assets::set_deleted(&mut conn, asset.id, true).await?;
        Ok(DeleteAssetPayload { asset })
    }

    /// Brings a soft-deleted asset back (ADMIN).
    #[graphql(guard = "Need::matrix(Resource::Asset, Action::Restore)")]
    async fn restore_asset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `restoreAsset`.")] input: RestoreAssetInput,
    ) -> async_graphql::Result<RestoreAssetPayload> {
        let asset = load_authorized::<Asset>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::Asset, "id")?,
            Action::Restore,
        )
        .await?;
        if asset.deleted_at.is_none() {
            return Err(AppError::Conflict("the asset is not deleted".into()).into());
        }
        let mut conn = app(ctx).db.conn().await?;
        let asset = assets::set_deleted(&mut conn, asset.id, false).await?;
        Ok(RestoreAssetPayload { asset })
    }

    /// Saves the next version of an asset: 1, 2, 3..., also under concurrent calls (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::Asset, Action::CreateVersion)")]
    async fn create_asset_version(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createAssetVersion`.")] input: CreateAssetVersionInput,
    ) -> async_graphql::Result<CreateAssetVersionPayload> {
        let user_id = require_user(ctx)?;
        let asset = load_authorized::<Asset>(
            ctx,
            GlobalId::decode_uuid(&input.asset_id, NodeType::Asset, "assetId")?,
            Action::CreateVersion,
        )
        .await?;
        let description = validate::optional_text("description", input.description, 5000)?;
        let mut conn = app(ctx).db.conn().await?;
        let asset_version =
            assets::create_version(&mut conn, &asset, user_id, description, input.state_data)
                .await?;
        Ok(CreateAssetVersionPayload { asset_version })
    }
}
