//! The rejection email: it waits a while, visibly, and can be cancelled
//! until it goes (by hand, or by un-rejecting).

use crate::harness::TestApp;
use crate::harness::fixtures::{candidate_in, history_of, opened};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use std::time::Duration;
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(4);

#[derive(sqlx::FromRow, Debug)]
struct Row {
    to_address: String,
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
    cancelled_at: Option<chrono::DateTime<chrono::Utc>>,
    send_at: chrono::DateTime<chrono::Utc>,
}

async fn mail_of(app: &TestApp, application: Uuid) -> Option<Row> {
    sqlx::query_as(
        "select to_address, sent_at, cancelled_at, send_at from outbox where application_id = $1",
    )
    .bind(application)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}

async fn profile_of(app: &TestApp, application: Uuid) -> String {
    let id: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    format!("/candidates/{id}")
}

#[tokio::test]
async fn a_rejection_email_waits_visibly_and_can_be_cancelled_until_it_goes() {
    let app = TestApp::spawn_with(|c| c.rejection_mail_delay = WAIT).await;
    app.run_workers();
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let reason: Uuid =
        sqlx::query_scalar("select id from rejection_reasons order by position limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let reject = async |application: Uuid, notify: bool| {
        let from: Uuid = sqlx::query_scalar("select stage_id from applications where id = $1")
            .bind(application)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        let (reason, from) = (reason.to_string(), from.to_string());
        let mut form = vec![("reason_id", reason.as_str()), ("from", from.as_str())];
        if notify {
            form.push(("notify", "on"));
        }
        let res = recruiter
            .post(&format!("/applications/{application}/rejection"), &form)
            .await;
        res.assert_redirect(&profile_of(&app, application).await);
    };
    let ana = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let ben = candidate_in(&app, &recruiter, chain.requirement, "Ben Dahl").await;
    let cleo = candidate_in(&app, &recruiter, chain.requirement, "Cleo Marsh").await;
    let dan = candidate_in(&app, &recruiter, chain.requirement, "Dan Ives").await;

    // Ana's waits, and her profile says until when, with the cancel.
    reject(ana, true).await;
    let page = recruiter.get(&profile_of(&app, ana).await).await;
    assert!(
        page.texts(".flash")
            .iter()
            .any(|t| t.contains("The email to them goes in 1 minute:")),
        "{:?}",
        page.texts(".flash")
    );
    let waiting = page.texts(".mail-waiting");
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].starts_with("The rejection email to them goes at"));
    let row = mail_of(&app, ana).await.unwrap();
    assert_eq!(row.to_address, "ana.costa@example.com");
    assert!(row.sent_at.is_none() && row.cancelled_at.is_none());

    // Ben's is cancelled by hand; cancelling twice says it is not waiting.
    reject(ben, true).await;
    let cancel = format!("/applications/{ben}/rejection-mail/deletion");
    recruiter
        .post(&cancel, &[])
        .await
        .assert_redirect(&profile_of(&app, ben).await);
    let profile = profile_of(&app, ben).await;
    let page = recruiter.get(&profile).await;
    assert!(page.texts(".mail-waiting").is_empty());
    let events = history_of(&recruiter, &profile).await;
    assert!(
        events[0].contains("cancelled the rejection email"),
        "{events:?}"
    );
    let again = recruiter.post(&cancel, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("no longer waiting"), "{}", again.body);
    // Nor may those who do not run the pipeline cancel one.
    let (hm, _) = app.signed_in(Role::HiringManager).await;
    assert_eq!(hm.post(&cancel, &[]).await.status, StatusCode::FORBIDDEN);

    // Cleo's is stopped by un-rejecting her; Dan was rejected without one.
    reject(cleo, true).await;
    recruiter
        .post(&format!("/applications/{cleo}/rejection/deletion"), &[])
        .await
        .assert_redirect(&profile_of(&app, cleo).await);
    reject(dan, false).await;
    assert!(mail_of(&app, dan).await.is_none());

    // Ana's goes when its time comes; the cancelled ones never do.
    let last_due = mail_of(&app, cleo).await.unwrap().send_at;
    let began = std::time::Instant::now();
    while mail_of(&app, ana).await.unwrap().sent_at.is_none() {
        assert!(began.elapsed() < Duration::from_secs(60), "never sent");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = mail_of(&app, ana).await.unwrap();
    assert!(sent.sent_at.unwrap() >= sent.send_at);
    let text = app.last_mail_to("ana.costa@example.com").await.unwrap();
    assert!(text.contains("Dear Ana Costa"), "{text}");
    assert!(text.contains("Platform engineer"), "{text}");
    assert!(text.contains("not to move forward"), "{text}");
    while chrono::Utc::now() < last_due + chrono::Duration::seconds(3) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for cancelled in [ben, cleo] {
        let row = mail_of(&app, cancelled).await.unwrap();
        assert!(row.sent_at.is_none(), "{row:?}");
        assert!(row.cancelled_at.is_some(), "{row:?}");
    }
    let page = recruiter.get(&profile_of(&app, ana).await).await;
    assert!(page.texts(".mail-waiting").is_empty());
}
