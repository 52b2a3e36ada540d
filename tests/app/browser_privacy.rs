//! Browser test of privacy: a candidate on a phone without JavaScript asks
//! for their data by email, opens the mailed link, downloads it and asks to
//! be erased; an admin sees the request with its deadline and erases them
//! after the confirmation. Each page checked at phone and laptop widths.

use crate::browser::{
    Browser, WIDTHS, admin_browser, check_layout, full_page_screenshot, set_width,
};
use crate::harness::fixtures::{candidate_in, opened};
use crate::harness::{TestApp, link_in};
use hiring_hare::domain::access::Role;
use std::time::Duration;
use uuid::Uuid;

#[tokio::test]
async fn a_candidate_asks_for_their_data_and_an_admin_erases_them() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let id: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // The candidate, on a phone, without JavaScript.
    let phone = Browser::without_javascript().await;
    set_width(&phone, WIDTHS[0]).await;
    phone.goto(&app.url("/your-data")).await;
    check_layout(&phone, "your-data-ask", WIDTHS[0]).await;
    phone.fill("#email", "ana.costa@example.com").await;
    // A person takes a moment over a form.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    phone.click_button("Send me the link").await;
    assert!(
        phone
            .wait_for("#sent")
            .await
            .text()
            .await
            .unwrap()
            .contains("ana.costa@example.com")
    );
    let mail = app.last_mail_to("ana.costa@example.com").await.unwrap();
    let link = link_in(&mail, "/your-data/").expect("a link to her data");
    phone.goto(&app.url(&link)).await;
    assert_eq!(phone.text("h1").await, "What we hold about you");
    check_layout(&phone, "your-data", WIDTHS[0]).await;
    full_page_screenshot(&phone, "your-data-390-full", WIDTHS[0]).await;
    assert_eq!(
        phone.text("#details-heading + dl dd").await,
        "Ana Costa",
        "her name comes first"
    );
    phone.click_button("Ask to erase my data").await;
    assert!(
        phone
            .wait_for("#done")
            .await
            .text()
            .await
            .unwrap()
            .contains("within a month")
    );
    phone.close().await;

    // The admin: the request waits with its deadline; the erasure names
    // what goes and needs the box ticked.
    let admin = admin_browser(&app, "/admin/privacy").await;
    for width in WIDTHS {
        set_width(&admin, width).await;
        admin.goto(&app.url("/admin/privacy")).await;
        check_layout(&admin, "admin-privacy", width).await;
        admin
            .goto(&app.url(&format!("/candidates/{id}/erasure")))
            .await;
        check_layout(&admin, "candidate-erasure", width).await;
    }
    assert_eq!(admin.texts("#removes li").await.len(), 6);
    admin.click_button("Erase").await;
    // The browser's own check stops an unticked form.
    assert_eq!(
        admin.path_and_query().await,
        format!("/candidates/{id}/erasure")
    );
    admin.wait_for("#confirm").await.click().await.unwrap();
    admin.click_button("Erase").await;
    admin.wait_for_path(&format!("/candidates/{id}")).await;
    assert_eq!(
        admin.text(".flash.success").await,
        "Erased: only ids, stages and dates are left."
    );
    assert!(admin.text("h1").await.starts_with("Anonymised candidate #"));
    admin.goto(&app.url("/admin/privacy")).await;
    assert_eq!(
        admin.text("#waiting-heading + p").await,
        "None: every request a candidate made is answered."
    );
    admin.close().await;
}
