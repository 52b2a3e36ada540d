//! Interviews: scheduling a panel (conflicts warned of), the invitations
//! every change mails (read back by a real iCalendar parser and a real MIME
//! parser), each person's feed, blind scorecards, reminders, replies.

use crate::harness::fixtures::{Chain, candidate_in, opened, signed_in_as};
use crate::harness::{Client, PASSWORD, TestApp};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::interviewing::reminders;
use hiring_hare::mail::MailRenderer;
use icalendar::parser::{Component, read_calendar, unfold};
use reqwest::StatusCode;
use uuid::Uuid;

/// A requirement open for recruiting, its recruiter, a candidate in its
/// pipeline and two interviewers (Ines in Lisbon, Paul in New York).
struct Setup {
    chain: Chain,
    recruiter: Client,
    recruiter_id: Uuid,
    application: Uuid,
    ines: Uuid,
    paul: Uuid,
}

async fn setup(app: &TestApp) -> Setup {
    let chain = opened(app).await;
    let (recruiter, recruiter_id) = app.signed_in(Role::Recruiter).await;
    sqlx::query("update requirements set recruiter_id = $2 where id = $1")
        .bind(chain.requirement)
        .bind(recruiter_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let application = candidate_in(app, &recruiter, chain.requirement, "Ana Costa").await;
    let ines = app
        .user("ines@example.com", "Ines Interviewer", &[Role::Interviewer])
        .await;
    let paul = app
        .user("paul@example.com", "Paul Panel", &[Role::Interviewer])
        .await;
    for (id, zone) in [(ines, "Europe/Lisbon"), (paul, "America/New_York")] {
        sqlx::query("update users set time_zone = $2 where id = $1")
            .bind(id)
            .bind(zone)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    Setup {
        chain,
        recruiter,
        recruiter_id,
        application,
        ines,
        paul,
    }
}

async fn first_round(app: &TestApp) -> Uuid {
    sqlx::query_scalar(
        "select id from interview_rounds where requirement_id is null order by position limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Schedules (or, with `interview`, changes) an interview by the form;
/// the answer.
#[allow(clippy::too_many_arguments)]
async fn post_schedule(
    app: &TestApp,
    client: &Client,
    application: Uuid,
    interview: Option<(Uuid, i32)>,
    date: &str,
    start: &str,
    panel: &[Uuid],
    extra: &[(&str, &str)],
) -> crate::harness::Page {
    let round = first_round(app).await.to_string();
    let panel: Vec<String> = panel.iter().map(Uuid::to_string).collect();
    let version = interview.map(|(_, v)| v.to_string()).unwrap_or_default();
    let mut form: Vec<(&str, &str)> = vec![
        ("round_id", &round),
        ("kind", "video"),
        ("date", date),
        ("start", start),
        ("minutes", "60"),
        ("time_zone", "Europe/Warsaw"),
        ("location", "https://meet.example.com/abc"),
        ("notes", "Ask about the migration project."),
        ("version", &version),
    ];
    form.extend(panel.iter().map(|p| ("panel", p.as_str())));
    form.extend_from_slice(extra);
    let path = match interview {
        Some((id, _)) => format!("/interviews/{id}"),
        None => format!("/applications/{application}/interviews"),
    };
    client.post(&path, &form).await
}

fn created_id(res: &crate::harness::Page) -> Uuid {
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location()
        .strip_prefix("/interviews/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("not an interview: {}", res.location()))
}

/// The calendar objects queued to `to`, oldest first: (method column,
/// subject, body text, iCalendar text).
async fn invitations(app: &TestApp, to: &str) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "select calendar_method, subject, body_text, calendar from outbox
          where to_address = $1 and calendar is not null order by created_at, id",
    )
    .bind(to)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

/// The first VEVENT of an iCalendar text as a real parser reads it, with
/// the calendar's METHOD.
fn event(ics: &str) -> (String, Component<'static>) {
    let unfolded = unfold(ics);
    let cal = read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}\n{ics}"));
    let method = cal
        .properties
        .iter()
        .find(|p| p.name == "METHOD")
        .map(|p| p.val.to_string())
        .unwrap_or_default();
    let cal = read_calendar(Box::leak(unfolded.into_boxed_str())).unwrap();
    let event = cal
        .components
        .into_iter()
        .find(|c| c.name == "VEVENT")
        .expect("a VEVENT");
    (method, event)
}

fn prop(e: &Component<'_>, name: &str) -> Option<String> {
    e.properties
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.val.to_string())
}

fn attendees(e: &Component<'_>) -> Vec<String> {
    let mut all: Vec<String> =
        e.properties
            .iter()
            .filter(|p| p.name == "ATTENDEE")
            .map(|p| {
                let rsvp = p.params.iter().any(|q| {
                    q.key == "RSVP" && q.val.as_ref().is_some_and(|v| v.as_str() == "TRUE")
                });
                assert!(rsvp, "every attendee is asked to answer: {p:?}");
                p.val.to_string().to_lowercase()
            })
            .collect();
    all.sort();
    all
}

#[tokio::test]
async fn a_panel_and_the_candidate_get_invitations_that_follow_every_change() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;

    // The form offers the plan's rounds and the people who interview.
    let form = s
        .recruiter
        .get(&format!("/applications/{}/interviews/new", s.application))
        .await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.text("#round_id").contains("Phone screen"));
    assert!(form.text("fieldset").contains("Ines Interviewer"));

    // Monday 29 March 2027, 10:00 in Warsaw: the day after the clocks went
    // forward, so 08:00 UTC.
    let res = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-03-29",
        "10:00",
        &[s.ines, s.paul],
        &[],
    )
    .await;
    let id = created_id(&res);
    let page = s.recruiter.get(&format!("/interviews/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text("dl.meta").contains("Ines Interviewer"),
        "{}",
        page.text("dl.meta")
    );

    let uid = format!("{id}@hiringhare");
    let everyone = [
        "ana.costa@example.com",
        "ines@example.com",
        "paul@example.com",
    ];
    for to in everyone {
        let sent = invitations(&app, to).await;
        assert_eq!(sent.len(), 1, "one invitation to {to}");
        let (column, subject, text, ics) = &sent[0];
        assert_eq!(column, "REQUEST");
        assert!(subject.starts_with("Invitation: "), "{subject}");
        let (method, e) = event(ics);
        assert_eq!(method, "REQUEST");
        assert_eq!(prop(&e, "UID").as_deref(), Some(uid.as_str()));
        assert_eq!(prop(&e, "SEQUENCE").as_deref(), Some("0"));
        assert_eq!(prop(&e, "DTSTART").as_deref(), Some("20270329T080000Z"));
        assert_eq!(prop(&e, "DTEND").as_deref(), Some("20270329T090000Z"));
        assert_eq!(prop(&e, "STATUS").as_deref(), Some("CONFIRMED"));
        assert_eq!(
            prop(&e, "ORGANIZER").as_deref(),
            Some("mailto:interviews@hiringhare.test")
        );
        assert_eq!(
            attendees(&e),
            everyone.map(|a| format!("mailto:{a}")).to_vec()
        );
        // The panel's notes and kit are theirs: never in the candidate's copy.
        let panel_copy = to != "ana.costa@example.com";
        let description = prop(&e, "DESCRIPTION").unwrap_or_default();
        assert_eq!(
            description.contains("migration project"),
            panel_copy,
            "{description}"
        );
        assert_eq!(text.contains("migration project"), panel_copy, "{text}");
        assert_eq!(
            description.contains(&format!("/interviews/{id}")),
            panel_copy
        );
    }
    // Each person reads the time in their own zone.
    let (_, _, ines_text, _) = &invitations(&app, "ines@example.com").await[0];
    assert!(
        ines_text.contains("09:00–10:00 (Europe/Lisbon)"),
        "{ines_text}"
    );
    let (_, _, paul_text, _) = &invitations(&app, "paul@example.com").await[0];
    assert!(
        paul_text.contains("04:00–05:00 (America/New_York)"),
        "{paul_text}"
    );

    // Moved to Friday 26 March, before the clocks change (09:00 UTC), and
    // Paul taken off the panel: Paul gets a cancellation, the others the
    // same event with a higher SEQUENCE.
    let res = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        Some((id, 1)),
        "2027-03-26",
        "10:00",
        &[s.ines],
        &[],
    )
    .await;
    assert_eq!(created_id(&res), id);
    for to in ["ana.costa@example.com", "ines@example.com"] {
        let sent = invitations(&app, to).await;
        assert_eq!(sent.len(), 2, "{to}");
        assert!(
            sent[1].1.starts_with("Updated invitation: "),
            "{}",
            sent[1].1
        );
        let (method, e) = event(&sent[1].3);
        assert_eq!(method, "REQUEST");
        assert_eq!(prop(&e, "UID").as_deref(), Some(uid.as_str()));
        assert_eq!(prop(&e, "SEQUENCE").as_deref(), Some("1"));
        assert_eq!(prop(&e, "DTSTART").as_deref(), Some("20270326T090000Z"));
    }
    let paul = invitations(&app, "paul@example.com").await;
    assert_eq!(paul.len(), 2);
    let (method, e) = event(&paul[1].3);
    assert_eq!((method.as_str(), paul[1].0.as_str()), ("CANCEL", "CANCEL"));
    assert_eq!(prop(&e, "UID").as_deref(), Some(uid.as_str()));
    assert_eq!(prop(&e, "STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(prop(&e, "SEQUENCE").as_deref(), Some("1"));

    // A stale change says who changed what, and changes nothing.
    let stale = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        Some((id, 1)),
        "2027-04-02",
        "10:00",
        &[s.ines],
        &[],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(
        stale
            .text(".flash.error")
            .contains("Someone else saved this")
    );

    // Cancelled: everyone still invited gets the CANCEL of the same event.
    let res = s
        .recruiter
        .post(
            &format!("/interviews/{id}/cancellation"),
            &[("reason", "Role paused")],
        )
        .await;
    res.assert_redirect(&format!("/interviews/{id}"));
    for to in ["ana.costa@example.com", "ines@example.com"] {
        let sent = invitations(&app, to).await;
        assert_eq!(sent.len(), 3, "{to}");
        assert!(sent[2].1.starts_with("Cancelled: "));
        let (method, e) = event(&sent[2].3);
        assert_eq!(method, "CANCEL");
        assert_eq!(prop(&e, "UID").as_deref(), Some(uid.as_str()));
        assert_eq!(prop(&e, "SEQUENCE").as_deref(), Some("2"));
        assert_eq!(prop(&e, "STATUS").as_deref(), Some("CANCELLED"));
    }
    assert_eq!(invitations(&app, "paul@example.com").await.len(), 2);
    // And the history of the candidate tells it all, without the notes.
    assert_eq!(app.audit_count("interview.scheduled", id).await, 1);
    assert_eq!(app.audit_count("interview.changed", id).await, 1);
    assert_eq!(app.audit_count("interview.cancelled", id).await, 1);
    let logged: i64 = sqlx::query_scalar(
        "select count(*) from audit_logs where changes::text like '%migration project%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        logged, 0,
        "notes about the candidate are not kept in the log"
    );
}

#[tokio::test]
async fn an_invitation_is_sent_as_a_calendar_message_with_the_ics_attached() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let s = setup(&app).await;
    let res = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-05-04",
        "14:30",
        &[s.ines],
        &[],
    )
    .await;
    created_id(&res);
    let id: Uuid =
        sqlx::query_scalar("select id from outbox where to_address = 'ines@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let file = app.data_dir.path().join("mail").join(format!("{id}.eml"));
    let mut bytes = None;
    for _ in 0..200 {
        if let Ok(b) = std::fs::read(&file) {
            bytes = Some(b);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let bytes = bytes.expect("the invitation was delivered");
    let message = mail_parser::MessageParser::default()
        .parse(&bytes[..])
        .expect("a MIME message");
    use mail_parser::MimeHeaders as _;
    let types: Vec<String> = message
        .parts
        .iter()
        .map(|p| {
            let ct = p.content_type().unwrap();
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
            "application/ics"
        ],
        "the parts, in order"
    );
    let calendar = &message.parts[4];
    assert_eq!(
        calendar.content_type().unwrap().attribute("method"),
        Some("REQUEST")
    );
    let attachment = &message.parts[5];
    assert_eq!(attachment.attachment_name(), Some("invite.ics"));
    // Both hold the same object, with links to this server.
    let ics = String::from_utf8_lossy(calendar.contents()).into_owned();
    assert_eq!(ics, String::from_utf8_lossy(attachment.contents()));
    let (method, e) = event(&ics);
    assert_eq!(method, "REQUEST");
    assert_eq!(
        prop(&e, "URL"),
        Some(app.url(&format!(
            "/interviews/{}",
            prop(&e, "UID").unwrap().trim_end_matches("@hiringhare")
        )))
    );
}

#[tokio::test]
async fn scheduling_warns_of_a_busy_or_overbooked_panel_and_schedules_when_confirmed() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let first = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-06-07",
        "10:00",
        &[s.ines],
        &[],
    )
    .await;
    created_id(&first);
    let other = candidate_in(&app, &s.recruiter, s.chain.requirement, "Ben Dahl").await;

    // Ines is busy 10:00–11:00 Warsaw time: 10:30 overlaps. Paul is free.
    let warned = post_schedule(
        &app,
        &s.recruiter,
        other,
        None,
        "2027-06-07",
        "10:30",
        &[s.ines, s.paul],
        &[],
    )
    .await;
    assert_eq!(warned.status, StatusCode::OK, "{}", warned.body);
    let conflicts = warned.text("#conflicts");
    assert!(conflicts.contains("Ines Interviewer"), "{conflicts}");
    assert!(conflicts.contains("already in Phone screen"), "{conflicts}");
    assert!(!conflicts.contains("Paul Panel"), "{conflicts}");
    // Nothing was scheduled, the input is kept, and "schedule anyway" offered.
    let count = async || -> i64 {
        sqlx::query_scalar("select count(*) from interviews")
            .fetch_one(&app.pool)
            .await
            .unwrap()
    };
    assert_eq!(count().await, 1);
    assert_eq!(warned.attr("#start", "value").as_deref(), Some("10:30"));
    assert!(
        warned
            .html()
            .select(&scraper::Selector::parse("input[name=confirmed]").unwrap())
            .next()
            .is_some()
    );

    // Paul takes one interview a week (set on his profile): a second that
    // week is over it.
    let paul = signed_in_as(&app, "paul@example.com").await;
    let res = paul
        .post("/profile/calendar", &[("weekly_interview_limit", "1")])
        .await;
    res.assert_redirect("/profile");
    let bad = paul
        .post("/profile/calendar", &[("weekly_interview_limit", "lots")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.field_error("weekly_interview_limit").is_some());
    let res = post_schedule(
        &app,
        &s.recruiter,
        other,
        None,
        "2027-06-08",
        "15:00",
        &[s.paul],
        &[("confirmed", "on")],
    )
    .await;
    created_id(&res);
    let warned = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-06-10",
        "09:00",
        &[s.paul],
        &[],
    )
    .await;
    let conflicts = warned.text("#conflicts");
    assert!(conflicts.contains("Paul Panel"), "{conflicts}");
    assert!(
        conflicts.contains("2 interviews that week with this one, over their limit of 1"),
        "{conflicts}"
    );

    // Confirmed, it is scheduled despite the warning.
    let res = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-06-10",
        "09:00",
        &[s.paul],
        &[("confirmed", "on")],
    )
    .await;
    created_id(&res);
    assert_eq!(count().await, 3);

    // A time the clocks skip (02:30 on 28 March 2027 in Warsaw) is refused
    // beside the field, and so is a panel of nobody.
    let res = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-03-28",
        "02:30",
        &[],
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("start").unwrap().contains("clocks change"));
    assert!(res.field_error("panel").is_some());
}

