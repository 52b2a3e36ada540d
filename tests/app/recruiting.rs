//! Candidates and the pipeline: adding people (one person per address),
//! who sees them, moving them through the stages (time in stage, history,
//! two moves at once), rejecting with a reason and un-rejecting, the board,
//! search and the export.

use crate::harness::fixtures::{Chain, candidate_in, history_of, move_to, opened};
use crate::harness::{Client, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

/// A requirement approved and opened (two openings), and a recruiter.
async fn recruiting(app: &TestApp) -> (Chain, Client, Uuid) {
    let chain = opened(app).await;
    let (recruiter, recruiter_id) = app.signed_in(Role::Recruiter).await;
    (chain, recruiter, recruiter_id)
}

async fn candidate_of(app: &TestApp, application: Uuid) -> Uuid {
    sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn stage_of(app: &TestApp, application: Uuid) -> String {
    sqlx::query_scalar(
        "select s.name from applications a join pipeline_stages s on s.id = a.stage_id where a.id = $1",
    )
    .bind(application)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn stage_id(app: &TestApp, name: &str) -> Uuid {
    sqlx::query_scalar("select id from pipeline_stages where name = $1 and requirement_id is null")
        .bind(name)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_candidate_is_added_by_hand_and_found_again_by_their_address() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let id = chain.requirement;

    // Problems beside their fields, the input kept.
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Ana\0 Costa"),
                ("emails", "ana@example"),
                ("phone", "+44 20 7946 0958"),
                ("links", "javascript:alert(1)"),
                ("source", "referral"),
                ("tags", "rust, backend"),
                ("requirement_id", "HH-1999-0001"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.field_error("full_name").unwrap().contains("NUL"));
    assert_eq!(
        res.field_error("emails").as_deref(),
        Some("“ana@example” is not an email address.")
    );
    assert!(res.field_error("links").is_some());
    assert_eq!(
        res.field_error("referrer_id").as_deref(),
        Some("Name the colleague who referred them.")
    );
    assert_eq!(
        res.attr("#phone", "value").as_deref(),
        Some("+44 20 7946 0958")
    );
    assert_eq!(res.attr("#tags", "value").as_deref(), Some("rust, backend"));
    assert_eq!(
        res.texts("#error-summary li a").len(),
        4,
        "{:?}",
        res.texts("#error-summary li a")
    );
    assert_eq!(count(&app, "select count(*) from candidates").await, 0);

    // An unknown requirement keeps the whole form too.
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Ana Costa"),
                ("emails", "Ana@Example.com"),
                ("source", "sourced"),
                ("requirement_id", "HH-1999-0001"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("requirement_id").as_deref(),
        Some("No requirement has this reference.")
    );
    assert_eq!(count(&app, "select count(*) from candidates").await, 0);

    let reference: String = sqlx::query_scalar("select reference from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Ana Costa"),
                ("emails", "Ana@Example.com\nana.costa@mail.test"),
                ("phone", "+44 20 7946 0958"),
                ("source", "sourced"),
                ("tags", "rust, backend"),
                ("requirement_id", &reference.to_lowercase()),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let profile = res.location().to_owned();
    assert!(profile.starts_with("/candidates/"));
    let page = recruiter.get(&profile).await;
    assert_eq!(page.texts("h1"), ["Ana Costa"]);
    assert_eq!(page.texts(".flash.success"), ["Candidate added."]);
    assert_eq!(page.texts(".application .status"), ["Applied"]);
    let events = history_of(&recruiter, &profile).await;
    assert!(
        events
            .iter()
            .any(|e| e.contains(&format!("added them to {reference} at Applied"))),
        "{events:?}"
    );

    // The same address, whatever its case: the same person, left as they
    // were, joining nothing twice.
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Ana C."),
                ("emails", "ANA.COSTA@mail.test"),
                ("source", "agency"),
            ],
        )
        .await;
    res.assert_redirect(&profile);
    assert_eq!(count(&app, "select count(*) from candidates").await, 1);
    let name: String = sqlx::query_scalar("select full_name from candidates")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "Ana Costa");
    let res = recruiter
        .post(
            &format!("{profile}/applications"),
            &[("requirement_id", &reference)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("requirement_id").as_deref(),
        Some(format!("They are in the pipeline of {reference} already.").as_str())
    );

    // Its hiring manager is told, in the bell.
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where user_id = $1 and event = 'candidate.added'",
    )
    .bind(chain.hm_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);

    // An edit is audited and shown in the history, and a stale one says who
    // changed what.
    let edit = recruiter.get(&format!("{profile}/edit")).await;
    let version = edit.attr("input[name=version]", "value").unwrap();
    let fields = |name: &'static str| {
        vec![
            ("full_name", name),
            ("emails", "ana@example.com"),
            ("source", "sourced"),
            ("version", version.as_str()),
        ]
    };
    let res = recruiter.post(&profile, &fields("Ana María Costa")).await;
    res.assert_redirect(&profile);
    let res = recruiter.post(&profile, &fields("Ana Costa Again")).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("Someone else saved this"));
    assert_eq!(
        res.attr("#full_name", "value").as_deref(),
        Some("Ana Costa Again")
    );
    let page = recruiter.get(&profile).await;
    assert_eq!(page.texts("h1"), ["Ana María Costa"]);
    let events = history_of(&recruiter, &profile).await;
    assert!(events[0].contains("edited their details"), "{events:?}");
}

