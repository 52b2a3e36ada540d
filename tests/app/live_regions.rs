//! A live update re-reads only the region that changed: each region's
//! `?part=` answers with that region alone (no layout, no other region),
//! and the full page points its regions there.

use crate::harness::fixtures::{signed_in_as, submitted, waiting_task};
use crate::harness::{Page, TestApp};
use reqwest::StatusCode;

/// The region alone: its element, and not the layout or another region.
fn only(page: &Page, id: &str, others: &[&str]) {
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains("<html"), "no layout: {}", page.body);
    assert_eq!(
        page.html()
            .select(&scraper::Selector::parse(&format!("#{id}")).unwrap())
            .count(),
        1,
        "{}",
        page.body
    );
    for other in others {
        assert!(
            !page.body.contains(&format!("id=\"{other}\"")),
            "{other} in {id}"
        );
    }
}

#[tokio::test]
async fn a_requirements_regions_are_read_alone() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let r = chain.requirement;
    let full = chain.hm.get(&format!("/requirements/{r}")).await;
    assert_eq!(
        full.attr("#live-status", "hx-get").as_deref(),
        Some(format!("/requirements/{r}?part=status").as_str())
    );
    assert_eq!(
        full.attr("#history", "hx-get").as_deref(),
        Some(format!("/requirements/{r}?part=history").as_str())
    );
    assert!(!full.body.contains("hx-select"), "no region reads the page");

    let status = chain
        .hm
        .get(&format!("/requirements/{r}?part=status"))
        .await;
    only(&status, "live-status", &["history", "comments"]);
    assert_eq!(status.texts(".status"), vec!["Pending approval"]);
    assert_eq!(
        status.texts("#waiting-for li").len(),
        1,
        "the head decides first"
    );

    let history = chain
        .hm
        .get(&format!("/requirements/{r}?part=history"))
        .await;
    only(&history, "history", &["live-status", "comments"]);
    assert!(history.body.contains("Submitted") || history.body.contains("submitted"));

    let unknown = chain
        .hm
        .get(&format!("/requirements/{r}?part=openings"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // A region is guarded as its page is: a confidential requirement's
    // status is not for everyone.
    sqlx::query("update requirements set confidential = true where id = $1")
        .bind(r)
        .execute(&app.pool)
        .await
        .unwrap();
    let (stranger, _) = app
        .signed_in(hiring_hare::domain::access::Role::Interviewer)
        .await;
    let hidden = stranger
        .get(&format!("/requirements/{r}?part=status"))
        .await;
    assert!(
        matches!(hidden.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}",
        hidden.status
    );
}

#[tokio::test]
async fn the_approval_page_and_the_inbox_read_their_regions_alone() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let head = signed_in_as(&app, "head@example.com").await;
    // The department head's, the first step's only task.
    let task = waiting_task(&app, chain.requirement).await;

    let full = head.get(&format!("/approvals/{task}")).await;
    assert_eq!(
        full.attr("#decisions", "hx-get").as_deref(),
        Some(format!("/approvals/{task}?part=decisions").as_str())
    );
    let decisions = head.get(&format!("/approvals/{task}?part=decisions")).await;
    only(&decisions, "decisions", &["comment"]);
    assert_eq!(
        decisions.texts("#trail li").len(),
        3,
        "head, then two in finance"
    );

    let inbox = head.get("/approvals").await;
    assert_eq!(
        inbox.attr("#inbox", "hx-get").as_deref(),
        Some("/approvals?part=inbox")
    );
    let region = head.get("/approvals?part=inbox").await;
    only(&region, "inbox", &[]);
    assert_eq!(region.texts("#waiting tbody tr").len(), 1);
    let tab = head.get("/approvals?tab=waiting").await;
    assert_eq!(
        tab.attr("#inbox", "hx-get").as_deref(),
        Some("/approvals?tab=waiting&part=inbox")
    );
    assert_eq!(
        head.get("/approvals?part=everything").await.status,
        StatusCode::NOT_FOUND
    );
}
