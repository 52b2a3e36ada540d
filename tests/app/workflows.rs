//! Approval workflows on the admin pages: who may reach them, the form
//! (errors beside fields, steps added, moved and removed without and with
//! htmx), versions frozen on running approvals, routing to the most specific
//! workflow, and the default that always exists.

use crate::browser::{WIDTHS, admin_browser, check_layout, set_width};
use crate::harness::fixtures::{Org, draft, org};
use crate::harness::{Client, Page, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

type Fields = Vec<(String, String)>;

fn field(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

/// One step's fields, as the form posts them.
fn step(i: usize, name: &str, kind: &str, who: &[&str], required: &str, sla: &str) -> Fields {
    let key = |f: &str| format!("steps[{i}][{f}]");
    let mut out = vec![
        (key("name"), name.to_owned()),
        (key("approver_kind"), kind.to_owned()),
        (key("required"), required.to_owned()),
        (key("sla_hours"), sla.to_owned()),
    ];
    for w in who {
        // A role name goes to the role field, anything else is a person.
        if Role::parse(w).is_some() {
            out.push((key("approver_role"), (*w).to_owned()));
        } else {
            out.push((key("approver_ids"), (*w).to_owned()));
        }
    }
    out
}

async fn post(client: &Client, path: &str, fields: &[(String, String)]) -> Page {
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client.post(path, &form).await
}

async fn post_hx(client: &Client, path: &str, fields: &[(String, String)]) -> Page {
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    client.post_hx(path, &form).await
}

/// Creates a workflow through the form; its id.
async fn create(client: &Client, fields: Fields) -> Uuid {
    let res = post(client, "/admin/workflows", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location()
        .trim_start_matches("/admin/workflows/")
        .parse()
        .unwrap()
}

async fn default_workflow(app: &TestApp) -> Uuid {
    sqlx::query_scalar("select id from approval_workflows where is_default and subject = 'requirement' and archived_at is null")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn submit(client: &Client, requirement: Uuid) {
    let res = client
        .post(
            &format!("/requirements/{requirement}/transitions"),
            &[("action", "submit"), ("version", "1")],
        )
        .await;
    res.assert_redirect(&format!("/requirements/{requirement}"));
}

/// (workflow name, version) the requirement's approval runs under.
async fn used(app: &TestApp, requirement: Uuid) -> (String, i32) {
    sqlx::query_as(
        "select w.name, a.workflow_version from approvals a join approval_workflows w on w.id = a.workflow_id
          where a.subject_id = $1",
    )
    .bind(requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// (step, step name, approver email, SLA hours) of the requirement's tasks.
async fn tasks(app: &TestApp, requirement: Uuid) -> Vec<(i32, String, String, i32)> {
    sqlx::query_as(
        "select t.step, t.step_name, u.email, t.sla_hours from approval_tasks t
           join approvals a on a.id = t.approval_id join users u on u.id = t.approver_id
          where a.subject_id = $1 order by t.step, u.email",
    )
    .bind(requirement)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn call(client: &Client, method: &str, path: &str, form: &Fields) -> Page {
    if method == "GET" {
        client.get(path).await
    } else {
        post(client, path, form).await
    }
}

#[tokio::test]
async fn only_admins_reach_the_workflow_pages() {
    let app = TestApp::spawn().await;
    let w = default_workflow(&app).await;
    let routes: Vec<(&str, String, Fields)> = vec![
        ("GET", "/admin/workflows".into(), vec![]),
        ("GET", "/admin/workflows?archived=true".into(), vec![]),
        ("GET", "/admin/workflows/new".into(), vec![]),
        ("GET", format!("/admin/workflows/{w}"), vec![]),
        ("GET", format!("/admin/workflows/{w}/edit"), vec![]),
        ("POST", "/admin/workflows".into(), vec![field("name", "")]),
        (
            "POST",
            format!("/admin/workflows/{w}"),
            vec![field("add_step", "1")],
        ),
        ("POST", format!("/admin/workflows/{w}/default"), vec![]),
        ("POST", format!("/admin/workflows/{w}/archive"), vec![]),
    ];
    for role in Role::ALL {
        let (client, _) = app.signed_in(role).await;
        let admin = matches!(role, Role::Admin | Role::SuperAdmin);
        for (method, path, form) in &routes {
            let status = call(&client, method, path, form).await.status;
            if admin {
                assert!(
                    status != StatusCode::FORBIDDEN && !status.is_server_error(),
                    "{role} {method} {path} → {status}"
                );
            } else {
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} {method} {path}");
            }
        }
        let nav = client
            .get("/admin/workflows")
            .await
            .texts("nav.admin-nav a");
        assert_eq!(
            nav.contains(&"Workflows".to_owned()),
            admin,
            "{role}: {nav:?}"
        );
    }
    let stranger = app.client();
    for (method, path, form) in &routes {
        let res = call(&stranger, method, path, form).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{method} {path}");
        assert!(res.location().starts_with("/sign-in"), "{method} {path}");
    }
    let changed: i64 = sqlx::query_scalar(
        "select count(*) from audit_logs where entity_type = 'approval_workflow'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(changed, 0, "refusing the default's archive changed nothing");
}

#[tokio::test]
async fn the_form_keeps_input_beside_its_errors_and_edits_steps_without_saving() {
    let app = TestApp::spawn().await;
    let fin = app
        .user("fin1@example.com", "Finn One", &[Role::Approver])
        .await
        .to_string();
    let (admin, _) = app.signed_in(Role::Admin).await;
    assert_eq!(
        admin.get("/admin/workflows/new").await.status,
        StatusCode::OK
    );
    let mut bad = vec![field("name", " "), field("min_level_rank", "0")];
    bad.extend(step(0, "Finance", "users", &[&fin], "2", "0"));
    bad.extend(step(1, "", "role", &[], "", "48"));
    let res = post(&admin, "/admin/workflows", &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("name").as_deref(),
        Some("Name the workflow.")
    );
    assert!(res.field_error("min_level_rank").is_some());
    assert_eq!(
        res.field_error("steps-0-required").as_deref(),
        Some("Only 1 person is chosen.")
    );
    assert!(res.field_error("steps-0-sla_hours").is_some());
    assert_eq!(
        res.field_error("steps-1-name").as_deref(),
        Some("Name the step.")
    );
    assert_eq!(
        res.field_error("steps-1-approver_role").as_deref(),
        Some("Choose a role.")
    );
    assert_eq!(
        res.attr("#steps-0-sla_hours", "aria-describedby")
            .as_deref(),
        Some("steps-0-sla_hours-error steps-0-sla_hours-hint")
    );
    // The input is kept.
    assert_eq!(
        res.attr("#steps-0-name", "value").as_deref(),
        Some("Finance")
    );
    assert_eq!(res.attr("#min_level_rank", "value").as_deref(), Some("0"));
    assert_eq!(
        res.attr("#steps-0-approver_ids", "value").as_deref(),
        Some("Finn One <fin1@example.com>")
    );
    assert_eq!(res.attr("#steps-0-required", "value").as_deref(), Some("2"));

    // The step buttons change the steps and save nothing.
    let mut form = vec![field("name", "Special")];
    form.extend(step(0, "Finance", "role", &["approver"], "", "48"));
    form.extend(step(1, "Executive", "role", &["super_admin"], "", "24"));
    let legends = |p: &Page| p.texts("fieldset.step legend");
    let with = |extra: (String, String)| {
        let mut f = form.clone();
        f.push(extra);
        f
    };
    let res = post(&admin, "/admin/workflows", &with(field("add_step", "1"))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        legends(&res),
        ["Step 1: Finance", "Step 2: Executive", "Step 3"]
    );
    assert_eq!(res.attr("#steps-2-name", "autofocus").as_deref(), Some(""));
    assert_eq!(res.attr("#name", "value").as_deref(), Some("Special"));
    let res = post(&admin, "/admin/workflows", &with(field("up", "1"))).await;
    assert_eq!(legends(&res), ["Step 1: Executive", "Step 2: Finance"]);
    assert_eq!(
        res.attr("#steps-0-sla_hours", "value").as_deref(),
        Some("24")
    );
    let res = post(&admin, "/admin/workflows", &with(field("down", "0"))).await;
    assert_eq!(legends(&res), ["Step 1: Executive", "Step 2: Finance"]);
    let res = post(&admin, "/admin/workflows", &with(field("remove_step", "0"))).await;
    assert_eq!(legends(&res), ["Step 1: Executive"]);
    // htmx gets only the form back.
    let res = post_hx(&admin, "/admin/workflows", &with(field("add_step", "1"))).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body
            .trim_start()
            .starts_with("<form id=\"workflow-form\""),
        "{}",
        res.body
    );
    assert_eq!(legends(&res).len(), 3);
    assert!(
        res.attr("input[name=csrf_token]", "value")
            .is_some_and(|t| !t.is_empty()),
        "the swapped form can still be posted without JavaScript"
    );
    let count: i64 =
        sqlx::query_scalar("select count(*) from approval_workflows where subject = 'requirement'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(count, 1, "only the default");

    let id = create(&admin, form).await;
    let page = admin.get(&format!("/admin/workflows/{id}")).await;
    assert_eq!(page.texts("main h1"), ["Special"]);
    assert_eq!(
        page.texts("dl.meta ol.steps li"),
        [
            "Finance: all of everyone with the Approver role, within 48 h",
            "Executive: all of everyone with the Super admin role, within 24 h"
        ]
    );
    assert_eq!(app.audit_count("workflow.created", id).await, 1);
    let list = admin.get("/admin/workflows").await;
    assert_eq!(
        list.texts("table.workflows tbody th"),
        ["Standard requirement approval Default", "Special"]
    );
}

/// A department head, two finance approvers and an executive.
async fn people(app: &TestApp) -> Org {
    let o = crate::harness::fixtures::approvers(app).await;
    app.user("ceo@example.com", "Cleo Exec", &[Role::SuperAdmin])
        .await;
    o
}

#[tokio::test]
async fn an_edit_is_a_new_version_and_running_approvals_keep_theirs() {
    use chrono::TimeZone;
    let app = TestApp::spawn().await;
    let o = people(&app).await;
    let fin1: Uuid = sqlx::query_scalar("select id from users where email = 'fin1@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let mut v1 = vec![
        field("name", "Engineering"),
        field("department_id", &o.department.to_string()),
    ];
    v1.extend(step(0, "Finance", "role", &["approver"], "", "24"));
    let id = create(&admin, v1).await;
    let before = draft(&app, &hm, &o, hm_id, "Before the edit").await;
    submit(&hm, before).await;
    let frozen = vec![
        (1, "Finance".to_owned(), "fin1@example.com".to_owned(), 24),
        (1, "Finance".to_owned(), "fin2@example.com".to_owned(), 24),
    ];
    assert_eq!(tasks(&app, before).await, frozen);

    // The edit form shows the saved workflow; saving makes version 2.
    let form = admin.get(&format!("/admin/workflows/{id}/edit")).await;
    assert_eq!(
        form.attr("#steps-0-name", "value").as_deref(),
        Some("Finance")
    );
    assert_eq!(
        form.attr("input[name=version]", "value").as_deref(),
        Some("1")
    );
    let mut v2 = vec![
        field("name", "Engineering"),
        field("department_id", &o.department.to_string()),
        field("version", "1"),
    ];
    v2.extend(step(0, "Budget", "users", &[&fin1.to_string()], "", "72"));
    v2.extend(step(1, "Executive", "role", &["super_admin"], "1", "24"));
    let res = post(&admin, &format!("/admin/workflows/{id}"), &v2).await;
    res.assert_redirect(&format!("/admin/workflows/{id}"));
    assert_eq!(app.audit_count("workflow.updated", id).await, 1);
    let versions: Vec<(i32, serde_json::Value)> = sqlx::query_as(
        "select version, steps from workflow_versions where workflow_id = $1 order by version",
    )
    .bind(id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0].1[0]["name"], "Finance", "version 1 as it was");
    assert_eq!(versions[1].1[1]["name"], "Executive");

    let after = draft(&app, &hm, &o, hm_id, "After the edit").await;
    submit(&hm, after).await;
    assert_eq!(used(&app, before).await, ("Engineering".into(), 1));
    assert_eq!(used(&app, after).await, ("Engineering".into(), 2));
    // Each requirement's page names the version it follows; those who
    // manage workflows get a link to it.
    let page = hm.get(&format!("/requirements/{before}")).await;
    let shown = page.texts("dl.meta dd");
    assert!(
        shown.contains(&"Engineering, version 1".to_owned()),
        "{shown:?}"
    );
    let page = admin.get(&format!("/requirements/{after}")).await;
    let shown = page.texts("dl.meta dd");
    assert!(
        shown.contains(&"Engineering, version 2".to_owned()),
        "{shown:?}"
    );
    assert_eq!(
        page.attr("dl.meta dd a", "href"),
        Some(format!("/admin/workflows/{id}"))
    );
    assert!(
        hm.get(&format!("/requirements/{after}"))
            .await
            .attr("dl.meta dd a", "href")
            .is_none(),
        "no link for those who cannot open it"
    );
    assert_eq!(tasks(&app, before).await, frozen, "untouched by the edit");
    assert_eq!(
        tasks(&app, after).await,
        vec![
            (1, "Budget".to_owned(), "fin1@example.com".to_owned(), 72),
            (2, "Executive".to_owned(), "ceo@example.com".to_owned(), 24),
        ]
    );

    // The running approval is reminded on its own SLA (24 h), not the new 72 h.
    let monday = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    sqlx::query("update approval_tasks set started_at = $1 where status = 'pending'")
        .bind(monday)
        .execute(&app.pool)
        .await
        .unwrap();
    let mail = hiring_hare::mail::MailRenderer::new(&app.config);
    let mut tx = app.pool.begin().await.unwrap();
    hiring_hare::domain::approval::remind_overdue(
        &mut tx,
        &mail,
        monday + chrono::Duration::days(1),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let reminded: Vec<String> = sqlx::query_scalar(
        "select r.title from approval_reminders m join approval_tasks t on t.id = m.task_id
           join approvals a on a.id = t.approval_id join requirements r on r.id = a.subject_id
          order by r.title",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(reminded, ["Before the edit", "Before the edit"]);

    // The history says who saved what.
    let page = admin.get(&format!("/admin/workflows/{id}")).await;
    let history = page.texts("ol.history > li");
    assert_eq!(history.len(), 2);
    assert!(
        history[0].starts_with("Version 2, saved by Test Admin on "),
        "{history:?}"
    );
    assert!(
        history[0].contains(
            "Step 1: Finance: all of everyone with the Approver role, within 24 h → \
             Budget: all of Finn One, within 72 h."
        ),
        "{history:?}"
    );
    assert!(
        history[0].contains(
            "Step 2 added: Executive: 1 of everyone with the Super admin role, within 24 h."
        ),
        "{history:?}"
    );
    assert!(
        history[1].contains("First version. Applies to: In Engineering. Steps: Finance:"),
        "{history:?}"
    );

    // A save from a stale form is a conflict that keeps the input.
    let mut stale = v2.clone();
    stale[0] = field("name", "Engineering (renamed)");
    let res = post(&admin, &format!("/admin/workflows/{id}"), &stale).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        res.attr("#name", "value").as_deref(),
        Some("Engineering (renamed)")
    );
    assert_eq!(
        res.attr("input[name=version]", "value").as_deref(),
        Some("2")
    );
    assert!(!res.texts(".flash.error").is_empty());
}

#[tokio::test]
async fn the_most_specific_workflow_made_on_the_pages_applies() {
    let app = TestApp::spawn().await;
    let o = people(&app).await;
    let junior: Uuid = sqlx::query_scalar(
        "insert into job_levels (name, rank, salary_min, salary_max, currency) values ('Junior', 1, 40000, 90000, 'EUR') returning id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (admin, _) = app.signed_in(Role::Admin).await;
    let dept = o.department.to_string();
    for (name, conditions) in [
        ("Engineering", vec![field("department_id", &dept)]),
        (
            "Engineering seniors",
            vec![field("department_id", &dept), field("min_level_rank", "3")],
        ),
        ("Contractors", vec![field("employment_type", "contract")]),
    ] {
        let mut f = vec![field("name", name)];
        f.extend(conditions);
        f.extend(step(0, name, "role", &["approver"], "1", "48"));
        create(&admin, f).await;
    }
    let list = admin.get("/admin/workflows").await;
    assert!(
        list.texts("table.workflows tbody td")
            .contains(&"In Engineering, level rank 3 or above".to_owned()),
        "{:?}",
        list.texts("table.workflows tbody td")
    );
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let senior = draft(&app, &hm, &o, hm_id, "Senior engineer").await;
    let junior_org = Org {
        department: o.department,
        level: junior,
    };
    let junior_req = draft(&app, &hm, &junior_org, hm_id, "Junior engineer").await;
    for r in [senior, junior_req] {
        submit(&hm, r).await;
    }
    assert_eq!(used(&app, senior).await.0, "Engineering seniors");
    assert_eq!(used(&app, junior_req).await.0, "Engineering");
}

#[tokio::test]
async fn the_default_is_replaced_never_archived() {
    let app = TestApp::spawn().await;
    let standard = default_workflow(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let show = format!("/admin/workflows/{standard}");
    let res = admin.post(&format!("{show}/archive"), &[]).await;
    assert_eq!(res.location(), show);
    assert!(
        admin.get(&show).await.texts(".flash.error")[0].contains("cannot be archived"),
        "the refusal is explained"
    );
    assert_eq!(default_workflow(&app).await, standard);
    // The default has no conditions, even when a form is forged.
    let mut forged = vec![
        field("name", "Standard"),
        field("version", "1"),
        field("min_headcount", "3"),
    ];
    forged.extend(step(0, "Head", "department_head", &[], "", "48"));
    let res = post(&admin, &show, &forged).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("conditions").is_some());

    // A workflow with conditions cannot become the default.
    let mut f = vec![field("name", "Big teams"), field("min_headcount", "5")];
    f.extend(step(0, "Head", "department_head", &[], "", "48"));
    let big = create(&admin, f).await;
    admin
        .post(&format!("/admin/workflows/{big}/default"), &[])
        .await;
    assert_eq!(default_workflow(&app).await, standard);

    let mut f = vec![field("name", "Lean")];
    f.extend(step(0, "Head", "department_head", &[], "", "48"));
    let lean = create(&admin, f).await;
    let res = admin
        .post(&format!("/admin/workflows/{lean}/default"), &[])
        .await;
    res.assert_redirect(&format!("/admin/workflows/{lean}"));
    assert_eq!(default_workflow(&app).await, lean);
    assert_eq!(app.audit_count("workflow.made_default", lean).await, 1);
    // The old default can go now.
    admin.post(&format!("{show}/archive"), &[]).await;
    assert_eq!(app.audit_count("workflow.archived", standard).await, 1);
    let live = admin.get("/admin/workflows").await;
    assert_eq!(
        live.texts("table.workflows tbody th"),
        ["Lean Default", "Big teams"]
    );
    let archived = admin.get("/admin/workflows?archived=true").await;
    assert_eq!(
        archived.texts("table.workflows tbody th"),
        ["Standard requirement approval"]
    );
    // An archived workflow is kept as it was.
    assert_eq!(
        admin.get(&format!("{show}/edit")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_admin_builds_a_two_step_workflow_in_the_browser() {
    let app = TestApp::spawn().await;
    let o = people(&app).await;
    let _ = o;
    let browser = admin_browser(&app, "/admin/workflows/new").await;
    browser.fill("#name", "Senior hires").await;
    browser
        .wait_for("#min_level_rank")
        .await
        .send_keys("3")
        .await
        .unwrap();
    browser.fill("#steps-0-name", "Finance").await;
    browser
        .wait_for("#steps-0-sla_hours")
        .await
        .clear()
        .await
        .unwrap();
    browser.fill("#steps-0-sla_hours", "24").await;
    // Adding a step swaps the form in place (htmx) and keeps what was typed.
    browser
        .js("window.hhMarker = 'same page'; return true")
        .await;
    browser.wait_for("#add-step").await.click().await.unwrap();
    browser.wait_for("#steps-1-name").await;
    assert_eq!(
        browser.js("return window.hhMarker === 'same page'").await,
        serde_json::json!(true),
        "adding a step loaded a page"
    );
    assert_eq!(browser.value("#steps-0-name").await, "Finance");
    assert_eq!(browser.value("#steps-0-sla_hours").await, "24");
    assert_eq!(
        browser
            .js("return document.activeElement && document.activeElement.id")
            .await,
        serde_json::json!("steps-1-name"),
        "the new step's name has the focus"
    );
    browser.fill("#steps-1-name", "Head of department").await;
    browser
        .wait_for("#steps-1-approver_kind")
        .await
        .select_by_value("department_head")
        .await
        .unwrap();
    browser.wait_for("#steps-1-up").await.click().await.unwrap();
    browser
        .wait_for_xpath(
            "//fieldset[@class='step']/legend[normalize-space()='Step 1: Head of department']",
        )
        .await;
    // Each step shows only the field its kind of approver uses.
    let shown = async |css: &str| browser.wait_for(css).await.is_displayed().await.unwrap();
    assert!(
        !shown("#steps-0-approver_ids").await,
        "the head needs no people"
    );
    assert!(!shown("#steps-0-approver_role").await, "nor a role");
    assert!(shown("#steps-1-approver_role").await);
    assert!(!shown("#steps-1-approver_ids").await);
    let kind = browser.wait_for("#steps-0-approver_kind").await;
    kind.clone().select_by_value("users").await.unwrap();
    assert!(shown("#steps-0-approver_ids").await, "people, once chosen");
    kind.select_by_value("department_head").await.unwrap();
    assert!(!shown("#steps-0-approver_ids").await);
    for width in WIDTHS {
        set_width(&browser, width).await;
        check_layout(&browser, "workflow-form", width).await;
    }
    browser
        .wait_for_xpath("//button[normalize-space()='Create workflow']")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for("ol.history").await;
    assert_eq!(
        browser.texts("dl.meta ol.steps li").await,
        [
            "Head of department: the department head, within 48 h",
            "Finance: all of everyone with the Approver role, within 24 h"
        ]
    );
    for width in WIDTHS {
        set_width(&browser, width).await;
        check_layout(&browser, "workflow", width).await;
    }
    browser.goto(&app.url("/admin/workflows")).await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        check_layout(&browser, "workflows", width).await;
    }
    browser.close().await;
}

/// The department's parent, headed by Paula Parent: where a step goes when
/// the department's own head can't approve.
async fn parent_department(app: &TestApp, org: &Org) -> Uuid {
    let paula = app
        .user("parent@example.com", "Paula Parent", &[Role::Viewer])
        .await;
    let parent: Uuid = sqlx::query_scalar(
        "insert into departments (name, head_id) values ('Company', $1) returning id",
    )
    .bind(paula)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("update departments set parent_id = $1 where id = $2")
        .bind(parent)
        .bind(org.department)
        .execute(&app.pool)
        .await
        .unwrap();
    paula
}

#[tokio::test]
async fn a_head_named_as_recruiter_passes_the_step_to_the_parent_head() {
    let app = TestApp::spawn().await;
    let org = crate::harness::fixtures::approvers(&app).await;
    parent_department(&app, &org).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    sqlx::query(
        "update requirements set recruiter_id = (select id from users where email = 'head@example.com') where id = $1",
    )
    .bind(id)
    .execute(&app.pool)
    .await
    .unwrap();
    submit(&hm, id).await;
    let t = tasks(&app, id).await;
    assert_eq!(t[0].1, "Department head");
    assert_eq!(t[0].2, "parent@example.com", "{t:?}");
    assert!(t.iter().all(|(_, _, email, _)| email != "head@example.com"));
    assert_eq!(app.audit_count("approval.step_passed_up", id).await, 1);
    assert!(app.last_mail_to("parent@example.com").await.is_some());
}

#[tokio::test]
async fn a_head_requesting_for_their_own_department_goes_up_then_to_admins() {
    let app = TestApp::spawn().await;
    let org = org(&app).await;
    app.user("fin1@example.com", "Finn One", &[Role::Approver])
        .await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    sqlx::query("update departments set head_id = $1 where id = $2")
        .bind(hm_id)
        .bind(org.department)
        .execute(&app.pool)
        .await
        .unwrap();
    // With a parent department: its head.
    parent_department(&app, &org).await;
    let first = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    submit(&hm, first).await;
    let t = tasks(&app, first).await;
    assert_eq!(
        (t[0].1.as_str(), t[0].2.as_str()),
        ("Department head", "parent@example.com")
    );
    // Without one (and no manager): the admins.
    sqlx::query("update departments set parent_id = null")
        .execute(&app.pool)
        .await
        .unwrap();
    app.user("root@example.com", "Rory Admin", &[Role::Admin])
        .await;
    let second = draft(&app, &hm, &org, hm_id, "Data engineer").await;
    submit(&hm, second).await;
    let t = tasks(&app, second).await;
    assert_eq!(
        (t[0].1.as_str(), t[0].2.as_str()),
        ("Department head", "root@example.com")
    );
    assert_eq!(app.audit_count("approval.step_passed_up", second).await, 1);
}

#[tokio::test]
async fn when_nobody_at_all_may_approve_the_refusal_says_why() {
    let app = TestApp::spawn().await;
    let org = org(&app).await;
    // The requester heads the department; there is no parent, manager,
    // admin or approver.
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    sqlx::query("update departments set head_id = $1 where id = $2")
        .bind(hm_id)
        .bind(org.department)
        .execute(&app.pool)
        .await
        .unwrap();
    let id = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    let res = hm
        .post(
            &format!("/requirements/{id}/transitions"),
            &[("action", "submit"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let message = res.texts(".flash.error").join(" ");
    assert!(
        message.contains("Department head: its approvers requested or work on this requirement")
            && message.contains("Finance: nobody active has the Approver role"),
        "{message}"
    );
}

#[tokio::test]
async fn a_step_may_name_who_stands_in_for_its_excluded_approvers() {
    let app = TestApp::spawn().await;
    let org = org(&app).await;
    let deputy = app
        .user("deputy@example.com", "Dana Deputy", &[Role::Viewer])
        .await;
    app.user("fin1@example.com", "Finn One", &[Role::Approver])
        .await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    // The requester heads the department, and there is a parent head too:
    // the step's own stand-in comes first.
    sqlx::query("update departments set head_id = $1 where id = $2")
        .bind(hm_id)
        .bind(org.department)
        .execute(&app.pool)
        .await
        .unwrap();
    parent_department(&app, &org).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let mut f = vec![
        field("name", "Engineering"),
        field("department_id", &org.department.to_string()),
    ];
    f.extend(step(0, "Head", "department_head", &[], "", "48"));
    f.push(field("steps[0][fallback_id]", &deputy.to_string()));
    let workflow = create(&admin, f).await;
    let shown = admin
        .get(&format!("/admin/workflows/{workflow}/edit"))
        .await;
    assert_eq!(
        shown.attr("#steps-0-fallback_id", "value").as_deref(),
        Some("Dana Deputy <deputy@example.com>"),
        "kept on the form"
    );
    let id = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    submit(&hm, id).await;
    let t = tasks(&app, id).await;
    assert_eq!(
        (t[0].1.as_str(), t[0].2.as_str()),
        ("Head", "deputy@example.com"),
        "{t:?}"
    );
    assert_eq!(app.audit_count("approval.step_passed_up", id).await, 1);
}