/// Sends `who`'s scorecard for interview `id`: strong yes or strong no on
/// each attribute.
async fn score(
    client: &Client,
    id: Uuid,
    keen: bool,
    version: i32,
    private: &str,
) -> crate::harness::Page {
    let (rating, recommendation) = if keen {
        ("4", "strong_yes")
    } else {
        ("1", "strong_no")
    };
    let version = version.to_string();
    client
        .post(
            &format!("/interviews/{id}/scorecard"),
            &[
                ("rating-0", rating),
                ("note-0", "Clear and direct."),
                ("rating-1", rating),
                ("rating-2", ""),
                ("recommendation", recommendation),
                ("takeaways", "Knows the domain."),
                ("private_notes", private),
                ("version", &version),
            ],
        )
        .await
}

#[tokio::test]
async fn scorecards_are_blind_until_ones_own_is_in_and_the_hiring_team_reads_them_all() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let res = post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        "2027-06-07",
        "10:00",
        &[s.ines, s.paul],
        &[],
    )
    .await;
    let id = created_id(&res);
    let page_of = format!("/interviews/{id}");
    let ines = signed_in_as(&app, "ines@example.com").await;
    let paul = signed_in_as(&app, "paul@example.com").await;
    let (outsider, _) = app.signed_in(Role::Interviewer).await;

    // The kit: the candidate, the round's focus and questions, the form.
    let kit = ines.get(&page_of).await;
    assert_eq!(kit.status, StatusCode::OK, "{}", kit.body);
    assert!(kit.text("#focus-heading + p").contains("Communication"));
    assert!(kit.text("ol").contains("What drew you to this role?"));
    assert!(kit.text("p.pre-line").contains("migration project"));
    assert!(kit.texts("#scorecard form").len() == 1);
    // An interviewer not on the panel does not know it exists.
    assert_eq!(outsider.get(&page_of).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        score(&outsider, id, true, 0, "").await.status,
        StatusCode::NOT_FOUND
    );
    // The candidate's profile is open to the panel, not to others.
    let candidate: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(s.application)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        ines.get(&format!("/candidates/{candidate}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        outsider
            .get(&format!("/candidates/{candidate}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A scorecard without a recommendation is sent back, input kept.
    let res = ines
        .post(
            &format!("/interviews/{id}/scorecard"),
            &[("rating-0", "3"), ("takeaways", "Kept"), ("version", "0")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.field_error("recommendation").is_some());
    assert_eq!(res.text("#takeaways"), "Kept");

    // Ines sends hers: she reads it; Paul sees nothing of it yet.
    score(&ines, id, true, 0, "Ines's private note")
        .await
        .assert_redirect(&page_of);
    let mine = ines.get(&page_of).await;
    assert!(
        mine.text("article.scorecard")
            .contains("Ines Interviewer: Strong yes")
    );
    let blind = paul.get(&page_of).await;
    assert!(
        blind.texts("article.scorecard").is_empty(),
        "{:?}",
        blind.texts("article.scorecard")
    );
    assert!(!blind.body.contains("Strong yes:"));
    assert!(!blind.body.contains("Panel summary"));

    // Paul sends his: now he reads Ines's, but not her private notes, and
    // the summary shows where they disagree.
    score(&paul, id, false, 0, "Paul's private note")
        .await
        .assert_redirect(&page_of);
    let open = paul.get(&page_of).await;
    let cards = open.text("article.scorecard");
    assert!(cards.contains("Ines Interviewer: Strong yes"), "{cards}");
    assert!(cards.contains("Paul's private note"));
    assert!(!cards.contains("Ines's private note"), "{cards}");
    assert!(open.text("table.summary").contains("the panel disagrees"));

    // The hiring manager and the recruiter read everything, and the
    // summary is on the candidate's profile for them.
    for client in [&s.chain.hm, &s.recruiter] {
        let page = client.get(&page_of).await;
        let cards = page.text("article.scorecard");
        assert!(
            cards.contains("Ines's private note") && cards.contains("Paul's private note"),
            "{cards}"
        );
        let profile = client.get(&format!("/candidates/{candidate}")).await;
        assert!(profile.text("table.summary").contains("Communication"));
    }

    // Ines amends hers: the version before is kept, and the page says so.
    score(&ines, id, false, 1, "Changed my mind")
        .await
        .assert_redirect(&page_of);
    let versions: i64 = sqlx::query_scalar("select count(*) from scorecard_versions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(versions, 1);
    assert!(
        ines.get(&page_of)
            .await
            .text("article.scorecard")
            .contains("version 1: Strong yes")
    );
    // Sent again from the old form: a conflict, nothing lost.
    let stale = score(&ines, id, true, 1, "Stale").await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);

    // Submitting notified the hiring team; scorecards are in the history
    // without what they say.
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications where event = 'feedback.submitted' and user_id = $1",
    )
    .bind(s.chain.hm_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(told, 2);
    let logged: i64 = sqlx::query_scalar(
        "select count(*) from audit_logs where changes::text like '%private note%' or changes::text like '%Knows the domain%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(logged, 0);
    let _ = s.recruiter_id;
}

#[tokio::test]
async fn each_person_has_a_private_feed_of_their_interviews_that_a_reset_revokes() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let soon = (chrono::Utc::now() + chrono::Duration::days(7))
        .format("%Y-%m-%d")
        .to_string();
    let id = created_id(
        &post_schedule(
            &app,
            &s.recruiter,
            s.application,
            None,
            &soon,
            "10:00",
            &[s.ines],
            &[],
        )
        .await,
    );
    // Far out: not in the feed.
    let later = (chrono::Utc::now() + chrono::Duration::days(200))
        .format("%Y-%m-%d")
        .to_string();
    post_schedule(
        &app,
        &s.recruiter,
        s.application,
        None,
        &later,
        "10:00",
        &[s.ines],
        &[("confirmed", "on")],
    )
    .await;

    let ines = signed_in_as(&app, "ines@example.com").await;
    let profile = ines.get("/profile").await;
    let feed = profile.attr("#feed", "value").expect("the feed's address");
    let webcal = profile.attr("#calendar a.button", "href").unwrap();
    assert_eq!(webcal.replace("webcal://", "http://"), feed);
    let path = feed.strip_prefix(&app.url("")).unwrap().to_owned();

    // Read without a session, as a calendar app does.
    let stranger = app.client();
    let (status, headers, body) = stranger.get_bytes(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    assert!(
        headers.get("set-cookie").is_none(),
        "a feed writes no session"
    );
    let ics = String::from_utf8(body).unwrap();
    let unfolded = unfold(&ics);
    let cal = read_calendar(&unfolded).unwrap();
    assert!(
        cal.properties
            .iter()
            .any(|p| p.name == "METHOD" && p.val.as_ref() == "PUBLISH")
    );
    let events: Vec<&Component<'_>> = cal
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .collect();
    assert_eq!(events.len(), 1, "only the next 180 days: {ics}");
    assert_eq!(prop(events[0], "UID"), Some(format!("{id}@hiringhare")));
    assert!(
        prop(events[0], "ORGANIZER").is_none(),
        "a feed names no organizer"
    );
    assert_eq!(
        prop(events[0], "URL"),
        Some(app.url(&format!("/interviews/{id}")))
    );
    // Paul, not on the panel, has none in his.
    let paul = signed_in_as(&app, "paul@example.com").await;
    let paul_feed = paul.get("/profile").await.attr("#feed", "value").unwrap();
    let paul_path = paul_feed.strip_prefix(&app.url("")).unwrap();
    let (_, _, body) = stranger.get_bytes(paul_path).await;
    assert!(!String::from_utf8(body).unwrap().contains("BEGIN:VEVENT"));

    // A wrong token, or another's with this one's id, is nothing.
    let forged = path.replace(&s.ines.to_string(), &s.paul.to_string());
    assert_eq!(stranger.get_bytes(&forged).await.0, StatusCode::NOT_FOUND);

    // Reset: the old address stops working, the new one works.
    let res = ines.post("/profile/calendar", &[("action", "reset")]).await;
    res.assert_redirect("/profile#calendar");
    assert_eq!(stranger.get_bytes(&path).await.0, StatusCode::NOT_FOUND);
    let new_feed = ines.get("/profile").await.attr("#feed", "value").unwrap();
    assert_ne!(new_feed, feed);
    let new_path = new_feed.strip_prefix(&app.url("")).unwrap();
    assert_eq!(stranger.get_bytes(new_path).await.0, StatusCode::OK);
    let _ = PASSWORD;
}

#[tokio::test]
async fn missing_scorecards_are_reminded_after_the_interview_once_a_business_day_until_sent() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    // Wednesday 9 June 2027, 10:00–11:00 in Warsaw (08:00–09:00 UTC).
    let id = created_id(
        &post_schedule(
            &app,
            &s.recruiter,
            s.application,
            None,
            "2027-06-09",
            "10:00",
            &[s.ines, s.paul],
            &[],
        )
        .await,
    );
    let mail = MailRenderer::new(&app.config);
    let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let run = async |now: &str| {
        let mut tx = app.pool.begin().await.unwrap();
        let sent = reminders::send_due(&mut tx, &mail, at(now)).await.unwrap();
        tx.commit().await.unwrap();
        sent
    };
    let reminded = async |user: Uuid| -> i64 {
        sqlx::query_scalar(
            "select count(*) from notifications where event = 'feedback.overdue' and user_id = $1",
        )
        .bind(user)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    // Before the interview, during it, and within the hour after: nothing.
    assert_eq!(run("2027-06-08T12:00:00Z").await, 0);
    assert_eq!(run("2027-06-09T08:30:00Z").await, 0);
    assert_eq!(run("2027-06-09T09:59:00Z").await, 0);
    // An hour after: both panel members, once however often it runs.
    assert_eq!(run("2027-06-09T10:00:00Z").await, 2);
    assert_eq!(run("2027-06-09T10:10:00Z").await, 0);
    assert_eq!(run("2027-06-09T16:00:00Z").await, 0);
    assert_eq!(reminded(s.ines).await, 1);
    // Ines sends hers: she hears no more.
    let ines = signed_in_as(&app, "ines@example.com").await;
    score(&ines, id, true, 0, "")
        .await
        .assert_redirect(&format!("/interviews/{id}"));
    // Thursday: Paul again (a business day).
    assert_eq!(run("2027-06-10T09:00:00Z").await, 1);
    assert_eq!(run("2027-06-10T15:00:00Z").await, 0);
    // Friday (New York: still Thursday evening at 01:00 UTC, already
    // reminded that day): Paul, and two business days on, his recruiter.
    assert_eq!(run("2027-06-11T01:00:00Z").await, 0);
    assert_eq!(run("2027-06-11T14:00:00Z").await, 2);
    let escalated: i64 = sqlx::query_scalar(
        "select count(*) from notifications where event = 'feedback.overdue' and user_id = $1",
    )
    .bind(s.recruiter_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(escalated, 1);
    // The weekend: nothing; Monday: again; ten days on: no more.
    assert_eq!(run("2027-06-12T14:00:00Z").await, 0);
    assert_eq!(run("2027-06-13T14:00:00Z").await, 0);
    assert_eq!(run("2027-06-14T14:00:00Z").await, 1);
    assert_eq!(run("2027-06-22T14:00:00Z").await, 0);
    assert_eq!(reminded(s.ines).await, 1);
    assert_eq!(reminded(s.paul).await, 4);
    // The reminders went by mail (a late scorecard cannot be switched off).
    let mails: i64 = sqlx::query_scalar(
        "select count(*) from outbox where to_address = 'paul@example.com' and calendar is null",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(mails, 4);
}

/// A REPLY as a calendar sends it, in a MIME message whose calendar part
/// is base64-encoded, as mail servers often post it.
fn reply_message(interview: Uuid, from: &str, partstat: &str) -> Vec<u8> {
    use base64::Engine as _;
    let ics = format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:{interview}@hiringhare\r\nSEQUENCE:0\r\nDTSTAMP:20270601T000000Z\r\nATTENDEE;PARTSTAT={partstat};CN=\"Someone\":mailto:{from}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    );
    format!(
        "From: {from}\r\nTo: interviews@hiringhare.test\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nAccepted.\r\n--b1\r\nContent-Type: text/calendar; method=REPLY; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64::engine::general_purpose::STANDARD.encode(ics)
    )
    .into_bytes()
}

fn signature(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"test-inbound-secret");
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

#[tokio::test]
async fn calendar_replies_posted_by_the_mail_server_record_each_answer() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let id = created_id(
        &post_schedule(
            &app,
            &s.recruiter,
            s.application,
            None,
            "2027-06-09",
            "10:00",
            &[s.ines, s.paul],
            &[],
        )
        .await,
    );
    let http = reqwest::Client::new();
    let post = async |body: Vec<u8>, signed: bool| {
        let mut req = http
            .post(app.url("/hooks/calendar-replies"))
            .body(body.clone());
        if signed {
            req = req.header("x-signature", signature(&body));
        }
        req.send().await.unwrap().status()
    };
    // Unsigned, or signed for another body: refused, nothing changes.
    let accepted = reply_message(id, "ines@example.com", "ACCEPTED");
    assert_eq!(
        post(accepted.clone(), false).await,
        StatusCode::UNAUTHORIZED
    );
    let forged = http
        .post(app.url("/hooks/calendar-replies"))
        .header("x-signature", signature(b"something else"))
        .body(accepted.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // Signed: Ines accepts (her address in another case), the candidate
    // declines.
    assert_eq!(
        post(reply_message(id, "Ines@Example.com", "ACCEPTED"), true).await,
        StatusCode::OK
    );
    assert_eq!(
        post(reply_message(id, "ana.costa@example.com", "DECLINED"), true).await,
        StatusCode::OK
    );
    // Someone not invited changes nothing.
    assert_eq!(
        post(reply_message(id, "mallory@example.com", "ACCEPTED"), true).await,
        StatusCode::OK
    );
    let page = s.recruiter.get(&format!("/interviews/{id}")).await;
    let meta = page.text("dl.meta");
    assert!(meta.contains("Ines Interviewer: Accepted"), "{meta}");
    assert!(meta.contains("Paul Panel: No answer yet"), "{meta}");
    assert!(
        page.texts("dl.meta dd").contains(&"Declined".to_owned()),
        "{meta}"
    );
    // Not a calendar at all: taken, ignored.
    assert_eq!(post(b"hello".to_vec(), true).await, StatusCode::ACCEPTED);

    // Without a secret configured the hook is not there.
    let off = TestApp::spawn_with(|c| c.inbound_mail_secret = None).await;
    let res = reqwest::Client::new()
        .post(off.url("/hooks/calendar-replies"))
        .body(accepted.clone())
        .header("x-signature", signature(&accepted))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_requirement_takes_a_plan_of_its_own_and_interviews_follow_it() {
    let app = TestApp::spawn().await;
    let s = setup(&app).await;
    let plan = format!("/requirements/{}/interview-plan", s.chain.requirement);
    // The company's plan to start from, and two empty rounds to add.
    let page = s.recruiter.get(&plan).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.attr("#round-0-name", "value").as_deref(),
        Some("Phone screen")
    );
    assert_eq!(page.attr("#round-3-name", "value").as_deref(), Some(""));
    // A hiring manager reads the requirement but does not keep its plan.
    assert_eq!(s.chain.hm.get(&plan).await.status, StatusCode::FORBIDDEN);

    // A bad length is shown beside its field, the input kept.
    let bad = s
        .recruiter
        .post(
            &plan,
            &[
                ("round-0-name", "Case study"),
                ("round-0-kind", "onsite"),
                ("round-0-minutes", "9999"),
                ("round-0-attributes", "Structure\nJudgement"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text("#round-0-minutes-error")
            .contains("between 5 and 480")
    );
    assert_eq!(
        bad.attr("#round-0-name", "value").as_deref(),
        Some("Case study")
    );

    let res = s
        .recruiter
        .post(
            &plan,
            &[
                ("round-0-name", "Case study"),
                ("round-0-kind", "onsite"),
                ("round-0-minutes", "90"),
                ("round-0-attributes", "Structure\nJudgement"),
                ("round-0-questions", "Walk us through your approach."),
                ("round-1-name", ""),
            ],
        )
        .await;
    res.assert_redirect(&plan);
    // Scheduling offers its round alone; the scorecard rates its attributes.
    let form = s
        .recruiter
        .get(&format!("/applications/{}/interviews/new", s.application))
        .await;
    assert_eq!(
        form.texts("#round_id option"),
        ["Case study (On site, 90 min)"]
    );
    let round = form.attr("#round_id option", "value").unwrap();
    let res = s
        .recruiter
        .post(
            &format!("/applications/{}/interviews", s.application),
            &[
                ("round_id", &round),
                ("date", "2027-06-07"),
                ("start", "10:00"),
                ("time_zone", "UTC"),
                ("panel", &s.ines.to_string()),
            ],
        )
        .await;
    let id = created_id(&res);
    let ines = signed_in_as(&app, "ines@example.com").await;
    let kit = ines.get(&format!("/interviews/{id}")).await;
    assert_eq!(
        kit.texts("fieldset.rating legend"),
        ["Structure", "Judgement"]
    );
    assert!(kit.text("ol").contains("Walk us through your approach."));
    // The length came from the round; Ines reads Lisbon time.
    assert!(
        kit.text("dl.meta").contains("11:00–12:30 (Europe/Lisbon)"),
        "{}",
        kit.text("dl.meta")
    );

    // Every round cleared: back to the company's plan; the interview keeps
    // its round.
    s.recruiter
        .post(&plan, &[("round-0-name", "")])
        .await
        .assert_redirect(&plan);
    let form = s
        .recruiter
        .get(&format!("/applications/{}/interviews/new", s.application))
        .await;
    assert!(form.text("#round_id").contains("Phone screen"));
    let kit = ines.get(&format!("/interviews/{id}")).await;
    assert_eq!(
        kit.texts("fieldset.rating legend"),
        ["Structure", "Judgement"]
    );
    assert_eq!(
        app.audit_count("requirement.interview_plan_saved", s.chain.requirement)
            .await,
        2
    );
}
