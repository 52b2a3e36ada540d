//! The departments and job levels the requirement pages offer, the
//! reasons an application ends, the template pipeline and the names of
//! every pipeline's stages, cached in each process: reading them took a quarter of a list page's time, and they
//! change a few times a year.
//!
//! A trigger counts every committed change in the `catalog_version` row,
//! which the signed-in user's query brings along on every request
//! ([`crate::web::current_user::CurrentUser::catalog_version`]). A snapshot serves
//! requests that saw the version it was read at; so a page never shows the
//! catalog older than the request, in any process, with no query of its
//! own while nothing changes.

use crate::domain::org::{self, JobLevel, TreeRow};
use crate::domain::recruiting::stage;
use sqlx::PgConnection;
use std::sync::{Arc, Mutex};

/// Active departments in tree order, active job levels by rank, the
/// rejection reasons in use, the template pipeline's stages, and the names
/// of every pipeline's stages (see [`stage::names`]).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub departments: Vec<TreeRow>,
    pub levels: Vec<JobLevel>,
    pub reasons: Vec<stage::Reason>,
    pub pipeline: Vec<stage::Stage>,
    pub stage_names: Vec<String>,
}

/// A snapshot and the catalog version it was read at.
type Versioned = Option<(i64, Arc<Snapshot>)>;

#[derive(Clone, Default)]
pub struct Catalog {
    cached: Arc<Mutex<Versioned>>,
}

impl Catalog {
    /// The catalog as of `version` (the one the request saw) or later.
    pub async fn get(
        &self,
        conn: &mut PgConnection,
        version: i64,
    ) -> Result<Arc<Snapshot>, sqlx::Error> {
        if let Some((seen, snapshot)) = &*self.lock()
            && *seen == version
        {
            return Ok(Arc::clone(snapshot));
        }
        // Read after `version` was, so at least that new: keeping it under
        // `version` can only cause one more read, never a stale page.
        let snapshot = Arc::new(Snapshot {
            departments: org::tree(org::departments(&mut *conn).await?),
            levels: org::levels(&mut *conn).await?,
            reasons: stage::reasons(&mut *conn).await?,
            pipeline: stage::template(&mut *conn).await?,
            stage_names: stage::names(conn).await?,
        });
        *self.lock() = Some((version, Arc::clone(&snapshot)));
        Ok(snapshot)
    }

    /// The rejection reasons in use, as of `version`.
    pub async fn reasons(
        &self,
        conn: &mut PgConnection,
        version: i64,
    ) -> Result<Vec<stage::Reason>, sqlx::Error> {
        Ok(self.get(conn, version).await?.reasons.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Versioned> {
        // Replacing the value is one assignment: a poisoned lock still holds
        // a whole one.
        self.cached.lock().unwrap_or_else(|e| e.into_inner())
    }
}
