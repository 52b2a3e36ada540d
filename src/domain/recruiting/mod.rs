//! Recruiting: candidates (the person), their applications (the person for
//! one requirement), the stages an application moves through, and who may
//! see them.

pub mod application;
pub mod board;
pub mod candidate;
pub mod careers;
pub mod document;
pub mod duplicates;
pub mod files;
pub mod history;
pub mod merge;
pub mod privacy;
pub mod search;
pub mod stage;

use crate::domain::access::{Permission, Role, allows};
use uuid::Uuid;

/// Whose candidates a person may see (DOMAIN.md, the candidate row):
/// recruiters and admins all; a hiring manager those of the requirements
/// they manage; an interviewer those they interview (on the panel of one of
/// their interviews); others none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    pub user: Uuid,
    /// Manages candidates: sees every one.
    pub all: bool,
    /// May see some: those of their own requirements.
    pub own: bool,
    /// Sees the applications to confidential requirements they are not
    /// named on (admins).
    pub confidential: bool,
}

impl Reach {
    pub fn of(user: Uuid, roles: &[Role]) -> Reach {
        Reach {
            user,
            all: allows(roles, Permission::ManageCandidates),
            own: allows(roles, Permission::ViewCandidates),
            confidential: allows(roles, Permission::AdministerRequirements),
        }
    }

    /// Whether they see any candidate at all.
    pub fn any(&self) -> bool {
        self.all || self.own
    }
}

/// The SQL condition "candidate `c` is within reach", for a query binding
/// the reach's user as `$1`, `all` as `$2` and `own` as `$3`. A macro so
/// queries can `concat!` it into `&'static str` SQL.
macro_rules! within_reach {
    () => {
        "($2 or ($3 and exists (
            select from applications ra join requirements rr on rr.id = ra.requirement_id
             where ra.candidate_id = c.id and rr.deleted_at is null
               and (rr.hiring_manager_id = $1 or rr.created_by = $1
                    or exists (select from interviews ri
                                 join interview_panel rp on rp.interview_id = ri.id
                                where ri.application_id = ra.id and rp.user_id = $1)))))"
    };
}
pub(crate) use within_reach;

/// Whether `user` sees the pipeline (board, applications) of requirement
/// `r`, which they see: its recruiters and admins, and its own hiring
/// manager (or whoever requested it) when they may see candidates at all.
pub fn sees_pipeline(
    r: &crate::domain::requisition::requirement::Requirement,
    user: Uuid,
    roles: &[Role],
) -> bool {
    let reach = Reach::of(user, roles);
    reach.all || (reach.own && (r.hiring_manager_id == user || r.created_by == user))
}

/// Whether `user` sees a candidate whose requirements are run by `own`
/// (their hiring managers and requesters, from [`own_people`]): the rule of
/// [`Reach`], for one candidate, without the database.
pub fn sees_candidate(user: Uuid, roles: &[Role], own: &[Uuid]) -> bool {
    let reach = Reach::of(user, roles);
    reach.all || (reach.own && own.contains(&user))
}

/// The people who see the candidate through the requirements they run
/// (the hiring managers and requesters of those they are in the pipeline
/// of) or their interviews (the panels).
pub async fn own_people(
    conn: &mut sqlx::PgConnection,
    candidate: candidate::CandidateId,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select unnest(array[r.hiring_manager_id, r.created_by])
           from applications a join requirements r on r.id = a.requirement_id
          where a.candidate_id = $1 and r.deleted_at is null
         union
         select p.user_id
           from applications a join requirements r on r.id = a.requirement_id
           join interviews i on i.application_id = a.id
           join interview_panel p on p.interview_id = i.id
          where a.candidate_id = $1 and r.deleted_at is null",
    )
    .bind(candidate)
    .fetch_all(conn)
    .await
}
