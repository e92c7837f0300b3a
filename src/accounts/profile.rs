//! Profile updates; every change of a cached field clears the cached profile.

use async_graphql::{InputObject, MaybeUndefined};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

use super::model::User;
use super::{profile_cache, validate};
use crate::app::App;
use crate::db::schema::users;
use crate::error::AppResult;

/// Fields a user may change on their own profile; omitted fields stay as they are.
#[derive(Debug, Default, InputObject)]
pub struct UpdateProfileInput {
    /// Display name (1-100 characters); `null` clears it.
    pub full_name: MaybeUndefined<String>,
    /// Unique handle (3-50 of a-z, 0-9, `_ . -`); `null` clears it.
    pub username: MaybeUndefined<String>,
    /// Avatar URL (http or https); `null` clears it.
    pub profile_picture_url: MaybeUndefined<String>,
    /// BCP-47 language tag such as `en-US`.
    pub language_preference: Option<String>,
    /// IANA time zone such as `Europe/Paris`.
    pub timezone: Option<String>,
    /// ISO-4217 currency code such as `EUR`.
    pub currency_preference: Option<String>,
    /// `standard`, `compact`, `scientific` or `engineering`.
    pub number_notation: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
struct ProfileChangeset {
    full_name: Option<Option<String>>,
    username: Option<Option<String>>,
    profile_picture_url: Option<Option<String>>,
    language_preference: Option<String>,
    timezone: Option<String>,
    currency_preference: Option<String>,
    number_notation: Option<String>,
}

impl ProfileChangeset {
    fn is_empty(&self) -> bool {
        self.full_name.is_none()
            && self.username.is_none()
            && self.profile_picture_url.is_none()
            && self.language_preference.is_none()
            && self.timezone.is_none()
            && self.currency_preference.is_none()
            && self.number_notation.is_none()
    }
}

/// `Some(None)` to clear, `Some(Some(v))` to set, `None` to leave alone.
fn nullable(
    value: MaybeUndefined<String>,
    check: impl Fn(&str) -> AppResult<String>,
) -> AppResult<Option<Option<String>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(v) => Some(Some(check(&v)?)),
    })
}

/// Validates every field first, then writes them in one statement.
pub async fn update_profile(
    app: &App,
    user_id: Uuid,
    input: UpdateProfileInput,
) -> AppResult<User> {
    let changes = ProfileChangeset {
        full_name: nullable(input.full_name, |v| validate::full_name("fullName", v))?,
        username: nullable(input.username, |v| validate::username("username", v))?,
        profile_picture_url: nullable(input.profile_picture_url, |v| {
            validate::url("profilePictureUrl", v, 1024)
        })?,
        language_preference: input
            .language_preference
            .map(|v| validate::language_tag("languagePreference", &v))
            .transpose()?,
        timezone: input
            .timezone
            .map(|v| validate::timezone("timezone", &v))
            .transpose()?,
        currency_preference: input
            .currency_preference
            .map(|v| validate::currency("currencyPreference", &v))
            .transpose()?,
        number_notation: input
            .number_notation
            .map(|v| validate::number_notation("numberNotation", &v))
            .transpose()?,
    };
    let mut conn = app.db.conn().await?;
    let user = if changes.is_empty() {
        users::table
            .find(user_id)
            .select(User::as_select())
            .first(&mut conn)
            .await?
    } else {
        diesel::update(users::table.find(user_id))
            .set(&changes)
            .returning(User::as_returning())
            .get_result(&mut conn)
            .await?
    };
    profile_cache::invalidate(&app.cache, user_id).await;
    Ok(user)
}
