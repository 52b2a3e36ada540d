//! Database connections: a request takes at most one and passes it down,
//! and background work (the live listener, job workers, the nudge sender)
//! has connections of its own, so a small pool serves many requests at once
//! and readiness tells when it can't.

use crate::harness::TestApp;
use crate::harness::fixtures::{draft, signed_in_as, submitted};
use reqwest::StatusCode;
use uuid::Uuid;

#[tokio::test]
async fn a_pool_of_two_serves_sixteen_pages_decisions_and_comments_at_once() {
    let app = TestApp::spawn_with(|c| c.database_pool_size = 2).await;
    // Signing in works (it did not while background work held the pool).
    let chain = submitted(&app).await;
    let mut requirements = vec![chain.requirement];
    for n in 1..5 {
        let id = draft(
            &app,
            &chain.hm,
            &chain.org,
            chain.hm_id,
            &format!("Role {n}"),
        )
        .await;
        let res = chain
            .hm
            .post(
                &format!("/requirements/{id}/transitions"),
                &[("action", "submit"), ("version", "1")],
            )
            .await;
        res.assert_redirect(&format!("/requirements/{id}"));
        requirements.push(id);
    }
    let tasks: Vec<Uuid> = sqlx::query_scalar(
        "select t.id from approval_tasks t join users u on u.id = t.approver_id
          where u.email = 'head@example.com' and t.status = 'pending'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(tasks.len(), 5);
    let head = signed_in_as(&app, "head@example.com").await;
    // Each client has its CSRF token before the burst.
    head.csrf_token().await;
    chain.hm.csrf_token().await;

    let pages = requirements.iter().chain(&requirements[..1]).map(|id| {
        let hm = &chain.hm;
        async move { hm.get(&format!("/requirements/{id}")).await }
    });
    let decisions = tasks.iter().map(|task| {
        let head = &head;
        async move {
            head.post(
                &format!("/approvals/{task}/decision"),
                &[("decision", "approve")],
            )
            .await
        }
    });
    let comments = requirements.iter().map(|id| {
        let hm = &chain.hm;
        async move {
            hm.post(
                &format!("/requirements/{id}/comments"),
                &[("body", "Any news?")],
            )
            .await
        }
    });
    let (pages, decisions, comments) = tokio::join!(
        futures::future::join_all(pages),
        futures::future::join_all(decisions),
        futures::future::join_all(comments),
    );
    assert_eq!(pages.len() + decisions.len() + comments.len(), 16);
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    }
    for res in &decisions {
        res.assert_redirect("/approvals");
    }
    for (res, id) in comments.iter().zip(&requirements) {
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert!(
            res.location()
                .starts_with(&format!("/requirements/{id}#comment-")),
            "{}",
            res.location()
        );
    }
    let decided: i64 = sqlx::query_scalar(
        "select count(*) from approval_tasks where id = any($1) and status = 'approved'",
    )
    .bind(&tasks)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(decided, 5);
    let posted: i64 = sqlx::query_scalar("select count(*) from comments")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(posted, 5);
    // And the mail queued meanwhile goes out: the workers have connections
    // of their own.
    app.run_workers();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let unsent: i64 = sqlx::query_scalar("select count(*) from outbox where sent_at is null")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if unsent == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{unsent} mails unsent"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn readiness_fails_while_no_request_connection_is_free() {
    let app = TestApp::spawn_with(|c| c.database_pool_size = 2).await;
    let ready = || async { reqwest::get(app.url("/health/ready")).await.unwrap() };
    // Ready once its listener is up.
    for _ in 0..200 {
        if ready().await.status() == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ready().await.status(), StatusCode::OK);
    let held = (
        app.pools.requests.acquire().await.unwrap(),
        app.pools.requests.acquire().await.unwrap(),
    );
    let started = std::time::Instant::now();
    assert_eq!(ready().await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(held);
    assert_eq!(ready().await.status(), StatusCode::OK);
}

/// A request dropped while its transaction begins (the client hung up,
/// BEGIN sent, its answer not yet read) must not hand its connection back
/// inside that transaction: the next request's writes would run in it, and
/// be lost or committed with whatever that request did. sqlx 0.9.0 counted
/// the transaction only once BEGIN was answered, so its drop guard rolled
/// back nothing (PostgreSQL then logged "there is already a transaction in
/// progress"); 0.9.1 counts it before.
#[tokio::test]
async fn a_transaction_dropped_while_it_begins_is_not_left_open_for_the_next_request() {
    use futures::FutureExt;
    use sqlx::Connection;
    let app = TestApp::spawn_with(|c| c.database_pool_size = 1).await;
    let pool = &app.pools.requests;
    for _ in 0..10 {
        let mut conn = pool.acquire().await.unwrap();
        // Polled once: BEGIN is written and its answer awaited; then dropped.
        if let Some(begun) = conn.begin().now_or_never() {
            begun.unwrap().rollback().await.unwrap();
        }
        drop(conn);
        // The pool holds one connection: the next request gets this one.
        // Outside a transaction each statement has a transaction id of its
        // own; inside one both would read the same.
        let mut conn = pool.acquire().await.unwrap();
        let xact = "select pg_current_xact_id()::text";
        let first: String = sqlx::query_scalar(xact)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let second: String = sqlx::query_scalar(xact)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_ne!(
            first, second,
            "the next request ran inside the dropped transaction"
        );
    }
}
