//! Users: list with filters (swapped by htmx without reload), invite, edit
//! roles and details, deactivate (which ends their sessions at once).

use crate::domain::Error;
use crate::domain::access::{Permission, Role};
use crate::domain::kernel::{FieldErrors, optional_id, required_text};
use crate::domain::org;
use crate::domain::org::user::{self, Email, ListFilter, User, UserFields};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::Db;
use crate::web::current_user::CurrentUser;
use crate::web::people::Shown;
use crate::web::problems::Problems;
use crate::web::render::{self, Hx, Layout, filters};
use crate::web::routes::{Routes, route};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use uuid::Uuid;

pub fn routes() -> Routes {
    Routes::new()
        .serve(route!(GET "/admin/users"), list)
        .serve(route!(POST "/admin/users"), invite)
        .serve(route!(GET "/admin/users/new"), new)
        .serve(route!(GET "/admin/users/{id}"), edit)
        .serve(route!(POST "/admin/users/{id}"), update)
        .serve(route!(POST "/admin/users/{id}/deactivate"), deactivate)
        .serve(route!(POST "/admin/users/{id}/reactivate"), reactivate)
        .serve(
            route!(POST "/admin/users/{id}/invitation"),
            resend_invitation,
        )
}

#[derive(Template)]
#[template(path = "pages/admin/users.html", blocks = ["results"])]
struct UsersPage {
    layout: Layout,
    filter: ListFilter,
    users: Vec<User>,
    roles: [Role; 7],
    /// The next page, with the same filters, when there is one.
    next_page: Option<String>,
}

async fn list(
    mut db: Db,
    user: CurrentUser,
    hx: Hx,
    Query(filter): Query<ListFilter>,
) -> Result<Response, AppError> {
    user.require(Permission::ManageUsers)?;
    let conn = db.conn().await?;
    let mut users = user::list(conn, &filter, user::PAGE_SIZE + 1).await?;
    let next_page = if users.len() as i64 > user::PAGE_SIZE {
        users.truncate(user::PAGE_SIZE as usize);
        users.last().map(|last| {
            let next = ListFilter {
                after: last.id.to_string(),
                ..filter.clone()
            };
            format!(
                "/admin/users?{}",
                serde_urlencoded::to_string(&next).unwrap_or_default()
            )
        })
    } else {
        None
    };
    let layout = if hx.0 {
        Layout::bare()
    } else {
        Layout::new(&user, "Users").await?
    };
    let page = UsersPage {
        layout,
        filter,
        users,
        roles: Role::ALL,
        next_page,
    };
    render::page_or_fragment(hx, &page, page.as_results())
}

/// The invite and edit form's input, kept as typed so it can be shown again.
#[derive(Debug, Default, Clone)]
struct UserForm {
    email: String,
    full_name: String,
    roles: Vec<String>,
    department_id: String,
    manager_id: String,
    time_zone: String,
    version: i32,
}

