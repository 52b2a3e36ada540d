//! Offers: drafted at the offer stage, approved through the engine, sent,
//! answered from the candidate's link (no account, no session), versions
//! that void approvals and links, the letter and its PDF (read back by a
//! real PDF parser), the headcount ledger and its race, expiry once, and
//! the onboarding checklist an acceptance starts.

use crate::harness::fixtures::{
    Chain, approve_all, badge, candidate_in, inbox_waiting, move_to, opened, signed_in_as, user_id,
};
use crate::harness::{Client, Page, TestApp};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::activity::audit::Actor;
use hiring_hare::domain::offering::{answer, onboarding};
use hiring_hare::domain::recruiting::candidate::CandidateId;
use hiring_hare::domain::recruiting::privacy::{export, requests};
use hiring_hare::mail::MailRenderer;
use reqwest::StatusCode;
use uuid::Uuid;

/// An open requirement with its recruiter, and a candidate at its offer
/// stage.
struct Setup {
    chain: Chain,
    recruiter: Client,
    recruiter_id: Uuid,
    application: Uuid,
}

async fn setup(app: &TestApp) -> Setup {
    let chain = opened(app).await;
    let (recruiter, recruiter_id) = app.signed_in(Role::Recruiter).await;
    sqlx::query("update requirements set recruiter_id = $2 where id = $1")
        .bind(chain.requirement)
        .bind(recruiter_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let application = candidate_in(app, &recruiter, chain.requirement, "Ana Costa").await;
    move_to(app, &recruiter, application, "Offer")
        .await
        .assert_redirect(&format!("/requirements/{}/board", chain.requirement));
    Setup {
        chain,
        recruiter,
        recruiter_id,
        application,
    }
}

fn in_days(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).to_string()
}

