//! Browser test of an offer from draft to an onboarded hire: the recruiter
//! drafts it from the candidate's profile and sends it for approval; the
//! department head and both finance approvers decide from their emailed
//! links, signed out; the recruiter sends it; the candidate, on a phone
//! without JavaScript, accepts it from the mailed link; the opening is
//! filled and the checklist made. Pages checked at phone and laptop widths.

use crate::browser::{Browser, WIDTHS, check_layout, set_width, signed_in};
use crate::harness::TestApp;
use crate::harness::fixtures::{candidate_in, move_to, opened};
use crate::harness::link_in;
use hiring_hare::domain::access::Role;
use uuid::Uuid;

/// The approval link (with its token) last mailed to `to`.
async fn approval_link(app: &TestApp, to: &str) -> String {
    let mail = app.last_mail_to(to).await.unwrap();
    mail.split_whitespace()
        .find(|w| w.contains("/approvals/"))
        .unwrap_or_else(|| panic!("no approval link in {mail}"))
        .to_owned()
}

/// Decides the approval the link opens, as its approver, signed out.
async fn approve_from_link(app: &TestApp, to: &str) {
    let link = approval_link(app, to).await;
    let browser = Browser::start().await;
    browser.goto(&link).await;
    browser.click_button("Open the approval").await;
    browser.wait_for("#offer-terms").await;
    assert!(
        browser
            .text("#offer-terms")
            .await
            .contains("85,000 EUR a year")
    );
    browser.click_button("Approve").await;
    browser
        .wait_for_xpath(
            "//div[contains(@class, 'flash') and normalize-space()='Your decision is recorded.']",
        )
        .await;
    browser.close().await;
}

#[tokio::test]
async fn an_offer_is_approved_from_mailed_links_and_accepted_on_a_phone_without_javascript() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let rita = app
        .user("rita@example.com", "Rita Recruiter", &[Role::Recruiter])
        .await;
    sqlx::query("update requirements set recruiter_id = $2 where id = $1")
        .bind(chain.requirement)
        .bind(rita)
        .execute(&app.pool)
        .await
        .unwrap();
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    move_to(&app, &recruiter, application, "Offer").await;
    let candidate: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // The recruiter drafts it from the profile.
    let browser = Browser::start().await;
    signed_in(
        &app,
        &browser,
        "rita@example.com",
        &format!("/candidates/{candidate}"),
    )
    .await;
    browser
        .wait_for_xpath("//a[normalize-space()='Draft an offer']")
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_path(&format!("/applications/{application}/offers/new"))
        .await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        check_layout(&browser, "offer-form", width).await;
    }
    browser.fill("#salary", "85000").await;
    let day = |n| (chrono::Utc::now().date_naive() + chrono::Duration::days(n)).format("%Y-%m-%d");
    browser
        .js(&format!(
            "document.getElementById('start_date').value = '{}'; document.getElementById('expires_on').value = '{}'",
            day(30),
            day(7)
        ))
        .await;
    browser.click_button("Draft the offer").await;
    browser.wait_for("#offer-status").await;
    let offer: Uuid = browser
        .path_and_query()
        .await
        .trim_start_matches("/offers/")
        .parse()
        .unwrap();
    browser.click_button("Send for approval").await;
    browser
        .wait_for_xpath("//span[@id='offer-status' and normalize-space()='Pending approval']")
        .await;

    // The department head, then both finance approvers, from their mails.
    approve_from_link(&app, "head@example.com").await;
    approve_from_link(&app, "fin1@example.com").await;
    approve_from_link(&app, "fin2@example.com").await;

    browser.goto(&app.url(&format!("/offers/{offer}"))).await;
    browser
        .wait_for_xpath("//span[@id='offer-status' and normalize-space()='Approved']")
        .await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        check_layout(&browser, "offer", width).await;
    }
    browser.click_button("Send to the candidate").await;
    browser
        .wait_for_xpath("//span[@id='offer-status' and normalize-space()='Sent']")
        .await;

    // The candidate, on a phone without JavaScript.
    let mail = app.last_mail_to("ana.costa@example.com").await.unwrap();
    let link = link_in(&mail, "/offer/").expect("a link to the offer");
    let phone = Browser::without_javascript().await;
    set_width(&phone, WIDTHS[0]).await;
    phone.goto(&app.url(&link)).await;
    phone.wait_for("#letter").await;
    check_layout(&phone, "offer-answer", WIDTHS[0]).await;
    phone.fill("#signed_name", "Ana Costa").await;
    phone.click_button("Accept the offer").await;
    assert!(
        phone
            .wait_for("#answered")
            .await
            .text()
            .await
            .unwrap()
            .contains("acceptance is recorded")
    );
    check_layout(&phone, "offer-accepted", WIDTHS[0]).await;
    phone.close().await;

    // The opening is filled by her, and her checklist waits.
    let filled: Option<String> = sqlx::query_scalar(
        "select p.hire_name from openings p join offers o on o.opening_id = p.id where o.id = $1",
    )
    .bind(offer)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(filled.as_deref(), Some("Ana Costa"));
    let onboarding: Uuid = sqlx::query_scalar("select id from onboardings where offer_id = $1")
        .bind(offer)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    browser
        .goto(&app.url(&format!("/requirements/{}", chain.requirement)))
        .await;
    assert!(browser.text("#onboardings").await.contains("Ana Costa"));
    for width in WIDTHS {
        set_width(&browser, width).await;
        browser
            .goto(&app.url(&format!("/onboarding/{onboarding}")))
            .await;
        check_layout(&browser, "onboarding", width).await;
    }
    assert_eq!(browser.texts("#tasks tbody tr").await.len(), 5);
    browser
        .click_button("Mark “Send the contract for signature” done")
        .await;
    browser
        .wait_for_xpath(
            "//h2[@id='checklist-heading' and normalize-space()='Checklist: 1 of 5 done']",
        )
        .await;
    browser.close().await;
}
