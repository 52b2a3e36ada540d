//! The home page: where everyone lands after signing in.

use super::AppState;
use super::render::{self, Layout};
use crate::auth::{CurrentUser, Role};
use crate::error::AppError;
use askama::Template;
use axum::response::Response;
use axum::routing::get;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "pages/home.html")]
struct HomePage {
    layout: Layout,
    first_name: String,
    roles: Vec<Role>,
}

async fn home(user: CurrentUser) -> Result<Response, AppError> {
    let layout = Layout::new(&user, "Home").await?;
    let first_name = user
        .full_name
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    render::ok(&HomePage {
        layout,
        first_name,
        roles: user.roles.clone(),
    })
}