/// The first open opening of the requirement.
async fn open_opening(app: &TestApp, requirement: Uuid) -> Uuid {
    sqlx::query_scalar(
        "select id from openings where requirement_id = $1 and status = 'open' order by created_at, id limit 1",
    )
    .bind(requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Drafts an offer of `salary` a year through the form; the answer.
async fn post_draft(app: &TestApp, s: &Setup, application: Uuid, salary: &str) -> Page {
    let opening = open_opening(app, s.chain.requirement).await.to_string();
    s.recruiter
        .post(
            &format!("/applications/{application}/offers"),
            &[
                ("opening_id", &opening),
                ("salary", salary),
                ("currency", "EUR"),
                ("period", "year"),
                ("bonus", "10% on target"),
                ("start_date", &in_days(30)),
                ("expires_on", &in_days(7)),
                ("location", "Lisbon"),
                ("employment_type", "full_time"),
                ("notes", "Counter-offer expected."),
            ],
        )
        .await
}

fn offer_id(res: &Page) -> Uuid {
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location()
        .strip_prefix("/offers/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not an offer: {}", res.location()))
}

async fn version(app: &TestApp, offer: Uuid) -> String {
    let v: i32 = sqlx::query_scalar("select version from offers where id = $1")
        .bind(offer)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    v.to_string()
}

async fn offer_status(app: &TestApp, offer: Uuid) -> String {
    sqlx::query_scalar("select status from offers where id = $1")
        .bind(offer)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Posts one of the offer's actions (submission, sending, …) at its
/// current version; the answer.
async fn act(
    app: &TestApp,
    client: &Client,
    offer: Uuid,
    action: &str,
    extra: &[(&str, &str)],
) -> Page {
    let v = version(app, offer).await;
    let mut form = vec![("version", v.as_str())];
    form.extend_from_slice(extra);
    client
        .post(&format!("/offers/{offer}/{action}"), &form)
        .await
}

/// Drafted, approved by every approver, and sent: the offer and the
/// candidate's link (path with its token).
async fn sent(app: &TestApp, s: &Setup, application: Uuid, email: &str) -> (Uuid, String) {
    let offer = offer_id(&post_draft(app, s, application, "85000").await);
    act(app, &s.recruiter, offer, "submission", &[])
        .await
        .assert_redirect(&format!("/offers/{offer}"));
    approve_all(app, offer).await;
    assert_eq!(offer_status(app, offer).await, "approved");
    act(app, &s.recruiter, offer, "sending", &[])
        .await
        .assert_redirect(&format!("/offers/{offer}"));
    (offer, candidate_link(app, email).await)
}

async fn candidate_link(app: &TestApp, email: &str) -> String {
    let mail = app.last_mail_to(email).await.unwrap();
    crate::harness::link_in(&mail, "/offer/").unwrap_or_else(|| panic!("no link in {mail}"))
}

async fn accept(link: &str, app: &TestApp, name: &str) -> Page {
    app.client()
        .post_raw(link, &[("answer", "accept"), ("signed_name", name)])
        .await
}

#[tokio::test]
async fn an_offer_goes_from_draft_to_an_onboarded_hire_through_its_approvals_and_the_link() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (offer, link) = sent(&app, &s, s.application, "ana.costa@example.com").await;
    // Both steps of the offer workflow decided it, as for requirements.
    let steps: Vec<String> = sqlx::query_scalar(
        "select t.step_name from approval_tasks t join approvals a on a.id = t.approval_id
          where a.subject_type = 'offer' and a.subject_id = $1 and t.status = 'approved' order by t.step",
    )
    .bind(offer)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    // Finance: every approver with the role (two).
    assert_eq!(steps, ["Department head", "Finance", "Finance"]);

    // The candidate's page: no account, no session written.
    let candidate = app.client();
    let page = candidate.get(&link).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.headers.get("set-cookie").is_none());
    assert!(
        page.text("#terms").contains("85,000 EUR a year"),
        "{}",
        page.body
    );
    assert!(page.text("#letter").contains("Ana Costa"));
    assert!(
        !page.body.contains("Counter-offer"),
        "the notes are the team's"
    );

    // A name that is not theirs is refused beside the field; nothing changes.
    let wrong = accept(&link, &app, "Someone Else").await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text("#signed_name-error").contains("Ana Costa"));
    assert_eq!(offer_status(&app, offer).await, "sent");

    let done = accept(&link, &app, " ana  COSTA ").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert!(done.text("#answered").contains("acceptance is recorded"));
    assert!(done.headers.get("set-cookie").is_none());

    // The ledger: the offer's opening filled by this application, which is hired.
    let (status, ip): (String, Option<String>) =
        sqlx::query_as("select status, host(answer_ip) from offers where id = $1")
            .bind(offer)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "accepted");
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    let filled: (String, Option<Uuid>) = sqlx::query_as(
        "select p.status, p.application_id from openings p join offers o on o.opening_id = p.id where o.id = $1",
    )
    .bind(offer)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(filled, ("filled".into(), Some(s.application)));
    let stage: String = sqlx::query_scalar(
        "select s.kind from applications a join pipeline_stages s on s.id = a.stage_id where a.id = $1",
    )
    .bind(s.application)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stage, "hired");
    let requirement = s
        .recruiter
        .get(&format!("/requirements/{}", s.chain.requirement))
        .await;
    let ledger = requirement.texts("#ledger dd");
    // Headcount 2: one filled, one open, no offer out, one hire.
    assert_eq!(
        ledger,
        ["2", "1", "1", "0", "0", "1"],
        "{}",
        requirement.body
    );

    // The candidate's confirmation, and the recruiter's notice.
    let confirmation = app.last_mail_to("ana.costa@example.com").await.unwrap();
    assert!(
        confirmation.contains("Thank you for accepting"),
        "{confirmation}"
    );
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where event = 'offer.accepted' and user_id = $1",
    )
    .bind(s.chain.hm_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);

    // The checklist: the default template's five tasks, dated from the start.
    let tasks: Vec<(String, Option<Uuid>, Option<String>, chrono::NaiveDate)> = sqlx::query_as(
        "select k.title, k.owner_id, k.owner_role, k.due_on from onboarding_tasks k
           join onboardings b on b.id = k.onboarding_id where b.offer_id = $1 order by k.position",
    )
    .bind(offer)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(tasks.len(), 5);
    let start = chrono::Utc::now().date_naive() + chrono::Duration::days(30);
    assert_eq!(tasks[0].1, Some(s.recruiter_id), "the recruiter's own task");
    assert_eq!(tasks[0].3, start - chrono::Duration::days(14));
    assert_eq!(tasks[1].2.as_deref(), Some("admin"));
    assert_eq!(tasks[2].1, Some(s.chain.hm_id), "the hiring manager's");
    // The recruiter ticks theirs off on their own list.
    let mine = s.recruiter.get("/onboarding").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(mine.body.contains("Send the contract for signature"));
    let (task, v): (Uuid, i32) = sqlx::query_as(
        "select k.id, k.version from onboarding_tasks k join onboardings b on b.id = k.onboarding_id
          where b.offer_id = $1 and k.position = 1",
    )
    .bind(offer)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    s.recruiter
        .post(
            &format!("/onboarding/tasks/{task}"),
            &[
                ("done", "true"),
                ("version", &v.to_string()),
                ("back", "mine"),
            ],
        )
        .await
        .assert_redirect("/onboarding");
    let candidate_page = s
        .recruiter
        .get(&format!(
            "/candidates/{}",
            candidate_id(&app, s.application).await
        ))
        .await;
    assert!(
        candidate_page.text(".offers").contains("1 of 5 done"),
        "{}",
        candidate_page.body
    );

    // The link was used: it says so, and a second answer changes nothing.
    let again = app.client().get(&link).await;
    assert!(
        again.text("#closed").contains("You answered this offer"),
        "{}",
        again.body
    );
    let twice = accept(&link, &app, "Ana Costa").await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.audit_count("offer.accepted", offer).await, 1);
}

