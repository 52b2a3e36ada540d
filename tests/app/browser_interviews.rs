//! Browser tests of interviews: a recruiter schedules a panel from the
//! candidate's profile and each member finds it in their calendar feed;
//! two interviewers score it, each seeing the other's scorecard only after
//! sending their own. Pages checked at phone and laptop widths.

use crate::browser::{Browser, WIDTHS, check_layout, full_page_screenshot, set_width, signed_in};
use crate::harness::TestApp;
use crate::harness::fixtures::{candidate_in, opened};
use hiring_hare::domain::access::Role;
use icalendar::parser::{read_calendar, unfold};
use uuid::Uuid;

/// A browser signed in as `email`, on `path`.
async fn browser_as(app: &TestApp, email: &str, path: &str) -> Browser {
    let browser = Browser::start().await;
    signed_in(app, &browser, email, path).await;
    browser
}

/// The UIDs of the events in the feed the profile of `browser` gives.
async fn feed_uids(app: &TestApp, browser: &Browser) -> Vec<String> {
    browser.goto(&app.url("/profile")).await;
    let feed = browser.value("#feed").await;
    let ics = reqwest::get(&feed).await.unwrap().text().await.unwrap();
    let unfolded = unfold(&ics);
    let cal = read_calendar(&unfolded).unwrap();
    cal.components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .filter_map(|c| c.properties.iter().find(|p| p.name == "UID"))
        .map(|p| p.val.to_string())
        .collect()
}

#[tokio::test]
async fn a_recruiter_schedules_a_panel_that_scores_it_blind() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let candidate: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    app.user("rita@example.com", "Rita Recruiter", &[Role::Recruiter])
        .await;
    app.user("ines@example.com", "Ines Interviewer", &[Role::Interviewer])
        .await;
    app.user("paul@example.com", "Paul Panel", &[Role::Interviewer])
        .await;

    // The recruiter schedules from the profile.
    let rita = browser_as(
        &app,
        "rita@example.com",
        &format!("/candidates/{candidate}"),
    )
    .await;
    rita.wait_for_xpath("//a[normalize-space()='Schedule an interview']")
        .await
        .click()
        .await
        .unwrap();
    rita.wait_for_path(&format!("/applications/{application}/interviews/new"))
        .await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(3)).date_naive();
    // A date field takes what a person types in the browser's own format;
    // set through its value, as a date picker does.
    rita.js(&format!(
        "document.getElementById('date').value = '{}'",
        soon.format("%Y-%m-%d")
    ))
    .await;
    rita.js("document.getElementById('start').value = '10:00'")
        .await;
    rita.choose("#time_zone", "Europe/Lisbon").await;
    rita.fill("#location", "Room 4").await;
    for name in ["Ines Interviewer", "Paul Panel"] {
        rita.wait_for_xpath(&format!(
            "//label[normalize-space()='{name}']/input[@name='panel']"
        ))
        .await
        .click()
        .await
        .unwrap();
    }
    for width in WIDTHS {
        set_width(&rita, width).await;
        check_layout(&rita, "interview-schedule", width).await;
    }
    rita.click_button("Schedule and send invitations").await;
    rita.wait_for("#schedule-heading").await;
    let path = rita.path_and_query().await;
    let id: Uuid = path.strip_prefix("/interviews/").unwrap().parse().unwrap();
    assert!(rita.text(".flash").await.contains("Interview scheduled"));
    let uid = format!("{id}@hiringhare");

    // Each panel member finds it in their calendar feed.
    let ines = browser_as(&app, "ines@example.com", &format!("/interviews/{id}")).await;
    let paul = browser_as(&app, "paul@example.com", &format!("/interviews/{id}")).await;
    for b in [&ines, &paul] {
        assert_eq!(feed_uids(&app, b).await, std::slice::from_ref(&uid));
        b.goto(&app.url(&format!("/interviews/{id}"))).await;
    }

    // Ines scores first: she reads her own, Paul sees nothing of it.
    for width in WIDTHS {
        set_width(&ines, width).await;
        check_layout(&ines, "interview-kit", width).await;
        full_page_screenshot(&ines, &format!("interview-kit-full-{width}"), width).await;
    }
    assert!(ines.texts("article.scorecard").await.is_empty());
    let rate = async |b: &Browser, value: &str, recommendation: &str| {
        for n in 0..3 {
            b.wait_for(&format!("input[name='rating-{n}'][value='{value}']"))
                .await
                .click()
                .await
                .unwrap();
        }
        b.wait_for(&format!(
            "input[name='recommendation'][value='{recommendation}']"
        ))
        .await
        .click()
        .await
        .unwrap();
        b.fill("#takeaways", "Clear thinker.").await;
        b.click_button("Send the scorecard").await;
        b.wait_for("article.scorecard").await;
    };
    rate(&ines, "4", "strong_yes").await;
    assert_eq!(
        ines.texts("article.scorecard h3").await,
        ["Ines Interviewer: Strong yes"]
    );
    paul.goto(&app.url(&format!("/interviews/{id}"))).await;
    paul.wait_for("#scorecard").await;
    assert!(paul.texts("article.scorecard").await.is_empty());

    // Paul sends his: now he reads both, and the summary.
    rate(&paul, "2", "no").await;
    let cards = paul.texts("article.scorecard h3").await;
    assert!(
        cards.contains(&"Ines Interviewer: Strong yes".to_owned()),
        "{cards:?}"
    );
    assert!(cards.contains(&"Paul Panel: No".to_owned()), "{cards:?}");
    assert!(
        paul.text("table.summary")
            .await
            .contains("the panel disagrees")
    );
    for width in WIDTHS {
        set_width(&paul, width).await;
        check_layout(&paul, "interview-scored", width).await;
        full_page_screenshot(&paul, &format!("interview-scored-full-{width}"), width).await;
    }
    for b in [rita, ines, paul] {
        b.close().await;
    }
}
