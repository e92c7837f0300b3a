//! The `User` type and the queries that return users.

use crate::accounts::loaders::AccountLoaders;
use crate::authz::guards::Need;
use crate::graphql::loader;
use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::accounts::loaders::{ProfileOf, UserById};
use crate::accounts::model::{SocialProvider, SubscriptionTier, User};
use crate::accounts::profile_cache::CachedProfile;
use crate::authz::{acts_as, caller};
use crate::graphql::id::{GlobalId, NodeType};

/// Whether the caller may read this user's private fields: the user, or a platform admin.
fn private(ctx: &Context<'_>, user: &User) -> bool {
    acts_as(ctx, user.id) || caller(ctx).is_platform_admin()
}

async fn profile(
    ctx: &Context<'_>,
    user: &User,
) -> async_graphql::Result<std::sync::Arc<CachedProfile>> {
    loader::<AccountLoaders>(ctx)
        .load_one(ProfileOf(user.id))
        .await?
        .ok_or_else(|| async_graphql::Error::new("profile vanished"))
}

/// A registered account. Everyone signed in sees the public profile (`id`,
/// `username`, `fullName`, `profilePictureUrl`); the other fields are `null`
/// except for the account itself and platform admins.
#[Object]
impl User {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::User, self.id)
    }

    /// The account's own credit movements, newest first; `null` except for the
    /// account itself and platform admins.
    async fn credit_transactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Type and date range.")] filter: Option<
            crate::credits::history::HistoryFilter,
        >,
        #[graphql(desc = "Page size (default 20, at most 100).")] first: Option<i32>,
        #[graphql(desc = "Cursor to start after.")] after: Option<String>,
    ) -> async_graphql::Result<
        Option<crate::graphql::pagination::Conn<crate::credits::model::CreditTransaction>>,
    > {
        if !private(ctx, self) {
            return Ok(None);
        }
        let ledger = crate::credits::history::Ledger::User(self.id);
        Ok(Some(
            crate::credits::history::transactions_connection(
                crate::graphql::app(ctx),
                ledger,
                filter,
                first,
                after,
            )
            .await?,
        ))
    }

    /// Unique handle.
    async fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// Display name (served from the profile cache).
    async fn full_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(profile(ctx, self).await?.full_name.clone())
    }

    /// Avatar URL.
    async fn profile_picture_url(&self) -> Option<&str> {
        self.profile_picture_url.as_deref()
    }

    /// Sign-in email address. Private.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        private(ctx, self).then_some(self.email.as_str())
    }

    /// A new address waiting for verification. Private.
    async fn pending_email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.pending_email.as_deref().filter(|_| private(ctx, self))
    }

    /// Whether the email address was confirmed. Private.
    async fn is_email_verified(&self, ctx: &Context<'_>) -> Option<bool> {
        private(ctx, self).then_some(self.is_email_verified)
    }

    /// Identity provider used to sign up. Private.
    async fn social_provider(&self, ctx: &Context<'_>) -> Option<SocialProvider> {
        self.social_provider.filter(|_| private(ctx, self))
    }

    /// Whether sign-in needs a TOTP code. Private.
    async fn mfa_enabled(&self, ctx: &Context<'_>) -> Option<bool> {
        private(ctx, self).then_some(self.mfa_enabled)
    }

    /// Current plan (served from the profile cache). Private.
    async fn subscription_tier(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<SubscriptionTier>> {
        if !private(ctx, self) {
            return Ok(None);
        }
        Ok(Some(profile(ctx, self).await?.tier()))
    }

    /// The current personal plan subscription (Active or Trial), if any. Private.
    async fn subscription(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<crate::credits::model::BillingSubscription>> {
        if !private(ctx, self) {
            return Ok(None);
        }
        crate::billing::graphql::of_user(ctx, self.id).await
    }

    /// Personal credit balance (served from the profile cache). Private.
    async fn credit_balance(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Decimal>> {
        if !private(ctx, self) {
            return Ok(None);
        }
        Ok(Some(profile(ctx, self).await?.credit_balance))
    }

    /// BCP-47 language tag (served from the profile cache). Private.
    async fn language_preference(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        if !private(ctx, self) {
            return Ok(None);
        }
        Ok(Some(profile(ctx, self).await?.language_preference.clone()))
    }

    /// IANA time zone (served from the profile cache). Private.
    async fn timezone(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        if !private(ctx, self) {
            return Ok(None);
        }
        Ok(Some(profile(ctx, self).await?.timezone.clone()))
    }

    /// ISO-4217 currency for prices. Private.
    async fn currency_preference(&self, ctx: &Context<'_>) -> Option<&str> {
        private(ctx, self).then_some(self.currency_preference.as_str())
    }

    /// How numbers are written. Private.
    async fn number_notation(&self, ctx: &Context<'_>) -> Option<&str> {
        private(ctx, self).then_some(self.number_notation.as_str())
    }

    /// When a platform admin suspended the account (sign-in refused); private.
    async fn suspended_at(&self, ctx: &Context<'_>) -> Option<chrono::DateTime<chrono::Utc>> {
        private(ctx, self).then_some(self.suspended_at).flatten()
    }

    /// Platform administrator. Private.
    async fn is_platform_admin(&self, ctx: &Context<'_>) -> Option<bool> {
        private(ctx, self).then_some(self.is_platform_admin)
    }

    /// Last successful sign-in. Private.
    async fn last_login_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        self.last_login_at.filter(|_| private(ctx, self))
    }

    /// When the account was created. Private.
    async fn created_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        private(ctx, self).then_some(self.created_at)
    }

    /// When the account last changed. Private.
    async fn updated_at(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        private(ctx, self).then_some(self.updated_at)
    }
}

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The signed-in user; `null` for an anonymous caller.
    #[graphql(guard = "Need::anyone()")]
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(user_id) = caller(ctx).user_id() else {
            return Ok(None);
        };
        Ok(loader::<AccountLoaders>(ctx)
            .load_one(UserById(user_id))
            .await?
            .filter(|u| u.deleted_at.is_none()))
    }

    /// Another user's public profile; `null` when there is no such (live) user.
    #[graphql(guard = "Need::signed_in()")]
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "ID of a User.")] id: ID,
    ) -> async_graphql::Result<Option<User>> {
        let id = GlobalId::decode_uuid(&id, NodeType::User, "id")?;
        Ok(loader::<AccountLoaders>(ctx)
            .load_one(UserById(id))
            .await?
            .filter(|u| u.deleted_at.is_none()))
    }
}