async fn candidate_id(app: &TestApp, application: Uuid) -> Uuid {
    sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_changed_term_makes_a_version_that_voids_the_approvals_and_the_link() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (offer, old_link) = sent(&app, &s, s.application, "ana.costa@example.com").await;
    let edit = s.recruiter.get(&format!("/offers/{offer}/edit")).await;
    assert!(edit.body.contains("Saving makes a new version"));
    let v = version(&app, offer).await;
    let res = s
        .recruiter
        .post(
            &format!("/offers/{offer}"),
            &[
                ("version", &v),
                ("salary", "90,000"),
                ("currency", "EUR"),
                ("period", "year"),
                ("bonus", "10% on target"),
                ("start_date", &in_days(30)),
                ("expires_on", &in_days(7)),
                ("location", "Lisbon"),
                ("employment_type", "full_time"),
                ("notes", "Counter-offer expected."),
            ],
        )
        .await;
    res.assert_redirect(&format!("/offers/{offer}"));
    // Version 2, back in approval: a fresh round waits from its first step;
    // the first round's approvals stay decided but count for nothing.
    assert_eq!(offer_status(&app, offer).await, "pending_approval");
    let rounds: Vec<String> = sqlx::query_scalar(
        "select status from approvals where subject_type = 'offer' and subject_id = $1 order by created_at",
    )
    .bind(offer)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rounds, ["approved", "pending"]);
    // The approver sees what changed between the versions.
    approve_step_and_look(&app, offer).await;
    // The old version's link no longer answers anything.
    let closed = app.client().get(&old_link).await;
    assert!(
        closed.text("#closed").contains("has changed"),
        "{}",
        closed.body
    );
    let refused = accept(&old_link, &app, "Ana Costa").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(offer_status(&app, offer).await, "pending_approval");
    // The offer page lists both versions with the difference.
    let page = s.recruiter.get(&format!("/offers/{offer}")).await;
    let versions = page.text("#versions");
    assert!(versions.contains("Version 2") && versions.contains("Version 1"));
    assert!(versions.contains("85,000 EUR a year") && versions.contains("90,000 EUR a year"));
    // Approved again and sent: the new link accepts the current version.
    approve_all(&app, offer).await;
    act(&app, &s.recruiter, offer, "sending", &[])
        .await
        .assert_redirect(&format!("/offers/{offer}"));
    let new_link = candidate_link(&app, "ana.costa@example.com").await;
    assert_ne!(new_link, old_link);
    let page = app.client().get(&new_link).await;
    assert!(page.text("#terms").contains("90,000 EUR a year"));
    assert_eq!(
        accept(&new_link, &app, "Ana Costa").await.status,
        StatusCode::OK
    );
}

