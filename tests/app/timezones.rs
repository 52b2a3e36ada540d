//! Dates and times in the signed-in user's time zone, which they choose on
//! their profile.

use crate::harness::TestApp;
use crate::harness::fixtures::{draft, org};
use chrono::{DateTime, Utc};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

async fn zone_of(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("select time_zone from users where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_requirement_shows_its_times_in_the_viewers_zone() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let id = draft(&app, &hm, &o, hm_id, "Platform engineer").await;
    let created: DateTime<Utc> = sqlx::query_scalar(
        "select at from audit_logs where action = 'requirement.created' and entity_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();

    let res = hm
        .post(
            "/profile",
            &[
                ("full_name", "Test Hiring manager"),
                ("time_zone", "America/New_York"),
            ],
        )
        .await;
    res.assert_redirect("/profile");
    let new_york = created
        .with_timezone(&chrono_tz::America::New_York)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string();
    let utc = created.format("%Y-%m-%d %H:%M UTC").to_string();
    assert_ne!(new_york, utc);
    assert!(new_york.ends_with(" EST") || new_york.ends_with(" EDT"));

    let path = format!("/requirements/{id}");
    let hers = hm.get(&path).await.texts("#history time");
    let theirs = admin.get(&path).await.texts("#history time");
    assert!(hers.contains(&new_york), "{hers:?} lacks {new_york}");
    assert!(theirs.contains(&utc), "{theirs:?} lacks {utc}");
    // The machine-read value stays in UTC for everyone.
    let iso = created.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert_eq!(
        hm.get(&path).await.attr("#history time", "datetime"),
        Some(iso)
    );
    // A fragment (a live region re-read by htmx) is in her zone too.
    assert!(hm.get_hx(&path).await.body.contains(&new_york));
}

#[tokio::test]
async fn the_profile_saves_a_known_zone_and_refuses_an_unknown_one() {
    let app = TestApp::spawn().await;
    let (client, id) = app.signed_in(Role::Viewer).await;
    let page = client.get("/profile").await;
    assert_eq!(
        page.texts("#time_zone option[selected]"),
        vec!["UTC".to_owned()]
    );
    assert!(
        page.texts("#time_zone option").len() > 300,
        "the IANA zones"
    );

    let res = client
        .post(
            "/profile",
            &[("full_name", "Tess Viewer"), ("time_zone", "Asia/Kolkata")],
        )
        .await;
    res.assert_redirect("/profile");
    assert_eq!(zone_of(&app, id).await, "Asia/Kolkata");
    assert_eq!(
        client
            .get("/profile")
            .await
            .texts("#time_zone option[selected]"),
        vec!["Asia/Kolkata".to_owned()]
    );

    for zone in ["Mars/Olympus", "", "UTC+2", "Europe/Berlin\0"] {
        let res = client
            .post(
                "/profile",
                &[("full_name", "Tess Renamed"), ("time_zone", zone)],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{zone:?}");
        assert!(res.field_error("time_zone").is_some(), "{zone:?}");
        assert_eq!(
            res.attr("#full_name", "value").as_deref(),
            Some("Tess Renamed"),
            "the input is kept"
        );
    }
    assert_eq!(zone_of(&app, id).await, "Asia/Kolkata", "unchanged");
}
