//! The rules about one row, asked of the domain functions that decide them
//! (the route table names them; the walk in `routes.rs` checks that the
//! pages follow them): who sees a confidential requirement, who edits a
//! requirement in each state, and who decides an approval task.

use crate::harness::fixtures::{Org, approvers, create, draft, form, submitted, waiting_task};
use crate::harness::{Client, TestApp};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::approval;
use hiring_hare::domain::approval::TaskId;
use hiring_hare::domain::requisition::lifecycle::Action;
use hiring_hare::domain::requisition::requirement::RequirementId;
use hiring_hare::domain::requisition::requirement::{self, Requirement};
use uuid::Uuid;

async fn find(app: &TestApp, id: Uuid) -> Requirement {
    let mut conn = app.pool.acquire().await.unwrap();
    requirement::find(&mut conn, RequirementId::new(id))
        .await
        .unwrap()
        .unwrap()
}

/// The requirement as it would be in `status` (the rules read the row).
async fn in_status(app: &TestApp, id: Uuid, status: &str) -> Requirement {
    sqlx::query("update requirements set status = $2 where id = $1")
        .bind(id)
        .bind(status)
        .execute(&app.pool)
        .await
        .unwrap();
    find(app, id).await
}

/// A requirement with its people: the hiring manager who saved it, and a
/// recruiter named on it.
struct Named {
    org: Org,
    hm: Client,
    hm_id: Uuid,
    recruiter: Uuid,
    id: Uuid,
}

