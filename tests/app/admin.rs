//! Administration: the audit trail of each change, optimistic locking, htmx
//! fragments, and the admin-role rules (who may use each admin route is in
//! the route table, walked in `routes.rs`).

use crate::harness::{Client, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

/// A job level to edit.
async fn senior_level(app: &TestApp) -> Uuid {
    sqlx::query_scalar(
        "insert into job_levels (name, rank, salary_min, salary_max, currency) values ('Senior', 3, 60000, 80000, 'EUR') returning id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn audit_rows_cannot_be_changed_or_deleted() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin.post("/admin/departments", &[("name", "Sales")]).await;
    let before: i64 = sqlx::query_scalar("select count(*) from audit_logs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(before >= 2);
    for sql in [
        "update audit_logs set action = 'forged'",
        "delete from audit_logs",
        "truncate audit_logs",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let after: i64 = sqlx::query_scalar("select count(*) from audit_logs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn each_admin_change_writes_its_audit_row_with_the_request() {
    let app = TestApp::spawn().await;
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    admin
        .post("/admin/departments", &[("name", "Sales")])
        .await
        .assert_redirect("/admin/departments");
    let dept: Uuid = sqlx::query_scalar("select id from departments where name = 'Sales'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    admin
        .post(
            &format!("/admin/departments/{dept}"),
            &[("name", "Sales & Marketing"), ("version", "1")],
        )
        .await;
    admin
        .post(
            "/admin/levels",
            &[
                ("name", "Lead"),
                ("rank", "4"),
                ("salary_min", "70000"),
                ("salary_max", "90000"),
                ("currency", "eur"),
            ],
        )
        .await;
    let level: Uuid = sqlx::query_scalar("select id from job_levels where name = 'Lead'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    admin
        .post(&format!("/admin/levels/{level}/archive"), &[])
        .await;
    assert_eq!(app.audit_count("department.created", dept).await, 1);
    assert_eq!(app.audit_count("department.updated", dept).await, 1);
    assert_eq!(app.audit_count("job_level.created", level).await, 1);
    assert_eq!(app.audit_count("job_level.archived", level).await, 1);
    let (actor, changes, request_id, ip): (Uuid, serde_json::Value, Option<String>, Option<String>) = sqlx::query_as(
        "select actor_id, changes, request_id, host(ip) from audit_logs where action = 'department.updated'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, admin_id);
    assert_eq!(
        changes["name"],
        serde_json::json!({"before": "Sales", "after": "Sales & Marketing"})
    );
    assert!(request_id.is_some_and(|r| r.len() >= 32));
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    // The audit search finds it, newest first, filtered by entity.
    let page = admin
        .get(&format!(
            "/admin/audit?entity_type=department&entity_id={dept}"
        ))
        .await;
    let actions = page.texts("table.data tbody td code");
    assert_eq!(actions, vec!["department.updated", "department.created"]);
}

#[tokio::test]
async fn a_stale_edit_shows_who_changed_what_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let level = senior_level(&app).await;
    let (first, _) = app.signed_in(Role::Admin).await;
    let (second, _) = app.signed_in(Role::Admin).await;
    let editing = second.get(&format!("/admin/levels/{}/edit", level)).await;
    assert_eq!(
        editing.attr("input[name=version]", "value").as_deref(),
        Some("1")
    );
    let form = |name: &'static str, max: &'static str| {
        vec![
            ("name", name),
            ("rank", "3"),
            ("salary_min", "60000"),
            ("salary_max", max),
            ("currency", "EUR"),
            ("version", "1"),
        ]
    };
    first
        .post(
            &format!("/admin/levels/{}", level),
            &form("Senior II", "80000"),
        )
        .await
        .assert_redirect("/admin/levels");
    let res = second
        .post(
            &format!("/admin/levels/{}", level),
            &form("Senior", "95000"),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let alert = res.texts("[role=alert]").join(" ");
    assert!(alert.contains("Someone else saved this"), "{alert}");
    assert!(alert.contains("Test Admin"), "who: {alert}");
    assert!(alert.contains("name: Senior → Senior II"), "what: {alert}");
    assert_eq!(
        res.attr("input[name=salary_max]", "value").as_deref(),
        Some("95000"),
        "input kept"
    );
    assert_eq!(
        res.attr("input[name=version]", "value").as_deref(),
        Some("2"),
        "saving again applies it"
    );
    let saved: i64 = sqlx::query_scalar("select salary_max from job_levels where id = $1")
        .bind(level)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(saved, 80000, "the stale save changed nothing");
}

#[tokio::test]
async fn inline_edit_answers_htmx_with_the_row_only() {
    let app = TestApp::spawn().await;
    let level = senior_level(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let form = admin.get_hx(&format!("/admin/levels/{}/edit", level)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(!form.body.contains("<html"), "a fragment, not a page");
    assert!(
        form.body
            .trim_start()
            .starts_with(&format!("<tr id=\"level-{}\"", level))
    );
    assert_eq!(form.headers["vary"], "HX-Request");
    let fields = [
        ("name", "Senior"),
        ("rank", "3"),
        ("salary_min", "60000"),
        ("salary_max", "50000"),
        ("currency", "EUR"),
        ("version", "1"),
    ];
    let bad = admin
        .post_hx(&format!("/admin/levels/{}", level), &fields)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body
            .contains("The maximum must be at least the minimum.")
    );
    assert!(!bad.body.contains("<html"));
    let mut fields = fields;
    fields[3] = ("salary_max", "85000");
    let ok = admin
        .post_hx(&format!("/admin/levels/{}", level), &fields)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.body.contains("85,000") && !ok.body.contains("<form class=\"field-row\""));
}

#[tokio::test]
async fn user_filter_swaps_results_with_htmx_and_works_without() {
    let app = TestApp::spawn().await;
    app.user(
        "recruit.one@example.com",
        "Rita Recruiter",
        &[Role::Recruiter],
    )
    .await;
    app.user("view.one@example.com", "Victor Viewer", &[Role::Viewer])
        .await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let page = admin
        .get("/admin/users?q=&role=recruiter&status=active")
        .await;
    assert_eq!(page.texts("table.data tbody th"), vec!["Rita Recruiter"]);
    assert_eq!(
        page.attr("#role option[selected]", "value").as_deref(),
        Some("recruiter"),
        "filter kept in the form"
    );
    let fragment = admin.get_hx("/admin/users?q=victor").await;
    assert!(!fragment.body.contains("<html"));
    assert_eq!(fragment.texts("table.data tbody th"), vec!["Victor Viewer"]);
}

#[tokio::test]
async fn invite_form_errors_keep_the_input() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let res = admin
        .post(
            "/admin/users",
            &[
                ("email", "not-an-email"),
                ("full_name", "Nia New"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.attr("#full_name", "value").as_deref(), Some("Nia New"));
    assert_eq!(res.attr("#email", "value").as_deref(), Some("not-an-email"));
    assert_eq!(
        res.attr("#email", "aria-describedby").as_deref(),
        Some("email-error")
    );
    assert!(res.field_error("email").is_some());
    assert_eq!(
        res.field_error("roles").as_deref(),
        Some("Choose at least one role.")
    );
    // A taken email is reported beside the field, whatever its case.
    app.user("taken@example.com", "Tom", &[Role::Viewer]).await;
    let res = admin
        .post(
            "/admin/users",
            &[
                ("email", "TAKEN@example.com"),
                ("full_name", "Tom Two"),
                ("roles", "viewer"),
                ("time_zone", "UTC"),
            ],
        )
        .await;
    assert_eq!(
        res.field_error("email").as_deref(),
        Some("Someone has this email already.")
    );
}

#[tokio::test]
async fn only_a_super_admin_grants_admin() {
    let app = TestApp::spawn().await;
    let target = app
        .user("target@example.com", "Tara", &[Role::Viewer])
        .await;
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    let grant = [
        ("email", "target@example.com"),
        ("full_name", "Tara"),
        ("roles", "admin"),
        ("time_zone", "UTC"),
        ("version", "1"),
    ];
    assert_eq!(
        admin
            .post(&format!("/admin/users/{target}"), &grant)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let invite = [
        ("email", "new@example.com"),
        ("full_name", "New"),
        ("roles", "super_admin"),
        ("time_zone", "UTC"),
    ];
    assert_eq!(
        admin.post("/admin/users", &invite).await.status,
        StatusCode::FORBIDDEN
    );
    // Nor deactivate themselves.
    assert_eq!(
        admin
            .post(&format!("/admin/users/{admin_id}/deactivate"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (root, _) = app.signed_in(Role::SuperAdmin).await;
    root.post(&format!("/admin/users/{target}"), &grant)
        .await
        .assert_redirect(&format!("/admin/users/{target}"));
    let roles: Vec<String> = sqlx::query_scalar("select roles from users where id = $1")
        .bind(target)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(roles, vec!["admin"]);
    let changes: serde_json::Value = sqlx::query_scalar(
        "select changes from audit_logs where action = 'user.updated' and entity_id = $1",
    )
    .bind(target)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        changes["roles"],
        serde_json::json!({"before": ["viewer"], "after": ["admin"]})
    );
}

#[tokio::test]
async fn departments_form_a_tree_without_cycles() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin
        .post("/admin/departments", &[("name", "Engineering")])
        .await;
    let eng: Uuid = sqlx::query_scalar("select id from departments where name = 'Engineering'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    admin
        .post(
            "/admin/departments",
            &[("name", "Platform"), ("parent_id", &eng.to_string())],
        )
        .await;
    let platform: Uuid = sqlx::query_scalar("select id from departments where name = 'Platform'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let page = admin.get("/admin/departments").await;
    assert_eq!(page.texts(".tree li.depth-1 a"), vec!["Platform"]);
    let res = admin
        .post(
            &format!("/admin/departments/{eng}"),
            &[
                ("name", "Engineering"),
                ("parent_id", &platform.to_string()),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("parent_id").as_deref(),
        Some("A department cannot sit under itself or one of its sub-departments.")
    );
    // Archiving the parent moves the child up.
    admin
        .post(&format!("/admin/departments/{eng}/archive"), &[])
        .await;
    let parent: Option<Uuid> =
        sqlx::query_scalar("select parent_id from departments where id = $1")
            .bind(platform)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(parent, None);
    // A duplicate name, in any case, is refused beside the field.
    let res = admin
        .post("/admin/departments", &[("name", "PLATFORM")])
        .await;
    assert_eq!(
        res.field_error("name").as_deref(),
        Some("A department with this name exists already.")
    );
}

async fn email_of(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("select email from users where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_cannot_touch_a_super_admin_account() {
    let app = TestApp::spawn().await;
    let (root_client, root) = app.signed_in(Role::SuperAdmin).await;
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    let (_, other_admin) = app.signed_in(Role::Admin).await;
    let root_email = email_of(&app, root).await;
    let edit = [
        ("email", "mallory@example.com"),
        ("full_name", "Test Super admin"),
        ("roles", "super_admin"),
        ("time_zone", "UTC"),
        ("version", "1"),
    ];
    // The page says so, and offers no way to save.
    let page = admin.get(&format!("/admin/users/{root}")).await;
    assert_eq!(
        page.texts("#admin-account-locked"),
        vec!["Only a super admin can change an admin's account."]
    );
    let save = format!("form[action='/admin/users/{root}'] button[type=submit]");
    assert!(page.attr(&save, "disabled").is_some());
    let res = admin.post(&format!("/admin/users/{root}"), &edit).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(email_of(&app, root).await, root_email, "unchanged");
    // Nor another admin's name, nor deactivate them.
    let rename = [
        ("email", &*email_of(&app, other_admin).await),
        ("full_name", "Renamed"),
        ("roles", "admin"),
        ("time_zone", "UTC"),
        ("version", "1"),
    ]
    .map(|(k, v)| (k, v.to_owned()));
    let rename: Vec<(&str, &str)> = rename.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        admin
            .post(&format!("/admin/users/{other_admin}"), &rename)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin
            .post(&format!("/admin/users/{other_admin}/deactivate"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // The domain refuses it too, whoever calls it.
    let mut conn = app.pool.acquire().await.unwrap();
    let fields = hiring_hare::domain::org::user::UserFields {
        email: hiring_hare::domain::org::user::Email::parse("mallory@example.com").unwrap(),
        full_name: "Test Super admin".into(),
        roles: vec![Role::SuperAdmin],
        department_id: None,
        manager_id: None,
        time_zone: "UTC".into(),
    };
    let actor = hiring_hare::domain::activity::audit::Actor {
        user_id: Some(admin_id),
        ..Default::default()
    };
    let mail = hiring_hare::mail::MailRenderer::new(&app.config);
    let refused =
        hiring_hare::domain::org::user::update(&mut conn, &mail, &actor, root, 1, &fields).await;
    assert!(
        matches!(refused, Err(hiring_hare::domain::Error::Forbidden)),
        "{refused:?}"
    );
    assert_eq!(email_of(&app, root).await, root_email);
    // The super admin may.
    root_client
        .post(&format!("/admin/users/{other_admin}"), &rename)
        .await
        .assert_redirect(&format!("/admin/users/{other_admin}"));
}

#[tokio::test]
async fn an_email_change_tells_the_old_address_and_ends_sessions_and_links() {
    let app = TestApp::spawn().await;
    let (root, _) = app.signed_in(Role::SuperAdmin).await;
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    let old_email = email_of(&app, admin_id).await;
    assert_eq!(admin.get("/").await.status, StatusCode::OK);
    // A reset link mailed to the old address before the change.
    let reset = {
        let mut conn = app.pool.acquire().await.unwrap();
        hiring_hare::domain::org::token::issue(
            &mut conn,
            &app.config.secret_key,
            &hiring_hare::domain::activity::audit::Actor::system(),
            admin_id,
            hiring_hare::domain::org::token::Purpose::PasswordReset,
        )
        .await
        .unwrap()
    };
    let link = format!("/password-reset/{reset}");
    assert_eq!(app.client().get(&link).await.status, StatusCode::OK);
    let res = root
        .post(
            &format!("/admin/users/{admin_id}"),
            &[
                ("email", "new-address@example.com"),
                ("full_name", "Test Admin"),
                ("roles", "admin"),
                ("time_zone", "UTC"),
                ("version", "1"),
            ],
        )
        .await;
    res.assert_redirect(&format!("/admin/users/{admin_id}"));
    assert_eq!(email_of(&app, admin_id).await, "new-address@example.com");
    let notice = app
        .last_mail_to(&old_email)
        .await
        .expect("a mail to the old address");
    assert!(notice.contains("new-address@example.com"), "{notice}");
    // Signed out everywhere.
    let home = admin.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert!(
        home.location().starts_with("/sign-in"),
        "{}",
        home.location()
    );
    // The earlier link is dead.
    assert_eq!(app.client().get(&link).await.status, StatusCode::GONE);
}

/// Follows a list's link to the next page (`a` matching `next`) from
/// `first`, collecting the texts of `rows` on every page.
async fn walk(client: &Client, first: &str, rows: &str, next: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut path = Some(first.to_owned());
    while let Some(p) = path {
        let page = client.get(&p).await;
        assert_eq!(page.status, StatusCode::OK, "{p}: {}", page.body);
        seen.extend(page.texts(rows));
        path = page.attr(next, "href");
        assert!(seen.len() <= 10_000, "the pages never end");
    }
    seen
}

#[tokio::test]
async fn the_outbox_pages_through_mail_queued_at_the_same_moment() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    // More than a page, all at one moment (one transaction's mail is).
    sqlx::query(
        "insert into outbox (to_address, subject, body_text, body_html, template, created_at)
         select 'ada@example.com', 'Message ' || i, 'text', '<p>html</p>', 'test',
                timestamptz '2026-12-01 09:00Z'
           from generate_series(1, 120) i",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut subjects = walk(
        &admin,
        "/admin/outbox",
        "table.data tbody td:nth-child(3)",
        "nav.pagination a",
    )
    .await;
    assert_eq!(subjects.len(), 120, "each message once");
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 120, "none twice");
    // A cursor that is not one is refused, not a 500.
    assert_eq!(
        admin.get("/admin/outbox?after=yesterday").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn searches_match_like_wildcards_literally() {
    let app = TestApp::spawn().await;
    app.user("under@example.com", "Una Under_score", &[Role::Viewer])
        .await;
    app.user("percent@example.com", "Pat 100% Sure", &[Role::Viewer])
        .await;
    app.user("back@example.com", "Bo Back\\slash", &[Role::Viewer])
        .await;
    app.user("plain@example.com", "Pia Plain", &[Role::Viewer])
        .await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    for (q, expected) in [
        ("_", "Una Under_score"),
        ("%", "Pat 100% Sure"),
        ("\\", "Bo Back\\slash"),
    ] {
        let page = admin
            .get(&format!(
                "/admin/users?q={}",
                hiring_hare::error::urlencode(q)
            ))
            .await;
        assert_eq!(page.texts("table.data tbody th"), vec![expected], "{q}");
    }
    // The audit log: who (the admin signed in, which is audited) and the
    // action's beginning.
    for query in ["actor=%25", "actor=_", "action=%25", "action=_"] {
        let page = admin.get(&format!("/admin/audit?{query}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.texts("table.data tbody tr").is_empty(),
            "{query} matches nothing literally: {:?}",
            page.texts("table.data tbody tr code")
        );
    }
    let page = admin.get("/admin/audit?action=user.signed").await;
    assert!(!page.texts("table.data tbody tr").is_empty());
}

#[tokio::test]
async fn the_user_list_pages_through_every_user() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    sqlx::query(
        "insert into users (email, full_name, roles)
         select 'person' || i || '@example.com', 'Person ' || lpad(i::text, 4, '0'), '{viewer}'
           from generate_series(1, 501) i",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let names = walk(
        &admin,
        "/admin/users",
        "table.data tbody th",
        "nav.pagination a[rel=next]",
    )
    .await;
    let active: i64 = sqlx::query_scalar("select count(*) from users where deactivated_at is null")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(names.len() as i64, active, "every user once");
    assert!(names.contains(&"Person 0501".to_owned()), "the 501st user");
    // Filters carry over to the next page.
    let page = admin.get("/admin/users?q=Person+0&role=viewer").await;
    let next = page.attr("nav.pagination a[rel=next]", "href").unwrap();
    assert!(
        next.contains("q=Person+0") && next.contains("role=viewer"),
        "{next}"
    );
}
