//! The approval chain: the default workflow (department head, then
//! finance), decisions from the mailed link, refusals, and two approvers
//! deciding at the same moment.

use crate::harness::fixtures::{
    act, approval_path, approvers, badge, draft, inbox_waiting, mailed_link, org, signed_in_as,
    status, submit, submitted, user_id,
};
use crate::harness::{Client, PASSWORD, TestApp, link_in};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::requisition::requirement::RequirementId;
use reqwest::StatusCode;
use uuid::Uuid;

#[tokio::test]
async fn the_chain_runs_from_the_mailed_link_to_open() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    // Only the department head is asked first.
    assert!(app.last_mail_to("fin1@example.com").await.is_none());
    let mail = app
        .last_mail_to("head@example.com")
        .await
        .expect("approval.pending to the head");
    let link = link_in(&mail, "/approvals/").expect("a link to the decision page");
    // Signed out, the link goes through sign-in and lands on the page.
    let head = app.client();
    let res = head.get(&link).await;
    assert_eq!(
        res.location(),
        format!("/sign-in?next={}", hiring_hare::error::urlencode(&link))
    );
    assert_eq!(
        head.sign_in("head@example.com", PASSWORD, &link)
            .await
            .location(),
        link
    );
    let page = head.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.texts("dl.meta dd")
            .contains(&"60,000–90,000 EUR".to_owned()),
        "the band is shown"
    );
    assert!(page.texts("h2").contains(&"Your decision".to_owned()));
    head.post(&format!("{link}/decision"), &[("decision", "approve")])
        .await
        .assert_redirect("/approvals");
    assert_eq!(
        status(&app, chain.requirement).await,
        "pending_approval",
        "finance is next"
    );
    // Finance: both approvers are asked; "all" must approve.
    for (email, last) in [("fin1@example.com", false), ("fin2@example.com", true)] {
        let link = approval_path(&app, email).await;
        let c = signed_in_as(&app, email).await;
        assert_eq!(
            c.get("/approvals").await.texts("#waiting tbody th").len(),
            1,
            "in {email}'s inbox"
        );
        c.post(
            &format!("{link}/decision"),
            &[("decision", "approve"), ("comment", "Budgeted")],
        )
        .await
        .assert_redirect("/approvals");
        assert_eq!(status(&app, chain.requirement).await == "approved", last);
    }
    let mail = app.last_mail_to_id(chain.hm_id).await.unwrap();
    assert!(mail.contains("was approved"), "{mail}");
    let page = chain
        .hm
        .get(&format!("/requirements/{}", chain.requirement))
        .await;
    assert_eq!(page.texts(".page-header .status"), vec!["Approved"]);
    let res = chain
        .hm
        .post(
            &format!("/requirements/{}/transitions", chain.requirement),
            &[
                ("action", "open"),
                (
                    "version",
                    &page.attr("input[name=version]", "value").unwrap(),
                ),
            ],
        )
        .await;
    res.assert_redirect(&format!("/requirements/{}", chain.requirement));
    assert_eq!(status(&app, chain.requirement).await, "open");
    let _ = chain.org;
}

