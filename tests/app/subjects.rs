//! The approval engine takes any subject: approvals made of requirements
//! before subjects existed keep their meaning through the migration, the
//! requirement answers the engine through the `Subject` trait as the view
//! the inbox reads says, and a subject that is no requirement (a test-only
//! offer, kept in memory) runs through submit and decide on the same engine.

use crate::harness::fixtures::{draft, org};
use crate::harness::{TestApp, empty_database};
use hiring_hare::db::MIGRATOR;
use hiring_hare::domain::Error;
use hiring_hare::domain::access::Role;
use hiring_hare::domain::activity::audit::Actor;
use hiring_hare::domain::activity::history::{self, Event, FieldChange, Told};
use hiring_hare::domain::approval::TaskId;
use hiring_hare::domain::approval::engine::decide_with;
use hiring_hare::domain::approval::subject::{
    About, Applied, Ending, Facts, Outcome, Subject, SubjectKind, SubjectRef,
};
use hiring_hare::domain::approval::{self, Decision};
use hiring_hare::domain::requisition::approval_subject::{Requirements, subject};
use hiring_hare::domain::requisition::requirement::RequirementId;
use hiring_hare::mail::MailRenderer;
use sqlx::PgConnection;
use std::sync::Mutex;
use uuid::Uuid;

/// The last migration before approvals named their subject.
const BEFORE_SUBJECTS: i64 = 20261203500000;

#[tokio::test]
async fn an_approval_made_of_a_requirement_keeps_its_meaning_through_the_migration() {
    let pool = empty_database().await;
    ::jobs::setup(&pool).await.unwrap();
    MIGRATOR.run_to(BEFORE_SUBJECTS, &pool).await.unwrap();
    // Rows shaped as they were: the approval and its link name the
    // requirement and its version.
    let (requirement, approval, task): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "with u as (insert into users (email, full_name) values ('hm@example.com', 'Hal Manager') returning id),
              a as (insert into users (email, full_name) values ('fin@example.com', 'Finn Approver') returning id),
              d as (insert into departments (name) values ('Engineering') returning id),
              l as (insert into job_levels (name, rank, salary_min, salary_max, currency)
                    values ('Senior', 3, 80000, 100000, 'EUR') returning id),
              r as (insert into requirements (reference, title, department_id, job_level_id, hiring_manager_id,
                        headcount, employment_type, remote_policy, salary_min, salary_max, currency, reason,
                        priority, created_by, status, version)
                    select 'HH-2026-0001', 'Platform engineer', d.id, l.id, u.id, 1, 'full_time', 'hybrid',
                           80000, 90000, 'EUR', 'new', 'normal', u.id, 'pending_approval', 3
                      from u, d, l returning id, hiring_manager_id),
              ap as (insert into approvals (requirement_id, workflow_id, workflow_version, requester_id)
                     select r.id, w.id, w.version, r.hiring_manager_id
                       from r, approval_workflows w where w.is_default and w.subject = 'requirement'
                     returning id),
              t as (insert into approval_tasks (approval_id, step, step_name, approver_id, status, started_at)
                    select ap.id, 1, 'Finance', a.id, 'pending', now() from ap, a returning id),
              k as (insert into approval_links (task_id, approver_id, requirement_version, digest, expires_at)
                    select t.id, a.id, 3, '\\x00', now() + interval '1 day' from t, a)
         select r.id, ap.id, t.id from r, ap, t",
    )
    .fetch_one(&pool)
    .await
    .unwrap();

    MIGRATOR.run(&pool).await.unwrap();

    let (kind, id): (String, Uuid) =
        sqlx::query_as("select subject_type, subject_id from approvals where id = $1")
            .bind(approval)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((kind.as_str(), id), ("requirement", requirement));
    let version: i32 =
        sqlx::query_scalar("select subject_version from approval_links where task_id = $1")
            .bind(task)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        version, 3,
        "the link stays bound to the version it was mailed about"
    );
    // The engine reads it as the same requirement's approval.
    let mut conn = pool.acquire().await.unwrap();
    let trail = approval::trail(&mut conn, subject(RequirementId::new(requirement)))
        .await
        .unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].id, TaskId::new(task));
    assert_eq!(trail[0].subject(), subject(RequirementId::new(requirement)));
    assert_eq!(
        (trail[0].reference.as_str(), trail[0].title.as_str()),
        ("HH-2026-0001", "Platform engineer")
    );
    assert_eq!(trail[0].status, approval::TaskStatus::Pending);
    let index: String = sqlx::query_scalar(
        "select indexdef from pg_indexes where indexname = 'approvals_subject_idx'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert!(
        index.contains("(subject_type, subject_id, created_at DESC)"),
        "{index}"
    );
    let unknown = sqlx::query("update approvals set subject_type = 'candidate' where id = $1")
        .bind(approval)
        .execute(&mut *conn)
        .await;
    assert!(unknown.is_err(), "only known kinds are subjects");
}

