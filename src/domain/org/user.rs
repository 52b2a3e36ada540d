//! Users: accounts, roles, passwords and their history, deactivation.

use crate::domain::Error;
use crate::domain::access::Role;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::kernel::FieldErrors;
use crate::domain::messaging::{Letters, outbox};
use crate::domain::org::token::{self, Purpose};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// An email address, trimmed and lower-cased: the form in which emails are
/// stored and compared, so uniqueness is case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, &'static str> {
        let e = input.trim().to_lowercase();
        let valid = e.len() <= 254
            && !e.chars().any(|c| c.is_whitespace() || c.is_control())
            && e.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if valid {
            Ok(Email(e))
        } else {
            Err("Enter an email address like name@example.com.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A time zone name from the IANA database (e.g. `Europe/Berlin`).
pub fn parse_time_zone(input: &str) -> Result<String, &'static str> {
    input
        .trim()
        .parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_owned())
        .map_err(|_| "Choose a time zone from the list.")
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    /// What others type after @ to mention them: made from the name by the
    /// database when the user is inserted (see the comments migration).
    pub handle: String,
    pub roles: Vec<String>,
    pub department_id: Option<Uuid>,
    pub department_name: Option<String>,
    pub manager_id: Option<Uuid>,
    pub time_zone: String,
    pub deactivated_at: Option<DateTime<Utc>>,
    pub has_password: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl User {
    pub fn roles(&self) -> Vec<Role> {
        self.roles.iter().filter_map(|r| Role::parse(r)).collect()
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r == role.as_str())
    }

    pub fn is_active(&self) -> bool {
        self.deactivated_at.is_none()
    }
}

/// The select shared by user queries (a macro so `concat!` yields
/// `&'static str` SQL).
macro_rules! user_select {
    () => {
        "select u.id, u.email, u.full_name, u.handle, u.roles, u.department_id, d.name as department_name,
        u.manager_id, u.time_zone, u.deactivated_at,
        u.password_hash is not null as has_password, u.version, u.created_at
   from users u
   left join departments d on d.id = u.department_id "
    };
}

pub async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as(concat!(user_select!(), "where u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

#[derive(Debug, Default, Clone, serde::Deserialize, serde::Serialize)]
pub struct ListFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub role: String,
    /// "active" (default), "deactivated" or "all".
    #[serde(default)]
    pub status: String,
    /// Keyset pagination: the users that follow this one (the last of the
    /// previous page) by name.
    #[serde(default)]
    pub after: String,
}

/// How many users a page of the list shows.
pub const PAGE_SIZE: i64 = 100;

/// Up to `limit` users matching the filter, by name (a page asks for one
/// more, to tell whether another page follows).
pub async fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    limit: i64,
) -> Result<Vec<User>, sqlx::Error> {
    // PostgreSQL refuses NUL in text; in a search it can only be noise.
    let q = f.q.replace('\0', "");
    let q = Some(q.trim())
        .filter(|q| !q.is_empty())
        .map(crate::domain::kernel::like_escaped);
    let role = Role::parse(&f.role).map(Role::as_str);
    // Only these three are bound: any other text (a NUL in it, which
    // PostgreSQL refuses) means the active ones, as an empty one does.
    let status = match f.status.as_str() {
        "all" => "all",
        "deactivated" => "deactivated",
        _ => "active",
    };
    sqlx::query_as(concat!(
        user_select!(),
        "where ($1::text is null or u.full_name ilike '%' || $1 || '%' or u.email ilike '%' || $1 || '%')
           and ($2::text is null or $2 = any(u.roles))
           and case $3 when 'all' then true
                       when 'deactivated' then u.deactivated_at is not null
                       else u.deactivated_at is null end
           and ($4::uuid is null
                or (lower(u.full_name), u.id) > (select lower(full_name), id from users where id = $4))
         order by lower(u.full_name), u.id limit $5"
    ))
    .bind(q)
    .bind(role)
    .bind(status)
    .bind(f.after.trim().parse::<Uuid>().ok())
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A person as a form's person field shows them: "Ada Lovelace
/// <ada@example.com>". The email tells apart people who share a name, and
/// is what [`pick`] reads a chosen suggestion back by.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Person {
    pub id: Uuid,
    pub full_name: String,
    pub email: String,
}