async fn named(app: &TestApp, title: &str, confidential: bool) -> Named {
    let org = approvers(app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let recruiter = app
        .user("rita@example.com", "Rita Recruiter", &[Role::Recruiter])
        .await;
    let mut fields = form(&org, hm_id, title);
    if confidential {
        fields.push(("confidential", "on".into()));
    }
    fields.push(("recruiter_id", recruiter.to_string()));
    let id = create(&hm, &fields).await;
    Named {
        org,
        hm,
        hm_id,
        recruiter,
        id,
    }
}

#[tokio::test]
async fn a_confidential_requirement_is_seen_by_its_people_and_admins_only() {
    let app = TestApp::spawn().await;
    let Named {
        org,
        hm,
        hm_id,
        recruiter,
        id,
    } = named(&app, "Security engineer", true).await;
    let r = find(&app, id).await;
    assert!(r.confidential);

    let stranger = Uuid::new_v4();
    for (who, roles, sees) in [
        (hm_id, vec![Role::HiringManager], true),
        (recruiter, vec![Role::Recruiter], true),
        (stranger, vec![Role::Admin], true),
        (stranger, vec![Role::SuperAdmin], true),
        // Roles that see everything else see nothing of it unnamed.
        (stranger, vec![Role::HiringManager], false),
        (stranger, vec![Role::Recruiter], false),
        (stranger, vec![Role::Approver], false),
        (stranger, vec![Role::Viewer, Role::Interviewer], false),
    ] {
        assert_eq!(r.visible_to(who, &roles), sees, "{roles:?}");
    }

    let open = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    let open = find(&app, open).await;
    assert!(open.visible_to(stranger, &[Role::Viewer]));
}

#[tokio::test]
async fn a_hiring_manager_edits_their_own_requirement_while_it_is_theirs_to_change() {
    let app = TestApp::spawn().await;
    let Named {
        hm_id,
        recruiter,
        id,
        ..
    } = named(&app, "Platform engineer", false).await;

    let own = (hm_id, [Role::HiringManager]);
    let other_hm = (Uuid::new_v4(), [Role::HiringManager]);
    let admin = (Uuid::new_v4(), [Role::Admin]);
    let named_recruiter = (recruiter, [Role::Recruiter]);
    // (status, own, another hiring manager, admin, its recruiter)
    for (status, mine, others, admins, recruiters) in [
        ("draft", true, false, true, false),
        ("changes_requested", true, false, true, false),
        // Approvers are looking: admins only, to mend.
        ("pending_approval", false, false, true, false),
        // Approved: a material edit goes back to approval; its recruiter
        // edits the sourcing fields.
        ("approved", true, false, true, true),
        ("open", true, false, true, true),
        ("filled", false, false, false, false),
        ("cancelled", false, false, false, false),
        ("rejected", false, false, false, false),
    ] {
        let r = in_status(&app, id, status).await;
        let edits = |(user, roles): (Uuid, [Role; 1])| r.editable_by(user, &roles);
        assert_eq!(edits(own), mine, "own, {status}");
        assert_eq!(edits(other_hm), others, "another hiring manager, {status}");
        assert_eq!(edits(admin), admins, "admin, {status}");
        assert_eq!(edits(named_recruiter), recruiters, "recruiter, {status}");
        assert_eq!(
            r.sourcing_only(named_recruiter.0, &named_recruiter.1),
            recruiters,
            "the recruiter edits sourcing fields only, {status}"
        );
    }

    // Asking for a transition: submitting and cancelling are the owner's
    // and admins'; opening is for the people who recruit for it.
    let r = find(&app, id).await;
    for action in [Action::Submit, Action::Cancel] {
        assert!(r.may(own.0, &own.1, action));
        assert!(r.may(admin.0, &admin.1, action));
        assert!(!r.may(other_hm.0, &other_hm.1, action));
        assert!(!r.may(named_recruiter.0, &named_recruiter.1, action));
    }
    assert!(r.may(named_recruiter.0, &named_recruiter.1, Action::Open));
    assert!(!r.may(other_hm.0, &other_hm.1, Action::Open));
    // Decisions are never a person's request.
    assert!(!r.may(admin.0, &admin.1, Action::Approve));
}

#[tokio::test]
async fn only_the_named_approver_or_their_stand_in_today_decides() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let mut conn = app.pool.acquire().await.unwrap();
    let task_id: Uuid = waiting_task(&app, chain.requirement).await;
    let (task, _) = approval::task_with_trail(&mut conn, TaskId::new(task_id))
        .await
        .unwrap()
        .unwrap();
    let head: Uuid = sqlx::query_scalar("select id from users where email = 'head@example.com'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(task.approver_id, head, "the department head's step");
    let fin1: Uuid = sqlx::query_scalar("select id from users where email = 'fin1@example.com'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let admin = app
        .user("ada@example.com", "Ada Admin", &[Role::Admin])
        .await;

    let own = requirement::find(&mut conn, RequirementId::new(task.subject_id))
        .await
        .unwrap()
        .unwrap()
        .own_people();
    let mut decides = async |user: Uuid| {
        approval::may_decide(&mut conn, user, &task, &own)
            .await
            .unwrap()
    };
    assert!(decides(head).await);
    // An approver of another step, an admin, the requirement's own
    // hiring manager: none of them is named on this task.
    assert!(!decides(fin1).await);
    assert!(!decides(admin).await);
    assert!(!decides(chain.hm_id).await);

    // The head's stand-in decides while the head is away, and only then.
    let away = |from: &str, until: &str| {
        format!(
            "update users set delegate_id = $1, delegate_from = current_date + {from}, \
             delegate_until = current_date + {until} where id = $2"
        )
    };
    for (from, until, stands_in) in [("0", "1", true), ("1", "2", false), ("-2", "-1", false)] {
        sqlx::query(sqlx::AssertSqlSafe(away(from, until)))
            .bind(fin1)
            .bind(head)
            .execute(&app.pool)
            .await
            .unwrap();
        assert_eq!(decides(fin1).await, stands_in, "away {from}..{until}");
    }
    // Never the requirement's own people, even standing in.
    sqlx::query(sqlx::AssertSqlSafe(away("0", "1")))
        .bind(chain.hm_id)
        .bind(head)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(!decides(chain.hm_id).await);

    // A deactivated approver decides nothing.
    sqlx::query("update users set deactivated_at = now() where id = $1")
        .bind(head)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(!decides(head).await);
}
