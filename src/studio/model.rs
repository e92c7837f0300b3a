//! Rows of the creative graph: brand kits, workbenches, projects, assets, asset
//! versions and templates.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{asset_versions, assets, brand_kits, projects, templates, workbenches};
use crate::db::string_enum;

string_enum! {
    /// Where an asset came from.
    pub enum AssetType {
        /// Uploaded by a user.
        Uploaded => "Uploaded",
        /// Produced by an AI model.
        AiGenerated => "AIGenerated",
        /// Made by editing another asset.
        Derived => "Derived",
    }
}

/// Brand colours, fonts, logos and style preferences.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = brand_kits, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct BrandKit {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
    /// Kit name.
    pub name: String,
    /// Colour definitions: `[{name, hex, variable}]`.
    pub colors: serde_json::Value,
    /// Font definitions: `[{name, family, url}]`.
    pub fonts: serde_json::Value,
    /// Logo references: `[{name, path, format}]`.
    pub logos: Option<serde_json::Value>,
    /// Default style preferences (tone, industry hints...).
    pub style_preferences: Option<serde_json::Value>,
    /// The owner's default kit.
    pub is_default: bool,
    /// When the kit was created.
    pub created_at: DateTime<Utc>,
    /// When the kit last changed.
    pub updated_at: DateTime<Utc>,
}

/// A container of projects, personal or a team's.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = workbenches, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Workbench {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// Workbench name.
    pub name: String,
    #[graphql(skip)]
    pub default_brand_kit_id: Option<Uuid>,
    /// When the workbench was created.
    pub created_at: DateTime<Utc>,
    /// When the workbench last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
}

/// A creative project: assets and generation requests.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = projects, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Project {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub workbench_id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    #[graphql(skip)]
    pub template_id: Option<Uuid>,
    #[graphql(skip)]
    pub brand_kit_id: Option<Uuid>,
    /// Project name.
    pub name: String,
    /// Main target platform, e.g. `InstagramStory`.
    pub target_platform: Option<String>,
    /// Canvas state (possibly a CRDT document).
    pub collaboration_state: Option<serde_json::Value>,
    /// Last change in a collaborative session.
    pub last_collaborated_at: Option<DateTime<Utc>>,
    /// When the project was created.
    pub created_at: DateTime<Utc>,
    /// When the project last changed.
    pub updated_at: DateTime<Utc>,
    /// Set when the project was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
}

/// A file: uploaded, AI-generated or derived.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = assets, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Asset {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub project_id: Option<Uuid>,
    #[graphql(skip)]
    pub user_id: Uuid,
    #[graphql(skip)]
    pub generation_request_id: Option<Uuid>,
    /// File name.
    pub name: String,
    /// Where the asset came from.
    #[graphql(name = "type")]
    pub type_: AssetType,
    #[graphql(skip)]
    pub file_path: String,
    /// MIME type sniffed from the bytes.
    pub mime_type: String,
    /// File format, e.g. `png`.
    pub format: String,
    /// `WIDTHxHEIGHT` for images.
    pub resolution: Option<String>,
    /// The chosen final of a generation or edit.
    pub is_final: bool,
    /// Extra metadata (dominant colours, tags, generation parameters).
    pub metadata: Option<serde_json::Value>,
    /// When the asset was created.
    pub created_at: DateTime<Utc>,
    /// When the asset last changed.
    pub updated_at: DateTime<Utc>,
    /// Set when the asset was deleted.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A saved state of an asset or of a project.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = asset_versions, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct AssetVersion {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub asset_id: Option<Uuid>,
    #[graphql(skip)]
    pub project_id: Option<Uuid>,
    /// 1, 2, 3... per asset (or per project for project states).
    pub version_number: i32,
    #[graphql(skip)]
    pub file_path: Option<String>,
    /// Saved state.
    pub state_data: Option<serde_json::Value>,
    /// What changed.
    pub description: Option<String>,
    #[graphql(skip)]
    pub created_by_user_id: Option<Uuid>,
    /// When the version was saved.
    pub created_at: DateTime<Utc>,
    /// A saved state of the whole project rather than of one asset.
    pub is_project_state: bool,
}

/// A predefined (system) or saved (private) creative template.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = templates, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct Template {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Option<Uuid>,
    /// Template name.
    pub name: String,
    /// What the template is for.
    pub description: Option<String>,
    /// Category, e.g. `social`.
    pub category: String,
    /// Preview image URL.
    pub preview_url: String,
    /// Content and layout for the editor.
    pub source_data: serde_json::Value,
    /// Search keywords.
    pub tags: Option<serde_json::Value>,
    /// System templates are public.
    pub is_public: bool,
    /// When the template was created.
    pub created_at: DateTime<Utc>,
    /// When the template last changed.
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
}

use crate::authz::roles::Holder;

impl Workbench {
    pub fn holder(&self) -> Holder {
        Holder::of(self.team_id, self.user_id)
    }
}

impl Project {
    pub fn holder(&self) -> Holder {
        Holder::of(self.team_id, self.user_id)
    }
}

impl BrandKit {
    pub fn holder(&self) -> Holder {
        Holder::of(self.team_id, self.user_id)
    }
}

impl Template {
    /// System templates (no user, no team) are nobody's: public and read-only.
    pub fn holder(&self) -> Holder {
        match (self.team_id, self.user_id) {
            (Some(team), _) => Holder::Team(team),
            (None, Some(user)) => Holder::User(user),
            (None, None) => Holder::Public,
        }
    }
}