#[tokio::test]
async fn the_requirement_tells_the_engine_what_the_inbox_view_reads() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &o, hm_id, "Platform engineer").await;
    let recruiter = app
        .user("rec@example.com", "Rae Recruiter", &[Role::Recruiter])
        .await;
    sqlx::query("update requirements set recruiter_id = $2 where id = $1")
        .bind(id)
        .bind(recruiter)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    let about = Requirements
        .about(&mut conn, id)
        .await
        .unwrap()
        .expect("a live requirement is a subject");
    assert_eq!(Requirements.kind(), SubjectKind::Requirement);
    assert_eq!(about.subject, subject(RequirementId::new(id)));
    assert_eq!(about.path, format!("/requirements/{id}"));
    assert_eq!(about.title, "Platform engineer");
    assert_eq!(about.requester_id, hm_id);
    assert_eq!(about.facts.department_id, Some(o.department));
    assert_eq!(about.facts.headcount, Some(2));
    // Who may never decide on it, as the engine's trait says and as the
    // view the inbox and the links read says: the same people.
    let mut own = about.own_people.clone();
    own.sort();
    own.dedup();
    let (version, mut people): (i32, Vec<Uuid>) = sqlx::query_as(
        "select version, people from approval_subjects where kind = 'requirement' and id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    people.sort();
    people.dedup();
    assert_eq!(own, people);
    assert!(own.contains(&recruiter) && own.contains(&hm_id));
    assert_eq!(about.version, version);
    // A deleted requirement is no subject any more.
    sqlx::query("update requirements set deleted_at = now() where id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await
        .unwrap();
    assert!(Requirements.about(&mut conn, id).await.unwrap().is_none());
}

/// A subject that is no requirement: offers as far as the engine needs
/// them, kept in memory. Each test's offers have their own ids.
struct Offers;

/// (offer, requester) of the offers that exist.
static OFFERS: Mutex<Vec<(Uuid, Uuid)>> = Mutex::new(Vec::new());
/// The outcomes applied, by offer.
static APPLIED: Mutex<Vec<(Uuid, Outcome)>> = Mutex::new(Vec::new());

impl Subject for Offers {
    fn kind(&self) -> SubjectKind {
        SubjectKind::Offer
    }

    fn about<'a>(
        &'a self,
        _conn: &'a mut PgConnection,
        id: Uuid,
    ) -> futures::future::BoxFuture<'a, Result<Option<About>, sqlx::Error>> {
        let requester = OFFERS
            .lock()
            .unwrap()
            .iter()
            .find(|(offer, _)| *offer == id)
            .map(|(_, requester)| *requester);
        Box::pin(async move {
            Ok(requester.map(|requester_id| About {
                subject: SubjectRef::new(SubjectKind::Offer, id),
                version: 1,
                reference: "OF-1".into(),
                title: "Offer for Ada".into(),
                path: format!("/offers/{id}"),
                requester_id,
                requester_name: "Rita Requester".into(),
                summary: "EUR 95,000 a year".into(),
                own_people: vec![requester_id],
                facts: Facts::default(),
                snapshot: serde_json::json!({ "salary": 95000 }),
            }))
        })
    }

    fn visible_to<'a>(
        &'a self,
        _conn: &'a mut PgConnection,
        id: Uuid,
        _viewer: Uuid,
        _roles: &'a [Role],
    ) -> futures::future::BoxFuture<'a, Result<bool, sqlx::Error>> {
        let exists = OFFERS.lock().unwrap().iter().any(|(offer, _)| *offer == id);
        Box::pin(async move { Ok(exists) })
    }

    /// Through the history every subject has: the engine's entries about
    /// its approvals, in the same words as a requirement's.
    fn history<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        id: Uuid,
    ) -> futures::future::BoxFuture<'a, Result<Vec<Event>, sqlx::Error>> {
        let offer = SubjectRef::new(SubjectKind::Offer, id);
        let tell: history::Tell = |action, _, _| Told {
            what: action.to_owned(),
            comment: String::new(),
            changes: Vec::new(),
        };
        Box::pin(history::timeline(conn, offer, tell))
    }

    /// The test's offers never change.
    fn changes_since<'a>(
        &'a self,
        _conn: &'a mut PgConnection,
        _id: Uuid,
        _earlier: &'a serde_json::Value,
    ) -> futures::future::BoxFuture<'a, Result<Vec<FieldChange>, Error>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn apply<'a>(
        &'a self,
        _conn: &'a mut PgConnection,
        _actor: &'a Actor,
        ending: Ending<'a>,
    ) -> futures::future::BoxFuture<'a, Result<Applied, Error>> {
        APPLIED
            .lock()
            .unwrap()
            .push((ending.subject.id, ending.outcome));
        Box::pin(async { Ok(Applied::AsDecided) })
    }
}

fn offers(kind: SubjectKind) -> Option<&'static dyn Subject> {
    match kind {
        SubjectKind::Offer => Some(&Offers),
        SubjectKind::Requirement | SubjectKind::Candidate => None,
    }
}

fn as_user(id: Uuid) -> Actor {
    Actor {
        user_id: Some(id),
        ..Actor::system()
    }
}

