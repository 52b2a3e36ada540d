//! The stages of a pipeline (the admins' template, or a requirement's own
//! copy) and the reasons an application ends, both kept by admins: every
//! change audited.

use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::id::Id;
use crate::domain::kernel::{FieldErrors, required_text};
use crate::domain::requisition::requirement::RequirementId;
use sqlx::PgConnection;

/// What a stage means to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// The pipeline proper: applied, screening, interview, offer…
    Active,
    /// Reaching it fills an opening.
    Hired,
    /// The end of an application we rejected.
    Rejected,
    /// The end of an application the candidate withdrew.
    Withdrawn,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Active => "active",
            StageKind::Hired => "hired",
            StageKind::Rejected => "rejected",
            StageKind::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(s: &str) -> Option<StageKind> {
        [
            StageKind::Active,
            StageKind::Hired,
            StageKind::Rejected,
            StageKind::Withdrawn,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Rejected or withdrawn: left through a rejection, back by un-rejecting.
    pub fn is_end(self) -> bool {
        matches!(self, StageKind::Rejected | StageKind::Withdrawn)
    }
}

crate::text_enum!(StageKind);

pub type StageId = Id<Stage>;

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    pub kind: StageKind,
    pub position: i32,
}

/// The condition on `pipeline_stages s` that keeps the stages of the
/// pipeline of requirement `$r` (SQL naming it): its own copy when it has
/// one, else the template. One definition for every statement reading one.
macro_rules! in_pipeline {
    ($r:literal) => {
        concat!(
            "s.archived_at is null
             and (s.requirement_id = ",
            $r,
            "
                  or (s.requirement_id is null
                      and not exists (select from pipeline_stages o
                                       where o.requirement_id = ",
            $r,
            " and o.archived_at is null)))"
        )
    };
}
pub(crate) use in_pipeline;

/// The stages of the requirement's pipeline in order: its own copy when it
/// has one, else the template.
pub async fn pipeline(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<Vec<Stage>, sqlx::Error> {
    sqlx::query_as(concat!(
        "select id, name, kind, position from pipeline_stages s where ",
        in_pipeline!("$1"),
        " order by position"
    ))
    .bind(requirement)
    .fetch_all(conn)
    .await
}

/// The names of the stages of every pipeline, in template order, for the
/// list's filter (a requirement's copy may add names of its own).
pub async fn names(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select name from pipeline_stages where archived_at is null
          group by name order by min(position), name",
    )
    .fetch_all(conn)
    .await
}

/// Who ended an application: us, or the candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    WeRejected,
    TheyWithdrew,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::WeRejected => "we_rejected",
            Side::TheyWithdrew => "they_withdrew",
        }
    }

    pub fn parse(s: &str) -> Option<Side> {
        [Side::WeRejected, Side::TheyWithdrew]
            .into_iter()
            .find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Side::WeRejected => "We rejected them",
            Side::TheyWithdrew => "They withdrew",
        }
    }

    /// The end an application with a reason of this side goes to.
    pub fn end(self) -> StageKind {
        match self {
            Side::WeRejected => StageKind::Rejected,
            Side::TheyWithdrew => StageKind::Withdrawn,
        }
    }
}

crate::text_enum!(Side);

pub type ReasonId = Id<Reason>;

/// A reason an application ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Reason {
    pub id: ReasonId,
    pub label: String,
    pub side: Side,
}

/// The reasons in use, ours first, in the admins' order.
pub async fn reasons(conn: &mut PgConnection) -> Result<Vec<Reason>, sqlx::Error> {
    sqlx::query_as(
        "select id, label, side from rejection_reasons where archived_at is null
          order by side desc, position",
    )
    .fetch_all(conn)
    .await
}

