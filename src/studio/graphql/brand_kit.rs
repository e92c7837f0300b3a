//! `BrandKit`: colours, fonts, logos and style preferences, personal or a team's.

use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::Need;
use crate::authz::roles::{load_authorized, Target};
use crate::graphql::loader;
use crate::studio::loaders::StudioLoaders;
use crate::teams::loaders::TeamLoaders;
use async_graphql::{
    ComplexObject, Context, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use uuid::Uuid;

use super::{loader_error, reach};
use crate::accounts::loaders::UserById;
use crate::accounts::model::User;
use crate::authz::matrix::{Action, Resource};
use crate::authz::require_user;
use crate::authz::roles::{authorize, can, Holder};
use crate::error::{AppError, AppResult};
use crate::graphql::app;
use crate::graphql::id::{GlobalId, NodeType};
use crate::graphql::pagination::{self, Conn, PageArgs};
use crate::studio::loaders::BrandKitById;
use crate::studio::model::BrandKit;
use crate::studio::service::brand_kits::{self, KitContent};
use crate::studio::service::validate;
use crate::teams::loaders::TeamById;
use crate::teams::model::Team;

/// What the caller may do with a brand kit.
#[derive(SimpleObject)]
pub struct BrandKitViewerCan {
    /// Whether the caller may update it.
    pub update: bool,
    /// Whether the caller may delete it.
    pub delete: bool,
}

#[ComplexObject]
impl BrandKit {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::BrandKit, self.id)
    }

    /// The team holding it; `null` for a personal kit.
    async fn team(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Team>> {
        match self.team_id {
            Some(id) => loader::<TeamLoaders>(ctx).load_one(TeamById(id)).await,
            None => Ok(None),
        }
    }

    /// Who created it.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        loader::<AccountLoaders>(ctx)
            .load_one(UserById(self.user_id))
            .await
    }

    /// What the caller may do here.
    async fn viewer_can(&self, ctx: &Context<'_>) -> async_graphql::Result<BrandKitViewerCan> {
        let h = self.holder();
        Ok(BrandKitViewerCan {
            update: can(ctx, h, Resource::BrandKit, Action::Update).await?,
            delete: can(ctx, h, Resource::BrandKit, Action::Delete).await?,
        })
    }
}

impl Target for BrandKit {
    const RESOURCE: Resource = Resource::BrandKit;

    async fn load(ctx: &Context<'_>, id: Uuid) -> AppResult<Option<Self>> {
        loader::<StudioLoaders>(ctx)
            .load_one(BrandKitById(id))
            .await
            .map_err(loader_error)
    }

    async fn holder(&self, _: &Context<'_>) -> AppResult<Option<Holder>> {
        Ok(Some(BrandKit::holder(self)))
    }
}

#[derive(Default)]
pub struct BrandKitQuery;