#[tokio::test]
async fn a_subject_that_is_no_requirement_runs_through_submit_and_decide() {
    let app = TestApp::spawn().await;
    let mail = MailRenderer::new(&app.config);
    let requester = app
        .user("rita@example.com", "Rita Requester", &[Role::Recruiter])
        .await;
    let approver = app
        .user("fin@example.com", "Finn Approver", &[Role::Approver])
        .await;
    // Offers' own default workflow, made one step: Finn.
    sqlx::query(
        "delete from workflow_steps
          where workflow_id = (select id from approval_workflows where subject = 'offer' and is_default)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into workflow_steps (workflow_id, position, name, approver_kind, approver_ids)
         select id, 1, 'Finance', 'users', array[$1::uuid] from approval_workflows
          where subject = 'offer' and is_default",
    )
    .bind(approver)
    .execute(&app.pool)
    .await
    .unwrap();
    let (approved, rejected) = (Uuid::new_v4(), Uuid::new_v4());
    OFFERS
        .lock()
        .unwrap()
        .extend([(approved, requester), (rejected, requester)]);

    let mut tasks = Vec::new();
    for offer in [approved, rejected] {
        let mut tx = app.pool.begin().await.unwrap();
        approval::submit(&mut tx, &as_user(requester), &mail, &Offers, offer, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (task, status): (Uuid, String) = sqlx::query_as(
            "select t.id, t.status from approval_tasks t join approvals a on a.id = t.approval_id
              where a.subject_type = 'offer' and a.subject_id = $1 and t.approver_id = $2",
        )
        .bind(offer)
        .bind(approver)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(status, "pending");
        tasks.push(task);
    }
    // The approver is asked in the offer's words, with a link to decide.
    let asked: Vec<(String, String)> = sqlx::query_as(
        "select text, link from notifications where user_id = $1 and event = 'approval.pending' order by link",
    )
    .bind(approver)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut expected: Vec<(String, String)> = tasks
        .iter()
        .map(|t| {
            (
                "OF-1 Offer for Ada waits for your approval".to_owned(),
                format!("/approvals/{t}"),
            )
        })
        .collect();
    expected.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(asked, expected);
    let mailed: i64 = sqlx::query_scalar(
        "select count(*) from outbox where to_address = 'fin@example.com'
            and subject = 'Approval needed: OF-1 Offer for Ada' and body_text like '%EUR 95,000 a year%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(mailed, 2);

    // Its requester is one of its own people: never theirs to decide.
    let mut tx = app.pool.begin().await.unwrap();
    let refused = decide_with(
        &mut tx,
        &as_user(requester),
        &mail,
        offers,
        TaskId::new(tasks[0]),
        Decision::Approve,
        "",
    )
    .await;
    assert!(matches!(refused, Err(Error::Forbidden)), "{refused:?}");
    tx.rollback().await.unwrap();

    for (task, decision, comment) in [
        (tasks[0], Decision::Approve, ""),
        (tasks[1], Decision::Reject, "Above the band"),
    ] {
        let mut tx = app.pool.begin().await.unwrap();
        decide_with(
            &mut tx,
            &as_user(approver),
            &mail,
            offers,
            TaskId::new(task),
            decision,
            comment,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let applied: Vec<(Uuid, Outcome)> = APPLIED
        .lock()
        .unwrap()
        .iter()
        .filter(|(offer, _)| [approved, rejected].contains(offer))
        .copied()
        .collect();
    assert_eq!(
        applied,
        [(approved, Outcome::Approved), (rejected, Outcome::Rejected)]
    );
    let statuses: Vec<String> = sqlx::query_scalar(
        "select status from approvals where subject_type = 'offer' and subject_id = any($1)
          order by subject_id = $2 desc",
    )
    .bind([approved, rejected])
    .bind(approved)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(statuses, ["approved", "rejected"]);
    // The requester hears of each outcome, led to the offer.
    let told: Vec<(String, String)> = sqlx::query_as(
        "select text, link from notifications where user_id = $1 order by created_at, event",
    )
    .bind(requester)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        told,
        [
            (
                "OF-1 Offer for Ada was approved by Finn Approver".to_owned(),
                format!("/offers/{approved}")
            ),
            (
                "OF-1 Offer for Ada was rejected by Finn Approver".to_owned(),
                format!("/offers/{rejected}")
            ),
        ]
    );
    // Each offer's history tells its own decision, with the comment, and
    // nothing of the other's.
    let mut conn = app.pool.acquire().await.unwrap();
    for (offer, said, comment) in [
        (approved, "approved (Finance)", ""),
        (rejected, "rejected (Finance)", "Above the band"),
    ] {
        let events = Offers.history(&mut conn, offer).await.unwrap();
        let told: Vec<(&str, &str, Option<&str>)> = events
            .iter()
            .map(|e| (e.what.as_str(), e.comment.as_str(), e.actor.as_deref()))
            .collect();
        assert_eq!(told, [(said, comment, Some("Finn Approver"))]);
    }
}
