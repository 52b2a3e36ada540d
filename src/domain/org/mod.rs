//! The organisation: departments (a tree, each with a head) and job levels
//! (a rank and a salary band).

pub mod password_policy;
pub mod signed_in;
pub mod token;
pub mod user;

use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::{FieldErrors, optional_id, required_text};
use sqlx::PgConnection;
use uuid::Uuid;

// ---- choices --------------------------------------------------------------

/// What a form's `<select>` chooses: a department, a job level or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Department,
    Level,
    Person,
}

/// One `<select>` of a form to check: its field, what it picks, the id
/// chosen, and the id saved before (kept even if archived since).
pub type Chosen = (&'static str, Pick, Option<Uuid>, Option<Uuid>);

/// Records a problem beside each field whose chosen id names no live row:
/// an unknown id (a forged or stale form), an archived department or level,
/// a deactivated person. A value already saved may stay: archiving a
/// department does not make every edit of its requirements fail. Checked
/// here rather than left to the foreign keys, which know nothing of
/// archiving and would fail the whole transaction.
pub async fn check_choices(
    conn: &mut PgConnection,
    errors: &mut FieldErrors,
    choices: &[Chosen],
) -> Result<(), sqlx::Error> {
    for &(field, pick, chosen, saved) in choices {
        let Some(id) = chosen.filter(|id| Some(*id) != saved) else {
            continue;
        };
        if errors.get(field).is_some() {
            continue;
        }
        let (sql, message) = match pick {
            Pick::Department => (
                "select exists (select 1 from departments where id = $1 and archived_at is null)",
                "This department is archived or gone; choose another.",
            ),
            Pick::Level => (
                "select exists (select 1 from job_levels where id = $1 and archived_at is null)",
                "This job level is archived or gone; choose another.",
            ),
            Pick::Person => (
                "select exists (select 1 from users where id = $1 and deactivated_at is null)",
                "This person is deactivated or unknown; choose someone else.",
            ),
        };
        let live: bool = sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
        if !live {
            errors.add(field, message);
        }
    }
    Ok(())
}

// ---- departments ----------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Department {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub head_id: Option<Uuid>,
    pub head_name: Option<String>,
    pub version: i32,
}

/// A department with its depth in the tree, listed in tree order.
#[derive(Debug, Clone)]
pub struct TreeRow {
    pub department: Department,
    pub depth: usize,
}

pub async fn departments(conn: &mut PgConnection) -> Result<Vec<Department>, sqlx::Error> {
    sqlx::query_as(
        "select d.id, d.name, d.parent_id, d.head_id, u.full_name as head_name, d.version
           from departments d left join users u on u.id = d.head_id
          where d.archived_at is null order by lower(d.name)",
    )
    .fetch_all(conn)
    .await
}