#[Object]
impl BrandKitQuery {
    /// A brand kit the caller can read; `null` otherwise.
    #[graphql(guard = "Need::matrix(Resource::BrandKit, Action::Read)")]
    async fn brand_kit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a BrandKit.")] id: ID,
    ) -> async_graphql::Result<Option<BrandKit>> {
        match load_authorized::<BrandKit>(
            ctx,
            GlobalId::decode_uuid(&id, NodeType::BrandKit, "id")?,
            Action::Read,
        )
        .await
        {
            Ok(kit) => Ok(Some(kit)),
            Err(AppError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The brand kits the caller can read (optionally one team's), defaults first.
    #[graphql(guard = "Need::matrix(Resource::BrandKit, Action::Read)")]
    async fn brand_kits(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A team's brand kits; omitted: the caller's personal ones.")]
        team_id: Option<ID>,
        #[graphql(desc = "Page size from the start (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Cursor to end before.")] before: Option<String>,
    ) -> async_graphql::Result<Conn<BrandKit>> {
        let args = PageArgs::new(first, after, last, before);
        args.validate()?;
        let team_id = team_id
            .as_ref()
            .map(|id| GlobalId::decode_uuid(id, NodeType::Team, "teamId"))
            .transpose()?;
        let reach = reach(ctx, Resource::BrandKit).await?;
        let mut conn = app(ctx).db.conn().await?;
        let total = brand_kits::count_visible(&mut conn, &reach, team_id).await?;
        let window = args.window(total)?;
        let rows = brand_kits::page_visible(&mut conn, &reach, team_id, window).await?;
        Ok(pagination::connection(window, total, rows))
    }
}

/// A brand kit.
#[derive(InputObject)]
pub struct CreateBrandKitInput {
    /// The team it belongs to (EDITOR); omitted for a personal kit.
    pub team_id: Option<ID>,
    /// 1 to 100 characters.
    pub name: String,
    /// `[{name, hex, variable}]`, hex colours like `#FF0000`.
    pub colors: Option<serde_json::Value>,
    /// `[{name, family, url}]`.
    pub fonts: Option<serde_json::Value>,
    /// `[{name, path, format}]`.
    pub logos: Option<serde_json::Value>,
    /// Tone, industry hints...
    pub style_preferences: Option<serde_json::Value>,
    /// Make it the default kit of its team (or account); the previous one stops being it.
    #[graphql(default)]
    pub is_default: bool,
}

/// The input of `updateBrandKit`.
#[derive(InputObject)]
pub struct UpdateBrandKitInput {
    /// ID of the brand kit to update.
    pub id: ID,
    /// New name (omit to keep).
    pub name: Option<String>,
    /// New colour palette (omit to keep).
    pub colors: Option<serde_json::Value>,
    /// New fonts (omit to keep).
    pub fonts: Option<serde_json::Value>,
    /// New logo URLs (omit to keep).
    pub logos: MaybeUndefined<serde_json::Value>,
    /// New style preferences (omit to keep).
    pub style_preferences: MaybeUndefined<serde_json::Value>,
    /// Make it (or stop it being) the default kit of its owner.
    pub is_default: Option<bool>,
}

/// The input of `deleteBrandKit`.
#[derive(InputObject)]
pub struct DeleteBrandKitInput {
    /// ID of the brand kit to delete.
    pub id: ID,
}

/// What `createBrandKit` returns.
#[derive(SimpleObject)]
pub struct CreateBrandKitPayload {
    /// The brand kit, as it is now.
    pub brand_kit: BrandKit,
}

/// What `updateBrandKit` returns.
#[derive(SimpleObject)]
pub struct UpdateBrandKitPayload {
    /// The brand kit, as it is now.
    pub brand_kit: BrandKit,
}

/// What `deleteBrandKit` returns.
#[derive(SimpleObject)]
pub struct DeleteBrandKitPayload {
    /// ID of the brand kit, now deleted.
    pub deleted_brand_kit_id: ID,
}

fn maybe(value: MaybeUndefined<serde_json::Value>) -> Option<Option<serde_json::Value>> {
    match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(v)),
    }
}

#[derive(Default)]
pub struct BrandKitMutation;

#[Object]
impl BrandKitMutation {
    /// Creates a brand kit, personal or in a team (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::BrandKit, Action::Create)")]
    async fn create_brand_kit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `createBrandKit`.")] input: CreateBrandKitInput,
    ) -> async_graphql::Result<CreateBrandKitPayload> {
        let user_id = require_user(ctx)?;
        let team_id = input
            .team_id
            .as_ref()
            .map(|id| GlobalId::decode_uuid(id, NodeType::Team, "teamId"))
            .transpose()?;
        authorize(
            ctx,
            Holder::of(team_id, user_id),
            Resource::BrandKit,
            Action::Create,
        )
        .await?;
        let content = KitContent {
            name: Some(validate::name("name", &input.name, 100)?),
            colors: input.colors,
            fonts: input.fonts,
            logos: Some(input.logos),
            style_preferences: Some(input.style_preferences),
            is_default: Some(input.is_default),
        };
        let mut conn = app(ctx).db.conn().await?;
        let brand_kit = brand_kits::create(&mut conn, user_id, team_id, content).await?;
        Ok(CreateBrandKitPayload { brand_kit })
    }

    /// Changes a brand kit (EDITOR).
    #[graphql(guard = "Need::matrix(Resource::BrandKit, Action::Update)")]
    async fn update_brand_kit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `updateBrandKit`.")] input: UpdateBrandKitInput,
    ) -> async_graphql::Result<UpdateBrandKitPayload> {
        let kit = load_authorized::<BrandKit>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::BrandKit, "id")?,
            Action::Update,
        )
        .await?;
        let content = KitContent {
            name: input
                .name
                .as_deref()
                .map(|n| validate::name("name", n, 100))
                .transpose()?,
            colors: input.colors,
            fonts: input.fonts,
            logos: maybe(input.logos),
            style_preferences: maybe(input.style_preferences),
            is_default: input.is_default,
        };
        let mut conn = app(ctx).db.conn().await?;
        let brand_kit = brand_kits::update(&mut conn, &kit, content).await?;
        Ok(UpdateBrandKitPayload { brand_kit })
    }

    /// Deletes a brand kit (ADMIN); projects and workbenches using it lose it.
    #[graphql(guard = "Need::matrix(Resource::BrandKit, Action::Delete)")]
    async fn delete_brand_kit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The input of `deleteBrandKit`.")] input: DeleteBrandKitInput,
    ) -> async_graphql::Result<DeleteBrandKitPayload> {
        let kit = load_authorized::<BrandKit>(
            ctx,
            GlobalId::decode_uuid(&input.id, NodeType::BrandKit, "id")?,
            Action::Delete,
        )
        .await?;
        let mut conn = app(ctx).db.conn().await?;
        brand_kits::delete(&mut conn, kit.id).await?;
        Ok(DeleteBrandKitPayload {
            deleted_brand_kit_id: input.id,
        })
    }
}