/// The department head's decision page for the offer's new round shows
/// the salary's change; then they approve.
async fn approve_step_and_look(app: &TestApp, offer: Uuid) {
    let task: Uuid = sqlx::query_scalar(
        "select t.id from approval_tasks t join approvals a on a.id = t.approval_id
          where a.subject_id = $1 and t.status = 'pending'",
    )
    .bind(offer)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let head = signed_in_as(app, "head@example.com").await;
    let page = head.get(&format!("/approvals/{task}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.text("#offer-terms").contains("90,000 EUR a year"));
    let since = page.text("#since");
    assert!(
        since.contains("85,000 EUR a year") && since.contains("90,000 EUR a year"),
        "{since}"
    );
}

#[tokio::test]
async fn an_offer_waits_for_no_approver_named_on_its_requirement() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let offer = offer_id(&post_draft(&app, &s, s.application, "85000").await);
    act(&app, &s.recruiter, offer, "submission", &[])
        .await
        .assert_redirect(&format!("/offers/{offer}"));
    let head = signed_in_as(&app, "head@example.com").await;
    assert_eq!(inbox_waiting(&head).await, 1);
    assert_eq!(badge(&head).await, 1);
    // Named the requirement's recruiter while the offer waits (an admin's
    // mend), the head recruits for it: neither lists nor counts it.
    let recruit = |who: Uuid| {
        sqlx::query("update requirements set recruiter_id = $1 where id = $2")
            .bind(who)
            .bind(s.chain.requirement)
            .execute(&app.pool)
    };
    recruit(user_id(&app, "head@example.com").await)
        .await
        .unwrap();
    assert_eq!(inbox_waiting(&head).await, 0);
    assert_eq!(badge(&head).await, 0);
    // Named off it again, theirs to decide again.
    recruit(s.recruiter_id).await.unwrap();
    assert_eq!(inbox_waiting(&head).await, 1);
    assert_eq!(badge(&head).await, 1);
}

#[tokio::test]
async fn the_letter_is_a_pdf_with_real_text_and_its_template_names_unknown_fields() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let page = admin.get("/admin/offer-letter").await;
    assert!(page.text("#fields").contains("{{candidate_name}}"));
    let refused = admin
        .post(
            "/admin/offer-letter",
            &[
                ("body", "Dear {{candidate_name}}, your salery: {{ salery }}"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = refused.field_error("body").unwrap();
    assert!(problem.contains("salery"), "{problem}");
    assert!(refused.body.contains("your salery"), "the input is kept");
    admin
        .post(
            "/admin/offer-letter",
            &[
                (
                    "body",
                    "# Offer\n\nDear {{candidate_name}}, we offer you {{salary}} as {{job_title}}.",
                ),
                ("version", "0"),
            ],
        )
        .await
        .assert_redirect("/admin/offer-letter");

    let offer = offer_id(&post_draft(&app, &s, s.application, "85000").await);
    let (status, headers, pdf) = s
        .recruiter
        .get_bytes(&format!("/offers/{offer}/letter.pdf"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    assert!(text.contains("Ana Costa"), "{text}");
    assert!(text.contains("85,000 EUR a year"), "{text}");
    let html = s.recruiter.get(&format!("/offers/{offer}/letter")).await;
    assert!(
        html.text("#letter")
            .contains("we offer you 85,000 EUR a year as Platform engineer")
    );
}

#[tokio::test]
async fn two_acceptances_race_for_the_last_opening_and_one_wins_whole() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // One opening of the two closes: one is left.
    let first = open_opening(&app, s.chain.requirement).await;
    s.chain
        .hm
        .post(
            &format!("/requirements/{}/openings/{first}", s.chain.requirement),
            &[("reason", "Budget moved")],
        )
        .await
        .assert_redirect(&format!("/requirements/{}", s.chain.requirement));
    let other = candidate_in(&app, &s.recruiter, s.chain.requirement, "Bo Berg").await;
    move_to(&app, &s.recruiter, other, "Offer").await;
    let (offer_a, link_a) = sent(&app, &s, s.application, "ana.costa@example.com").await;
    let (offer_b, link_b) = sent(&app, &s, other, "bo.berg@example.com").await;
    let (a, b) = tokio::join!(
        accept(&link_a, &app, "Ana Costa"),
        accept(&link_b, &app, "Bo Berg")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY]);
    let loser = if a.status == StatusCode::OK { &b } else { &a };
    assert!(
        loser.text("#refusal").contains("filled meanwhile"),
        "{}",
        loser.body
    );
    // Nothing half-done: one accepted offer, one hire, one onboarding; the
    // other offer still waits, its application at the offer stage.
    let accepted: i64 = sqlx::query_scalar(
        "select count(*) from offers where id = any($1) and status = 'accepted'",
    )
    .bind([offer_a, offer_b])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(accepted, 1);
    let still_sent: i64 = sqlx::query_scalar(
        "select count(*) from offers where id = any($1) and status = 'sent' and answered_at is null",
    )
    .bind([offer_a, offer_b])
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(still_sent, 1);
    let hired: i64 = sqlx::query_scalar(
        "select count(*) from applications a join pipeline_stages s on s.id = a.stage_id
          where a.requirement_id = $1 and s.kind = 'hired'",
    )
    .bind(s.chain.requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(hired, 1);
    let onboardings: i64 = sqlx::query_scalar("select count(*) from onboardings")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(onboardings, 1);
    assert_eq!(
        crate::harness::fixtures::status(&app, s.chain.requirement).await,
        "filled"
    );
}

#[tokio::test]
async fn offers_expire_once_and_are_reminded_of_two_days_before() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (offer, link) = sent(&app, &s, s.application, "ana.costa@example.com").await;
    let mail = MailRenderer::new(&app.config);
    let run = async |today: chrono::NaiveDate| {
        let mut tx = app.pool.begin().await.unwrap();
        let n = answer::expire_and_remind(&mut tx, &mail, today)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        n
    };
    let today = chrono::Utc::now().date_naive();
    // Seven days out: nothing yet.
    assert_eq!(run(today).await, 0);
    // Two days before: the candidate gets a reminder with a working link, once.
    let two_before = today + chrono::Duration::days(5);
    let mails = || async {
        let n: i64 = sqlx::query_scalar(
            "select count(*) from outbox where to_address = 'ana.costa@example.com'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        n
    };
    let before = mails().await;
    let (x, y) = tokio::join!(run(two_before), run(two_before));
    assert_eq!(x + y, 1, "two processes remind once");
    assert_eq!(mails().await, before + 1);
    let reminder = app.last_mail_to("ana.costa@example.com").await.unwrap();
    assert!(reminder.contains("expires on"), "{reminder}");
    // Past its date: expired once, whatever the number of runs.
    let after = today + chrono::Duration::days(8);
    let (x, y) = tokio::join!(run(after), run(after));
    assert_eq!(x + y, 1);
    assert_eq!(run(after).await, 0);
    assert_eq!(offer_status(&app, offer).await, "expired");
    assert_eq!(app.audit_count("offer.expired", offer).await, 1);
    let page = app.client().get(&link).await;
    assert!(page.text("#closed").contains("expired"), "{}", page.body);
    assert_eq!(
        accept(&link, &app, "Ana Costa").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn the_hiring_manager_reads_offers_and_only_recruiters_draft_and_send_them() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // Bad input: each problem beside its field, the input kept; no 500.
    let bad = s
        .recruiter
        .post(
            &format!("/applications/{}/offers", s.application),
            &[
                ("salary", "lots\0"),
                ("currency", "€"),
                ("start_date", "yesterday"),
                ("opening_id", "x"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in [
        "salary",
        "currency",
        "start_date",
        "expires_on",
        "opening_id",
    ] {
        assert!(bad.field_error(field).is_some(), "{field}: {}", bad.body);
    }
    let offer = offer_id(&post_draft(&app, &s, s.application, "85000").await);
    // The hiring manager reads, and may do nothing else.
    let read = s.chain.hm.get(&format!("/offers/{offer}")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(read.body.contains("85,000 EUR a year"));
    assert!(
        !read.body.contains("/submission"),
        "no button they may not press"
    );
    let refused = act(&app, &s.chain.hm, offer, "submission", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(offer_status(&app, offer).await, "draft");
    // An interviewer and a viewer do not learn it exists.
    for role in [Role::Interviewer, Role::Viewer] {
        let (c, _) = app.signed_in(role).await;
        assert_eq!(
            c.get(&format!("/offers/{offer}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            c.get(&format!("/offers/{offer}/letter.pdf")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    // One live offer per application; and none before the offer stage.
    let second = post_draft(&app, &s, s.application, "86000").await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(second.body.contains("offer under way"), "{}", second.body);
    let early = candidate_in(&app, &s.recruiter, s.chain.requirement, "Cy Early").await;
    let res = post_draft(&app, &s, early, "80000").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.body.contains("move them to Offer first"),
        "{}",
        res.body
    );
    // A stale change says who changed what.
    let stale = s
        .recruiter
        .post(&format!("/offers/{offer}/submission"), &[("version", "0")])
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    // Withdrawn: ends it, and frees the application for another offer.
    act(
        &app,
        &s.recruiter,
        offer,
        "withdrawal",
        &[("reason", "Role re-scoped")],
    )
    .await
    .assert_redirect(&format!("/offers/{offer}"));
    assert_eq!(offer_status(&app, offer).await, "withdrawn");
    offer_id(&post_draft(&app, &s, s.application, "84000").await);
}

#[tokio::test]
async fn a_phone_answer_is_recorded_by_the_recruiter_and_a_decline_frees_the_opening() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (offer, link) = sent(&app, &s, s.application, "ana.costa@example.com").await;
    let none = act(&app, &s.recruiter, offer, "answer", &[("answer", "maybe")]).await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    act(
        &app,
        &s.recruiter,
        offer,
        "answer",
        &[("answer", "declined"), ("note", "Took another offer")],
    )
    .await
    .assert_redirect(&format!("/offers/{offer}"));
    let page = s.recruiter.get(&format!("/offers/{offer}")).await;
    assert!(
        page.text("#answer").contains("recorded by"),
        "{}",
        page.body
    );
    assert!(page.text("#answer").contains("Took another offer"));
    let open: i64 = sqlx::query_scalar(
        "select count(*) from openings where requirement_id = $1 and status = 'open'",
    )
    .bind(s.chain.requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(open, 2);
    assert!(
        app.client()
            .get(&link)
            .await
            .text("#closed")
            .contains("declined")
    );
    // The hiring history tells it, on the offer and on the candidate.
    let history = page.text("#history-heading + ol");
    assert!(
        history.contains("recorded the offer as declined"),
        "{history}"
    );
    let id = hiring_hare::domain::offering::OfferId::new(offer);
    let mut conn = app.pool.acquire().await.unwrap();
    assert!(onboarding::of_offer(&mut conn, id).await.unwrap().is_none());

    // Their offers are in their data, and erasing them clears the letters.
    let candidate = CandidateId::new(candidate_id(&app, s.application).await);
    let rows = export::rows(&mut conn, candidate).await.unwrap();
    assert_eq!(rows["offers"].as_array().unwrap().len(), 1);
    let versions = rows["offer_versions"].as_array().unwrap();
    assert!(
        versions[0]["letter"]
            .as_str()
            .unwrap()
            .contains("Ana Costa")
    );
    assert!(
        versions[0].get("letter_pdf").is_none(),
        "the PDF is the letter again"
    );
    let mut tx = app.pool.begin().await.unwrap();
    requests::erase(&mut tx, &Actor::system(), candidate)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (letter, pdf): (String, Option<Vec<u8>>) =
        sqlx::query_as("select letter, letter_pdf from offer_versions where offer_id = $1")
            .bind(offer)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((letter.as_str(), pdf), ("", None));
    let salary: i64 =
        sqlx::query_scalar("select salary_minor from offer_versions where offer_id = $1")
            .bind(offer)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(salary, 8_500_000, "the terms stay for the reports");
}

#[tokio::test]
async fn admins_keep_onboarding_templates_per_department() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let department = s.chain.org.department.to_string();
    let bad = admin
        .post(
            "/admin/onboarding",
            &[
                ("name", "Engineering onboarding"),
                ("department_id", &department),
                ("task_title", "Laptop"),
                ("task_owner", "role:nobody"),
                ("task_due", "soon"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("Choose who does it."));
    assert!(bad.body.contains("Enter days from the start date"));
    assert!(bad.body.contains("value=\"Laptop\""), "the input is kept");
    let res = admin
        .post(
            "/admin/onboarding",
            &[
                ("name", "Engineering onboarding"),
                ("department_id", &department),
                ("task_title", "IT: laptop"),
                ("task_owner", "role:admin"),
                ("task_due", "-5"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with("/admin/onboarding/"));
    let (_, link) = sent(&app, &s, s.application, "ana.costa@example.com").await;
    assert_eq!(
        accept(&link, &app, "Ana Costa").await.status,
        StatusCode::OK
    );
    let titles: Vec<String> = sqlx::query_scalar("select title from onboarding_tasks")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(titles, ["IT: laptop"], "the department's own checklist");
}

#[tokio::test]
async fn no_offer_is_drafted_for_an_anonymised_candidate() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let candidate = candidate_id(&app, s.application).await;
    let profile = format!("/candidates/{candidate}");
    let page = s.recruiter.get(&profile).await;
    assert!(!page.texts("a[href$='/offers/new']").is_empty());
    let (admin, _) = app.signed_in(Role::Admin).await;
    admin
        .post(&format!("{profile}/erasure"), &[("confirm", "erase")])
        .await
        .assert_redirect(&profile);
    let page = s.recruiter.get(&profile).await;
    assert!(page.texts("a[href$='/offers/new']").is_empty());
    let res = post_draft(&app, &s, s.application, "60000").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("nothing more is kept about them"));
    let offers: i64 = sqlx::query_scalar("select count(*) from offers")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(offers, 0);
}