pub async fn department(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Department>, sqlx::Error> {
    sqlx::query_as(
        "select d.id, d.name, d.parent_id, d.head_id, u.full_name as head_name, d.version
           from departments d left join users u on u.id = d.head_id
          where d.id = $1 and d.archived_at is null",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Orders departments depth-first under their parents (alphabetical among
/// siblings). A department whose parent is archived shows at the top level.
pub fn tree(all: Vec<Department>) -> Vec<TreeRow> {
    let ids: std::collections::HashSet<Uuid> = all.iter().map(|d| d.id).collect();
    let mut out = Vec::with_capacity(all.len());
    fn walk(
        parent: Option<Uuid>,
        depth: usize,
        all: &[Department],
        ids: &std::collections::HashSet<Uuid>,
        out: &mut Vec<TreeRow>,
    ) {
        for d in all
            .iter()
            .filter(|d| d.parent_id.filter(|p| ids.contains(p)) == parent)
        {
            out.push(TreeRow {
                department: d.clone(),
                depth,
            });
            walk(Some(d.id), depth + 1, all, ids, out);
        }
    }
    walk(None, 0, &all, &ids, &mut out);
    out
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DepartmentForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub head_id: String,
    #[serde(default)]
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DepartmentFields {
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub head_id: Option<Uuid>,
}

impl DepartmentForm {
    pub fn parse(&self) -> Result<DepartmentFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = required_text(
            &mut e,
            "name",
            &self.name,
            120,
            "Enter the department's name.",
        );
        let parent_id = optional_id(&mut e, "parent_id", &self.parent_id);
        let head_id = optional_id(&mut e, "head_id", &self.head_id);
        e.into_result(|| DepartmentFields {
            name,
            parent_id,
            head_id,
        })
    }

    /// [`DepartmentForm::parse`], the head typed as a name or an email
    /// read into an id (kept in the form, which then shows the person).
    pub async fn read(&mut self, conn: &mut PgConnection) -> Result<DepartmentFields, Error> {
        let picked = user::read_people(conn, vec![("head_id", &mut self.head_id)]).await?;
        Ok(user::picked_first(picked, self.parse())?)
    }
}

/// Adds a department from the form (`id` None), or saves the form over
/// department `id`; the department's name, for the page that says so.
pub async fn save_department(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Option<Uuid>,
    form: &mut DepartmentForm,
) -> Result<String, Error> {
    let f = form.read(&mut *conn).await?;
    match id {
        None => create_department(conn, actor, &f).await.map(drop)?,
        Some(id) => update_department(conn, actor, id, form.version, &f).await?,
    }
    Ok(f.name)
}

const DEPARTMENT_TAKEN: &str = "A department with this name exists already.";
const LEVEL_TAKEN: &str = "A job level with this name exists already.";

pub async fn create_department(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &DepartmentFields,
) -> Result<Uuid, Error> {
    check_department(&mut *conn, f, None).await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into departments (name, parent_id, head_id) values ($1, $2, $3) returning id",
    )
    .bind(&f.name)
    .bind(f.parent_id)
    .bind(f.head_id)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| Error::taken(e, "name", DEPARTMENT_TAKEN))?;
    let changes = Changes::new()
        .created("name", &f.name)
        .created("parent_id", &f.parent_id)
        .created("head_id", &f.head_id);
    audit::record(
        conn,
        actor,
        audit::Action::DepartmentCreated,
        audit::Entity::Department,
        Some(id),
        changes,
    )
    .await?;
    Ok(id)
}

pub async fn update_department(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    f: &DepartmentFields,
) -> Result<(), Error> {
    let before = department(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    check_department(&mut *conn, f, Some(&before)).await?;
    if let Some(parent) = f.parent_id
        && is_within(&mut *conn, parent, id).await?
    {
        return Err(Error::field(
            "parent_id",
            "A department cannot sit under itself or one of its sub-departments.",
        ));
    }
    let done = sqlx::query(
        "update departments set name = $3, parent_id = $4, head_id = $5, version = version + 1, updated_at = now()
          where id = $1 and version = $2 and archived_at is null",
    )
    .bind(id)
    .bind(version)
    .bind(&f.name)
    .bind(f.parent_id)
    .bind(f.head_id)
    .execute(&mut *conn)
    .await
    .map_err(|e| Error::taken(e, "name", DEPARTMENT_TAKEN))?;
    if done.rows_affected() == 0 {
        return Err(Error::stale(conn, audit::Entity::Department, id, version).await);
    }
    let changes = Changes::new()
        .field("name", &before.name, &f.name)
        .field("parent_id", &before.parent_id, &f.parent_id)
        .field("head_id", &before.head_id, &f.head_id)
        .field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::DepartmentUpdated,
        audit::Entity::Department,
        Some(id),
        changes,
    )
    .await?;
    Ok(())
}

/// The parent and head must be live (see [`check_choices`]).
async fn check_department(
    conn: &mut PgConnection,
    f: &DepartmentFields,
    before: Option<&Department>,
) -> Result<(), Error> {
    let mut errors = FieldErrors::default();
    check_choices(
        conn,
        &mut errors,
        &[
            (
                "parent_id",
                Pick::Department,
                f.parent_id,
                before.and_then(|d| d.parent_id),
            ),
            (
                "head_id",
                Pick::Person,
                f.head_id,
                before.and_then(|d| d.head_id),
            ),
        ],
    )
    .await?;
    errors.into_result(|| ()).map_err(Error::Invalid)
}

/// True when `node` is `ancestor` or lies beneath it.
async fn is_within(
    conn: &mut PgConnection,
    node: Uuid,
    ancestor: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "with recursive up(id, parent_id) as (
             select id, parent_id from departments where id = $1
             union select d.id, d.parent_id from departments d join up on d.id = up.parent_id)
         select exists (select 1 from up where id = $2)",
    )
    .bind(node)
    .bind(ancestor)
    .fetch_one(conn)
    .await
}

/// Archives a department; its sub-departments move up to its parent.
pub async fn archive_department(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<(), Error> {
    let before = department(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    sqlx::query("update departments set parent_id = $2, version = version + 1, updated_at = now() where parent_id = $1")
        .bind(id)
        .bind(before.parent_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("update departments set archived_at = now(), version = version + 1, updated_at = now() where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::DepartmentArchived,
        audit::Entity::Department,
        Some(id),
        Changes::new().field("archived", &false, &true),
    )
    .await?;
    Ok(())
}

// ---- job levels -----------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobLevel {
    pub id: Uuid,
    pub name: String,
    pub rank: i32,
    pub salary_min: i64,
    pub salary_max: i64,
    pub currency: String,
    pub version: i32,
}

pub async fn levels(conn: &mut PgConnection) -> Result<Vec<JobLevel>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, rank, salary_min, salary_max, currency, version from job_levels
          where archived_at is null order by rank, lower(name)",
    )
    .fetch_all(conn)
    .await
}

pub async fn level(conn: &mut PgConnection, id: Uuid) -> Result<Option<JobLevel>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, rank, salary_min, salary_max, currency, version from job_levels
          where id = $1 and archived_at is null",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LevelForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub rank: String,
    #[serde(default)]
    pub salary_min: String,
    #[serde(default)]
    pub salary_max: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LevelFields {
    pub name: String,
    pub rank: i32,
    pub salary_min: i64,
    pub salary_max: i64,
    pub currency: String,
}