#[tokio::test]
async fn decisions_that_must_be_refused_are_refused() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = approval_path(&app, "head@example.com").await;
    // Not theirs: finance (not yet reached) and the requester.
    let fin = signed_in_as(&app, "fin1@example.com").await;
    assert_eq!(
        fin.post(&format!("{link}/decision"), &[("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        chain
            .hm
            .post(&format!("{link}/decision"), &[("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let head = signed_in_as(&app, "head@example.com").await;
    // Rejecting or asking for changes needs a comment.
    let res = head
        .post(
            &format!("{link}/decision"),
            &[("decision", "reject"), ("comment", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("comment").is_some());
    let res = head
        .post(
            &format!("{link}/decision"),
            &[
                ("decision", "request_changes"),
                ("comment", "Lower the maximum"),
            ],
        )
        .await;
    res.assert_redirect("/approvals");
    assert_eq!(status(&app, chain.requirement).await, "changes_requested");
    let mail = app.last_mail_to_id(chain.hm_id).await.unwrap();
    assert!(
        mail.contains("sent back for changes") && mail.contains("Lower the maximum"),
        "{mail}"
    );
    // Decided once: a second decision is refused and explained.
    let again = head
        .post(&format!("{link}/decision"), &[("decision", "approve")])
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(
        again
            .texts("[role=alert]")
            .join(" ")
            .contains("already decided")
    );
    // The requester can edit again and resubmit; the head is asked again.
    assert_eq!(
        chain
            .hm
            .get(&format!("/requirements/{}/edit", chain.requirement))
            .await
            .status,
        StatusCode::OK
    );
    let res = act(&app, &chain.hm, chain.requirement, "submit").await;
    res.assert_redirect(&format!("/requirements/{}", chain.requirement));
    let pending: i64 = sqlx::query_scalar("select count(*) from approval_tasks t join users u on u.id = t.approver_id where u.email = 'head@example.com' and t.status = 'pending'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(pending, 1);
}

#[tokio::test]
async fn nobody_approves_their_own_requirement() {
    let app = TestApp::spawn().await;
    let org = org(&app).await;
    // The hiring manager is also the department head and an approver.
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    sqlx::query("update users set roles = '{hiring_manager,approver}' where id = $1")
        .bind(hm_id)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("update departments set head_id = $1")
        .bind(hm_id)
        .execute(&app.pool)
        .await
        .unwrap();
    app.user("fin1@example.com", "Finn One", &[Role::Approver])
        .await;
    let id = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    hm.post(
        &format!("/requirements/{id}/transitions"),
        &[("action", "submit"), ("version", "1")],
    )
    .await;
    let own: i64 = sqlx::query_scalar("select count(*) from approval_tasks where approver_id = $1")
        .bind(hm_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(own, 0);
    assert_eq!(
        app.audit_count("approval.step_skipped", id).await,
        1,
        "the skipped head step is on record"
    );
    assert!(
        app.last_mail_to("fin1@example.com").await.is_some(),
        "finance is asked at once"
    );
}

#[tokio::test]
async fn one_task_decided_twice_at_once_is_decided_once() {
    // A double click, or the same approver in two tabs: the second
    // decision must see the first, not the status it read before waiting.
    // The test holds the approval's lock until both requests wait on it.
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = approval_path(&app, "head@example.com").await;
    let task: Uuid = link.trim_start_matches("/approvals/").parse().unwrap();
    let (c1, c2) = (
        signed_in_as(&app, "head@example.com").await,
        signed_in_as(&app, "head@example.com").await,
    );
    c1.csrf_token().await;
    c2.csrf_token().await;
    let mut lock = app.pool.begin().await.unwrap();
    sqlx::query(
        "select 1 from approvals a join approval_tasks t on t.approval_id = a.id
          where t.id = $1 for update of a",
    )
    .bind(task)
    .execute(&mut *lock)
    .await
    .unwrap();
    let path = format!("{link}/decision");
    let first = c1.post(&path, &[("decision", "approve")]);
    let second = c2.post(&path, &[("decision", "reject"), ("comment", "No budget")]);
    let release = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        lock.commit().await.unwrap();
    };
    let (a, b, ()) = tokio::join!(first, second, release);
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let decided = if a.status == StatusCode::SEE_OTHER {
        &a
    } else {
        &b
    };
    decided.assert_redirect("/approvals");
    let decisions: i64 = sqlx::query_scalar(
        "select count(*) from audit_logs where entity_id = $1 and action like 'approval.%'",
    )
    .bind(task)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(decisions, 1);
    let expected = if a.status == StatusCode::SEE_OTHER {
        "pending_approval"
    } else {
        "rejected"
    };
    assert_eq!(status(&app, chain.requirement).await, expected);
}

#[tokio::test]
async fn two_approvers_deciding_at_once_leave_one_outcome() {
    for round in 0..4 {
        let app = TestApp::spawn().await;
        let chain = submitted(&app).await;
        let head_link = approval_path(&app, "head@example.com").await;
        let head = signed_in_as(&app, "head@example.com").await;
        head.post(&format!("{head_link}/decision"), &[("decision", "approve")])
            .await;
        let l1 = approval_path(&app, "fin1@example.com").await;
        let l2 = approval_path(&app, "fin2@example.com").await;
        let (c1, c2) = (
            signed_in_as(&app, "fin1@example.com").await,
            signed_in_as(&app, "fin2@example.com").await,
        );
        c1.csrf_token().await;
        c2.csrf_token().await;
        let p1 = format!("{l1}/decision");
        let p2 = format!("{l2}/decision");
        let (a, b) = tokio::join!(
            c1.post(&p1, &[("decision", "approve")]),
            c2.post(&p2, &[("decision", "reject"), ("comment", "No budget")]),
        );
        assert!(
            a.status == StatusCode::SEE_OTHER || a.status == StatusCode::CONFLICT,
            "round {round}: {}",
            a.status
        );
        if a.status == StatusCode::SEE_OTHER {
            a.assert_redirect("/approvals");
        }
        b.assert_redirect("/approvals");
        assert_eq!(
            status(&app, chain.requirement).await,
            "rejected",
            "round {round}"
        );
        let (approved_transitions, rejected_transitions): (i64, i64) = sqlx::query_as(
            "select count(*) filter (where to_status = 'approved'), count(*) filter (where to_status = 'rejected')
               from requirement_transitions where requirement_id = $1",
        )
        .bind(chain.requirement)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            (approved_transitions, rejected_transitions),
            (0, 1),
            "round {round}"
        );
        let open: i64 = sqlx::query_scalar(
            "select count(*) from approval_tasks where status in ('pending', 'waiting')",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(open, 0, "round {round}: nothing left waiting");
    }
}

#[tokio::test]
async fn the_navigation_counts_what_waits_for_me() {
    let app = TestApp::spawn().await;
    submitted(&app).await;
    let head = signed_in_as(&app, "head@example.com").await;
    let nav = head.get("/").await.texts("nav.main-nav a");
    assert!(nav.contains(&"Approvals 1 waiting".to_owned()), "{nav:?}");
    let fin = signed_in_as(&app, "fin1@example.com").await;
    let nav = fin.get("/").await.texts("nav.main-nav a");
    assert!(nav.contains(&"Approvals".to_owned()), "{nav:?}");
}

#[tokio::test]
async fn the_mailed_link_opens_that_approval_once_without_a_password() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    let task = link
        .trim_start_matches("/approvals/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let head = app.client();
    // Looking at the link (a mail scanner does) uses nothing: it lands on a
    // page whose button uses it.
    let landing = head.get(&link).await;
    assert_eq!(landing.status, StatusCode::OK, "{}", landing.body);
    assert_eq!(
        landing.attr("main form", "action").as_deref(),
        Some(format!("/approvals/{task}/link").as_str())
    );
    assert_eq!(head.get(&link).await.status, StatusCode::OK, "still unused");
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let opened = head
        .post(&format!("/approvals/{task}/link"), &[("token", &token)])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    assert_eq!(opened.location(), format!("/approvals/{task}"));
    let page = head.get(&format!("/approvals/{task}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.texts("h2").contains(&"Your decision".to_owned()));
    // Only that approval: the rest of the app still wants a password.
    head.get("/approvals")
        .await
        .assert_redirect("/sign-in?next=%2Fapprovals");
    head.get(&format!("/requirements/{}", chain.requirement))
        .await
        .assert_redirect(&format!(
            "/sign-in?next=%2Frequirements%2F{}",
            chain.requirement
        ));
    // A mail scanner's GET decided nothing; the decision is a POST from the page.
    assert_eq!(status(&app, chain.requirement).await, "pending_approval");
    let res = head
        .post(
            &format!("/approvals/{task}/decision"),
            &[("decision", "approve"), ("comment", "Fine")],
        )
        .await;
    res.assert_redirect(&format!("/approvals/{task}"));
    let decided_by: Uuid =
        sqlx::query_scalar("select decided_by from approval_tasks where id = $1::uuid")
            .bind(&task)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let head_id: Uuid = sqlx::query_scalar("select id from users where email = 'head@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(decided_by, head_id, "recorded as the approver");
    // Used once: the same link in another browser is dead, and says how to go on.
    let other = app.client();
    let again = other.get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.texts("main p").join(" ").contains("already used"));
    assert_eq!(
        again.attr("main a.button", "href").as_deref(),
        Some(format!("/sign-in?next=%2Fapprovals%2F{task}").as_str())
    );
    let twice = other
        .post(&format!("/approvals/{task}/link"), &[("token", &token)])
        .await;
    assert_eq!(twice.status, StatusCode::GONE);
    // A forged token opens nothing.
    let forged = app
        .client()
        .get(&format!("/approvals/{task}?token=forged"))
        .await;
    assert_eq!(forged.status, StatusCode::GONE);
}

#[tokio::test]
async fn expired_and_stale_links_are_dead() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    sqlx::query("update approval_links set expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let res = app.client().get(&link).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(res.texts("main p").join(" ").contains("expired"));
    sqlx::query("update approval_links set expires_at = now() + interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    // An admin edits the requirement after the mail: the link is stale.
    sqlx::query("update requirements set version = version + 1 where id = $1")
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    let res = app.client().get(&link).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(
        res.texts("main p")
            .join(" ")
            .contains("changed since this mail")
    );
    assert!(
        res.texts("#since-mail li").is_empty(),
        "nothing recorded happened since"
    );
    // Signed in, the approver still reaches the page.
    let head = signed_in_as(&app, "head@example.com").await;
    assert_eq!(head.get(&link).await.status, StatusCode::OK);
}

/// A workflow written with SQL (workflows.rs makes them through the admin pages).
async fn workflow(app: &TestApp, conditions: &str, steps: &[(&str, &str, Option<i32>)]) -> Uuid {
    let id: Uuid = sqlx::query_scalar("insert into approval_workflows (subject, name, conditions) values ('requirement', 'Special', $1::jsonb) returning id")
        .bind(conditions)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    for (i, (name, role, required)) in steps.iter().enumerate() {
        sqlx::query("insert into workflow_steps (workflow_id, position, name, approver_kind, approver_role, required) values ($1, $2, $3, 'role', $4, $5)")
            .bind(id)
            .bind(i as i32 + 1)
            .bind(name)
            .bind(role)
            .bind(required)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    id
}

#[tokio::test]
async fn the_most_specific_workflow_applies_and_n_of_m_completes_a_step() {
    let app = TestApp::spawn().await;
    // Above the band: one of the two finance approvers is enough, then a super admin.
    let special = workflow(
        &app,
        r#"{"above_band": true}"#,
        &[
            ("Finance", "approver", Some(1)),
            ("Executive", "super_admin", None),
        ],
    )
    .await;
    let org = org(&app).await;
    app.user("fin1@example.com", "Finn One", &[Role::Approver])
        .await;
    app.user("fin2@example.com", "Finn Two", &[Role::Approver])
        .await;
    app.user("ceo@example.com", "Cleo Exec", &[Role::SuperAdmin])
        .await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let within = draft(&app, &hm, &org, hm_id, "Within band").await;
    let above = {
        let mut f = crate::harness::fixtures::form(&org, hm_id, "Above band");
        f[8] = ("salary_max", "120000".into());
        let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = hm.post("/requirements", &fields).await;
        res.location()
            .trim_start_matches("/requirements/")
            .parse::<Uuid>()
            .unwrap()
    };
    for id in [within, above] {
        submit(&app, &hm, id).await;
    }
    let used = |id: Uuid| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>("select workflow_id from approvals where subject_id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(used(above).await, special);
    assert_ne!(
        used(within).await,
        special,
        "the default applies within the band"
    );
    // One finance approval completes the step; the other is no longer asked.
    let task: Uuid = sqlx::query_scalar(
        "select t.id from approval_tasks t join approvals a on a.id = t.approval_id join users u on u.id = t.approver_id
          where a.subject_id = $1 and u.email = 'fin1@example.com'",
    )
    .bind(above)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let fin1 = signed_in_as(&app, "fin1@example.com").await;
    fin1.post(
        &format!("/approvals/{task}/decision"),
        &[("decision", "approve")],
    )
    .await
    .assert_redirect("/approvals");
    let states: Vec<(String, String)> = sqlx::query_as(
        "select u.email, t.status from approval_tasks t join approvals a on a.id = t.approval_id join users u on u.id = t.approver_id
          where a.subject_id = $1 order by u.email",
    )
    .bind(above)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let states: Vec<(&str, &str)> = states
        .iter()
        .map(|(e, s)| (e.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("ceo@example.com", "pending"),
            ("fin1@example.com", "approved"),
            ("fin2@example.com", "superseded")
        ]
    );
    assert!(app.last_mail_to("ceo@example.com").await.is_some());
}

#[tokio::test]
async fn a_stand_in_decides_in_the_approvers_name_while_they_are_away() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let stand_in = app
        .user("deputy@example.com", "Dana Deputy", &[Role::Viewer])
        .await;
    let head = signed_in_as(&app, "head@example.com").await;
    head.get("/profile").await;
    // Errors stay beside their fields.
    let res = head
        .post(
            "/profile/delegation",
            &[
                ("delegate_id", &stand_in.to_string()),
                ("delegate_from", "2026-12-10"),
                ("delegate_until", "2026-12-01"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("delegate_until").as_deref(),
        Some("The last day must not be before the first.")
    );
    // Away from next week: not yet a stand-in.
    let next_week = (chrono::Utc::now().date_naive() + chrono::Duration::days(7)).to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    head.post(
        "/profile/delegation",
        &[
            ("delegate_id", &stand_in.to_string()),
            ("delegate_from", &next_week),
            ("delegate_until", &next_week),
        ],
    )
    .await;
    let deputy = signed_in_as(&app, "deputy@example.com").await;
    assert!(
        deputy
            .get("/approvals")
            .await
            .texts("#waiting tbody th")
            .is_empty()
    );
    let task = approval_path(&app, "head@example.com").await;
    assert_eq!(
        deputy
            .post(&format!("{task}/decision"), &[("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Away from today: the request already waiting is theirs to decide.
    let res = head
        .post(
            "/profile/delegation",
            &[
                ("delegate_id", &stand_in.to_string()),
                ("delegate_from", &today),
                ("delegate_until", &next_week),
            ],
        )
        .await;
    res.assert_redirect("/profile");
    let inbox = deputy.get("/approvals").await;
    assert_eq!(inbox.texts("#waiting tbody tr").len(), 1);
    assert!(
        inbox
            .texts("#waiting tbody th .tag")
            .contains(&"for Hana Head".to_owned()),
        "delegated items are marked"
    );
    assert!(
        deputy
            .get(&task)
            .await
            .texts("h2")
            .contains(&"Your decision".to_owned()),
        "the stand-in gets the form"
    );
    deputy
        .post(&format!("{task}/decision"), &[("decision", "approve")])
        .await
        .assert_redirect("/approvals");
    let (actor, on_behalf): (Uuid, Option<Uuid>) = sqlx::query_as(
        "select actor_id, on_behalf_of_id from audit_logs where action = 'approval.approved'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let head_id: Uuid = sqlx::query_scalar("select id from users where email = 'head@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!((actor, on_behalf), (stand_in, Some(head_id)));
    let trail = chain.hm.get(&task).await.texts("#trail li").join(" | ");
    assert!(
        trail.contains("Approved by Dana Deputy on behalf of Hana Head"),
        "{trail}"
    );
}

#[tokio::test]
async fn an_admin_reassigns_a_waiting_approval() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let task = approval_path(&app, "head@example.com").await;
    let new_head = app
        .user("acting@example.com", "Acting Head", &[Role::Viewer])
        .await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    assert!(
        admin
            .get(&task)
            .await
            .texts("h2")
            .contains(&"Reassign".to_owned())
    );
    // Not to the requester (a problem beside the field, as they can be
    // typed), and not by a non-admin.
    let res = admin
        .post(
            &format!("{task}/reassignment"),
            &[("to", &chain.hm_id.to_string())],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("to")
            .unwrap()
            .contains("named on the requirement")
    );
    let head = signed_in_as(&app, "head@example.com").await;
    assert_eq!(
        head.post(
            &format!("{task}/reassignment"),
            &[("to", &new_head.to_string())]
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    admin
        .post(
            &format!("{task}/reassignment"),
            &[("to", &new_head.to_string())],
        )
        .await
        .assert_redirect(&task);
    assert!(
        app.last_mail_to("acting@example.com")
            .await
            .is_some_and(|m| m.contains("/approvals/"))
    );
    assert_eq!(
        head.post(&format!("{task}/decision"), &[("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN,
        "no longer theirs"
    );
    let acting = signed_in_as(&app, "acting@example.com").await;
    acting
        .post(&format!("{task}/decision"), &[("decision", "approve")])
        .await
        .assert_redirect("/approvals");
    let task_id: Uuid = task.trim_start_matches("/approvals/").parse().unwrap();
    assert_eq!(app.audit_count("approval.reassigned", task_id).await, 1);
}

#[tokio::test]
async fn overdue_approvals_are_reminded_then_escalated_once() {
    use chrono::TimeZone;
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let boss = app
        .user("boss@example.com", "Bea Boss", &[Role::Viewer])
        .await;
    sqlx::query("update users set manager_id = $1 where email = 'head@example.com'")
        .bind(boss)
        .execute(&app.pool)
        .await
        .unwrap();
    app.user("root@example.com", "Rory Admin", &[Role::Admin])
        .await;
    // The head's step started on a Monday; the SLA is two business days.
    let monday = chrono::Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    sqlx::query("update approval_tasks set started_at = $1 where status = 'pending'")
        .bind(monday)
        .execute(&app.pool)
        .await
        .unwrap();
    // What the reminder job's tick runs, as each process would.
    let job = std::sync::Arc::new(
        hiring_hare::server::Periodic::new(app.pool.clone(), &app.config).unwrap(),
    );
    let run = |days: i64| {
        let job = std::sync::Arc::clone(&job);
        async move {
            use jobs::Periodic;
            job.remind(monday + chrono::Duration::days(days))
                .await
                .unwrap()
        }
    };
    let count = |to: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from outbox where to_address = $1 and template = 'approval.reminder'")
                .bind(to)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(run(1).await, 0, "within the SLA");
    assert_eq!(run(2).await, 1, "Wednesday: the head is reminded");
    assert_eq!(run(2).await, 0, "run twice, sent once");
    assert_eq!(count("head@example.com").await, 1);
    // A week later (4 business days = two SLAs): manager and admins are told, once.
    let (a, b) = tokio::join!(run(7), run(7));
    assert_eq!(a + b, 2, "two processes at once still send once");
    assert_eq!(
        (
            count("boss@example.com").await,
            count("root@example.com").await
        ),
        (1, 1)
    );
    assert_eq!(count("head@example.com").await, 1);
    let _ = chain;
}

#[tokio::test]
async fn a_resubmission_resumes_at_the_step_that_asked_for_changes() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let head_link = approval_path(&app, "head@example.com").await;
    signed_in_as(&app, "head@example.com")
        .await
        .post(&format!("{head_link}/decision"), &[("decision", "approve")])
        .await;
    let fin_link = approval_path(&app, "fin1@example.com").await;
    let fin = signed_in_as(&app, "fin1@example.com").await;
    let res = fin
        .post(
            &format!("{fin_link}/decision"),
            &[("decision", "request_changes"), ("comment", "Cap at 80k")],
        )
        .await;
    res.assert_redirect("/approvals");
    let res = act(&app, &chain.hm, chain.requirement, "submit").await;
    res.assert_redirect(&format!("/requirements/{}", chain.requirement));
    let pending: Vec<String> = sqlx::query_scalar(
        "select u.email from approval_tasks t join approvals a on a.id = t.approval_id join users u on u.id = t.approver_id
          where a.subject_id = $1 and t.status = 'pending' order by u.email",
    )
    .bind(chain.requirement)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        pending,
        vec!["fin1@example.com", "fin2@example.com"],
        "finance again, not the head"
    );
}

#[tokio::test]
async fn only_its_people_send_a_requirement_back_to_approval_in_any_state() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let id = chain.requirement;
    crate::harness::fixtures::approve_all(&app, id).await;
    let (viewer, viewer_id) = app.signed_in(Role::Viewer).await;
    let (interviewer, _) = app.signed_in(Role::Interviewer).await;
    for (state, step) in [
        ("approved", None),
        ("open", Some("open")),
        ("on_hold", Some("hold")),
    ] {
        if let Some(step) = step {
            act(&app, &chain.hm, id, step)
                .await
                .assert_redirect(&format!("/requirements/{id}"));
        }
        assert_eq!(status(&app, id).await, state);
        for (who, client) in [("viewer", &viewer), ("interviewer", &interviewer)] {
            for action in ["submit", "open", "hold", "resume", "cancel"] {
                let res = act(&app, client, id, action).await;
                assert_eq!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{who} {action} on {state}"
                );
            }
            assert_eq!(status(&app, id).await, state, "{who} changed nothing");
        }
    }
    // Its hiring manager may submit, but not now: explained, unchanged.
    let res = act(&app, &chain.hm, id, "submit").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.texts("[role=alert]")
            .join(" ")
            .contains("not possible while"),
        "{}",
        res.body
    );
    assert_eq!(status(&app, id).await, "on_hold");
    let rounds: i64 = sqlx::query_scalar("select count(*) from approvals where subject_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(rounds, 1, "no new approval started");
    // The domain refuses too, whoever calls it.
    use hiring_hare::domain::Error;
    use hiring_hare::domain::requisition::lifecycle::{self, Action, Asker};
    let version: i32 = sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    let actor = hiring_hare::domain::activity::audit::Actor {
        user_id: Some(viewer_id),
        ..hiring_hare::domain::activity::audit::Actor::system()
    };
    let asker = Asker::Person {
        id: viewer_id,
        roles: &[Role::Viewer],
    };
    for action in [Action::SubmitChange, Action::Resume, Action::Approve] {
        let refused = lifecycle::apply(
            &mut conn,
            &actor,
            asker,
            RequirementId::new(id),
            version,
            action,
            "why",
        )
        .await;
        assert!(
            matches!(refused, Err(Error::Forbidden)),
            "{action:?}: {refused:?}"
        );
    }
    assert_eq!(status(&app, id).await, "on_hold");
}

#[tokio::test]
async fn a_reassigned_approval_kills_the_old_approvers_link_and_grant() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    let (path, token) = link.split_once("?token=").unwrap();
    let task: Uuid = path.trim_start_matches("/approvals/").parse().unwrap();
    // One browser used the link before the reassignment; another holds it unused.
    let granted = app.client();
    granted
        .post(&format!("{path}/link"), &[("token", token)])
        .await
        .assert_redirect(path);
    let acting = app
        .user("acting@example.com", "Acting Head", &[Role::Viewer])
        .await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin.get(path).await;
    admin
        .post(
            &format!("{path}/reassignment"),
            &[("to", &acting.to_string())],
        )
        .await
        .assert_redirect(path);
    // The granted session no longer reaches the page or decides.
    assert!(granted.get(path).await.location().starts_with("/sign-in"));
    let res = granted
        .post(&format!("{path}/decision"), &[("decision", "approve")])
        .await;
    assert!(res.location().starts_with("/sign-in"), "{}", res.status);
    // The head's own mail, now someone else's decision: a dead link.
    let head_mail: i64 = sqlx::query_scalar(
        "select count(*) from approval_links l join users u on u.id = l.approver_id
          where l.task_id = $1 and u.email = 'head@example.com'",
    )
    .bind(task)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(head_mail, 1);
    sqlx::query("update approval_links set used_at = null where task_id = $1")
        .bind(task)
        .execute(&app.pool)
        .await
        .unwrap();
    let other = app.client();
    let res = other.get(&link).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(
        res.texts("main p")
            .join(" ")
            .contains("no longer lets you decide"),
        "{}",
        res.body
    );
    let res = other
        .post(&format!("{path}/link"), &[("token", token)])
        .await;
    assert_eq!(res.status, StatusCode::GONE);
    let decided: Option<Uuid> =
        sqlx::query_scalar("select decided_by from approval_tasks where id = $1")
            .bind(task)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(decided, None);
    assert_eq!(status(&app, chain.requirement).await, "pending_approval");
    // The new approver's own link works.
    let theirs = mailed_link(&app, "acting@example.com").await;
    assert_eq!(app.client().get(&theirs).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_deactivated_approvers_link_and_grant_are_dead() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let head_link = approval_path(&app, "head@example.com").await;
    signed_in_as(&app, "head@example.com")
        .await
        .post(&format!("{head_link}/decision"), &[("decision", "approve")])
        .await;
    // fin1 opened their link; fin2's is still unused.
    let fin1_link = mailed_link(&app, "fin1@example.com").await;
    let (fin1_path, fin1_token) = fin1_link.split_once("?token=").unwrap();
    let granted = app.client();
    granted
        .post(&format!("{fin1_path}/link"), &[("token", fin1_token)])
        .await
        .assert_redirect(fin1_path);
    assert_eq!(granted.get(fin1_path).await.status, StatusCode::OK);
    let fin2_link = mailed_link(&app, "fin2@example.com").await;
    sqlx::query("update users set deactivated_at = now() where email like 'fin%'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(
        granted
            .get(fin1_path)
            .await
            .location()
            .starts_with("/sign-in")
    );
    let res = granted
        .post(&format!("{fin1_path}/decision"), &[("decision", "approve")])
        .await;
    assert!(res.location().starts_with("/sign-in"), "{}", res.status);
    let res = app.client().get(&fin2_link).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(
        res.texts("main p")
            .join(" ")
            .contains("no longer lets you decide")
    );
    let decided: i64 = sqlx::query_scalar(
        "select count(*) from approval_tasks t join users u on u.id = t.approver_id
          where u.email like 'fin%' and t.decided_by is not null",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(decided, 0);
    assert_eq!(status(&app, chain.requirement).await, "pending_approval");
}

#[tokio::test]
async fn a_hiring_manager_named_as_stand_in_never_decides_their_own_requirement() {
    let app = TestApp::spawn().await;
    let org = approvers(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    // The head is away, and names the hiring manager as stand-in.
    sqlx::query(
        "update users set delegate_id = $1, delegate_from = current_date, delegate_until = current_date + 7
          where email = 'head@example.com'",
    )
    .bind(hm_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let id = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    act(&app, &hm, id, "submit")
        .await
        .assert_redirect(&format!("/requirements/{id}"));
    let task = approval_path(&app, "head@example.com").await;
    let task_id: Uuid = task.trim_start_matches("/approvals/").parse().unwrap();
    assert_eq!(
        app.audit_count("approval.stand_in_skipped", task_id).await,
        1,
        "the skipped stand-in is on record"
    );
    assert!(
        hm.get("/approvals")
            .await
            .texts("#waiting tbody tr")
            .is_empty(),
        "not in the stand-in's inbox"
    );
    assert!(
        !hm.get(&task)
            .await
            .texts("h2")
            .contains(&"Your decision".to_owned())
    );
    assert_eq!(
        hm.post(&format!("{task}/decision"), &[("decision", "approve")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(status(&app, id).await, "pending_approval");
    // The head still decides it.
    let head = signed_in_as(&app, "head@example.com").await;
    head.post(&format!("{task}/decision"), &[("decision", "approve")])
        .await
        .assert_redirect("/approvals");
}

#[tokio::test]
async fn the_stale_link_page_shows_history_only_to_who_may_see_it() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    let (path, token) = link.split_once("?token=").unwrap();
    // The head decides signed in: the mailed link is stale now.
    let head = signed_in_as(&app, "head@example.com").await;
    head.post(&format!("{path}/decision"), &[("decision", "approve")])
        .await;
    let anonymous = app.client().get(&link).await;
    assert_eq!(anonymous.status, StatusCode::GONE);
    assert!(
        anonymous
            .texts("main p")
            .join(" ")
            .contains("changed since")
    );
    assert!(anonymous.texts("#since-mail li").is_empty(), "no history");
    let res = app
        .client()
        .post(&format!("{path}/link"), &[("token", token)])
        .await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(res.texts("#since-mail li").is_empty(), "no history");
    // Its hiring manager, signed in, sees what happened.
    let res = chain
        .hm
        .post(&format!("{path}/link"), &[("token", token)])
        .await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(
        res.texts("#since-mail li").join(" ").contains("Hana Head"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn the_decision_page_from_a_mailed_link_shows_what_to_decide_on() {
    let app = TestApp::spawn().await;
    let org = approvers(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let mut f = crate::harness::fixtures::form(&org, hm_id, "Platform engineer");
    f.retain(|(k, _)| *k != "reason");
    f.push(("reason", "backfill".into()));
    f.push(("replaces", "Grace Hopper".into()));
    let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = hm.post("/requirements", &fields).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let id: Uuid = res
        .location()
        .trim_start_matches("/requirements/")
        .parse()
        .unwrap();
    act(&app, &hm, id, "submit")
        .await
        .assert_redirect(&format!("/requirements/{id}"));
    let link = mailed_link(&app, "head@example.com").await;
    let (path, token) = link.split_once("?token=").unwrap();
    let head = app.client();
    head.get(&link).await;
    head.post(&format!("{path}/link"), &[("token", token)])
        .await;
    let page = head.get(path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.texts("#description strong"), vec!["the"], "rendered");
    assert!(!page.body.contains("<script>alert"));
    assert_eq!(
        page.texts("#reason"),
        vec!["Backfill, replacing Grace Hopper"]
    );
    assert!(
        page.texts("dl.meta dd")
            .contains(&"60,000–90,000 EUR".to_owned()),
        "the band"
    );
    assert!(
        page.attr(&format!("a[href='/requirements/{id}']"), "href")
            .is_none(),
        "no link to a page that asks for a password"
    );
    assert!(page.texts("h2").contains(&"Your decision".to_owned()));
}

#[tokio::test]
async fn changes_requested_show_at_the_top_for_the_requester() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = approval_path(&app, "head@example.com").await;
    let head = signed_in_as(&app, "head@example.com").await;
    // Each refusal asks for its own words.
    let res = head
        .post(&format!("{link}/decision"), &[("decision", "reject")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("comment").unwrap().contains("reason"));
    let res = head
        .post(
            &format!("{link}/decision"),
            &[("decision", "request_changes")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("comment")
            .unwrap()
            .contains("what to change")
    );
    head.post(
        &format!("{link}/decision"),
        &[
            ("decision", "request_changes"),
            ("comment", "Lower the maximum"),
        ],
    )
    .await;
    let page = chain
        .hm
        .get(&format!("/requirements/{}", chain.requirement))
        .await;
    let banner = page.texts("#changes-requested").join(" ");
    assert!(
        banner.contains("Hana Head") && banner.contains("Lower the maximum"),
        "{banner}"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert!(banner.contains(&today), "{banner}");
    let top = page.body.find("id=\"changes-requested\"").unwrap();
    assert!(
        top < page.body.find("class=\"meta\"").unwrap(),
        "at the top"
    );
    // Only for the requester.
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    assert!(
        viewer
            .get(&format!("/requirements/{}", chain.requirement))
            .await
            .texts("#changes-requested")
            .is_empty()
    );
}

/// Follows the inbox tab's "next" links from its first page: the task ids
/// in the order shown.
async fn walk_tab(client: &Client, tab: &str) -> (Vec<Uuid>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut next = Some(format!("/approvals?tab={tab}"));
    while let Some(path) = next {
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        pages += 1;
        let sel = scraper::Selector::parse(&format!("#{tab} tbody th a")).unwrap();
        ids.extend(page.html().select(&sel).map(|a| {
            a.value()
                .attr("href")
                .unwrap()
                .trim_start_matches("/approvals/")
                .parse::<Uuid>()
                .unwrap()
        }));
        next = page.attr("a[rel=next]", "href");
    }
    (ids, pages)
}

#[tokio::test]
async fn both_inbox_tabs_page_through_every_task_once_in_order() {
    let app = TestApp::spawn().await;
    let org = approvers(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    let fin = user_id(&app, "fin1@example.com").await;
    // 120 of each, in runs of seven at the same moment: the id breaks ties.
    sqlx::query(
        "with a as (
           insert into approvals (subject_type, subject_id, workflow_id, workflow_version, requester_id)
           select 'requirement', $1, w.id, w.version, $2 from approval_workflows w, generate_series(1, 240)
            where w.is_default and w.subject = 'requirement' returning id),
         n as (select id, row_number() over (order by id) as i from a)
         insert into approval_tasks (approval_id, step, step_name, approver_id, status, started_at, decided_by, decided_at)
         select id, 1, 'Finance', $3,
                case when i <= 120 then 'pending' else 'approved' end,
                timestamptz '2026-11-02 09:00Z' + (i / 7) * interval '1 hour',
                case when i > 120 then $3 end,
                case when i > 120 then timestamptz '2026-11-20 09:00Z' + (i / 7) * interval '1 minute' end
           from n",
    )
    .bind(id)
    .bind(hm_id)
    .bind(fin)
    .execute(&app.pool)
    .await
    .unwrap();
    let expected = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(sql)
                .bind(fin)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    let waiting = expected(
        "select id from approval_tasks where approver_id = $1 and status = 'pending' order by started_at, id",
    )
    .await;
    let decided = expected(
        "select id from approval_tasks where decided_by = $1 order by decided_at desc, id desc",
    )
    .await;
    assert_eq!((waiting.len(), decided.len()), (120, 120));
    let client = signed_in_as(&app, "fin1@example.com").await;
    assert_eq!(walk_tab(&client, "waiting").await, (waiting, 5));
    assert_eq!(walk_tab(&client, "decided").await, (decided, 5));
    // The inbox shows the first page of each.
    let both = client.get("/approvals").await;
    assert_eq!(both.texts("#waiting tbody tr").len(), 25);
    assert_eq!(both.texts("#decided tbody tr").len(), 25);
    // A cursor that is not one is refused, not guessed at.
    assert_eq!(
        client
            .get("/approvals?tab=decided&after=yesterday")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The count beside "Approvals" in the navigation (0 when none shows).
#[tokio::test]
async fn the_navigation_counts_what_the_inbox_lists() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    // A second requirement waits for the head too, then is deleted.
    let gone = draft(&app, &chain.hm, &chain.org, chain.hm_id, "Data engineer").await;
    submit(&app, &chain.hm, gone).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin
        .post(&format!("/requirements/{gone}/deletion"), &[])
        .await
        .assert_redirect("/requirements");
    // The head is away today: their deputy decides for them.
    let deputy_id = app
        .user("deputy@example.com", "Dana Deputy", &[Role::Viewer])
        .await;
    sqlx::query(
        "update users set delegate_id = $1, delegate_from = current_date, delegate_until = current_date
          where email = 'head@example.com'",
    )
    .bind(deputy_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let head = signed_in_as(&app, "head@example.com").await;
    let deputy = signed_in_as(&app, "deputy@example.com").await;
    assert_eq!(inbox_waiting(&head).await, 1);
    assert_eq!(badge(&head).await, 1, "the deleted one is not counted");
    assert_eq!(inbox_waiting(&deputy).await, 1);
    assert_eq!(
        badge(&deputy).await,
        1,
        "what a stand-in decides is counted"
    );
    // Named on the requirement (an admin's mend while it waits), the
    // deputy may not decide it: neither lists nor counts it.
    sqlx::query("update requirements set recruiter_id = $1 where id = $2")
        .bind(deputy_id)
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(inbox_waiting(&deputy).await, 0);
    assert_eq!(badge(&deputy).await, 0);
    assert_eq!(badge(&head).await, 1);
    // Named off it again, theirs to decide again.
    sqlx::query("update requirements set recruiter_id = null where id = $1")
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(inbox_waiting(&deputy).await, 1);
    assert_eq!(badge(&deputy).await, 1);
}

#[tokio::test]
async fn an_approver_named_on_the_requirement_before_their_step_starts_is_passed_over() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    // While the head decides step 1, a finance approver of step 2 becomes
    // the requirement's recruiter.
    sqlx::query("update requirements set recruiter_id = $1 where id = $2")
        .bind(user_id(&app, "fin1@example.com").await)
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    let task = approval_path(&app, "head@example.com").await;
    signed_in_as(&app, "head@example.com")
        .await
        .post(&format!("{task}/decision"), &[("decision", "approve")])
        .await
        .assert_redirect("/approvals");
    // Step 2 started: the other finance approver decides it, not the recruiter.
    let fin1 = signed_in_as(&app, "fin1@example.com").await;
    let fin2 = signed_in_as(&app, "fin2@example.com").await;
    assert_eq!(inbox_waiting(&fin2).await, 1);
    assert_eq!(badge(&fin2).await, 1);
    assert_eq!(inbox_waiting(&fin1).await, 0);
    assert_eq!(badge(&fin1).await, 0);
}

/// The approvals the home page lists as waiting for the person.
async fn home_waiting(client: &Client) -> usize {
    let page = client.get("/").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.texts("section[aria-labelledby=waiting-heading] .worklist li")
        .len()
}

#[tokio::test]
async fn the_home_page_lists_what_the_inbox_lists() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    // The head is away today; their deputy, an approver, decides for them.
    let deputy_id = app
        .user("deputy@example.com", "Dana Deputy", &[Role::Approver])
        .await;
    sqlx::query(
        "update users set delegate_id = $1, delegate_from = current_date, delegate_until = current_date
          where email = 'head@example.com'",
    )
    .bind(deputy_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let deputy = signed_in_as(&app, "deputy@example.com").await;
    assert_eq!(inbox_waiting(&deputy).await, 1);
    assert_eq!(home_waiting(&deputy).await, 1, "what a stand-in decides");
    // Named on the requirement, the deputy may not decide it: the home
    // page leaves it out as the inbox does.
    sqlx::query("update requirements set recruiter_id = $1 where id = $2")
        .bind(deputy_id)
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(inbox_waiting(&deputy).await, 0);
    assert_eq!(home_waiting(&deputy).await, 0, "not theirs to decide");
}

#[tokio::test]
async fn cancelling_a_requirement_calls_off_its_approval() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    let res = chain
        .hm
        .post(
            &format!("/requirements/{}/transitions", chain.requirement),
            &[
                ("action", "cancel"),
                ("reason", "Budget moved"),
                ("version", "2"),
            ],
        )
        .await;
    res.assert_redirect(&format!("/requirements/{}", chain.requirement));
    assert_eq!(status(&app, chain.requirement).await, "cancelled");
    let waiting: i64 = sqlx::query_scalar(
        "select count(*) from approval_tasks t join approvals a on a.id = t.approval_id
          where a.subject_type = 'requirement' and a.subject_id = $1
            and t.status in ('pending', 'waiting')",
    )
    .bind(chain.requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(waiting, 0);
    let head = signed_in_as(&app, "head@example.com").await;
    assert_eq!(inbox_waiting(&head).await, 0);
    assert_eq!(badge(&head).await, 0);
    let dead = app.client().get(&link).await;
    assert_eq!(dead.status, StatusCode::GONE);
    assert!(dead.texts("main p").join(" ").contains("called off"));
}

#[tokio::test]
async fn deleting_a_requirement_calls_off_its_approval_and_voids_its_links() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    let task: Uuid = link
        .trim_start_matches("/approvals/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin
        .post(
            &format!("/requirements/{}/deletion", chain.requirement),
            &[],
        )
        .await
        .assert_redirect("/requirements");
    let statuses: Vec<String> = sqlx::query_scalar(
        "select t.status from approval_tasks t join approvals a on a.id = t.approval_id
          where a.subject_type = 'requirement' and a.subject_id = $1 order by t.step",
    )
    .bind(chain.requirement)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(!statuses.is_empty());
    assert!(
        statuses.iter().all(|s| s == "cancelled"),
        "nothing left waiting: {statuses:?}"
    );
    let approval: String = sqlx::query_scalar(
        "select status from approvals where subject_type = 'requirement' and subject_id = $1",
    )
    .bind(chain.requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(approval, "cancelled");
    assert_eq!(app.audit_count("approval.cancelled", task).await, 1);
    let head = signed_in_as(&app, "head@example.com").await;
    assert_eq!(inbox_waiting(&head).await, 0);
    assert_eq!(badge(&head).await, 0);
    // The mailed link opens nothing, and says why.
    let visitor = app.client();
    let dead = visitor.get(&link).await;
    assert_eq!(dead.status, StatusCode::GONE);
    assert!(
        dead.texts("main p").join(" ").contains("called off"),
        "{}",
        dead.body
    );
    let token = link.split("token=").nth(1).unwrap();
    let used = visitor
        .post(&format!("/approvals/{task}/link"), &[("token", token)])
        .await;
    assert_eq!(used.status, StatusCode::GONE);
}

/// The value of the session cookie a response sets, if it sets one.
fn set_session(page: &crate::harness::Page) -> Option<String> {
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("hh_session="))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn opening_a_mailed_link_gives_the_session_a_new_id() {
    let app = TestApp::spawn().await;
    submitted(&app).await;
    let link = mailed_link(&app, "head@example.com").await;
    let task = link
        .trim_start_matches("/approvals/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let head = app.client();
    let landing = head.get(&link).await;
    assert_eq!(landing.status, StatusCode::OK);
    let before = set_session(&landing).expect("the landing page's form has a session");
    let token = link.split("token=").nth(1).unwrap();
    let opened = head
        .post(&format!("/approvals/{task}/link"), &[("token", token)])
        .await;
    opened.assert_redirect(&format!("/approvals/{task}"));
    let after = set_session(&opened).expect("a new session cookie");
    assert_ne!(
        before, after,
        "the session id changes when the link grants rights"
    );
    let page = head.get(&format!("/approvals/{task}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // Whoever planted or saw the old id holds nothing.
    let planted = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("/approvals/{task}")))
        .header("cookie", format!("hh_session={before}"))
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        planted.headers()["location"],
        format!("/sign-in?next=%2Fapprovals%2F{task}").as_str()
    );
}

#[tokio::test]
async fn an_inbox_page_ending_on_a_hidden_task_goes_on_after_it_and_each_row_names_its_requirement()
{
    let app = TestApp::spawn().await;
    let org = approvers(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let odd = draft(&app, &hm, &org, hm_id, "Platform engineer").await;
    let even = draft(&app, &hm, &org, hm_id, "Data analyst").await;
    let gone = draft(&app, &hm, &org, hm_id, "Site reliability engineer").await;
    let fin = user_id(&app, "fin1@example.com").await;
    // 60 waiting (the longest waiting first) and 60 decided (the newest
    // first), on two requirements in turn, each row naming its own. The 25th of each tab, the last
    // of its first page, is on a requirement deleted since: the page shows
    // 24, and the next page starts after it rather than on it or before.
    sqlx::query(
        "insert into approvals (subject_type, subject_id, workflow_id, workflow_version, requester_id, created_at)
         select 'requirement', case when i in (25, 96) then $3 when i % 2 = 0 then $2 else $1 end, w.id, w.version, $4,
                timestamptz '2026-11-02 09:00Z' + i * interval '1 minute'
           from approval_workflows w, generate_series(1, 120) i where w.is_default and w.subject = 'requirement'",
    )
    .bind(odd)
    .bind(even)
    .bind(gone)
    .bind(hm_id)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into approval_tasks (approval_id, step, step_name, approver_id, status, started_at, decided_by, decided_at)
         select a.id, 1, 'Finance', $1, case when i <= 60 then 'pending' else 'approved' end, a.created_at,
                case when i > 60 then $1 end, case when i > 60 then a.created_at end
           from (select id, created_at, row_number() over (order by created_at) as i from approvals
                  where subject_id in ($2, $3, $4)) a",
    )
    .bind(fin)
    .bind(odd)
    .bind(even)
    .bind(gone)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("update requirements set deleted_at = now() where id = $1")
        .bind(gone)
        .execute(&app.pool)
        .await
        .unwrap();
    // Each task's requirement as the rows should name it, in each tab's order.
    let expected = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query_as::<_, (Uuid, String)>(sql)
                .bind(fin)
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    };
    let waiting = expected(
        "select t.id, r.reference || ' ' || r.title from approval_tasks t
           join approvals a on a.id = t.approval_id join requirements r on r.id = a.subject_id
          where t.approver_id = $1 and t.status = 'pending' and r.deleted_at is null
          order by t.started_at, t.id",
    )
    .await;
    let decided = expected(
        "select t.id, r.reference || ' ' || r.title from approval_tasks t
           join approvals a on a.id = t.approval_id join requirements r on r.id = a.subject_id
          where t.decided_by = $1 and r.deleted_at is null
          order by t.decided_at desc, t.id desc",
    )
    .await;
    assert_eq!((waiting.len(), decided.len()), (59, 59));
    let client = signed_in_as(&app, "fin1@example.com").await;
    for (tab, tasks) in [("waiting", waiting), ("decided", decided)] {
        let ids: Vec<Uuid> = tasks.iter().map(|(id, _)| *id).collect();
        assert_eq!(walk_tab(&client, tab).await, (ids, 3), "{tab}");
        let first = client.get(&format!("/approvals?tab={tab}")).await;
        let names: Vec<String> = tasks[..24].iter().map(|(_, name)| name.clone()).collect();
        assert_eq!(first.texts(&format!("#{tab} tbody th a")), names, "{tab}");
    }
}
