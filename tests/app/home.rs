//! The home page: each person's start of the day (what waits for them,
//! their drafts, their open requirements, their news), and the first
//! impressions every page makes (times, icon, description, scripts).

use crate::harness::TestApp;
use crate::harness::fixtures::{draft, signed_in_as, submitted};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn the_home_page_lists_what_waits_for_each_person_oldest_first() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    // A second requirement waits for the head too; the first has waited
    // longer than its SLA.
    let second = draft(&app, &chain.hm, &chain.org, chain.hm_id, "Data engineer").await;
    let res = chain
        .hm
        .post(
            &format!("/requirements/{second}/transitions"),
            &[("action", "submit"), ("version", "1")],
        )
        .await;
    res.assert_redirect(&format!("/requirements/{second}"));
    sqlx::query(
        "update approval_tasks t set started_at = now() - interval '20 days'
           from approvals a where a.id = t.approval_id and a.subject_id = $1",
    )
    .bind(chain.requirement)
    .execute(&app.pool)
    .await
    .unwrap();

    let head = signed_in_as(&app, "head@example.com").await;
    let home = head.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(
        home.texts("#waiting-heading"),
        vec!["Waiting for your decision (2)"]
    );
    let items = home.texts("section[aria-labelledby=waiting-heading] li > a");
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items[0].ends_with("Platform engineer"), "{items:?}");
    assert!(items[1].ends_with("Data engineer"), "{items:?}");
    let hints = home.texts("section[aria-labelledby=waiting-heading] li .hint");
    assert!(hints[0].contains("overdue"), "{hints:?}");
    assert!(hints[1].contains("waiting since today"), "{hints:?}");
    assert!(!hints[1].contains("overdue"), "{hints:?}");
    // Each item leads to its decision page.
    let link = home
        .attr("section[aria-labelledby=waiting-heading] li > a", "href")
        .unwrap();
    assert!(link.starts_with("/approvals/"), "{link}");
    assert_eq!(head.get(&link).await.status, StatusCode::OK);

    // Finance has nothing yet (the head decides first): an empty state
    // that says where approvals will show.
    let finance = signed_in_as(&app, "fin1@example.com").await;
    let home = finance.get("/").await;
    assert!(
        home.texts("section[aria-labelledby=waiting-heading] .empty")[0]
            .contains("Nothing waits for your decision")
    );
}

#[tokio::test]
async fn a_hiring_manager_sees_drafts_changes_requested_and_openings_left() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let home = chain.hm.get("/").await;
    // Nothing to finish yet: the empty state says how to start.
    assert!(
        home.texts("section[aria-labelledby=drafts-heading] .empty")[0]
            .contains("Draft a requirement")
    );
    assert!(
        home.texts("#waiting-heading").is_empty(),
        "a hiring manager who decides nothing has no approvals list"
    );

    let later = draft(&app, &chain.hm, &chain.org, chain.hm_id, "Site reliability").await;
    sqlx::query("update requirements set status = 'changes_requested' where id = $1")
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    let home = chain.hm.get("/").await;
    let rows = home.texts("section[aria-labelledby=drafts-heading] li");
    assert_eq!(rows.len(), 2, "{rows:?}");
    // What the approvers sent back comes first.
    assert!(rows[0].contains("Platform engineer"), "{rows:?}");
    assert!(rows[0].contains("Changes requested"), "{rows:?}");
    assert!(rows[1].contains("Site reliability"), "{rows:?}");
    assert!(rows[1].contains("Draft"), "{rows:?}");
    assert_eq!(
        home.attr(
            "section[aria-labelledby=drafts-heading] li:nth-child(2) a",
            "href"
        )
        .unwrap(),
        format!("/requirements/{later}")
    );

    // Open with two openings, one filled: one left.
    sqlx::query("update requirements set status = 'open' where id = $1")
        .bind(chain.requirement)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into openings (requirement_id, status, hire_name, settled_by)
         values ($1, 'open', null, null), ($1, 'filled', 'Ada', $2)",
    )
    .bind(chain.requirement)
    .bind(chain.hm_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let home = chain.hm.get("/").await;
    let open = home.texts("section[aria-labelledby=open-heading] li");
    assert_eq!(open.len(), 1, "{open:?}");
    assert!(open[0].contains("Platform engineer"), "{open:?}");
    assert!(open[0].contains("1 opening left"), "{open:?}");
}

