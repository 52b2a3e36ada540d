//! NOTIFY after commit (`hiring_hare::nudge`): what a change tells the live
//! streams and the mail workers waits in its transaction, is dropped with a
//! rollback, and is sent once, after the commit, by a transaction of its own.

use crate::harness::fresh_database;
use hiring_hare::domain::activity::notify::{self, CHANNEL, Event, Notice, changed};
use hiring_hare::domain::requisition::approval_subject::subject as requirement;
use hiring_hare::domain::requisition::requirement::RequirementId;
use hiring_hare::nudge;
use sqlx::postgres::{PgListener, PgNotification};
use std::time::Duration;
use uuid::Uuid;

const JOBS_CHANNEL: &str = "apalis::job::insert";

/// The next notification, or None when nothing comes within a moment.
async fn heard(listener: &mut PgListener) -> Option<PgNotification> {
    tokio::time::timeout(Duration::from_millis(300), listener.recv())
        .await
        .ok()
        .map(|n| n.expect("the listener stays connected"))
}

#[tokio::test]
async fn nudges_wait_for_the_commit_and_go_out_once() {
    let (pool, _) = fresh_database().await;
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen_all([CHANNEL, JOBS_CHANNEL]).await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    changed(&mut tx, requirement(RequirementId::new(Uuid::new_v4())))
        .await
        .unwrap();
    ::jobs::enqueue_mail(&mut tx, Uuid::new_v4()).await.unwrap();
    tx.rollback().await.unwrap();

    let subject = Uuid::new_v4();
    let mut tx = pool.begin().await.unwrap();
    changed(&mut tx, requirement(RequirementId::new(subject)))
        .await
        .unwrap();
    ::jobs::enqueue_mail(&mut tx, Uuid::new_v4()).await.unwrap();
    let waiting: Vec<String> = sqlx::query_scalar("select channel from nudges order by id")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        waiting,
        [CHANNEL, JOBS_CHANNEL],
        "the requirement's and apalis' wake-ups wait in the transaction"
    );
    tx.commit().await.unwrap();
    assert!(
        heard(&mut listener).await.is_none(),
        "the commit itself sends nothing"
    );

    nudge::send(&pool).await.unwrap();
    let first = heard(&mut listener).await.expect("the change is heard");
    assert_eq!(first.channel(), CHANNEL);
    assert!(first.payload().contains(&subject.to_string()));
    let second = heard(&mut listener).await.expect("the worker is woken");
    assert_eq!(second.channel(), JOBS_CHANNEL);
    assert!(second.payload().contains(::jobs::MAIL_QUEUE));
    assert!(
        heard(&mut listener).await.is_none(),
        "the rolled-back change is never heard"
    );

    nudge::send(&pool).await.unwrap();
    assert!(heard(&mut listener).await.is_none(), "a nudge is sent once");
    let left: i64 = sqlx::query_scalar("select count(*) from nudges")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn a_notice_to_many_is_heard_in_nudges_of_at_most_a_hundred() {
    let (pool, _) = fresh_database().await;
    let people: Vec<Uuid> = sqlx::query_scalar(
        "insert into users (email, full_name)
         select 'person' || n || '@example.test', 'Person ' || n from generate_series(1, 150) n
         returning id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut listener = PgListener::connect_with(&pool).await.unwrap();
    listener.listen(CHANNEL).await.unwrap();

    let notice = Notice {
        event: Event::Mention,
        subject_type: "requirement",
        subject_id: Uuid::new_v4(),
        text: "Ana mentioned you: “ready?”".into(),
        link: "/requirements/x".into(),
        actor: None,
    };
    let mut tx = pool.begin().await.unwrap();
    notify::notify(&mut tx, &notice, &people).await.unwrap();
    tx.commit().await.unwrap();
    nudge::send(&pool).await.unwrap();

    // What each stream reads: who it concerns, and the notice itself.
    let mut told: Vec<Uuid> = Vec::new();
    let mut sizes = Vec::new();
    while let Some(n) = heard(&mut listener).await {
        let m: hiring_hare::live::Message = serde_json::from_str(n.payload()).unwrap();
        assert_eq!(m.event, "mention");
        assert_eq!(m.text, notice.text);
        assert_eq!(m.link, notice.link);
        sizes.push(m.users.len());
        told.extend(m.users);
    }
    sizes.sort_unstable();
    assert_eq!(
        sizes,
        [50, 100],
        "a NOTIFY payload holds at most 100 people"
    );
    told.sort_unstable();
    let mut everyone = people.clone();
    everyone.sort_unstable();
    assert_eq!(told, everyone, "each person is told once");
}
