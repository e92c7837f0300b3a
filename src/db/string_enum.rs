//! Enums stored as the spec's strings (`'AwaitingSelection'`) and served as
//! GraphQL enums (`AWAITING_SELECTION`).

/// Declares an enum that is a GraphQL enum and a diesel `Varchar`, with the database
/// spelling of each variant written once.
///
/// ```text
/// string_enum! {
///     /// What kind of task a model performs.
///     pub enum AiTaskType {
///         /// Text to image.
///         ImageGeneration => "ImageGeneration",
///     }
/// }
/// ```
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $db:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            async_graphql::Enum,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling stored in the database.
            pub fn as_db_str(self) -> &'static str {
                match self { $( $name::$variant => $db ),+ }
            }

            /// Parses the database spelling.
            pub fn from_db_str(value: &str) -> Option<Self> {
                match value { $( $db => Some($name::$variant), )+ _ => None }
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_db_str(),
                    out,
                )
            }
        }

        // Events carry rows between instances; they spell the value as the database does.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_db_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(deserializer)?;
                Self::from_db_str(&raw).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("unexpected ", stringify!($name), " value '{}'"),
                        raw
                    ))
                })
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Self::from_db_str(&raw).ok_or_else(|| {
                    format!(concat!("unexpected ", stringify!($name), " value '{}'"), raw).into()
                })
            }
        }
    };
}

pub(crate) use string_enum;
