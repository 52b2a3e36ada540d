//! Statuses and kinds are read through their own types: a value the code
//! does not know is an error, never silently another one (an unknown
//! requirement status once read as a draft).

use crate::harness::TestApp;
use crate::harness::fixtures::{signed_in_as, submitted, waiting_task};
use hiring_hare::domain::approval::{SubjectKind, TaskStatus};
use hiring_hare::domain::requisition::lifecycle::Status;

#[tokio::test]
async fn an_unknown_status_or_kind_is_an_error_not_a_guess() {
    let app = TestApp::spawn().await;
    for status in Status::ALL {
        let read: Status = sqlx::query_scalar("select $1::text")
            .bind(status)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        assert_eq!(read, status);
    }
    let unknown = sqlx::query_scalar::<_, Status>("select 'archived'::text")
        .fetch_one(&app.pool)
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("archived"), "{unknown}");
    assert!(
        sqlx::query_scalar::<_, SubjectKind>("select 'application'::text")
            .fetch_one(&app.pool)
            .await
            .is_err()
    );
    // Every task status the table allows reads back; no other does.
    let allowed: Vec<TaskStatus> = sqlx::query_scalar(
        "select unnest(array['waiting', 'pending', 'approved', 'rejected', 'changes_requested',
                             'superseded', 'cancelled'])",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(allowed.len(), 7);
    assert!(
        sqlx::query_scalar::<_, TaskStatus>("select 'skipped'::text")
            .fetch_one(&app.pool)
            .await
            .is_err()
    );
    // A requirement row whose status nobody knows does not show as a draft.
    let (client, _) = app
        .signed_in(hiring_hare::domain::access::Role::Admin)
        .await;
    let id: uuid::Uuid = sqlx::query_scalar(
        "with d as (insert into departments (name) values ('Typing') returning id),
              l as (insert into job_levels (name, rank, salary_min, salary_max, currency)
                    values ('L', 1, 1, 2, 'EUR') returning id),
              u as (select id from users limit 1)
         insert into requirements (reference, title, department_id, job_level_id,
             hiring_manager_id, headcount, employment_type, remote_policy, salary_min,
             salary_max, currency, reason, priority, created_by)
         select 'REQ-TYPED-1', 'Typed', d.id, l.id, u.id, 1, 'full_time', 'remote', 1, 2,
                'EUR', 'new', 'low', u.id
           from d, l, u
         returning id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("alter table requirements drop constraint requirements_status_check")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update requirements set status = 'archived' where id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let page = client.get(&format!("/requirements/{id}")).await;
    assert_eq!(page.status, reqwest::StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!page.body.contains("Draft"));
}

#[tokio::test]
async fn the_audit_filter_offers_every_kind_that_is_written() {
    use hiring_hare::domain::activity::audit::{Action, Entity};
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let head = signed_in_as(&app, "head@example.com").await;
    // The department head's, the first step's only task.
    let task = waiting_task(&app, chain.requirement).await;
    head.post(
        &format!("/approvals/{task}/decision"),
        &[("decision", "approve"), ("comment", "")],
    )
    .await
    .assert_redirect("/approvals");
    let (admin, _) = app
        .signed_in(hiring_hare::domain::access::Role::Admin)
        .await;
    let offered = admin.get("/admin/audit").await.texts("#entity_type option");
    let kinds: Vec<String> = Entity::ALL.iter().map(|e| e.as_str().to_owned()).collect();
    assert!(offered.ends_with(&kinds), "{offered:?}");
    let written: Vec<String> =
        sqlx::query_scalar("select distinct entity_type from audit_logs order by 1")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(written.len() >= 3, "{written:?}");
    for kind in &written {
        assert!(offered.contains(kind), "{kind} is written but not offered");
    }
    // Every action written is one of the audit actions, each `<thing>.<what>`
    // and none twice.
    let known: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
    let mut distinct = known.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), known.len());
    assert!(known.iter().all(|a| a.split_once('.').is_some()));
    let actions: Vec<String> = sqlx::query_scalar("select distinct action from audit_logs")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(actions.len() >= 4, "{actions:?}");
    for action in &actions {
        assert!(
            known.contains(&action.as_str()),
            "{action} is not an audit action"
        );
    }
}
