//! Rows that many test modules start from, made the way people make them
//! (through the pages, signed in) unless only the database can: an
//! organisation, requirements in each state, the approval chain, comments,
//! and the mailed links.

use super::{Client, PASSWORD, Page, TestApp, link_in};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

pub struct Org {
    pub department: Uuid,
    pub level: Uuid,
}

/// A department (Engineering) and a job level (Senior, 60–90k EUR).
pub async fn org(app: &TestApp) -> Org {
    let department =
        sqlx::query_scalar("insert into departments (name) values ('Engineering') returning id")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let level = sqlx::query_scalar(
        "insert into job_levels (name, rank, salary_min, salary_max, currency) values ('Senior', 3, 60000, 90000, 'EUR') returning id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    Org { department, level }
}

/// A valid requirement form for `manager` in `o`.
pub fn form(o: &Org, manager: Uuid, title: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", title.to_owned()),
        ("department_id", o.department.to_string()),
        ("job_level_id", o.level.to_string()),
        ("hiring_manager_id", manager.to_string()),
        ("headcount", "2".into()),
        ("employment_type", "full_time".into()),
        ("remote_policy", "hybrid".into()),
        ("salary_min", "65000".into()),
        ("salary_max", "85000".into()),
        ("currency", "EUR".into()),
        ("reason", "new".into()),
        ("priority", "high".into()),
        ("skills", "Rust, PostgreSQL".into()),
        (
            "description",
            "Build **the** platform.\n\n<script>alert(1)</script>".into(),
        ),
    ]
}