impl Person {
    pub fn label(&self) -> String {
        format!("{} <{}>", self.full_name, self.email)
    }
}

/// How many people a person field suggests: enough to find anyone by a few
/// more letters, never the whole organisation.
pub const SUGGESTIONS: i64 = 20;

/// Active people whose name or email contains `q`, by name, at most
/// [`SUGGESTIONS`] of them; nobody for an empty `q`.
pub async fn suggest(conn: &mut PgConnection, q: &str) -> Result<Vec<Person>, sqlx::Error> {
    // PostgreSQL refuses NUL in text; in a search it can only be noise.
    let q = q.replace('\0', "");
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = crate::domain::kernel::like_escaped(q);
    sqlx::query_as(
        "select id, full_name, email from users
          where deactivated_at is null
            and (full_name ilike '%' || $1 || '%' or email ilike '%' || $1 || '%')
          order by lower(full_name), email limit $2",
    )
    .bind(escaped)
    .bind(SUGGESTIONS)
    .fetch_all(conn)
    .await
}

/// The people with these ids (deactivated ones too: a saved choice still
/// shows who it is).
pub async fn people(conn: &mut PgConnection, ids: &[Uuid]) -> Result<Vec<Person>, sqlx::Error> {
    sqlx::query_as("select id, full_name, email from users where id = any($1)")
        .bind(ids)
        .fetch_all(conn)
        .await
}

/// Reads the person fields of a submitted form: each text becomes the id of
/// the person it names, as the domain checks any chosen id. One that names
/// nobody or several people keeps its text (which the domain refuses, so
/// nothing is saved) and gets its problem here; put these errors before
/// the domain's (see [`FieldErrors::extend`]) so they are the ones shown.
pub async fn read_people(
    conn: &mut PgConnection,
    fields: Vec<(&'static str, &mut String)>,
) -> Result<FieldErrors, sqlx::Error> {
    let mut errors = FieldErrors::default();
    for (field, text) in fields {
        match pick(&mut *conn, text).await? {
            Ok(Some(id)) => *text = id.to_string(),
            Ok(None) => text.clear(),
            Err(problem) => errors.add(field, problem),
        }
    }
    Ok(errors)
}

/// The problems of [`read_people`] before those of the domain's check of the same
/// form (`checked`), so they are the ones shown; any of them fails it.
pub fn picked_first<T>(
    picked: FieldErrors,
    checked: Result<T, FieldErrors>,
) -> Result<T, FieldErrors> {
    match checked {
        Ok(value) if picked.is_empty() => Ok(value),
        Ok(_) => Err(picked),
        Err(errors) => {
            let mut all = picked;
            all.extend(errors);
            Err(all)
        }
    }
}

/// The one person a required person field names (see [`pick`]), or the
/// problem beside `field`; `missing` says what to type when it is empty.
pub async fn read_person(
    conn: &mut PgConnection,
    field: &'static str,
    text: &str,
    missing: &str,
) -> Result<Uuid, Error> {
    match pick(conn, text).await? {
        Ok(Some(id)) => Ok(id),
        Ok(None) => Err(Error::field(field, missing)),
        Err(problem) => Err(Error::field(field, problem)),
    }
}

/// Who the text typed into a person field names: nobody when it is empty;
/// an id as it is (forms sent before person fields were typed, and
/// scripts, send ids; the caller checks them as any chosen id); else the
/// person with that email (a chosen suggestion, "Name <email>", or a bare
/// address), or the one active person with exactly that name. The problem,
/// in the words shown beside the field, when it names nobody or several.
pub async fn pick(
    conn: &mut PgConnection,
    text: &str,
) -> Result<Result<Option<Uuid>, String>, sqlx::Error> {
    let text = text.trim().replace('\0', "");
    if text.is_empty() {
        return Ok(Ok(None));
    }
    if let Ok(id) = text.parse::<Uuid>() {
        return Ok(Ok(Some(id)));
    }
    let email = match text.strip_suffix('>').and_then(|t| t.rsplit_once('<')) {
        Some((_, email)) => Some(email.trim()),
        None => text.contains('@').then_some(text.as_str()),
    };
    if let Some(email) = email {
        let id: Option<Uuid> = sqlx::query_scalar("select id from users where email = lower($1)")
            .bind(email)
            .fetch_optional(conn)
            .await?;
        return Ok(id
            .map(Some)
            .ok_or_else(|| format!("Nobody here has the email address {email}.")));
    }
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select id from users where lower(full_name) = lower($1) and deactivated_at is null limit 2",
    )
    .bind(&text)
    .fetch_all(conn)
    .await?;
    Ok(match ids[..] {
        [id] => Ok(Some(id)),
        [] => Err(format!(
            "Nobody here is called “{text}”. Type part of a name and choose from the suggestions, or type an email address."
        )),
        _ => Err(format!(
            "Several people are called “{text}”: type the email address of the one you mean."
        )),
    })
}