impl UserForm {
    /// Parsed by hand: `roles` repeats, which the plain urlencoded extractor
    /// does not collect.
    fn from_body(body: &[u8]) -> Self {
        let mut f = UserForm::default();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = v.into_owned();
            match &*k {
                "email" => f.email = v,
                "full_name" => f.full_name = v,
                "roles" => f.roles.push(v),
                "department_id" => f.department_id = v,
                "manager_id" => f.manager_id = v,
                "time_zone" => f.time_zone = v,
                "version" => f.version = v.parse().unwrap_or_default(),
                _ => {}
            }
        }
        f
    }

    fn from_user(u: &User) -> Self {
        UserForm {
            email: u.email.clone(),
            full_name: u.full_name.clone(),
            roles: u.roles.clone(),
            department_id: u.department_id.map(|d| d.to_string()).unwrap_or_default(),
            manager_id: u.manager_id.map(|m| m.to_string()).unwrap_or_default(),
            time_zone: u.time_zone.clone(),
            version: u.version,
        }
    }

    fn parse(&self) -> Result<UserFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let email = Email::parse(&self.email)
            .map_err(|m| e.add("email", m))
            .ok();
        let full_name = required_text(
            &mut e,
            "full_name",
            &self.full_name,
            120,
            "Enter the person's name.",
        );
        let roles: Vec<Role> = self.roles.iter().filter_map(|r| Role::parse(r)).collect();
        if roles.is_empty() {
            e.add("roles", "Choose at least one role.");
        }
        let department_id = optional_id(&mut e, "department_id", &self.department_id);
        let manager_id = optional_id(&mut e, "manager_id", &self.manager_id);
        let time_zone = if self.time_zone.trim().is_empty() {
            "UTC".into()
        } else {
            self.time_zone.clone()
        };
        let time_zone = user::parse_time_zone(&time_zone)
            .map_err(|m| e.add("time_zone", m))
            .unwrap_or_default();
        match (e.is_empty(), email) {
            (true, Some(email)) => Ok(UserFields {
                email,
                full_name,
                roles,
                department_id,
                manager_id,
                time_zone,
            }),
            _ => Err(e),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/admin/user_form.html")]
struct UserFormPage {
    layout: Layout,
    /// None when inviting.
    user: Option<User>,
    form: UserForm,
    problems: Problems,
    roles: [Role; 7],
    /// Whether this admin may grant the admin roles.
    can_grant_admin: bool,
    departments: Vec<org::TreeRow>,
    /// Who the manager field names.
    people: Shown,
    time_zones: &'static [chrono_tz::Tz],
}

impl UserFormPage {
    fn has_role(&self, role: &Role) -> bool {
        self.form.roles.iter().any(|r| r == role.as_str())
    }

    /// An admin's account that this admin may look at but not change (the
    /// domain refuses it: `user::update`).
    fn locked(&self) -> bool {
        !self.can_grant_admin
            && self
                .user
                .as_ref()
                .is_some_and(|u| u.has_role(Role::Admin) || u.has_role(Role::SuperAdmin))
    }

    /// Admin roles are shown to everyone but only super admins may change them.
    fn role_locked(&self, role: &Role) -> bool {
        matches!(role, Role::Admin | Role::SuperAdmin) && !self.can_grant_admin
    }
}

async fn form_page(
    db: &mut Db,
    me: &CurrentUser,
    user: Option<User>,
    form: UserForm,
    problems: Problems,
) -> Result<UserFormPage, AppError> {
    let conn = db.conn().await?;
    let title = match &user {
        Some(u) => u.full_name.clone(),
        None => "Invite a user".into(),
    };
    let people = Shown::of(conn, [&*form.manager_id]).await?;
    Ok(UserFormPage {
        layout: Layout::new(me, title).await?,
        user,
        form,
        problems,
        roles: Role::ALL,
        can_grant_admin: me.can(Permission::GrantAdmin),
        departments: org::tree(org::departments(conn).await?),
        people,
        time_zones: &chrono_tz::TZ_VARIANTS,
    })
}

async fn new(mut db: Db, me: CurrentUser) -> Result<Response, AppError> {
    me.require(Permission::ManageUsers)?;
    let form = UserForm {
        time_zone: "UTC".into(),
        ..Default::default()
    };
    render::ok(&form_page(&mut db, &me, None, form, Problems::default()).await?)
}

async fn invite(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    body: Bytes,
) -> Result<Response, AppError> {
    me.require(Permission::ManageUsers)?;
    let mut form = UserForm::from_body(&body);
    let mut tx = db.begin().await?;
    let invited = async {
        let fields = read(&mut tx, &mut form).await?;
        let (secret, actor) = (&state.config.secret_key, me.actor());
        let id = user::invite(&mut tx, secret, &actor, &me.full_name, &state.mail, &fields);
        Ok::<_, Error>((id.await?, fields.email))
    }
    .await;
    let problems = match invited {
        Ok((id, email)) => {
            let message = format!("Invitation sent to {}.", email.as_str());
            let to = format!("/admin/users/{id}");
            return render::saved(tx, &me.session, message, &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    let status = problems.status();
    render::status(
        status,
        &form_page(&mut db, &me, None, form, problems).await?,
    )
}

/// The form, its manager typed as a name or an email read into an id
/// (see [`user::read_people`]).
async fn read(conn: &mut sqlx::PgConnection, form: &mut UserForm) -> Result<UserFields, Error> {
    let picked = user::read_people(conn, vec![("manager_id", &mut form.manager_id)]).await?;
    Ok(user::picked_first(picked, form.parse())?)
}

async fn find(db: &mut Db, id: Uuid) -> Result<User, AppError> {
    let conn = db.conn().await?;
    user::find(conn, id).await?.ok_or(AppError::NotFound)
}

async fn edit(mut db: Db, me: CurrentUser, Path(id): Path<Uuid>) -> Result<Response, AppError> {
    me.require(Permission::ManageUsers)?;
    let u = find(&mut db, id).await?;
    let form = UserForm::from_user(&u);
    render::ok(&form_page(&mut db, &me, Some(u), form, Problems::default()).await?)
}

async fn update(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<Uuid>,
    body: Bytes,
) -> Result<Response, AppError> {
    me.require(Permission::ManageUsers)?;
    let mut form = UserForm::from_body(&body);
    let mut tx = db.begin().await?;
    let saved = async {
        let fields = read(&mut tx, &mut form).await?;
        user::update(&mut tx, &state.mail, &me.actor(), id, form.version, &fields).await?;
        Ok::<_, Error>(fields.full_name)
    }
    .await;
    let problems = match saved {
        Ok(name) => {
            let to = format!("/admin/users/{id}");
            return render::saved(tx, &me.session, format!("{name} is saved."), &to).await;
        }
        Err(e) => Problems::try_from(e)?,
    };
    tx.rollback().await?;
    problems.rebase(&mut form.version);
    let u = find(&mut db, id).await?;
    let status = problems.status();
    render::status(
        status,
        &form_page(&mut db, &me, Some(u), form, problems).await?,
    )
}

/// Deactivating or reactivating an admin is itself an admin grant.
fn check_may_toggle(me: &CurrentUser, u: &User) -> Result<(), AppError> {
    if u.id == me.id {
        return Err(AppError::Forbidden);
    }
    if u.has_role(Role::Admin) || u.has_role(Role::SuperAdmin) {
        me.require(Permission::GrantAdmin)?;
    }
    Ok(())
}

async fn deactivate(db: Db, me: CurrentUser, id: Path<Uuid>) -> Result<Response, AppError> {
    set_active(db, me, id, false).await
}

async fn reactivate(db: Db, me: CurrentUser, id: Path<Uuid>) -> Result<Response, AppError> {
    set_active(db, me, id, true).await
}

async fn set_active(
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<Uuid>,
    active: bool,
) -> Result<Response, AppError> {
    me.require(Permission::ManageUsers)?;
    let u = find(&mut db, id).await?;
    check_may_toggle(&me, &u)?;
    let mut tx = db.begin().await?;
    match user::set_active(&mut tx, &me.actor(), id, active).await {
        // Already so (a double click): nothing to do.
        Ok(()) | Err(Error::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let message = if active {
        format!("{} is active again.", u.full_name)
    } else {
        format!("{} is deactivated and signed out everywhere.", u.full_name)
    };
    render::saved(tx, &me.session, message, &format!("/admin/users/{id}")).await
}

async fn resend_invitation(
    State(state): State<AppState>,
    mut db: Db,
    me: CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    me.require(Permission::ManageUsers)?;
    let u = find(&mut db, id).await?;
    if u.has_password || !u.is_active() {
        return Err(AppError::NotFound);
    }
    let mut tx = db.begin().await?;
    let secret = &state.config.secret_key;
    user::send_invitation(&mut tx, secret, &me.actor(), &me.full_name, &state.mail, id).await?;
    render::saved(
        tx,
        &me.session,
        format!("A new invitation is on its way to {}.", u.email),
        &format!("/admin/users/{id}"),
    )
    .await
}
