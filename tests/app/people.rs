//! Person fields: typed names or emails with suggestions, never the whole
//! organisation in a `<select>`.

use crate::harness::fixtures::{self, approval_path, form, org, submitted};
use crate::harness::{Client, Page, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

/// An organisation of `n` people ("Person 1" … with p1@people.test …).
async fn crowd(app: &TestApp, n: i32) {
    sqlx::query(
        "insert into users (email, full_name, roles)
         select 'p' || i || '@people.test', 'Person ' || i, '{viewer}'
           from generate_series(1, $1) i",
    )
    .bind(n)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn post(client: &Client, path: &str, fields: &[(&str, String)]) -> Page {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post(path, &fields).await
}

/// `fields` with `key` set to `value` (added when missing).
fn with(
    mut fields: Vec<(&'static str, String)>,
    key: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    fields.retain(|(k, _)| *k != key);
    fields.push((key, value.to_owned()));
    fields
}

async fn recruiter_of(app: &TestApp, requirement: &str) -> Option<Uuid> {
    let id: Uuid = requirement
        .trim_start_matches("/requirements/")
        .parse()
        .unwrap();
    sqlx::query_scalar("select recruiter_id from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn no_form_lists_an_organisation_of_5000() {
    let app = TestApp::spawn().await;
    crowd(&app, 5000).await;
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    let (hm, _) = app.signed_in(Role::HiringManager).await;
    let requirement_id =
        fixtures::draft(&app, &hm, &org(&app).await, admin_id, "Platform engineer").await;
    let pages = [
        (&hm, "/requirements/new".to_owned()),
        (&admin, format!("/requirements/{requirement_id}/edit")),
        (&admin, "/admin/departments".into()),
        (&admin, "/admin/users/new".into()),
        (&admin, format!("/admin/users/{admin_id}")),
        (&admin, "/admin/workflows/new".into()),
        (&admin, "/profile".into()),
    ];
    for (client, path) in pages {
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(!page.body.contains("Person 4999"), "{path} lists people");
        // The time zones (on the profile and user forms) are the only long list.
        let options = page.texts("option").len();
        let zones = page.texts("#time_zone option").len();
        assert!(options - zones < 50, "{path}: {options} options");
        // 5,000 people in a select would take 250 kB at least.
        println!("{path}: {} bytes", page.body.len());
        assert!(
            page.body.len() < 60_000,
            "{path}: {} bytes",
            page.body.len()
        );
    }
}

#[tokio::test]
async fn suggestions_are_few_permission_checked_and_take_wildcards_literally() {
    let app = TestApp::spawn().await;
    crowd(&app, 300).await;
    app.user("ann.lee@example.com", "Ann Lee", &[Role::Viewer])
        .await;
    app.user("ann_lee@example.com", "Ann_Lee", &[Role::Viewer])
        .await;
    let (hm, _) = app.signed_in(Role::HiringManager).await;

    // htmx sends the input's value under the input's name.
    let page = hm
        .get_hx("/people?field=recruiter_id&recruiter_id=person")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let options = page.attrs("option", "value");
    assert_eq!(options.len(), 20, "at most 20: {options:?}");
    assert!(
        options
            .iter()
            .all(|o| o.starts_with("Person ") && o.ends_with("@people.test>"))
    );

    let values = |page: Page| page.attrs("option", "value");
    assert_eq!(
        values(hm.get_hx("/people?q=n_L").await),
        vec!["Ann_Lee <ann_lee@example.com>"],
        "an underscore is an underscore"
    );
    assert!(
        values(hm.get_hx("/people?q=%25").await).is_empty(),
        "a percent sign is a percent sign"
    );
    assert!(values(hm.get_hx("/people?q=").await).is_empty());
    assert!(values(hm.get_hx("/people?q=%00").await).is_empty());

    let (viewer, _) = app.signed_in(Role::Viewer).await;
    assert_eq!(
        viewer.get_hx("/people?q=ann").await.status,
        StatusCode::FORBIDDEN
    );
    app.client()
        .get("/people?q=ann")
        .await
        .assert_redirect("/sign-in?next=%2Fpeople%3Fq%3Dann");
}

#[tokio::test]
async fn a_requirement_takes_its_people_by_name_or_email_and_refuses_unknown_or_ambiguous_ones() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    crowd(&app, 50).await;
    let rita = app
        .user("rita@example.com", "Rita Recruiter", &[Role::Recruiter])
        .await;
    app.user("chris.one@example.com", "Chris Lee", &[Role::Viewer])
        .await;
    app.user("chris.two@example.com", "Chris Lee", &[Role::Viewer])
        .await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let base = form(&o, hm_id, "Platform engineer");

    // The hiring manager by exact name (any case), the recruiter as a
    // suggestion reads: "Name <email>".
    let f = with(
        with(base.clone(), "hiring_manager_id", "test HIRING manager"),
        "recruiter_id",
        "Rita Recruiter <rita@example.com>",
    );
    let res = post(&hm, "/requirements", &f).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/requirements/"));
    assert_eq!(recruiter_of(&app, res.location()).await, Some(rita));
    let id = res.location().to_owned();
    let edit = hm.get(&format!("{id}/edit")).await;
    assert_eq!(
        edit.attr("#recruiter_id", "value").as_deref(),
        Some("Rita Recruiter <rita@example.com>")
    );
    assert!(
        edit.attr("#hiring_manager_id", "value")
            .unwrap()
            .starts_with("Test Hiring manager <")
    );

    // A bare email, in any case.
    let res = post(
        &hm,
        "/requirements",
        &with(base.clone(), "recruiter_id", " RITA@example.com "),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/requirements/"));
    assert_eq!(recruiter_of(&app, res.location()).await, Some(rita));

    let before: i64 = sqlx::query_scalar("select count(*) from requirements")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for (typed, expected) in [
        ("Nobody Atall", "Nobody here is called “Nobody Atall”"),
        ("Rita", "Nobody here is called “Rita”"),
        (
            "nobody@example.com",
            "Nobody here has the email address nobody@example.com",
        ),
        ("Chris Lee", "Several people are called “Chris Lee”"),
    ] {
        let res = post(
            &hm,
            "/requirements",
            &with(base.clone(), "recruiter_id", typed),
        )
        .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        let error = res.field_error("recruiter_id").unwrap_or_default();
        assert!(error.contains(expected), "{typed}: {error}");
        assert_eq!(
            res.attr("#recruiter_id", "value").as_deref(),
            Some(typed),
            "kept as typed"
        );
        assert_eq!(
            res.attr("#title", "value").as_deref(),
            Some("Platform engineer")
        );
        assert_eq!(
            res.attr("#recruiter_id", "aria-invalid").as_deref(),
            Some("true")
        );
    }
    // Ambiguity is settled by the email.
    let res = post(
        &hm,
        "/requirements",
        &with(base.clone(), "recruiter_id", "chris.two@example.com"),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/requirements/"));
    let after: i64 = sqlx::query_scalar("select count(*) from requirements")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(after, before + 1, "nothing saved for the refused ones");

    // An empty hiring manager is still the field's own problem.
    let res = post(
        &hm,
        &id,
        &with(with(base.clone(), "hiring_manager_id", ""), "version", "1"),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("hiring_manager_id").is_some());
}

#[tokio::test]
async fn heads_managers_stand_ins_approvers_and_reassignment_take_typed_people() {
    let app = TestApp::spawn().await;
    let dana = app
        .user("dana@example.com", "Dana Deputy", &[Role::Approver])
        .await;
    app.user("chris.one@example.com", "Chris Lee", &[Role::Viewer])
        .await;
    app.user("chris.two@example.com", "Chris Lee", &[Role::Viewer])
        .await;
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    let one = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<Uuid>>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // A department's head.
    let res = post(
        &admin,
        "/admin/departments",
        &[
            ("name", "Research".into()),
            ("parent_id", String::new()),
            ("head_id", "Chris Lee".into()),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("head_id")
            .unwrap()
            .contains("Several people")
    );
    assert_eq!(res.attr("#head_id", "value").as_deref(), Some("Chris Lee"));
    post(
        &admin,
        "/admin/departments",
        &[
            ("name", "Research".into()),
            ("parent_id", String::new()),
            ("head_id", "dana deputy".into()),
        ],
    )
    .await
    .assert_redirect("/admin/departments");
    assert_eq!(
        one("select head_id from departments where name = 'Research'").await,
        Some(dana)
    );

    // A user's manager.
    let res = post(
        &admin,
        "/admin/users",
        &[
            ("email", "new@example.com".into()),
            ("full_name", "New Person".into()),
            ("roles", "viewer".into()),
            ("manager_id", "Dana".into()),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("manager_id")
            .unwrap()
            .contains("Nobody here is called")
    );
    assert_eq!(res.attr("#manager_id", "value").as_deref(), Some("Dana"));
    assert_eq!(
        res.attr("#full_name", "value").as_deref(),
        Some("New Person")
    );
    let res = post(
        &admin,
        "/admin/users",
        &[
            ("email", "new@example.com".into()),
            ("full_name", "New Person".into()),
            ("roles", "viewer".into()),
            ("manager_id", "Dana Deputy <dana@example.com>".into()),
        ],
    )
    .await;
    let new: Uuid = one("select id from users where email = 'new@example.com'")
        .await
        .unwrap();
    res.assert_redirect(&format!("/admin/users/{new}"));
    assert_eq!(
        one("select manager_id from users where email = 'new@example.com'").await,
        Some(dana)
    );

    // One's own stand-in.
    let away = [
        ("delegate_from", "2027-01-04".to_owned()),
        ("delegate_until", "2027-01-08".to_owned()),
    ];
    let res = post(
        &admin,
        "/profile/delegation",
        &[
            [("delegate_id", "nobody@example.com".to_owned())].as_slice(),
            &away,
        ]
        .concat(),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("delegate_id")
            .unwrap()
            .contains("nobody@example.com")
    );
    assert_eq!(
        res.attr("#delegate_id", "value").as_deref(),
        Some("nobody@example.com")
    );
    assert_eq!(
        res.attr("#delegate_from", "value").as_deref(),
        Some("2027-01-04")
    );
    let res = post(
        &admin,
        "/profile/delegation",
        &[
            [("delegate_id", "dana@example.com".to_owned())].as_slice(),
            &away,
        ]
        .concat(),
    )
    .await;
    res.assert_redirect("/profile");
    let delegate: Option<Uuid> = sqlx::query_scalar("select delegate_id from users where id = $1")
        .bind(admin_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(delegate, Some(dana));
    let profile = admin.get("/profile").await;
    assert_eq!(
        profile.attr("#delegate_id", "value").as_deref(),
        Some("Dana Deputy <dana@example.com>")
    );

    // A workflow step's approvers and stand-in; empty boxes are skipped.
    let step = |approver: &str, fallback: &str| {
        vec![
            ("name", "Finance".to_owned()),
            ("steps[0][name]", "Finance".into()),
            ("steps[0][approver_kind]", "users".into()),
            ("steps[0][approver_ids]", approver.into()),
            ("steps[0][approver_ids]", String::new()),
            ("steps[0][required]", String::new()),
            ("steps[0][sla_hours]", "48".into()),
            ("steps[0][fallback_id]", fallback.into()),
        ]
    };
    let res = post(
        &admin,
        "/admin/workflows",
        &step("Dana Deputy", "Chris Lee"),
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("steps-0-fallback_id")
            .unwrap()
            .contains("Several people")
    );
    assert_eq!(
        res.attr("#steps-0-fallback_id", "value").as_deref(),
        Some("Chris Lee")
    );
    let res = post(
        &admin,
        "/admin/workflows",
        &step("Dana Deputy", "chris.one@example.com"),
    )
    .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/admin/workflows/"));
    let edit = admin.get(&format!("{}/edit", res.location())).await;
    assert_eq!(
        edit.attr("#steps-0-approver_ids", "value").as_deref(),
        Some("Dana Deputy <dana@example.com>")
    );
    assert_eq!(
        edit.attr("#steps-0-fallback_id", "value").as_deref(),
        Some("Chris Lee <chris.one@example.com>")
    );
    let approvers: Vec<Uuid> = sqlx::query_scalar(
        "select approver_ids from workflow_steps s join approval_workflows w on w.id = s.workflow_id
          where w.name = 'Finance' and s.position = 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(approvers, vec![dana]);
}

#[tokio::test]
async fn an_approval_is_reassigned_to_a_typed_person() {
    let app = TestApp::spawn().await;
    submitted(&app).await;
    let task = approval_path(&app, "head@example.com").await;
    app.user("acting@example.com", "Acting Head", &[Role::Viewer])
        .await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get(&task).await;
    assert_eq!(page.attr("#to", "list").as_deref(), Some("to-people"));
    for (typed, expected) in [
        ("Acting", "Nobody here is called “Acting”"),
        ("", "Type who should decide"),
        ("Test Hiring manager", "named on the requirement"),
    ] {
        let res = admin
            .post(&format!("{task}/reassignment"), &[("to", typed)])
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{typed}");
        assert!(res.field_error("to").unwrap().contains(expected), "{typed}");
        assert_eq!(res.attr("#to", "value").as_deref(), Some(typed));
    }
    let res = admin
        .post(
            &format!("{task}/reassignment"),
            &[("to", "Acting Head <acting@example.com>")],
        )
        .await;
    res.assert_redirect(&task);
    assert!(
        app.last_mail_to("acting@example.com")
            .await
            .is_some_and(|m| m.contains("/approvals/"))
    );
}
