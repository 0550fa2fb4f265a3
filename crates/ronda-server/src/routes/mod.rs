//! HTTP routes, one module per resource; [`api_router`] merges them under `/api/v1`.

pub mod actors;
pub mod admin;
pub mod banks;
pub mod cases;
pub mod evidence;
pub mod health;
pub mod media;
pub mod models;
pub mod notices;
pub mod patrol;
pub mod platforms;
pub mod public;
pub mod referrals;
pub mod reports;
pub mod review;
pub mod stats;
pub mod webhooks;

use std::sync::Arc;

use axum::Router;

use crate::state::AppState;

pub fn api_router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .merge(reports::router(state))
        .merge(cases::router())
        .merge(actors::router())
        .merge(platforms::router())
        .merge(public::router())
        .merge(review::router())
        .merge(notices::router())
        .merge(admin::router())
        .merge(models::router())
        .merge(webhooks::router())
        .merge(banks::router(state))
        .merge(media::router(state))
        .merge(referrals::router())
        .merge(evidence::router())
        .merge(stats::router())
        .merge(patrol::router())
}