/// One reason in use.
pub async fn reason(conn: &mut PgConnection, id: ReasonId) -> Result<Option<Reason>, sqlx::Error> {
    sqlx::query_as(
        "select id, label, side from rejection_reasons where id = $1 and archived_at is null",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// The longest name of a stage, and of a reason.
pub const NAME_MAX: usize = 60;
pub const LABEL_MAX: usize = 120;

fn name(input: &str, field: &'static str, max: usize) -> Result<String, Error> {
    let mut e = FieldErrors::default();
    let name = required_text(&mut e, field, input, max, "Give it a name.");
    e.into_result(|| name).map_err(Error::from)
}

/// Adds an active stage to the pipeline (the template, with no
/// requirement; else the requirement's own copy), just before Hired.
pub async fn add_stage(
    conn: &mut PgConnection,
    actor: &Actor,
    pipeline: Option<RequirementId>,
    input: &str,
) -> Result<(), Error> {
    if let Some(r) = pipeline
        && !has_own(&mut *conn, r).await?
    {
        return Err(Error::refused(
            "This requirement uses the template: give it a pipeline of its own first.",
        ));
    }
    let name = name(input, "name", NAME_MAX)?;
    let taken: bool = sqlx::query_scalar(
        "select exists (select from pipeline_stages
                         where requirement_id is not distinct from $2 and archived_at is null
                           and lower(name) = lower($1))",
    )
    .bind(&name)
    .bind(pipeline)
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Err(Error::field(
            "name",
            "The pipeline has a stage of that name.",
        ));
    }
    // Before Hired and the ends: they move one place down.
    let id: StageId = sqlx::query_scalar(
        "with hired as (select position from pipeline_stages
                         where requirement_id is not distinct from $2 and archived_at is null and kind = 'hired'),
              moved as (update pipeline_stages set position = position + 1
                         where requirement_id is not distinct from $2 and position >= (select position from hired))
         insert into pipeline_stages (requirement_id, name, kind, position) select $2, $1, 'active', position from hired
         returning id",
    )
    .bind(&name)
    .bind(pipeline)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        audit::Action::StageAdded,
        audit::Entity::PipelineStage,
        Some(id.uuid()),
        Changes::new().created("name", &name),
    )
    .await?;
    Ok(())
}

/// Renames a stage of the pipeline.
pub async fn rename_stage(
    conn: &mut PgConnection,
    actor: &Actor,
    pipeline: Option<RequirementId>,
    id: StageId,
    input: &str,
) -> Result<(), Error> {
    let before: Option<String> = sqlx::query_scalar(
        "select name from pipeline_stages
          where id = $1 and requirement_id is not distinct from $2 and archived_at is null for update",
    )
    .bind(id)
    .bind(pipeline)
    .fetch_optional(&mut *conn)
    .await?;
    let before = before.ok_or(Error::NotFound)?;
    let name = name(input, "name", NAME_MAX)?;
    sqlx::query("update pipeline_stages set name = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(&name)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::StageRenamed,
        audit::Entity::PipelineStage,
        Some(id.uuid()),
        Changes::new().field("name", &before, &name),
    )
    .await?;
    Ok(())
}

/// Archives an active stage of the pipeline, refused while applications
/// are in it (the hired stage and the ends stay: the app needs them).
pub async fn archive_stage(
    conn: &mut PgConnection,
    actor: &Actor,
    pipeline: Option<RequirementId>,
    id: StageId,
) -> Result<(), Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        name: String,
        kind: StageKind,
        applications: i64,
    }
    let row: Option<Row> = sqlx::query_as(
        "select s.name, s.kind, (select count(*) from applications a where a.stage_id = s.id) as applications
           from pipeline_stages s
          where s.id = $1 and s.requirement_id is not distinct from $2 and s.archived_at is null for update",
    )
    .bind(id)
    .bind(pipeline)
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or(Error::NotFound)?;
    if row.kind != StageKind::Active {
        return Err(Error::refused(format!(
            "{} stays: hiring and rejecting need it.",
            row.name
        )));
    }
    if row.applications > 0 {
        return Err(Error::refused(format!(
            "{} candidate(s) are at {}: move them on first.",
            row.applications, row.name
        )));
    }
    sqlx::query("update pipeline_stages set archived_at = now() where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::StageArchived,
        audit::Entity::PipelineStage,
        Some(id.uuid()),
        Changes::new().field("archived", &false, &true),
    )
    .await?;
    Ok(())
}