#[tokio::test]
async fn a_viewer_starts_with_notifications_and_empty_states_only() {
    let app = TestApp::spawn().await;
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let home = viewer.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.texts("#waiting-heading").is_empty());
    assert!(home.texts("#drafts-heading").is_empty());
    assert!(home.texts("#open-heading").is_empty());
    assert!(
        home.texts("section[aria-labelledby=news-heading] .empty")[0]
            .contains("No notifications yet")
    );
    // No "Administration" heading for someone who administers nothing.
    assert!(!home.body.contains("Administration"));
}

#[tokio::test]
async fn the_requirement_page_gives_each_action_its_own_form_and_a_sentence_when_done() {
    let app = TestApp::spawn().await;
    let o = crate::harness::fixtures::approvers(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &o, hm_id, "Platform engineer").await;
    let page = hm.get(&format!("/requirements/{id}")).await;
    let html = page.html();
    let forms = scraper::Selector::parse(".next-steps form").unwrap();
    let reason = scraper::Selector::parse("input[name=reason]").unwrap();
    let button = scraper::Selector::parse("button").unwrap();
    let mut seen = Vec::new();
    for form in html.select(&forms) {
        let label: String = form.select(&button).next().unwrap().text().collect();
        // Only the form of an action that needs a reason holds the field.
        assert_eq!(
            form.select(&reason).next().is_some(),
            label == "Cancel requirement",
            "{label}"
        );
        seen.push(label);
    }
    assert_eq!(seen, vec!["Submit for approval", "Cancel requirement"]);

    let res = hm
        .post(
            &format!("/requirements/{id}/transitions"),
            &[("action", "submit"), ("version", "1")],
        )
        .await;
    assert_eq!(res.location(), format!("/requirements/{id}"));
    let page = hm.get(res.location()).await;
    assert_eq!(page.texts(".flash"), vec!["Submitted for approval."]);
}

#[tokio::test]
async fn pages_make_a_clean_first_impression() {
    let app = TestApp::spawn().await;
    let o = crate::harness::fixtures::approvers(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &o, hm_id, "Platform engineer").await;
    let page = hm.get(&format!("/requirements/{id}")).await;
    // HTML's datetime allows whole seconds at most.
    let times: Vec<String> = page
        .html()
        .select(&scraper::Selector::parse("time[datetime]").unwrap())
        .map(|t| t.attr("datetime").unwrap().to_owned())
        .collect();
    assert!(!times.is_empty());
    for t in &times {
        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%SZ")
            .unwrap_or_else(|e| panic!("{t}: {e}"));
    }
    assert!(page.attr("meta[name=description]", "content").is_some());
    let icon = page.attr("link[rel=icon]", "href").unwrap();

    // /favicon.ico leads to the same icon, which is served.
    let client = app.client();
    let res = client.get("/favicon.ico").await;
    assert_eq!(res.status, StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(res.location(), icon);
    let svg = reqwest::get(app.url(&icon)).await.unwrap();
    assert_eq!(svg.status(), StatusCode::OK);
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");

    // The sign-in page loads no script: it uses neither htmx nor the live
    // stream.
    let sign_in = client.get("/sign-in").await;
    assert_eq!(sign_in.status, StatusCode::OK);
    assert!(sign_in.texts("script").is_empty() && !sign_in.body.contains("<script"));
    // Signed-in pages do.
    assert!(page.body.contains("htmx.min."));
}
