//! Openings: one per head once a requirement opens, each filled by a hire
//! (an application moved to the hired stage) or closed with a reason; the
//! last one settled fills the requirement, hiring beyond the openings is
//! refused, and the headcount never drops below the hires.

use crate::change_approval::edit;
use crate::harness::fixtures::{approve_all, candidate_in, hire, move_to, opened, status};
use crate::harness::{Page, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

/// The requirement's openings, oldest first.
async fn openings(app: &TestApp, requirement: Uuid) -> Vec<Uuid> {
    sqlx::query_scalar("select id from openings where requirement_id = $1 order by created_at, id")
        .bind(requirement)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// Closes the opening with `reason`, by its form.
async fn close(
    client: &crate::harness::Client,
    requirement: Uuid,
    opening: Uuid,
    reason: &str,
) -> Page {
    client
        .post(
            &format!("/requirements/{requirement}/openings/{opening}"),
            &[("reason", reason)],
        )
        .await
}

#[tokio::test]
async fn openings_are_filled_by_hires_or_closed_and_the_last_one_fills_the_requirement() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (id, hm) = (chain.requirement, &chain.hm);
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let [first, second] = openings(&app, id).await[..] else {
        panic!("one opening per head");
    };
    let page = hm.get(&format!("/requirements/{id}")).await;
    assert_eq!(
        page.texts("#openings .opening-name"),
        ["Opening 1", "Opening 2"],
        "numbered openings"
    );
    assert_eq!(page.texts("#openings h2 .hint"), ["0 of 2 filled"]);

    // No reason: the problem beside the field, that opening's form open.
    let res = close(hm, id, first, "  ").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("opening-1-reason").as_deref(),
        Some("Say why the opening closes.")
    );
    assert_eq!(
        res.texts("#openings details[open] summary"),
        ["Close opening 1"]
    );

    // A NUL byte (PostgreSQL refuses it in text) is a problem beside the
    // field too, not a failed request.
    let res = close(hm, id, first, "Budget\0").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("opening-1-reason")
            .is_some_and(|e| e.contains("NUL"))
    );

    // Someone not on the requirement may not, whatever the page shows.
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let res = close(&viewer, id, first, "Budget cut").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // A hire fills the first open opening, naming the application.
    let waiting = candidate_in(&app, &recruiter, id, "Ben Dahl").await;
    let res = hire(&app, &recruiter, id, "Ana Costa").await;
    res.assert_redirect(&format!("/requirements/{id}/board"));
    assert_eq!(status(&app, id).await, "open", "one opening is left");
    assert_eq!(app.audit_count("opening.filled", first).await, 1);
    let filled_by: Option<Uuid> =
        sqlx::query_scalar("select application_id from openings where id = $1")
            .bind(first)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        filled_by.is_some(),
        "the opening names its hire's application"
    );

    // Twice: the second is told what happened instead.
    let res = close(hm, id, first, "Budget cut").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.body
            .contains("Opening 1 was settled meanwhile: Filled by Ana Costa."),
        "{}",
        res.body
    );

    let res = close(hm, id, second, "Budget cut").await;
    res.assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(status(&app, id).await, "filled");
    assert_eq!(app.audit_count("requirement.fill", id).await, 1);

    let page = hm.get(&format!("/requirements/{id}")).await;
    assert!(
        page.body.contains("the requirement is filled"),
        "the flash says so"
    );
    assert_eq!(
        page.texts("#openings .opening-outcome"),
        ["Filled by Ana Costa", "Closed: Budget cut"]
    );
    assert!(
        page.texts("#openings details").is_empty(),
        "nothing left to settle"
    );
    let events = page.texts("ol.timeline > li > p");
    assert!(
        events[0].contains("marked it filled, now Filled"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.contains("closed opening 2: “Budget cut”")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.ends_with("filled opening 1")),
        "{events:?}"
    );

    // Nothing left to fill: one more hire is refused, saying why, and
    // the candidate stays where they were.
    let res = move_to(&app, &recruiter, waiting, "Hired").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert_eq!(
        res.texts(".flash.error"),
        [
            "Every opening is filled or closed already: raise the requirement's headcount to hire one more."
        ]
    );
    let stage: String = sqlx::query_scalar(
        "select s.name from applications a join pipeline_stages s on s.id = a.stage_id where a.id = $1",
    )
    .bind(waiting)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stage, "Applied");
}

#[tokio::test]
async fn openings_of_a_requirement_not_recruiting_stay_as_they_are() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let id = chain.requirement;
    let opening = openings(&app, id).await[0];
    let version: i32 = sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = chain
        .hm
        .post(
            &format!("/requirements/{id}/transitions"),
            &[
                ("action", "cancel"),
                ("reason", "Reorganisation"),
                ("version", &version.to_string()),
            ],
        )
        .await;
    res.assert_redirect(&format!("/requirements/{id}"));
    let res = close(&chain.hm, id, opening, "Budget cut").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.body
            .contains("only while the requirement is open or on hold")
    );
    assert_eq!(app.audit_count("opening.closed", opening).await, 0);
}

#[tokio::test]
async fn the_headcount_stays_at_or_above_the_hires_and_down_to_them_fills_it() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let id = chain.requirement;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    // A third head, approved: a third opening.
    let same = [
        ("salary_max", "85000"),
        ("description", "Run the platform."),
    ];
    let res = edit(&app, &chain, &[&same[..], &[("headcount", "3")]].concat()).await;
    res.assert_redirect(&format!("/requirements/{id}"));
    approve_all(&app, id).await;
    assert_eq!(status(&app, id).await, "open");
    let all = openings(&app, id).await;
    assert_eq!(all.len(), 3);
    for name in ["Ana Costa", "Ben Dahl"] {
        let res = hire(&app, &recruiter, id, name).await;
        res.assert_redirect(&format!("/requirements/{id}/board"));
    }

    let res = edit(&app, &chain, &[&same[..], &[("headcount", "1")]].concat()).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(
        res.field_error("headcount").as_deref(),
        Some("2 openings are filled already: the headcount can't be lower.")
    );
    assert_eq!(
        res.attr("#headcount", "value").as_deref(),
        Some("1"),
        "input kept"
    );
    assert_eq!(status(&app, id).await, "open");

    // Down to the two hired: the third opening closes, and the job is done.
    let res = edit(&app, &chain, &[&same[..], &[("headcount", "2")]].concat()).await;
    res.assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(status(&app, id).await, "filled");
    let closed: Option<String> =
        sqlx::query_scalar("select closed_reason from openings where id = $1")
            .bind(all[2])
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(closed.as_deref(), Some("headcount reduced"));
}

#[tokio::test]
async fn the_last_two_openings_settled_at_once_fill_the_requirement_once() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let id = chain.requirement;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let [_, second] = openings(&app, id).await[..] else {
        panic!("one opening per head");
    };
    let offer = candidate_in(&app, &recruiter, id, "Ana Costa").await;
    let (a, b) = tokio::join!(
        move_to(&app, &recruiter, offer, "Hired"),
        close(&chain.hm, id, second, "Budget cut"),
    );
    a.assert_redirect(&format!("/requirements/{id}/board"));
    b.assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(status(&app, id).await, "filled");
    assert_eq!(app.audit_count("requirement.fill", id).await, 1);
}