/// Saves a new requirement from `fields` through the form; its id, from
/// the page the save leads to.
pub async fn create(client: &Client, fields: &[(&'static str, String)]) -> Uuid {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = client.post("/requirements", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location()
        .strip_prefix("/requirements/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("saved, it leads to its page: {}", res.location()))
}

/// A draft of `manager`'s, saved by `client`.
pub async fn draft(app: &TestApp, client: &Client, o: &Org, manager: Uuid, title: &str) -> Uuid {
    let id = create(client, &form(o, manager, title)).await;
    assert_eq!(app.audit_count("requirement.created", id).await, 1);
    id
}

pub struct Chain {
    pub org: Org,
    pub hm: Client,
    pub hm_id: Uuid,
    pub requirement: Uuid,
}

/// The organisation with a head for the department (Hana Head) and two
/// finance approvers (fin1@, fin2@).
pub async fn approvers(app: &TestApp) -> Org {
    let org = org(app).await;
    let head = app
        .user("head@example.com", "Hana Head", &[Role::Viewer])
        .await;
    sqlx::query("update departments set head_id = $1")
        .bind(head)
        .execute(&app.pool)
        .await
        .unwrap();
    app.user("fin1@example.com", "Finn One", &[Role::Approver])
        .await;
    app.user("fin2@example.com", "Finn Two", &[Role::Approver])
        .await;
    org
}

/// [`approvers`], and a draft submitted by its hiring manager.
pub async fn submitted(app: &TestApp) -> Chain {
    let org = approvers(app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let requirement = draft(app, &hm, &org, hm_id, "Platform engineer").await;
    submit(app, &hm, requirement).await;
    Chain {
        org,
        hm,
        hm_id,
        requirement,
    }
}

pub async fn status(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("select status from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Takes a lifecycle action (submit, open, …) on the requirement as it is
/// now, as its page's button does.
pub async fn act(app: &TestApp, client: &Client, id: Uuid, action: &str) -> Page {
    let version: i32 = sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    client
        .post(
            &format!("/requirements/{id}/transitions"),
            &[("action", action), ("version", &version.to_string())],
        )
        .await
}

/// Submits the requirement for approval, back on its page.
pub async fn submit(app: &TestApp, client: &Client, id: Uuid) {
    act(app, client, id, "submit")
        .await
        .assert_redirect(&format!("/requirements/{id}"));
}

/// Opens the (approved) requirement for recruiting.
/// [`submitted`], approved by every approver and opened by its hiring
/// manager: a requirement that recruits.
pub async fn opened(app: &TestApp) -> Chain {
    let chain = submitted(app).await;
    approve_all(app, chain.requirement).await;
    open(app, &chain.hm, chain.requirement).await;
    chain
}

pub async fn open(app: &TestApp, hm: &Client, id: Uuid) {
    act(app, hm, id, "open")
        .await
        .assert_redirect(&format!("/requirements/{id}"));
}

/// Approves every waiting task of the requirement, step by step, as its
/// approvers (signed in).
pub async fn approve_all(app: &TestApp, requirement: Uuid) {
    loop {
        let pending: Vec<(Uuid, String)> = sqlx::query_as(
            "select t.id, u.email from approval_tasks t join approvals a on a.id = t.approval_id
               join users u on u.id = t.approver_id
              where a.subject_id = $1 and t.status = 'pending'",
        )
        .bind(requirement)
        .fetch_all(&app.pool)
        .await
        .unwrap();
        if pending.is_empty() {
            return;
        }
        for (task, email) in pending {
            signed_in_as(app, &email)
                .await
                .post(
                    &format!("/approvals/{task}/decision"),
                    &[("decision", "approve")],
                )
                .await
                .assert_redirect("/approvals");
        }
    }
}

/// The task waiting for a decision on the requirement (its only one).
pub async fn waiting_task(app: &TestApp, requirement: Uuid) -> Uuid {
    sqlx::query_scalar(
        "select t.id from approval_tasks t join approvals a on a.id = t.approval_id
          where a.subject_id = $1 and t.status = 'pending'",
    )
    .bind(requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A client signed in as the user with `email` (and the test password).
pub async fn signed_in_as(app: &TestApp, email: &str) -> Client {
    let c = app.client();
    c.sign_in(email, PASSWORD, "/").await.assert_redirect("/");
    c
}

/// The id of the user with `email`.
pub async fn user_id(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("select id from users where email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The decision page the last mail to `to` links to (without its token).
pub async fn approval_path(app: &TestApp, to: &str) -> String {
    link_in(&app.last_mail_to(to).await.unwrap(), "/approvals/").unwrap()
}

/// The emailed link with its token (path and query).
pub async fn mailed_link(app: &TestApp, to: &str) -> String {
    let mail = app.last_mail_to(to).await.unwrap();
    let url = mail
        .split_whitespace()
        .find(|w| w.contains("/approvals/"))
        .unwrap();
    let url = url::Url::parse(url).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap())
}

/// Posts a comment as a plain form from the requirement's page; its id,
/// from where the save leads.
pub async fn comment(client: &Client, requirement: Uuid, body: &str) -> Uuid {
    client.get(&format!("/requirements/{requirement}")).await;
    let res = client
        .post(
            &format!("/requirements/{requirement}/comments"),
            &[("body", body)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (path, anchor) = res.location().split_once("#comment-").unwrap();
    assert_eq!(path, format!("/requirements/{requirement}"));
    anchor.parse().unwrap()
}

/// The events of a candidate's history as `client` reads them (from
/// `profile`'s history page), newest first.
pub async fn history_of(client: &Client, profile: &str) -> Vec<String> {
    let page = client.get(&format!("{profile}/history")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.texts("ol.timeline > li > p")
}

/// Adds `name` as a candidate of the requirement through the form, as a
/// recruiter does; the application's id.
pub async fn candidate_in(
    app: &TestApp,
    recruiter: &Client,
    requirement: Uuid,
    name: &str,
) -> Uuid {
    let email = format!("{}@example.com", name.to_lowercase().replace(' ', "."));
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", name),
                ("emails", &email),
                ("source", "sourced"),
                ("requirement_id", &requirement.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(
        res.location().starts_with("/candidates/"),
        "{}",
        res.location()
    );
    sqlx::query_scalar(
        "select a.id from applications a join candidate_emails e on e.candidate_id = a.candidate_id
          where e.email = $1 and a.requirement_id = $2",
    )
    .bind(email)
    .bind(requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Moves the application to its pipeline's stage named `stage` from where
/// it is now, by the board's form; the answer.
pub async fn move_to(app: &TestApp, client: &Client, application: Uuid, stage: &str) -> Page {
    let (from, to): (Uuid, Uuid) = sqlx::query_as(
        "select a.stage_id, s.id from applications a, pipeline_stages s
          where a.id = $1 and s.name = $2 and s.requirement_id is null",
    )
    .bind(application)
    .bind(stage)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    client
        .post(
            &format!("/applications/{application}/stage"),
            &[
                ("from", &from.to_string()),
                ("stage_id", &to.to_string()),
                ("back", "board"),
            ],
        )
        .await
}

/// Adds `name` to the requirement and hires them, as a recruiter does;
/// the answer to the move to Hired.
pub async fn hire(app: &TestApp, recruiter: &Client, requirement: Uuid, name: &str) -> Page {
    let application = candidate_in(app, recruiter, requirement, name).await;
    move_to(app, recruiter, application, "Hired").await
}

/// The number of approvals the navigation's badge says wait for the client.
pub async fn badge(client: &Client) -> usize {
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.texts("#approvals-waiting .badge")
        .first()
        .map_or(0, |t| t.trim_end_matches(" waiting").parse().unwrap())
}

/// The number of approvals the client's inbox lists as waiting.
pub async fn inbox_waiting(client: &Client) -> usize {
    let page = client.get("/approvals?tab=waiting").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.texts("#waiting tbody tr").len()
}