/// Adds a reason to the list, last of its side.
pub async fn add_reason(
    conn: &mut PgConnection,
    actor: &Actor,
    input: &str,
    side: &str,
) -> Result<(), Error> {
    let label = name(input, "label", LABEL_MAX)?;
    let side = Side::parse(side).ok_or_else(|| Error::field("side", "Choose who ended it."))?;
    let id: ReasonId = sqlx::query_scalar(
        "insert into rejection_reasons (label, side, position)
         select $1, $2, coalesce(max(position), 0) + 1 from rejection_reasons returning id",
    )
    .bind(&label)
    .bind(side)
    .fetch_one(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        audit::Action::ReasonAdded,
        audit::Entity::RejectionReason,
        Some(id.uuid()),
        Changes::new()
            .created("label", &label)
            .created("side", &side.as_str()),
    )
    .await?;
    Ok(())
}

/// Renames a reason in use.
pub async fn rename_reason(
    conn: &mut PgConnection,
    actor: &Actor,
    id: ReasonId,
    input: &str,
) -> Result<(), Error> {
    let before = reason(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let label = name(input, "label", LABEL_MAX)?;
    sqlx::query("update rejection_reasons set label = $2 where id = $1")
        .bind(id)
        .bind(&label)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::ReasonRenamed,
        audit::Entity::RejectionReason,
        Some(id.uuid()),
        Changes::new().field("label", &before.label, &label),
    )
    .await?;
    Ok(())
}

/// Takes a reason off the list; applications that ended with it keep it.
pub async fn archive_reason(
    conn: &mut PgConnection,
    actor: &Actor,
    id: ReasonId,
) -> Result<(), Error> {
    let done = sqlx::query(
        "update rejection_reasons set archived_at = now() where id = $1 and archived_at is null",
    )
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        conn,
        actor,
        audit::Action::ReasonArchived,
        audit::Entity::RejectionReason,
        Some(id.uuid()),
        Changes::new().field("archived", &false, &true),
    )
    .await?;
    Ok(())
}

/// Gives the requirement a pipeline of its own: a copy of the template's
/// stages, which it then uses alone (its applications move to the copies
/// of their stages); the template's later changes no longer reach it.
pub async fn copy_template(
    conn: &mut PgConnection,
    actor: &Actor,
    requirement: RequirementId,
) -> Result<(), Error> {
    // One copy, however many ask at once.
    sqlx::query("select from requirements where id = $1 for update")
        .bind(requirement)
        .execute(&mut *conn)
        .await?;
    if has_own(&mut *conn, requirement).await? {
        return Err(Error::refused("It has a pipeline of its own already."));
    }
    sqlx::query(
        "with copied as (
            insert into pipeline_stages (requirement_id, name, kind, position)
            select $1, name, kind, position from pipeline_stages
             where requirement_id is null and archived_at is null
            returning id, name, kind)
         update applications a set stage_id = c.id
           from copied c
           join pipeline_stages t on t.requirement_id is null and t.archived_at is null
                                 and t.name = c.name and t.kind = c.kind
          where a.requirement_id = $1 and a.stage_id = t.id",
    )
    .bind(requirement)
    .execute(&mut *conn)
    .await?;
    audit::record(
        conn,
        actor,
        audit::Action::PipelineCopied,
        audit::Entity::Requirement,
        Some(requirement.uuid()),
        Changes::new().field("own_pipeline", &false, &true),
    )
    .await?;
    Ok(())
}

/// Whether the requirement has a pipeline of its own.
pub async fn has_own(
    conn: &mut PgConnection,
    requirement: RequirementId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select from pipeline_stages where requirement_id = $1 and archived_at is null)",
    )
    .bind(requirement)
    .fetch_one(conn)
    .await
}

/// The template's stages in order (what a requirement without a copy of its
/// own uses; cached in the catalog, `crate::catalog`).
pub async fn template(conn: &mut PgConnection) -> Result<Vec<Stage>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, kind, position from pipeline_stages
          where requirement_id is null and archived_at is null order by position",
    )
    .fetch_all(conn)
    .await
}