/// What an admin sets on a user (and on an invitation).
#[derive(Debug, Clone)]
pub struct UserFields {
    pub email: Email,
    pub full_name: String,
    pub roles: Vec<Role>,
    pub department_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub time_zone: String,
}

fn role_names(roles: &[Role]) -> Vec<String> {
    let mut names: Vec<String> = roles.iter().map(|r| r.as_str().to_owned()).collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `roles` (as stored) include admin or super admin.
fn is_admin_account(roles: &[String]) -> bool {
    roles
        .iter()
        .any(|r| r == Role::Admin.as_str() || r == Role::SuperAdmin.as_str())
}

/// Only someone allowed to grant the admin roles may touch an account that
/// has one, or will have one after the change: otherwise an admin could
/// change a super admin's email, reset its password through the new
/// address and become super admin. The application itself (an actor with
/// no user: the command line, the demo seed) may.
async fn require_admin_authority(
    conn: &mut PgConnection,
    actor: &Actor,
    roles: &[&[String]],
) -> Result<(), Error> {
    if !roles.iter().any(|r| is_admin_account(r)) {
        return Ok(());
    }
    let Some(actor_id) = actor.user_id else {
        return Ok(());
    };
    let actor_roles: Option<Vec<String>> =
        sqlx::query_scalar("select roles from users where id = $1 and deactivated_at is null")
            .bind(actor_id)
            .fetch_optional(&mut *conn)
            .await?;
    let actor_roles: Vec<Role> = actor_roles
        .unwrap_or_default()
        .iter()
        .filter_map(|r| Role::parse(r))
        .collect();
    if crate::domain::access::allows(&actor_roles, crate::domain::access::Permission::GrantAdmin) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Shown beside the email when another account has it.
pub const EMAIL_TAKEN: &str = "Someone has this email already.";

/// Creates a user; `password_hash` None means invited (no password yet).
pub async fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    f: &UserFields,
    password_hash: Option<&str>,
) -> Result<Uuid, Error> {
    check_choices(&mut *conn, None, f).await?;
    let roles = role_names(&f.roles);
    require_admin_authority(&mut *conn, actor, &[&roles]).await?;
    let id: Uuid = sqlx::query_scalar(
        "insert into users (email, full_name, roles, department_id, manager_id, time_zone, password_hash)
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(f.email.as_str())
    .bind(f.full_name.trim())
    .bind(&roles)
    .bind(f.department_id)
    .bind(f.manager_id)
    .bind(&f.time_zone)
    .bind(password_hash)
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| Error::taken(e, "email", EMAIL_TAKEN))?;
    if let Some(hash) = password_hash {
        remember_password(conn, id, hash).await?;
    }
    let changes = Changes::new()
        .created("email", &f.email.as_str())
        .created("full_name", &f.full_name.trim())
        .created("roles", &roles)
        .created("department_id", &f.department_id)
        .created("manager_id", &f.manager_id)
        .created("time_zone", &f.time_zone);
    audit::record(
        conn,
        actor,
        audit::Action::UserCreated,
        audit::Entity::User,
        Some(id),
        changes,
    )
    .await?;
    Ok(id)
}

/// Creates the account of someone invited (no password yet) and mails
/// them the link that sets one, from `inviter` (a name).
pub async fn invite(
    conn: &mut PgConnection,
    secret: &[u8],
    actor: &Actor,
    inviter: &str,
    mail: &dyn Letters,
    f: &UserFields,
) -> Result<Uuid, Error> {
    let id = create(&mut *conn, actor, f, None).await?;
    send_invitation(conn, secret, actor, inviter, mail, id).await?;
    Ok(id)
}

/// Mails `id` a new invitation link (any earlier one stops working).
pub async fn send_invitation(
    conn: &mut PgConnection,
    secret: &[u8],
    actor: &Actor,
    inviter: &str,
    mail: &dyn Letters,
    id: Uuid,
) -> Result<(), Error> {
    let u = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let t = token::issue(&mut *conn, secret, actor, id, Purpose::Invitation).await?;
    let letter = mail.invitation(&u.email, &u.full_name, inviter, &t)?;
    outbox::queue(conn, &letter).await?;
    Ok(())
}

/// Saves an admin's edit, refusing it if the user changed since `version`.
///
/// A new email ends the user's sessions, voids their outstanding reset and
/// invitation links, and tells the old address: whoever changed it cannot
/// then take the account over quietly.
pub async fn update(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    actor: &Actor,
    id: Uuid,
    version: i32,
    f: &UserFields,
) -> Result<(), Error> {
    let before = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    check_choices(&mut *conn, Some(&before), f).await?;
    let roles = role_names(&f.roles);
    require_admin_authority(&mut *conn, actor, &[&before.roles, &roles]).await?;
    let done = sqlx::query(
        "update users set email = $3, full_name = $4, roles = $5, department_id = $6, manager_id = $7,
                time_zone = $8, version = version + 1, updated_at = now()
          where id = $1 and version = $2",
    )
    .bind(id)
    .bind(version)
    .bind(f.email.as_str())
    .bind(f.full_name.trim())
    .bind(&roles)
    .bind(f.department_id)
    .bind(f.manager_id)
    .bind(&f.time_zone)
    .execute(&mut *conn)
    .await
    .map_err(|e| Error::taken(e, "email", EMAIL_TAKEN))?;
    if done.rows_affected() == 0 {
        return Err(Error::stale(conn, audit::Entity::User, id, version).await);
    }
    let changes = Changes::new()
        .field("email", &before.email.as_str(), &f.email.as_str())
        .field("full_name", &before.full_name.as_str(), &f.full_name.trim())
        .field("roles", &before.roles, &roles)
        .field("department_id", &before.department_id, &f.department_id)
        .field("manager_id", &before.manager_id, &f.manager_id)
        .field("time_zone", &before.time_zone, &f.time_zone)
        .field("version", &version, &(version + 1));
    audit::record(
        &mut *conn,
        actor,
        audit::Action::UserUpdated,
        audit::Entity::User,
        Some(id),
        changes,
    )
    .await?;
    if before.email != f.email.as_str() {
        sqlx::query("delete from sessions where user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
        crate::domain::org::token::void_all(&mut *conn, id).await?;
        let notice = mail.email_changed(&before.email, f.full_name.trim(), f.email.as_str())?;
        crate::domain::messaging::outbox::queue(&mut *conn, &notice).await?;
    }
    // Fewer roles must take effect now, not at the next sign-in: the
    // extractor reads roles from the row on every request, so nothing to do.
    Ok(())
}

/// The department and manager must be live (unless kept from `before`),
/// and nobody is their own manager.
async fn check_choices(
    conn: &mut PgConnection,
    before: Option<&User>,
    f: &UserFields,
) -> Result<(), Error> {
    use crate::domain::org::{Pick, check_choices};
    let mut errors = crate::domain::kernel::FieldErrors::default();
    if let (Some(u), Some(manager)) = (before, f.manager_id)
        && u.id == manager
    {
        errors.add(
            "manager_id",
            "Choose someone else: nobody is their own manager.",
        );
    }
    check_choices(
        conn,
        &mut errors,
        &[
            (
                "department_id",
                Pick::Department,
                f.department_id,
                before.and_then(|u| u.department_id),
            ),
            (
                "manager_id",
                Pick::Person,
                f.manager_id,
                before.and_then(|u| u.manager_id),
            ),
        ],
    )
    .await?;
    errors.into_result(|| ()).map_err(Error::Invalid)
}

/// A user's own edit of their profile.
pub async fn update_profile(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    full_name: &str,
    time_zone: &str,
) -> Result<(), Error> {
    let before = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    sqlx::query(
        "update users set full_name = $2, time_zone = $3, version = version + 1, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(full_name.trim())
    .bind(time_zone)
    .execute(&mut *conn)
    .await?;
    let changes = Changes::new()
        .field("full_name", &before.full_name.as_str(), &full_name.trim())
        .field("time_zone", &before.time_zone.as_str(), &time_zone)
        .field("version", &before.version, &(before.version + 1));
    audit::record(
        conn,
        actor,
        audit::Action::UserProfileUpdated,
        audit::Entity::User,
        Some(id),
        changes,
    )
    .await?;
    Ok(())
}

/// Deactivates the user, ending all their sessions in the same
/// transaction, or makes them active again.
pub async fn set_active(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    active: bool,
) -> Result<(), Error> {
    let before = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    require_admin_authority(&mut *conn, actor, &[&before.roles]).await?;
    let done = sqlx::query(
        "update users set deactivated_at = case when $2 then null else now() end,
                version = version + 1, updated_at = now()
          where id = $1 and (deactivated_at is null) <> $2",
    )
    .bind(id)
    .bind(active)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound);
    }
    if !active {
        sqlx::query("delete from sessions where user_id = $1")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    let action = if active {
        audit::Action::UserReactivated
    } else {
        audit::Action::UserDeactivated
    };
    audit::record(
        conn,
        actor,
        action,
        audit::Entity::User,
        Some(id),
        Changes::new().field("active", &!active, &active),
    )
    .await?;
    Ok(())
}

/// What signing in checks: an active account's id and password hash (none
/// until an invitation is accepted).
#[derive(Debug, sqlx::FromRow)]
pub struct Credentials {
    pub id: Uuid,
    pub password_hash: Option<String>,
}

/// For sign-in: the credentials of the active account with `email`.
pub async fn credentials(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as(
        "select id, password_hash from users where email = $1 and deactivated_at is null",
    )
    .bind(email)
    .fetch_optional(conn)
    .await
}

/// Reset mails one account may be sent per [`RESET_WINDOW`]: the form
/// cannot flood an inbox.
const RESET_MAILS: i64 = 3;
const RESET_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

/// Mails the account with `email` a password-reset link, if it has a
/// password to reset and was sent fewer than [`RESET_MAILS`] lately. Says
/// nothing of which happened: the form must not tell who has an account.
pub async fn send_password_reset(
    conn: &mut PgConnection,
    secret: &[u8],
    actor: &Actor,
    mail: &dyn Letters,
    email: &Email,
) -> Result<(), Error> {
    let Some(Credentials {
        id,
        password_hash: Some(_),
    }) = credentials(&mut *conn, email.as_str()).await?
    else {
        return Ok(());
    };
    let sent = token::recently_issued(&mut *conn, id, Purpose::PasswordReset, RESET_WINDOW);
    if sent.await? >= RESET_MAILS {
        return Ok(());
    }
    let u = find(&mut *conn, id).await?.ok_or(Error::NotFound)?;
    let t = token::issue(&mut *conn, secret, actor, id, Purpose::PasswordReset).await?;
    let letter = mail.password_reset(&u.email, &u.full_name, &t)?;
    outbox::queue(conn, &letter).await?;
    Ok(())
}

/// Uses a mailed link to set the password (already checked), as its user
/// (`actor` of their id); None when the link is dead, used meanwhile by a
/// second click included.
pub async fn set_password_by_link(
    conn: &mut PgConnection,
    secret: &[u8],
    link: (&str, Purpose),
    hash: &str,
    actor: impl FnOnce(Uuid) -> Actor,
) -> Result<Option<Uuid>, sqlx::Error> {
    let Some(id) = token::consume(&mut *conn, secret, link.0, link.1).await? else {
        return Ok(None);
    };
    set_password(conn, &actor(id), id, hash, None).await?;
    Ok(Some(id))
}

/// The hashes a new password may not match: the current one and those
/// before it, up to [`crate::domain::org::password_policy::HISTORY`].
pub async fn recent_password_hashes(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select password_hash from password_history where user_id = $1 order by created_at desc limit $2",
    )
    .bind(id)
    .bind(crate::domain::org::password_policy::HISTORY)
    .fetch_all(conn)
    .await
}

async fn remember_password(
    conn: &mut PgConnection,
    id: Uuid,
    hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into password_history (user_id, password_hash) values ($1, $2)")
        .bind(id)
        .bind(hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets a new password (already checked against policy and history) and
/// ends the user's other sessions: whoever knew the old password is out.
pub async fn set_password(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    hash: &str,
    keep_session: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("update users set password_hash = $2, updated_at = now() where id = $1")
        .bind(id)
        .bind(hash)
        .execute(&mut *conn)
        .await?;
    remember_password(conn, id, hash).await?;
    sqlx::query("delete from sessions where user_id = $1 and ($2::text is null or id <> $2)")
        .bind(id)
        .bind(keep_session)
        .execute(&mut *conn)
        .await?;
    audit::record(
        conn,
        actor,
        audit::Action::UserPasswordChanged,
        audit::Entity::User,
        Some(id),
        Changes::new(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_parsing() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").map(|e| e.0),
            Ok("ada@example.com".to_owned())
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn time_zones() {
        assert_eq!(
            parse_time_zone("Europe/Berlin"),
            Ok("Europe/Berlin".to_owned())
        );
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }
}

/// An out-of-office delegation as typed on the profile page.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct DelegationForm {
    pub delegate_id: String,
    pub delegate_from: String,
    pub delegate_until: String,
}

/// Who stands in for a user, and when (both days included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delegation {
    pub delegate: Uuid,
    pub from: chrono::NaiveDate,
    pub until: chrono::NaiveDate,
}

impl DelegationForm {
    /// None clears the delegation (no delegate chosen).
    pub fn parse(
        &self,
        user: Uuid,
    ) -> Result<Option<Delegation>, crate::domain::kernel::FieldErrors> {
        let mut e = crate::domain::kernel::FieldErrors::default();
        let Some(delegate) =
            crate::domain::kernel::optional_id(&mut e, "delegate_id", &self.delegate_id)
        else {
            return e.into_result(|| None);
        };
        if delegate == user {
            e.add(
                "delegate_id",
                "Choose someone else: you cannot stand in for yourself.",
            );
        }
        let mut date = |field: &'static str, v: &str| {
            let d = crate::domain::kernel::optional_date(&mut e, field, v);
            if d.is_none() && e.get(field).is_none() {
                e.add(field, "Enter a date like 2027-03-01.");
            }
            d
        };
        let from = date("delegate_from", &self.delegate_from);
        let until = date("delegate_until", &self.delegate_until);
        if let (Some(f), Some(u)) = (from, until)
            && f > u
        {
            e.add(
                "delegate_until",
                "The last day must not be before the first.",
            );
        }
        match (from, until) {
            (Some(from), Some(until)) => e.into_result(|| {
                Some(Delegation {
                    delegate,
                    from,
                    until,
                })
            }),
            _ => Err(e),
        }
    }
}

pub async fn delegation(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<Delegation>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        delegate_id: Option<Uuid>,
        delegate_from: Option<chrono::NaiveDate>,
        delegate_until: Option<chrono::NaiveDate>,
    }
    let row: Option<Row> = sqlx::query_as(
        "select delegate_id, delegate_from, delegate_until from users where id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(match row {
        Some(Row {
            delegate_id: Some(delegate),
            delegate_from: Some(from),
            delegate_until: Some(until),
        }) => Some(Delegation {
            delegate,
            from,
            until,
        }),
        _ => None,
    })
}

pub async fn set_delegation(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
    d: Option<Delegation>,
) -> Result<(), Error> {
    let mut errors = crate::domain::kernel::FieldErrors::default();
    crate::domain::org::check_choices(
        &mut *conn,
        &mut errors,
        &[(
            "delegate_id",
            crate::domain::org::Pick::Person,
            d.map(|d| d.delegate),
            None,
        )],
    )
    .await?;
    errors.into_result(|| ()).map_err(Error::Invalid)?;
    let before = delegation(&mut *conn, id).await?;
    sqlx::query(
        "update users set delegate_id = $2, delegate_from = $3, delegate_until = $4, updated_at = now() where id = $1",
    )
    .bind(id)
    .bind(d.map(|d| d.delegate))
    .bind(d.map(|d| d.from))
    .bind(d.map(|d| d.until))
    .execute(&mut *conn)
    .await?;
    let show = |d: Option<Delegation>| {
        d.map(|d| format!("{} from {} until {}", d.delegate, d.from, d.until))
    };
    let c = Changes::new().field("delegation", &show(before), &show(d));
    audit::record(
        conn,
        actor,
        audit::Action::UserDelegationSet,
        audit::Entity::User,
        Some(id),
        c,
    )
    .await?;
    Ok(())
}