#[tokio::test]
async fn who_sees_candidates_follows_the_roles_and_the_requirement() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let candidate = candidate_of(&app, application).await;
    let profile = format!("/candidates/{candidate}");
    let board = format!("/requirements/{}/board", chain.requirement);

    // Its hiring manager sees the candidate and the board, and may not
    // move them (the handler and the domain both refuse).
    assert_eq!(chain.hm.get(&profile).await.status, StatusCode::OK);
    let page = chain.hm.get(&board).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts(".card-move").is_empty(), "no move form for them");
    let res = move_to(&app, &chain.hm, application, "Screening").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(stage_of(&app, application).await, "Applied");
    assert_eq!(
        chain.hm.get("/candidates").await.texts("tbody th"),
        ["Ana Costa"]
    );

    // Another hiring manager, an interviewer (until they interview them)
    // and a viewer don't.
    let (other_hm, _) = app.signed_in(Role::HiringManager).await;
    let (interviewer, _) = app.signed_in(Role::Interviewer).await;
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    for client in [&other_hm, &interviewer, &viewer] {
        assert_eq!(client.get(&profile).await.status, StatusCode::NOT_FOUND);
    }
    assert!(
        other_hm
            .get("/candidates")
            .await
            .texts("tbody th")
            .is_empty()
    );
    assert!(
        interviewer
            .get("/candidates")
            .await
            .texts("tbody th")
            .is_empty()
    );
    assert_eq!(other_hm.get(&board).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        viewer.get("/candidates").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(viewer.get(&board).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        viewer.get("/candidates.csv").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The "add to a requirement" field suggests, once focused, the open
/// requirements its user recruits for; the profile itself reads none.
#[tokio::test]
async fn a_requirement_field_suggests_the_requirements_one_recruits_for() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, recruiter_id) = recruiting(&app).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let profile = format!("/candidates/{}", candidate_of(&app, application).await);
    let reference: String = sqlx::query_scalar(
        "update requirements set recruiter_id = $1 where id = $2 returning reference",
    )
    .bind(recruiter_id)
    .bind(chain.requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap();

    let page = recruiter.get(&profile).await;
    assert_eq!(
        page.attr("#requirement_id", "hx-get").as_deref(),
        Some("/candidates/requirements")
    );
    assert!(page.texts("#requirement-choices option").is_empty());

    let suggested = recruiter.get_hx("/candidates/requirements").await;
    assert_eq!(suggested.status, StatusCode::OK);
    assert_eq!(suggested.attrs("option", "value"), [reference]);
    let (other, _) = app.signed_in(Role::Recruiter).await;
    let theirs = other.get_hx("/candidates/requirements").await;
    assert!(theirs.attrs("option", "value").is_empty());
    let refused = chain.hm.get_hx("/candidates/requirements").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_profile_reads_its_history_when_it_is_wanted() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let profile = format!("/candidates/{}", candidate_of(&app, application).await);
    let history = format!("{profile}/history");

    // The profile holds no timeline: htmx reads it once the section comes
    // into view, and without JavaScript a link leads to it.
    let page = recruiter.get(&profile).await;
    assert!(page.texts("ol.timeline").is_empty());
    let section = "#history-heading + [hx-get]";
    assert_eq!(page.attr(section, "hx-get"), Some(history.clone()));
    assert_eq!(
        page.attr(section, "hx-trigger").as_deref(),
        Some("revealed")
    );
    assert_eq!(
        page.attr(&format!("{section} a"), "href"),
        Some(history.clone())
    );

    let full = recruiter.get(&history).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.texts("h1"), ["History of Ana Costa"]);
    assert_eq!(full.attr("main a", "href"), Some(profile.clone()));
    let events = full.texts("ol.timeline > li > p");
    assert!(
        events.iter().any(|e| e.contains("added them to")),
        "{events:?}"
    );
    // For htmx, the timeline alone.
    let part = recruiter.get_hx(&history).await;
    assert_eq!(part.status, StatusCode::OK);
    assert!(part.texts("h1").is_empty(), "{}", part.body);
    assert_eq!(part.texts("ol.timeline > li > p"), events);
    // Those who may not see the candidate see no history of them.
    let (other, _) = app.signed_in(Role::Viewer).await;
    assert_eq!(other.get(&history).await.status, StatusCode::NOT_FOUND);
    let missing = format!("/candidates/{}/history", Uuid::new_v4());
    assert_eq!(recruiter.get(&missing).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn moves_keep_a_history_and_a_rejection_can_be_undone() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let profile = format!("/candidates/{}", candidate_of(&app, application).await);

    let res = move_to(&app, &recruiter, application, "Screening").await;
    res.assert_redirect(&format!("/requirements/{}/board", chain.requirement));
    // Three days in screening, as far as time in stage goes.
    sqlx::query(
        "update applications set stage_entered_at = now() - interval '3 days' where id = $1",
    )
    .bind(application)
    .execute(&app.pool)
    .await
    .unwrap();
    let page = recruiter.get(&profile).await;
    assert_eq!(page.texts(".application .time-in-stage"), ["3 d"]);
    let res = move_to(&app, &recruiter, application, "Interview").await;
    res.assert_redirect(&format!("/requirements/{}/board", chain.requirement));
    assert_eq!(stage_of(&app, application).await, "Interview");
    assert_eq!(app.audit_count("application.moved", application).await, 2);
    let page = recruiter.get(&profile).await;
    let history = page.texts(".stage-history li");
    assert_eq!(history.len(), 3, "{history:?}");
    assert!(history[0].contains("Applied"), "{history:?}");
    assert!(history[1].contains("Applied → Screening"), "{history:?}");
    assert!(history[2].contains("Screening → Interview"), "{history:?}");
    // Each line's time in stage runs until the next move: five days ago
    // applied, three days ago screened, interviewing since.
    sqlx::query(
        "update application_stage_changes m set at = now() - make_interval(days => d)
           from (select id, (array[5, 3, 0])[row_number() over (order by id)] as d
                   from application_stage_changes where application_id = $1) o
          where m.id = o.id",
    )
    .bind(application)
    .execute(&app.pool)
    .await
    .unwrap();
    let history = recruiter.get(&profile).await.texts(".stage-history li");
    assert!(history[0].ends_with(", 2 d there"), "{history:?}");
    assert!(history[1].ends_with(", 3 d there"), "{history:?}");
    assert!(history[2].ends_with(", 0 min there"), "{history:?}");
    // The hiring manager hears of each move (not the recruiter, who made it).
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where user_id = $1 and event = 'application.stage_changed'",
    )
    .bind(chain.hm_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(told, 2);

    // Rejected: a reason is required, and beside it a clear message.
    let from = stage_id(&app, "Interview").await.to_string();
    let path = format!("/applications/{application}/rejection");
    let res = recruiter
        .post(&path, &[("from", &from), ("reason_id", ""), ("note", "x")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body.contains("Choose a reason."));
    assert_eq!(stage_of(&app, application).await, "Interview");
    let reason: Uuid = sqlx::query_scalar(
        "select id from rejection_reasons where label = 'Accepted another offer'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let res = recruiter
        .post(
            &path,
            &[
                ("from", &from),
                ("reason_id", &reason.to_string()),
                ("note", "Went to a competitor"),
            ],
        )
        .await;
    res.assert_redirect(&profile);
    // They withdrew: the withdrawn end, not the rejected one.
    assert_eq!(stage_of(&app, application).await, "Withdrawn");
    let page = recruiter.get(&profile).await;
    assert!(
        page.texts(".application p")[0].contains("Accepted another offer"),
        "{:?}",
        page.texts(".application p")
    );
    // Ended, it moves nowhere but back.
    let res = move_to(&app, &recruiter, application, "Offer").await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(stage_of(&app, application).await, "Withdrawn");

    let res = recruiter.post(&format!("{path}/deletion"), &[]).await;
    res.assert_redirect(&profile);
    assert_eq!(stage_of(&app, application).await, "Interview");
    assert_eq!(
        app.audit_count("application.unrejected", application).await,
        1
    );
    let reason_left: Option<Uuid> =
        sqlx::query_scalar("select rejection_reason_id from applications where id = $1")
            .bind(application)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(reason_left, None);
    let events = history_of(&recruiter, &profile).await;
    assert!(
        events[0].contains("un-rejected them, back to Interview"),
        "{events:?}"
    );
    assert!(
        events[1].ends_with("withdrawn: Accepted another offer"),
        "{events:?}"
    );
}

#[tokio::test]
async fn two_moves_at_once_leave_one_consistent_history() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let (other, _) = app.signed_in(Role::Recruiter).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    // Both from Applied, where each saw it.
    let from = stage_id(&app, "Applied").await.to_string();
    let path = format!("/applications/{application}/stage");
    let screening = stage_id(&app, "Screening").await.to_string();
    let interview = stage_id(&app, "Interview").await.to_string();
    let to_screening = [("from", from.as_str()), ("stage_id", &screening)];
    let to_interview = [("from", from.as_str()), ("stage_id", &interview)];
    let (a, b) = tokio::join!(
        recruiter.post(&path, &to_screening),
        other.post(&path, &to_interview),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::SEE_OTHER, StatusCode::CONFLICT]);
    let refused = if a.status == StatusCode::CONFLICT {
        &a
    } else {
        &b
    };
    assert!(
        refused.texts(".flash.error")[0].contains("meanwhile: nothing was changed"),
        "{:?}",
        refused.texts(".flash.error")
    );
    let moves: Vec<(Option<Uuid>, Uuid)> = sqlx::query_as(
        "select from_stage_id, to_stage_id from application_stage_changes where application_id = $1 order by id",
    )
    .bind(application)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert_eq!(moves[1].0, Some(stage_id(&app, "Applied").await));
    let now: Uuid = sqlx::query_scalar("select stage_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(moves[1].1, now, "the history ends where the application is");
}

#[tokio::test]
async fn the_board_counts_each_stage_and_moves_by_its_form() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let board = format!("/requirements/{}/board", chain.requirement);
    let ana = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    candidate_in(&app, &recruiter, chain.requirement, "Ben Dahl").await;
    move_to(&app, &recruiter, ana, "Interview")
        .await
        .assert_redirect(&board);
    let page = recruiter.get(&board).await;
    assert_eq!(
        page.texts(".board-column h2"),
        [
            "Applied 1",
            "Screening 0",
            "Interview 1",
            "Offer 0",
            "Hired 0",
            "Rejected 0",
            "Withdrawn 0"
        ]
    );
    assert_eq!(
        page.texts(".board-column:nth-child(3) .card-item > a"),
        ["Ana Costa"]
    );
    assert_eq!(
        page.texts(".time-in-stage"),
        ["0 min in stage", "0 min in stage"]
    );
    // A card's Move button, as a person without JavaScript sends it: the
    // board's one form, with the button's action and value and the card's
    // own stage list.
    let html = page.html();
    let pick = |css: &str| scraper::Selector::parse(css).unwrap();
    let button = html
        .select(&pick(".board-column:nth-child(1) .card-move button"))
        .next()
        .unwrap();
    assert_eq!(button.value().attr("form"), Some("moves"));
    let action = button.value().attr("formaction").unwrap().to_owned();
    let from = button.value().attr("value").unwrap().to_owned();
    let select = html
        .select(&pick(".board-column:nth-child(1) .card-move select"))
        .next()
        .unwrap();
    let field = select.value().attr("name").unwrap().to_owned();
    assert_eq!(field, format!("to-{}", action.split('/').nth(2).unwrap()));
    let offer = stage_id(&app, "Offer").await.to_string();
    let res = recruiter
        .post(
            &action,
            &[("from", &from), (&field, &offer), ("back", "board")],
        )
        .await;
    res.assert_redirect(&board);
    // The columns alone, as the live update re-reads them.
    let columns = recruiter.get_hx(&format!("{board}?part=columns")).await;
    assert!(!columns.body.contains("<html"));
    assert_eq!(
        columns.texts(".board-column:nth-child(4) .card-item > a"),
        ["Ben Dahl"]
    );
}

#[tokio::test]
async fn candidates_are_found_by_their_words_and_exported() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    for (name, email, tags) in [
        ("Ana Costa", "ana@example.com", "rust, postgres"),
        ("Ben Dahl", "ben@example.com", "java"),
        ("Cleo Rust", "cleo@example.com", ""),
    ] {
        let res = recruiter
            .post(
                "/candidates",
                &[
                    ("full_name", name),
                    ("emails", email),
                    ("source", "sourced"),
                    ("tags", tags),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Dana Eze"),
                ("emails", "dana@example.com\ndana.eze@work.test"),
                ("phone", "+44 20 7946 0958"),
                ("source", "sourced"),
                ("skills", "kotlin, fortran"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    // A new candidate's words are written with them: what recomputing
    // them gives.
    let differ: i64 = sqlx::query_scalar(
        "select count(*) from candidates where search is distinct from candidate_search(id)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(differ, 0);
    for q in ["dana.eze%40work.test", "442079460958", "fortran", "eze"] {
        let found = recruiter.get(&format!("/candidates?q={q}")).await;
        assert_eq!(found.texts("tbody th"), ["Dana Eze"], "{q}");
    }
    let ben: Uuid = sqlx::query_scalar("select id from candidates where full_name = 'Ben Dahl'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    recruiter
        .post(
            &format!("/candidates/{ben}/applications"),
            &[("requirement_id", &chain.requirement.to_string())],
        )
        .await
        .assert_redirect(&format!("/candidates/{ben}"));

    let names = |page: &crate::harness::Page| page.texts("tbody th");
    let page = recruiter.get("/candidates?q=rust").await;
    assert_eq!(names(&page), ["Cleo Rust", "Ana Costa"]);
    assert_eq!(page.texts("tbody mark"), ["Rust", "rust"]);
    assert_eq!(
        names(&recruiter.get("/candidates?q=ben%40example.com").await),
        ["Ben Dahl"]
    );
    assert_eq!(
        names(&recruiter.get("/candidates?tag=java").await),
        ["Ben Dahl"]
    );
    assert_eq!(
        names(&recruiter.get("/candidates?stage=Applied").await),
        ["Ben Dahl"]
    );
    assert_eq!(
        names(
            &recruiter
                .get(&format!("/candidates?requirement={}", chain.requirement))
                .await
        ),
        ["Ben Dahl"]
    );
    assert!(names(&recruiter.get("/candidates?q=%00%27%22").await).is_empty());

    let csv = recruiter.get("/candidates.csv?q=rust").await;
    assert_eq!(csv.status, StatusCode::OK);
    let mut reader = csv::Reader::from_reader(csv.body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[1][0], "Ana Costa");
    assert_eq!(&rows[1][1], "ana@example.com");
    assert_eq!(&rows[1][4], "rust, postgres");
}

#[tokio::test]
async fn the_candidate_list_and_a_search_page_through_every_match_once() {
    let app = TestApp::spawn().await;
    let (_, recruiter, _) = recruiting(&app).await;
    // 27 who match, and one who does not, newest last.
    for n in 1..=28 {
        let (name, email) = (format!("Person {n:02}"), format!("person{n}@example.com"));
        let tags = if n == 28 { "cobol" } else { "kotlin" };
        let form = [
            ("full_name", name.as_str()),
            ("emails", email.as_str()),
            ("source", "sourced"),
            ("tags", tags),
        ];
        let res = recruiter.post("/candidates", &form).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    }
    let walk = async |first: &str| -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(url) = next {
            let page = recruiter.get(&url).await;
            assert_eq!(page.status, StatusCode::OK);
            pages.push(page.texts("tbody th"));
            next = page.attr("nav.pagination a[rel=next]", "href");
            assert!(pages.len() <= 3, "the pages never end");
        }
        pages
    };
    let newest_first = |from: u32, to: u32| -> Vec<String> {
        (from..=to)
            .rev()
            .map(|n| format!("Person {n:02}"))
            .collect()
    };
    // Searching, the matches come from the text index, newest first.
    let found = walk("/candidates?q=kotlin").await;
    assert_eq!(found, [newest_first(3, 27), newest_first(1, 2)]);
    // Listing, every candidate, in the same order.
    let all = walk("/candidates").await;
    assert_eq!(all, [newest_first(4, 28), newest_first(1, 3)]);
}

#[tokio::test]
async fn a_bulk_change_applies_to_every_card_chosen_or_to_none() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let board = format!("/requirements/{}/board", chain.requirement);
    let ana = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let ben = candidate_in(&app, &recruiter, chain.requirement, "Ben Dahl").await;
    let applied = stage_id(&app, "Applied").await;
    let chosen = |a: Uuid| format!("{a}:{applied}");

    let res = recruiter
        .post(
            &board,
            &[
                ("chosen", &chosen(ana)),
                ("chosen", &chosen(ben)),
                ("action", "tag"),
                ("tag", "Shortlist"),
            ],
        )
        .await;
    res.assert_redirect(&board);
    let tags: Vec<Vec<String>> =
        sqlx::query_scalar("select tags from candidates order by full_name")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        tags,
        [vec!["Shortlist".to_owned()], vec!["Shortlist".to_owned()]]
    );

    // Ben moved meanwhile: the whole change is refused, saying so, and Ana
    // stays where she was.
    move_to(&app, &recruiter, ben, "Screening")
        .await
        .assert_redirect(&board);
    let interview = stage_id(&app, "Interview").await.to_string();
    let res = recruiter
        .post(
            &board,
            &[
                ("chosen", &chosen(ana)),
                ("chosen", &chosen(ben)),
                ("action", "move"),
                ("stage_id", &interview),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.texts(".flash.error")[0].contains("moved Ben Dahl to Screening meanwhile"));
    assert_eq!(stage_of(&app, ana).await, "Applied");
    assert_eq!(stage_of(&app, ben).await, "Screening");

    // Nothing chosen, or no reason to reject with: said, nothing done.
    let res = recruiter
        .post(&board, &[("action", "move"), ("stage_id", &interview)])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(
        res.texts(".flash.error"),
        ["Choose at least one candidate first."]
    );
    let res = recruiter
        .post(
            &board,
            &[
                ("chosen", &chosen(ana)),
                ("action", "reject"),
                ("reason_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.texts(".flash.error"), ["Choose a reason."]);
    assert_eq!(stage_of(&app, ana).await, "Applied");

    // The requirement's candidate list chooses rows for the same form, and
    // comes back to the list as it was filtered.
    let list = format!(
        "/candidates?requirement={}&stage=Applied",
        chain.requirement
    );
    let page = recruiter.get(&list).await;
    assert_eq!(page.attr("#bulk", "action"), Some(board.clone()));
    let rows = page.texts("tbody th a");
    assert_eq!(rows, ["Ana Costa"]);
    let value = page.attr("tbody input[name=chosen]", "value").unwrap();
    assert_eq!(value, chosen(ana));
    let back = page.attr("#bulk input[name=list]", "value").unwrap();
    let res = recruiter
        .post(
            &board,
            &[
                ("chosen", value.as_str()),
                ("action", "tag"),
                ("tag", "From the list"),
                ("list", &back),
            ],
        )
        .await;
    let to = res.location().to_owned();
    assert!(to.starts_with("/candidates?"), "{to}");
    assert!(
        to.contains(&format!("requirement={}", chain.requirement)),
        "{to}"
    );
    assert!(to.contains("stage=Applied"), "{to}");
    assert_eq!(
        recruiter.get(&to).await.texts("tbody .tag"),
        ["HH-2026-0001 (Applied)", "Shortlist", "From the list"]
    );
    // A list not of a requirement they manage has no such form.
    assert!(
        recruiter
            .get("/candidates")
            .await
            .attr("#bulk", "action")
            .is_none()
    );
    let hm_list = chain.hm.get(&list).await;
    assert_eq!(hm_list.texts("tbody th a"), ["Ana Costa"]);
    assert!(hm_list.attr("#bulk", "action").is_none());
    assert!(hm_list.texts("tbody input[name=chosen]").is_empty());

    // The hiring manager sees the board and may change nothing on it.
    let res = chain
        .hm
        .post(
            &board,
            &[("chosen", &chosen(ana)), ("action", "tag"), ("tag", "x")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn possible_duplicates_show_on_both_profiles_with_the_reason() {
    let app = TestApp::spawn().await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let add = async |name: &str, email: &str, phone: &str| -> String {
        let res = recruiter
            .post(
                "/candidates",
                &[
                    ("full_name", name),
                    ("emails", email),
                    ("phone", phone),
                    ("source", "sourced"),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        res.location().to_owned()
    };
    let ana = add("Ana Costa", "ana@example.com", "+44 20 7946 0958").await;
    let anna = add("Anna K.", "anna.k@mail.test", "020 7946 0958").await;
    let ben = add("Ben Dahl", "ben.dahl@work.test", "").await;
    let ben2 = add("ben dahl", "bendahl+jobs@mail.test", "").await;
    let cleo = add("Cleo Marsh", "cleo@example.com", "+351 912 345 678").await;
    let said = async |profile: &str| recruiter.get(profile).await.texts("#duplicates li");
    assert_eq!(
        said(&ana).await,
        ["Anna K.: the same phone number · Compare and merge"]
    );
    assert_eq!(
        said(&anna).await,
        ["Ana Costa: the same phone number · Compare and merge"]
    );
    assert_eq!(
        said(&ben).await,
        ["ben dahl: the same name and a similar email address · Compare and merge"]
    );
    assert_eq!(
        said(&ben2).await,
        ["Ben Dahl: the same name and a similar email address · Compare and merge"]
    );
    assert!(said(&cleo).await.is_empty());
}

#[tokio::test]
async fn a_candidates_thread_tells_those_mentioned_who_may_see_them() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let profile = format!("/candidates/{}", candidate_of(&app, application).await);
    let (_, viewer) = app.signed_in(Role::Viewer).await;
    let handle = async |id: Uuid| -> String {
        sqlx::query_scalar("select handle from users where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    let (hm, seer) = (handle(chain.hm_id).await, handle(viewer).await);
    let body = format!("Strong on Rust. @{hm} @{seer} what do you think?");
    let res = recruiter
        .post(&format!("{profile}/comments"), &[("body", &body)])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert!(res.location().starts_with(&format!("{profile}#comment-")));
    let page = chain.hm.get(&profile).await;
    assert!(page.texts("#comments .comment .prose")[0].contains("Strong on Rust."));
    // The hiring manager (who sees the candidate) is told; the viewer (who
    // does not) is not.
    let told = async |user: Uuid| -> i64 {
        sqlx::query_scalar(
            "select count(*) from notifications where user_id = $1 and event = 'mention'",
        )
        .bind(user)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    assert_eq!(told(chain.hm_id).await, 1);
    assert_eq!(told(viewer).await, 0);
    let link: String = sqlx::query_scalar(
        "select link from notifications where user_id = $1 and event = 'mention'",
    )
    .bind(chain.hm_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(link, format!("{profile}#comments"));
    // Suggestions name only those who may see the candidate.
    let id = profile.trim_start_matches("/candidates/");
    let suggested = recruiter
        .get_hx(&format!("/mentions?candidate={id}&q=test"))
        .await
        .texts(".mention-option .handle");
    assert!(suggested.contains(&format!("@{hm}")), "{suggested:?}");
    assert!(!suggested.contains(&format!("@{seer}")), "{suggested:?}");
    // The hiring manager comments too; a viewer may not (nor see them).
    let res = chain
        .hm
        .post(
            &format!("{profile}/comments"),
            &[("body", "Let's meet her.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn admins_keep_the_stages_and_the_reasons() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let ana = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    let board = format!("/requirements/{}/board", chain.requirement);
    // The profile's move form offers the pipeline's stages (the template's
    // come from each process's cache: a change must reach it).
    let profile = format!("/candidates/{}", candidate_of(&app, ana).await);
    let moves_offered = async || {
        recruiter
            .get(&profile)
            .await
            .texts(&format!("#stage-{ana} option"))
    };
    assert_eq!(
        moves_offered().await,
        ["Applied", "Screening", "Interview", "Offer", "Hired"]
    );

    let res = admin
        .post("/admin/pipeline/stages", &[("name", "Take-home task")])
        .await;
    res.assert_redirect("/admin/pipeline");
    assert_eq!(
        moves_offered().await,
        [
            "Applied",
            "Screening",
            "Interview",
            "Offer",
            "Take-home task",
            "Hired"
        ]
    );
    // So does the list's filter by stage (its names are cached likewise).
    let filtered_by = async || recruiter.get("/candidates").await.texts("#stage option");
    assert!(filtered_by().await.contains(&"Take-home task".to_owned()));
    let res = admin
        .post("/admin/pipeline/stages", &[("name", "take-home TASK")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.texts(".error"),
        ["The pipeline has a stage of that name."]
    );
    assert_eq!(
        res.attr("#new-stage-name", "value").as_deref(),
        Some("take-home TASK"),
        "input kept"
    );
    let columns = recruiter.get(&board).await.texts(".board-column h2");
    assert_eq!(
        columns,
        [
            "Applied 1",
            "Screening 0",
            "Interview 0",
            "Offer 0",
            "Take-home task 0",
            "Hired 0",
            "Rejected 0",
            "Withdrawn 0"
        ]
    );
    // A stage with candidates in it stays; an empty one goes.
    let applied = stage_id(&app, "Applied").await;
    let res = admin
        .post(&format!("/admin/pipeline/stages/{applied}/archive"), &[])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.texts(".flash.error")[0].contains("1 candidate(s) are at Applied"));
    let task = stage_id(&app, "Take-home task").await;
    let res = admin
        .post(
            &format!("/admin/pipeline/stages/{task}"),
            &[("name", "Case study")],
        )
        .await;
    res.assert_redirect("/admin/pipeline");
    assert!(filtered_by().await.contains(&"Case study".to_owned()));
    let res = admin
        .post(&format!("/admin/pipeline/stages/{task}/archive"), &[])
        .await;
    res.assert_redirect("/admin/pipeline");
    assert_eq!(
        recruiter.get(&board).await.texts(".board-column h2").len(),
        7
    );
    assert_eq!(
        moves_offered().await,
        ["Applied", "Screening", "Interview", "Offer", "Hired"]
    );
    assert!(!filtered_by().await.contains(&"Case study".to_owned()));
    assert_eq!(app.audit_count("pipeline.stage_renamed", task).await, 1);

    // A reason added is offered; one archived is not, and the applications
    // that ended with it keep it.
    let res = admin
        .post(
            "/admin/pipeline/reasons",
            &[("name", "Failed the case study"), ("side", "we_rejected")],
        )
        .await;
    res.assert_redirect("/admin/pipeline");
    let reason: Uuid = sqlx::query_scalar(
        "select id from rejection_reasons where label = 'Failed the case study'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let offered = |page: &crate::harness::Page| page.texts("#bulk-reason option");
    assert!(
        offered(&recruiter.get(&board).await)
            .contains(&"We rejected them: Failed the case study".to_owned())
    );
    let path = format!("/applications/{ana}/rejection");
    recruiter
        .post(
            &path,
            &[
                ("from", &applied.to_string()),
                ("reason_id", &reason.to_string()),
            ],
        )
        .await;
    admin
        .post(&format!("/admin/pipeline/reasons/{reason}/archive"), &[])
        .await
        .assert_redirect("/admin/pipeline");
    assert!(
        !offered(&recruiter.get(&board).await)
            .contains(&"We rejected them: Failed the case study".to_owned())
    );
    let profile = format!("/candidates/{}", candidate_of(&app, ana).await);
    assert!(
        recruiter.get(&profile).await.texts(".application p")[0].contains("Failed the case study")
    );
    // Not for recruiters.
    assert_eq!(
        recruiter.get("/admin/pipeline").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_requirement_takes_a_pipeline_of_its_own() {
    let app = TestApp::spawn().await;
    let (chain, recruiter, _) = recruiting(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let ana = candidate_in(&app, &recruiter, chain.requirement, "Ana Costa").await;
    move_to(&app, &recruiter, ana, "Screening").await;
    let own = format!("/requirements/{}/pipeline", chain.requirement);
    let board = format!("/requirements/{}/board", chain.requirement);
    let columns = async || recruiter.get(&board).await.texts(".board-column h2");

    // On the template, nothing changes here until it takes a copy.
    let page = recruiter.get(&own).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts(".config-list input").is_empty());
    let res = recruiter
        .post(&format!("{own}/stages"), &[("name", "Take-home")])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body.contains("give it a pipeline of its own first"));
    recruiter.post(&own, &[]).await.assert_redirect(&own);
    assert_eq!(recruiter.post(&own, &[]).await.status, StatusCode::CONFLICT);
    assert_eq!(
        app.audit_count("pipeline.copied", chain.requirement).await,
        1
    );

    // Its candidates keep their stages, now its own.
    let at: (String, Option<Uuid>) = sqlx::query_as(
        "select s.name, s.requirement_id from applications a join pipeline_stages s on s.id = a.stage_id
          where a.id = $1",
    )
    .bind(ana)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(at, ("Screening".to_owned(), Some(chain.requirement)));
    let screening: Uuid = sqlx::query_scalar(
        "select id from pipeline_stages where requirement_id = $1 and name = 'Screening'",
    )
    .bind(chain.requirement)
    .fetch_one(&app.pool)
    .await
    .unwrap();

    // Its changes stay here; the template's no longer reach it.
    recruiter
        .post(&format!("{own}/stages"), &[("name", "Take-home")])
        .await
        .assert_redirect(&own);
    recruiter
        .post(
            &format!("{own}/stages/{screening}"),
            &[("name", "Phone screen")],
        )
        .await
        .assert_redirect(&own);
    let res = recruiter
        .post(&format!("{own}/stages/{screening}/archive"), &[])
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    admin
        .post(
            &format!(
                "/admin/pipeline/stages/{}",
                stage_id(&app, "Interview").await
            ),
            &[("name", "Interviews")],
        )
        .await
        .assert_redirect("/admin/pipeline");
    assert_eq!(
        columns().await,
        [
            "Applied 0",
            "Phone screen 1",
            "Interview 0",
            "Offer 0",
            "Take-home 0",
            "Hired 0",
            "Rejected 0",
            "Withdrawn 0"
        ]
    );
    let template = admin.get("/admin/pipeline").await;
    assert!(template.body.contains("value=\"Screening\""));
    assert!(!template.body.contains("Take-home"));
    // A template stage is not one of its own.
    let other = stage_id(&app, "Offer").await;
    let res = recruiter
        .post(&format!("{own}/stages/{other}"), &[("name", "Offer!")])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // Those who do not manage candidates may not.
    assert_eq!(chain.hm.get(&own).await.status, StatusCode::FORBIDDEN);
}