impl LevelForm {
    pub fn from_level(l: &JobLevel) -> Self {
        LevelForm {
            name: l.name.clone(),
            rank: l.rank.to_string(),
            salary_min: l.salary_min.to_string(),
            salary_max: l.salary_max.to_string(),
            currency: l.currency.clone(),
            version: l.version,
        }
    }

    pub fn parse(&self) -> Result<LevelFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = required_text(&mut e, "name", &self.name, 80, "Enter the level's name.");
        let rank = match self.rank.trim().parse::<i32>() {
            Ok(r) if (1..=100).contains(&r) => r,
            _ => {
                e.add("rank", "Enter a whole number from 1 to 100.");
                0
            }
        };
        let money = |e: &mut FieldErrors, field: &'static str, v: &str| match v
            .trim()
            .replace([',', '_', ' '], "")
            .parse::<i64>()
        {
            Ok(n) if n >= 0 => n,
            _ => {
                e.add(field, "Enter an amount in whole units, like 85000.");
                0
            }
        };
        let salary_min = money(&mut e, "salary_min", &self.salary_min);
        let salary_max = money(&mut e, "salary_max", &self.salary_max);
        if e.get("salary_min").is_none() && e.get("salary_max").is_none() && salary_min > salary_max
        {
            e.add("salary_max", "The maximum must be at least the minimum.");
        }
        let currency = self.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            e.add("currency", "Enter a three-letter currency code, like EUR.");
        }
        e.into_result(|| LevelFields {
            name,
            rank,
            salary_min,
            salary_max,
            currency,
        })
    }
}

pub async fn create_level(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &LevelFields,
) -> Result<Uuid, Error> {
    let id: Uuid = sqlx::query_scalar(
        "insert into job_levels (name, rank, salary_min, salary_max, currency) values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(&f.name)
    .bind(f.rank)
    .bind(f.salary_min)
    .bind(f.salary_max)
    .bind(&f.currency)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| Error::taken(e, "name", LEVEL_TAKEN))?;
    let changes = Changes::new()
        .created("name", &f.name)
        .created("rank", &f.rank)
        .created("salary_min", &f.salary_min)
        .created("salary_max", &f.salary_max)
        .created("currency", &f.currency);
    audit::record(
        conn,
        actor,
        audit::Action::JobLevelCreated,
        audit::Entity::JobLevel,
        Some(id),
        changes,
    )
    .await?;
    Ok(id)
}

pub async fn update_level(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    version: i32,
    f: &LevelFields,
) -> Result<JobLevel, Error> {
    let before = level(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let after: Option<JobLevel> = sqlx::query_as(
        "update job_levels set name = $3, rank = $4, salary_min = $5, salary_max = $6, currency = $7,
                version = version + 1, updated_at = now()
          where id = $1 and version = $2 and archived_at is null
          returning id, name, rank, salary_min, salary_max, currency, version",
    )
    .bind(id)
    .bind(version)
    .bind(&f.name)
    .bind(f.rank)
    .bind(f.salary_min)
    .bind(f.salary_max)
    .bind(&f.currency)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| Error::taken(e, "name", LEVEL_TAKEN))?;
    let Some(after) = after else {
        return Err(Error::stale(conn, audit::Entity::JobLevel, id, version).await);
    };
    let changes = Changes::new()
        .field("name", &before.name, &f.name)
        .field("rank", &before.rank, &f.rank)
        .field("salary_min", &before.salary_min, &f.salary_min)
        .field("salary_max", &before.salary_max, &f.salary_max)
        .field("currency", &before.currency, &f.currency)
        .field("version", &version, &(version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::JobLevelUpdated,
        audit::Entity::JobLevel,
        Some(id),
        changes,
    )
    .await?;
    Ok(after)
}

pub async fn archive_level(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> Result<(), Error> {
    let done = sqlx::query(
        "update job_levels set archived_at = now(), version = version + 1, updated_at = now()
          where id = $1 and archived_at is null",
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
        audit::Action::JobLevelArchived,
        audit::Entity::JobLevel,
        Some(id),
        Changes::new().field("archived", &false, &true),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_form_errors_sit_beside_fields() {
        let form = LevelForm {
            name: " ".into(),
            rank: "0".into(),
            salary_min: "90000".into(),
            salary_max: "80,000".into(),
            currency: "euro".into(),
            version: 1,
        };
        let e = form.parse().err().unwrap_or_default();
        assert!(e.get("name").is_some());
        assert!(e.get("rank").is_some());
        assert_eq!(
            e.get("salary_max"),
            Some("The maximum must be at least the minimum.")
        );
        assert!(e.get("currency").is_some());
        let ok = LevelForm {
            name: "Senior".into(),
            rank: "5".into(),
            salary_min: "80 000".into(),
            salary_max: "120000".into(),
            currency: "eur".into(),
            version: 1,
        };
        assert_eq!(
            ok.parse().map(|f| (f.salary_min, f.currency)),
            Ok((80_000, "EUR".to_owned()))
        );
    }
}
