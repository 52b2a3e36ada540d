//! Administration: users, the organisation (departments, job levels),
//! approval workflows, the pipeline's stages and reasons, the audit log and the mail outbox. Every handler
//! checks its permission.

pub mod audit;
pub mod careers;
pub mod departments;
pub mod levels;
pub mod offer_letter;
pub mod onboarding;
pub mod outbox;
pub mod pipeline;
pub mod privacy;
pub mod users;
pub mod workflows;

use crate::web::routes::Routes;

pub fn routes() -> Routes {
    Routes::new()
        .merge(users::routes())
        .merge(departments::routes())
        .merge(levels::routes())
        .merge(audit::routes())
        .merge(outbox::routes())
        .merge(workflows::routes())
        .merge(pipeline::routes())
        .merge(careers::routes())
        .merge(privacy::routes())
        .merge(offer_letter::routes())
        .merge(onboarding::routes())
}
