//! Ledger, usage and billing rows.

use async_graphql::{ComplexObject, SimpleObject, ID};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::{credit_transactions, subscriptions, usage_logs};
use crate::db::string_enum;
use crate::graphql::id::{GlobalId, NodeType};

string_enum! {
    /// State of a billing subscription.
    pub enum BillingSubscriptionStatus {
        /// Paid and running.
        Active => "Active",
        /// Free trial.
        Trial => "Trial",
        /// Suspended (e.g. failed payment).
        Suspended => "Suspended",
        /// Cancelled by the customer.
        Cancelled => "Cancelled",
        /// Ran out.
        Expired => "Expired",
    }
}

string_enum! {
    /// Who collects the payments.
    pub enum PaymentProvider {
        /// Stripe.
        Stripe => "Stripe",
        /// PayPal.
        #[graphql(name = "PAYPAL")]
        PayPal => "PayPal",
        /// Invoiced manually in Odoo.
        OdooManual => "OdooManual",
    }
}

/// One movement of credits (+ purchase or refund, - usage).
#[derive(Debug, Clone, Queryable, Selectable, SimpleObject)]
#[diesel(table_name = credit_transactions, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct CreditTransaction {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// Odoo invoice reference.
    pub odoo_invoice_id: Option<String>,
    #[graphql(skip)]
    pub generation_request_id: Option<Uuid>,
    /// API call reference.
    pub api_call_id: Option<String>,
    /// Signed amount.
    pub amount: Decimal,
    /// `purchase`, `sample_generation`, `final_generation`, `refund`, ...
    pub action_type: String,
    /// Human-readable description.
    pub description: Option<String>,
    /// When the movement happened.
    pub created_at: DateTime<Utc>,
    /// When it was synced from Odoo.
    pub synced_at: DateTime<Utc>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
}

#[ComplexObject]
impl CreditTransaction {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::CreditTransaction, self.id)
    }
}

/// One billable or tracked action.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = usage_logs, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct UsageLog {
    #[graphql(skip)]
    pub id: i64,
    #[graphql(skip)]
    pub user_id: Option<Uuid>,
    #[graphql(skip)]
    pub generation_request_id: Option<Uuid>,
    #[graphql(skip)]
    pub api_client_id: Option<Uuid>,
    /// e.g. `login_success`, `sample_generation_initiated`.
    pub action_type: String,
    /// Context of the action.
    pub details: Option<serde_json::Value>,
    /// Credits consumed by this step.
    pub credits_cost: Option<Decimal>,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
}

#[ComplexObject]
impl UsageLog {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::encode(NodeType::UsageLog, self.id)
    }
}

/// A user's paid plan, synced with Odoo (the spec's `Subscription`, renamed because
/// `Subscription` is GraphQL's root type).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = subscriptions, check_for_backend(diesel::pg::Pg))]
#[graphql(complex)]
pub struct BillingSubscription {
    #[graphql(skip)]
    pub id: Uuid,
    #[graphql(skip)]
    pub user_id: Uuid,
    /// Odoo sale order reference.
    pub odoo_sale_order_id: String,
    /// Plan identifier, e.g. `pro_monthly`.
    pub plan_id: String,
    /// State.
    pub status: BillingSubscriptionStatus,
    /// Start of the current billing period.
    pub current_period_start: DateTime<Utc>,
    /// End of the current billing period.
    pub current_period_end: DateTime<Utc>,
    /// Who collects the payments.
    pub payment_provider: PaymentProvider,
    #[graphql(skip)]
    pub payment_provider_subscription_id: Option<String>,
    #[graphql(skip)]
    pub payment_method_id: Option<String>,
    /// When the subscription was created.
    pub created_at: DateTime<Utc>,
    /// When the subscription last changed.
    pub updated_at: DateTime<Utc>,
    /// The team whose plan this is; `null` for a personal plan.
    #[graphql(skip)]
    pub team_id: Option<Uuid>,
}

#[ComplexObject]
impl BillingSubscription {
    /// Opaque global ID.
    pub async fn id(&self) -> ID {
        GlobalId::uuid(NodeType::BillingSubscription, self.id)
    }
}
