//! Privacy: erasing (and anonymising) leaves no trace of the person in any
//! column of any table or in the file store; the export holds every row
//! about them; the daily run asks for renewal once and anonymises whoever
//! is past their date, unless held; a candidate's own "your data" link.

use crate::careers::{posting, sessions, slug_of};
use crate::harness::documents;
use crate::harness::fixtures::{candidate_in, opened, signed_in_as};
use crate::harness::{Client, Page, TestApp, link_in};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use std::io::Read as _;
use std::time::{Duration, Instant};
use uuid::Uuid;

const NAME: &str = "Zelda Quist";
const EMAIL: &str = "zelda.quist@mail.test";

/// What identifies her, as it may be written anywhere.
const TRACES: [&str; 4] = ["%quist%", "%zelda%", "%79460001%", "%7946 0001%"];

/// Zelda applies on the careers site (a cover letter, a resume naming her,
/// her phone and links) for the requirement its recruiter published; the
/// recruiter then comments on her, Ivy interviews and scores her, and the
/// recruiter rejects her with a note and a mail.
/// Returns the recruiter and her candidate id.
async fn zelda_everywhere(app: &TestApp, requirement: Uuid) -> (Client, Uuid) {
    let rob = app
        .user("rob@example.com", "Rob Recruiter", &[Role::Recruiter])
        .await;
    sqlx::query("update requirements set recruiter_id = $2 where id = $1")
        .bind(requirement)
        .bind(rob)
        .execute(&app.pool)
        .await
        .unwrap();
    let recruiter = &signed_in_as(app, "rob@example.com").await;
    let path = format!("/requirements/{requirement}/posting");
    recruiter
        .post(&path, &posting("Platform engineer", &[]))
        .await
        .assert_redirect(&path);
    let slug = slug_of(app, requirement).await;
    let visitor = app.client();
    let page = visitor.get(&format!("/careers/{slug}")).await;
    let issued = page.attr("input[name=issued]", "value").unwrap();
    let token = page.attr("input[name=token]", "value").unwrap();
    tokio::time::sleep(Duration::from_millis(3100)).await;
    let resume = documents::pdf(&["Zelda Quist\nzelda.quist@mail.test\n+44 20 7946 0001"]);
    visitor
        .post_multipart(
            &format!("/careers/{slug}/application"),
            &[
                ("issued", &issued),
                ("token", &token),
                ("website", ""),
                ("full_name", NAME),
                ("email", EMAIL),
                ("phone", "+44 20 7946 0001"),
                ("links", "https://example.com/zelda-quist"),
                ("cover_letter", "I am Zelda Quist and I run platforms."),
                ("consent", "on"),
                ("future_roles", "on"),
            ],
            Some(("zelda-quist.pdf", resume)),
        )
        .await
        .assert_redirect(&format!("/careers/{slug}/applied"));
    let id = candidate_by_email(app, EMAIL).await;
    read_all(app).await;
    let profile = format!("/candidates/{id}");
    let res = recruiter
        .post(
            &format!("{profile}/comments"),
            &[("body", "Zelda Quist knows PostgreSQL well.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let (application, from): (Uuid, Uuid) =
        sqlx::query_as("select id, stage_id from applications where candidate_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // Interviewed by Ivy, who scores her.
    app.user("ivy@example.com", "Ivy Interviewer", &[Role::Interviewer])
        .await;
    let res = post_interview(
        app,
        recruiter,
        &format!("/applications/{application}/interviews"),
        "2027-06-07 10:00",
        "Zelda Quist prefers mornings.",
        &[],
    )
    .await;
    let interview = res
        .location()
        .strip_prefix("/interviews/")
        .unwrap()
        .to_owned();
    signed_in_as(app, "ivy@example.com")
        .await
        .post(
            &format!("/interviews/{interview}/scorecard"),
            &[
                ("rating-0", "4"),
                ("note-0", "Zelda Quist explains well."),
                ("recommendation", "yes"),
                ("takeaways", "Zelda Quist was sharp."),
                ("private_notes", "Zelda Quist asked about pay."),
                ("version", "0"),
            ],
        )
        .await
        .assert_redirect(&format!("/interviews/{interview}"));
    let reason: Uuid =
        sqlx::query_scalar("select id from rejection_reasons order by position limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    recruiter
        .post(
            &format!("/applications/{application}/rejection"),
            &[
                ("reason_id", &reason.to_string()),
                ("from", &from.to_string()),
                ("note", "Zelda Quist wants more than the range."),
                ("notify", "on"),
            ],
        )
        .await
        .assert_redirect(&profile);
    (signed_in_as(app, "rob@example.com").await, id)
}

/// Posts the interview form to `path` (scheduling or moving one): the
/// first round, Ivy on the panel, at `when` ("2027-06-07 10:00", UTC),
/// with `notes` and any `more` fields.
async fn post_interview(
    app: &TestApp,
    client: &Client,
    path: &str,
    when: &str,
    notes: &str,
    more: &[(&str, &str)],
) -> Page {
    let (round, ivy): (Uuid, Uuid) = sqlx::query_as(
        "select (select id from interview_rounds limit 1),
                (select id from users where email = 'ivy@example.com')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (round, ivy) = (round.to_string(), ivy.to_string());
    let (date, start) = when.split_once(' ').unwrap();
    let mut form = vec![
        ("round_id", round.as_str()),
        ("date", date),
        ("start", start),
        ("time_zone", "UTC"),
        ("notes", notes),
        ("panel", ivy.as_str()),
    ];
    form.extend_from_slice(more);
    client.post(path, &form).await
}

async fn candidate_by_email(app: &TestApp, email: &str) -> Uuid {
    sqlx::query_scalar("select candidate_id from candidate_emails where lower(email) = lower($1)")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Waits for the background job to have read every file's text.
async fn read_all(app: &TestApp) {
    let began = Instant::now();
    loop {
        let pending: i64 =
            sqlx::query_scalar("select count(*) from file_blobs where text_state = 'pending'")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        if pending == 0 {
            return;
        }
        assert!(began.elapsed() < Duration::from_secs(30), "files unread");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every column of every table (text, JSON, arrays, search vectors, bytes)
/// holding one of `needles`, as `table.column`.
async fn holding(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let columns: Vec<(String, String, String, String)> = sqlx::query_as(
        "select c.table_schema::text, c.table_name::text, c.column_name::text, c.data_type::text
           from information_schema.columns c
           join information_schema.tables t
             on t.table_schema = c.table_schema and t.table_name = c.table_name
          where t.table_type = 'BASE TABLE'
            and c.table_schema not in ('pg_catalog', 'information_schema')
            and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'tsvector', 'bytea', 'inet')",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(columns.len() > 50, "the columns were found: {columns:?}");
    let mut found = Vec::new();
    for (schema, table, column, kind) in columns {
        let value = if kind == "bytea" {
            format!("encode(\"{column}\", 'escape')")
        } else {
            format!("\"{column}\"::text")
        };
        let sql =
            format!("select count(*) from \"{schema}\".\"{table}\" where {value} ilike any($1)");
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(needles)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if n > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

/// Whether the file store holds a file whose bytes name her.
fn store_names_her(app: &TestApp) -> bool {
    std::fs::read_dir(&app.config.file_store)
        .into_iter()
        .flatten()
        .flatten()
        .any(|f| {
            std::fs::read(f.path())
                .map(|b| b.windows(5).any(|w| w == b"Quist"))
                .unwrap_or(false)
        })
}

#[tokio::test]
async fn erasing_leaves_no_trace_of_them_in_any_table_or_the_file_store() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let chain = opened(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (recruiter, id) = zelda_everywhere(&app, chain.requirement).await;
    let profile = format!("/candidates/{id}");
    // She is everywhere to begin with, the store too.
    let before = holding(&app, &TRACES).await;
    for place in [
        "candidates.full_name",
        "candidate_emails.email",
        "file_blobs.text",
        "comments.body",
        "applications.cover_letter",
        "notifications.text",
        "outbox.body_text",
        "outbox.calendar",
        "apply_attempts.email",
        "interviews.notes",
        "scorecards.ratings",
        "scorecards.takeaways",
        "scorecards.private_notes",
    ] {
        assert!(
            before.contains(&place.to_owned()),
            "{place} not in {before:?}"
        );
    }
    assert!(store_names_her(&app));
    // The audit log never held her.
    let audited: Vec<String> = sqlx::query_scalar(
        "select action || ' ' || changes::text from audit_logs where changes::text ilike any($1)",
    )
    .bind(&TRACES[..])
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(audited.is_empty(), "the audit log names her: {audited:?}");

    // Not for a recruiter; an admin sees what will go, and confirms.
    let erasure = format!("{profile}/erasure");
    assert_eq!(recruiter.get(&erasure).await.status, StatusCode::FORBIDDEN);
    let page = admin.get(&erasure).await;
    assert_eq!(page.status, StatusCode::OK);
    let removes = page.texts("#removes li").join(" ");
    for says in ["1 email address", "1 file", "1 comment", "1 application"] {
        assert!(removes.contains(says), "{says}: {removes}");
    }
    let res = admin.post(&erasure, &[]).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.texts("#confirm-error")[0].contains("Tick the box"));
    let name: String = sqlx::query_scalar("select full_name from candidates where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, NAME, "nothing was erased unconfirmed");
    admin
        .post(&erasure, &[("confirm", "erase")])
        .await
        .assert_redirect(&profile);

    let left = holding(&app, &TRACES).await;
    assert!(left.is_empty(), "she is still in {left:?}");
    assert!(
        !store_names_her(&app),
        "the file store still holds her resume"
    );
    let page = admin.get(&profile).await;
    assert!(page.text("h1").starts_with("Anonymised candidate #"));
    assert!(page.text("#keeping").contains("Anonymised on"));
    // Reports stay correct: her application and its stages are still
    // counted where they were.
    let (applications, moves): (i64, i64) = sqlx::query_as(
        "select (select count(*) from applications where candidate_id = $1),
                (select count(*) from application_stage_changes m
                   join applications a on a.id = m.application_id where a.candidate_id = $1)",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((applications, moves), (1, 2));
    // Nothing left to edit or erase.
    assert!(page.texts("a[href$='/edit']").is_empty());
    assert!(page.texts("#privacy form").is_empty());

    // Nor anything new about her taken: a file, a comment, a scorecard.
    let res = recruiter
        .post_file(
            &format!("{profile}/files"),
            "zelda.pdf",
            documents::pdf(&["Zelda Quist, again"]),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body.contains("nothing more is kept about them"));
    let res = recruiter
        .post(
            &format!("{profile}/comments"),
            &[("body", "Zelda Quist called back.")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.texts("#body-error")
            .iter()
            .any(|e| e.contains("nothing more is kept about them")),
        "{:?}",
        res.texts("[id$='-error']")
    );
    let interview: Uuid = sqlx::query_scalar(
        "select i.id from interviews i join applications a on a.id = i.application_id
          where a.candidate_id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let res = signed_in_as(&app, "ivy@example.com")
        .await
        .post(
            &format!("/interviews/{interview}/scorecard"),
            &[
                ("rating-0", "4"),
                ("takeaways", "Zelda Quist, remembered."),
                ("recommendation", "yes"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    // Nor a tag, another application, an interview or a rejection note:
    // her application, un-rejected (which keeps nothing about her), may
    // still be moved and rejected, for the reports.
    let (application, stage): (Uuid, Uuid) =
        sqlx::query_as("select id, stage_id from applications where candidate_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    recruiter
        .post(
            &format!("/applications/{application}/rejection/deletion"),
            &[("from", &stage.to_string())],
        )
        .await
        .assert_redirect(&profile);
    // Her page offers none of it; her application can still be moved.
    let page = recruiter.get(&profile).await;
    for form in [
        "textarea[name=body]",
        "textarea[name=note]",
        "a[href$='/interviews/new']",
        "input[name=requirement_id]",
        "input[type=file]",
    ] {
        assert!(page.texts(form).is_empty(), "{form} is offered");
    }
    assert!(!page.texts("select[name=stage_id]").is_empty());
    let applied: Uuid = sqlx::query_scalar("select stage_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let board = format!("/requirements/{}/board", chain.requirement);
    let res = recruiter
        .post(
            &board,
            &[
                ("chosen", &format!("{application}:{applied}")),
                ("action", "tag"),
                ("tag", "Zelda Quist"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("nothing more is kept about them"));
    let reference: String = sqlx::query_scalar("select reference from requirements where id = $1")
        .bind(chain.requirement)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = recruiter
        .post(
            &format!("{profile}/applications"),
            &[("requirement_id", &reference)],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    let res = post_interview(
        &app,
        &recruiter,
        &format!("/applications/{application}/interviews"),
        "2027-07-07 10:00",
        "Zelda Quist, once more.",
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    let version: i32 = sqlx::query_scalar("select version from interviews where id = $1")
        .bind(interview)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = post_interview(
        &app,
        &recruiter,
        &format!("/interviews/{interview}"),
        "2027-07-08 11:00",
        "Zelda Quist, moved.",
        &[("version", &version.to_string())],
    )
    .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert!(res.body.contains("nothing more is kept about them"));
    let reason: Uuid =
        sqlx::query_scalar("select id from rejection_reasons order by position limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let rejection = format!("/applications/{application}/rejection");
    let res = recruiter
        .post(
            &rejection,
            &[
                ("reason_id", &reason.to_string()),
                ("from", &applied.to_string()),
                ("note", "Zelda Quist, declined again."),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.texts("[role=alert]")
            .iter()
            .any(|e| e.contains("nothing more is kept about them")),
        "{:?}",
        res.texts("[role=alert]")
    );
    recruiter
        .post(
            &rejection,
            &[
                ("reason_id", &reason.to_string()),
                ("from", &applied.to_string()),
            ],
        )
        .await
        .assert_redirect(&profile);
    let left = holding(&app, &TRACES).await;
    assert!(left.is_empty(), "she came back in {left:?}");
}

/// A comment sent while the person is being anonymised waits for it and
/// is refused: it never outlives the anonymising (it was checked before
/// and saved after, and stayed).
#[tokio::test]
async fn a_comment_sent_while_they_are_anonymised_waits_and_is_refused() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let application = candidate_in(&app, &recruiter, chain.requirement, "Zelda Quist").await;
    let id: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
        .bind(application)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // As `anonymise` holds her, until it commits.
    let mut anonymising = app.pool.begin().await.unwrap();
    sqlx::query("select from candidates where id = $1 for update")
        .bind(id)
        .execute(&mut *anonymising)
        .await
        .unwrap();
    let comments = format!("/candidates/{id}/comments");
    let comment = recruiter.post(&comments, &[("body", "Zelda Quist called back.")]);
    let anonymise = async {
        let waited = app.lock_awaited().await;
        sqlx::query("update candidates set anonymised_at = now() where id = $1")
            .bind(id)
            .execute(&mut *anonymising)
            .await
            .unwrap();
        anonymising.commit().await.unwrap();
        waited
    };
    let (res, waited) = tokio::join!(comment, anonymise);
    assert!(waited, "the comment did not wait: {}", res.status);
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let kept: i64 = sqlx::query_scalar("select count(*) from comments where subject_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(kept, 0);
}

/// The text job takes a content and then the candidates who have it: an
/// erasure in the middle of it waits for the job and then goes ahead (it
/// took the person first and then waited for the content, and the two
/// deadlocked).
#[tokio::test]
async fn an_erasure_while_their_file_is_read_waits_for_the_reading() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let chain = opened(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (_, id) = zelda_everywhere(&app, chain.requirement).await;
    let sha: String =
        sqlx::query_scalar("select sha256 from file_attachments where candidate_id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // As `files::read_text` does it: the content, then her record.
    let mut reading = app.pool.begin().await.unwrap();
    sqlx::query("update file_blobs set pages = pages where sha256 = $1")
        .bind(&sha)
        .execute(&mut *reading)
        .await
        .unwrap();
    let profile = format!("/candidates/{id}");
    let erasure = format!("{profile}/erasure");
    let erase = admin.post(&erasure, &[("confirm", "erase")]);
    let read = async {
        assert!(app.lock_awaited().await, "the erasure never waited");
        sqlx::query("update candidates set search = candidate_search(id) where id = $1")
            .bind(id)
            .execute(&mut *reading)
            .await?;
        reading.commit().await
    };
    let (res, read) = tokio::join!(erase, read);
    read.expect("the reading went through");
    res.assert_redirect(&profile);
    let anonymised: bool =
        sqlx::query_scalar("select anonymised_at is not null from candidates where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(anonymised);
}

#[tokio::test]
async fn the_export_holds_every_row_about_them_their_files_and_a_readable_summary() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let chain = opened(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (recruiter, id) = zelda_everywhere(&app, chain.requirement).await;
    let export = format!("/candidates/{id}/export");
    assert_eq!(recruiter.get_bytes(&export).await.0, StatusCode::FORBIDDEN);
    let (status, headers, bytes) = admin.get_bytes(&export).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut entry = |name: &str| -> Vec<u8> {
        let mut out = Vec::new();
        zip.by_name(name)
            .unwrap_or_else(|_| panic!("{name} is in the archive"))
            .read_to_end(&mut out)
            .unwrap();
        out
    };
    let data: serde_json::Value = serde_json::from_slice(&entry("data.json")).unwrap();
    // Every table with a candidate_id column is there, with all her rows.
    let tables: Vec<String> = sqlx::query_scalar(
        "select c.table_name::text from information_schema.columns c
           join information_schema.tables t
             on t.table_schema = c.table_schema and t.table_name = c.table_name
          where c.column_name = 'candidate_id' and t.table_type = 'BASE TABLE'
            and c.table_schema = 'public'",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(tables.len() >= 5, "{tables:?}");
    for table in tables {
        let held: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select count(*) from \"{table}\" where candidate_id = $1"
        )))
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let exported = data[&table].as_array().map_or(0, Vec::len);
        assert_eq!(exported as i64, held, "{table}");
    }
    for (table, at_least) in [
        ("candidates", 1),
        ("comments", 1),
        ("application_stage_changes", 2),
        ("outbox", 2),
        ("notifications", 1),
        ("audit_logs", 3),
        ("interviews", 1),
        ("interview_panel", 1),
        ("scorecards", 1),
    ] {
        let n = data[table].as_array().map_or(0, Vec::len);
        assert!(n >= at_least, "{table}: {n}");
    }
    assert_eq!(data["candidates"][0]["full_name"], NAME);
    assert_eq!(
        data["applications"][0]["cover_letter"],
        "I am Zelda Quist and I run platforms."
    );
    assert!(
        data["file_attachments"][0]["text"]
            .as_str()
            .unwrap()
            .contains("7946 0001")
    );
    // No secret travels in it.
    assert!(data["outbox"][0].get("sealed_token").is_none());
    // Her resume, as uploaded.
    let file_id = data["file_attachments"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pdf = entry(&format!("files/{file_id}-zelda-quist.pdf"));
    assert!(pdf.starts_with(b"%PDF"));
    // A page to read, naming her, with each table.
    let summary = String::from_utf8(entry("summary.html")).unwrap();
    let html = scraper::Html::parse_document(&summary);
    let h1 = scraper::Selector::parse("h1").unwrap();
    assert!(
        html.select(&h1)
            .next()
            .unwrap()
            .text()
            .collect::<String>()
            .contains(NAME)
    );
    assert!(summary.contains("I am Zelda Quist and I run platforms."));
    assert_eq!(app.audit_count("candidate.exported", id).await, 1);
}

/// Runs the daily privacy work as the hourly tick does.
async fn daily(app: &TestApp) -> usize {
    use jobs::Periodic as _;
    hiring_hare::server::Periodic::new(app.pool.clone(), &app.config)
        .unwrap()
        .privacy()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_daily_run_asks_to_renew_once_and_anonymises_whoever_is_past_their_date() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let mut ids = Vec::new();
    for name in [
        "Ada Lapsed",
        "Bea Held",
        "Cy Consented",
        "Di Renewing",
        "Ed Applying",
    ] {
        let a = candidate_in(&app, &recruiter, chain.requirement, name).await;
        let id: Uuid = sqlx::query_scalar("select candidate_id from applications where id = $1")
            .bind(a)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        ids.push(id);
    }
    let [ada, bea, cy, di, ed] = ids[..] else {
        unreachable!()
    };
    // Every application but Ed's closed eight months ago (retention: six).
    sqlx::query(
        "update applications a set stage_id = s.id, stage_entered_at = now() - interval '8 months'
           from pipeline_stages s
          where s.requirement_id is null and s.kind = 'rejected' and a.candidate_id <> $1",
    )
    .bind(ed)
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("update candidates set created_at = now() - interval '9 months'")
        .execute(&app.pool)
        .await
        .unwrap();
    // A NUL byte or too long a reason is a problem beside the field.
    for bad in ["Claim\0", &"x".repeat(10_000)] {
        let res = admin
            .post(
                &format!("/candidates/{bea}/legal-hold"),
                &[("legal_hold", bad)],
            )
            .await;
        assert!(res.field_error("legal_hold").is_some(), "{}", res.status);
    }
    admin
        .post(
            &format!("/candidates/{bea}/legal-hold"),
            &[("legal_hold", "Employment tribunal claim 2026/17")],
        )
        .await
        .assert_redirect(&format!("/candidates/{bea}#privacy"));
    for (id, until) in [(cy, "current_date + 200"), (di, "current_date + 10")] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "update candidates set consent_until = {until}, consent_given_at = now() where id = $1"
        )))
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    // The profile says why each is kept, and until when.
    let says = async |id: Uuid| {
        admin
            .get(&format!("/candidates/{id}"))
            .await
            .text("#keeping")
    };
    assert!(
        says(ada)
            .await
            .contains("months after their last application closed")
    );
    assert!(
        says(bea)
            .await
            .contains("Employment tribunal claim 2026/17")
    );
    assert!(
        says(cy)
            .await
            .contains("they agreed to be kept for future roles")
    );
    assert!(says(ed).await.contains("while an application is open"));

    assert_eq!(daily(&app).await, 1, "Ada alone is past her date");
    // Ticking again the same day (another process, the next hour) does
    // nothing more.
    assert_eq!(daily(&app).await, 0);
    let anonymised: Vec<Uuid> =
        sqlx::query_scalar("select id from candidates where anonymised_at is not null")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(anonymised, [ada]);
    // Di, whose consent lapses within the window, was asked once.
    let asked: i64 = sqlx::query_scalar(
        "select count(*) from outbox where template = 'candidate.consent_renewal'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(asked, 1);
    let mail = app.last_mail_to("di.renewing@example.com").await.unwrap();
    let link = link_in(&mail, "/consent/").expect("a renewal link");
    // The stored mail shows the link masked.
    let stored: String = sqlx::query_scalar(
        "select body_text from outbox where template = 'candidate.consent_renewal'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(!stored.contains(&link), "the working link is stored");

    // She renews from the link, without signing in; it works once.
    let visitor = app.client();
    let page = visitor.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text("h1").contains("Di Renewing"));
    let res = visitor.post_raw(&link, &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    let until: chrono::NaiveDate =
        sqlx::query_scalar("select consent_until from candidates where id = $1")
            .bind(di)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let twelve = chrono::Utc::now()
        .date_naive()
        .checked_add_months(chrono::Months::new(12))
        .unwrap();
    assert_eq!(until, twelve);
    assert!(res.text("#renewed").contains(&until.to_string()));
    assert_eq!(visitor.get(&link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count("candidate.consent_renewed", di).await, 1);
}

#[tokio::test]
async fn a_candidate_sees_downloads_withdraws_and_asks_to_erase_by_their_link() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let chain = opened(&app).await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (_, id) = zelda_everywhere(&app, chain.requirement).await;
    let sessions_before = sessions(&app).await;
    let visitor = app.client();
    let ask = async |email: &str| {
        let page = visitor.get("/your-data").await;
        assert_eq!(page.status, StatusCode::OK);
        let issued = page.attr("input[name=issued]", "value").unwrap();
        let token = page.attr("input[name=token]", "value").unwrap();
        tokio::time::sleep(Duration::from_millis(3100)).await;
        visitor
            .post_raw(
                "/your-data",
                &[("issued", &issued), ("token", &token), ("email", email)],
            )
            .await
    };
    // An unknown address gets the same answer, and a mail saying nothing
    // is held.
    let res = ask("nobody@mail.test").await;
    assert_eq!(res.status, StatusCode::OK);
    let unknown = res.text("#sent");
    let mail = app.last_mail_to("nobody@mail.test").await.unwrap();
    assert!(mail.contains("We hold nothing"));
    assert!(link_in(&mail, "/your-data/").is_none());
    let res = ask("Zelda.Quist@mail.test").await;
    assert_eq!(
        res.text("#sent"),
        unknown.replace("nobody@mail.test", "Zelda.Quist@mail.test")
    );
    let mail = app.last_mail_to(EMAIL).await.unwrap();
    let link = link_in(&mail, "/your-data/").expect("a link to her data");

    let page = visitor.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.texts("dd").contains(&NAME.to_owned()));
    assert!(page.text("#keeping").contains("Until"));
    let (status, headers, bytes) = visitor.get_bytes(&format!("{link}/export")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/zip");
    assert!(zip::ZipArchive::new(std::io::Cursor::new(bytes)).is_ok());

    visitor
        .post_raw(&format!("{link}/withdrawal"), &[])
        .await
        .assert_redirect(&format!("{link}?done=withdrawal"));
    let until: Option<chrono::NaiveDate> =
        sqlx::query_scalar("select consent_until from candidates where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(until, None);
    visitor
        .post_raw(&format!("{link}/erasure"), &[])
        .await
        .assert_redirect(&format!("{link}?done=erasure"));
    assert!(
        visitor
            .get(&format!("{link}?done=erasure"))
            .await
            .text("#done")
            .contains("within a month")
    );
    // No visit wrote a session.
    assert_eq!(sessions(&app).await, sessions_before);
    // Opened twice, the page is one look logged that day.
    let looks: i64 = sqlx::query_scalar(
        "select count(*) from data_requests where candidate_id = $1 and kind = 'access'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(looks, 1);
    // Logged, with its deadline, and the admins told.
    let due: chrono::NaiveDate = sqlx::query_scalar(
        "select due_on from data_requests where candidate_id = $1 and kind = 'erasure' and answered_at is null",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let month = chrono::Utc::now()
        .date_naive()
        .checked_add_months(chrono::Months::new(1))
        .unwrap();
    assert_eq!(due, month);
    let page = admin.get("/admin/privacy").await;
    assert_eq!(page.texts("tbody th a"), [NAME]);
    assert!(page.text("tbody").contains(&due.to_string()));
    let page = admin.get("/notifications").await;
    assert!(
        page.text("main").contains("asked to be erased: answer by"),
        "{}",
        page.text("main")
    );
    // Her profile shows it waiting, with its deadline.
    let profile = admin.get(&format!("/candidates/{id}")).await;
    assert!(
        profile.text("#data-requests").contains(&due.to_string()),
        "{}",
        profile.body
    );

    // The admin erases her: the request is answered, the link dead.
    admin
        .post(
            &format!("/candidates/{id}/erasure"),
            &[("confirm", "erase")],
        )
        .await
        .assert_redirect(&format!("/candidates/{id}"));
    assert!(
        admin
            .get("/admin/privacy")
            .await
            .texts("tbody th a")
            .is_empty()
    );
    assert_eq!(visitor.get(&link).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn privacy_settings_are_checked_audited_and_shape_the_apply_form() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    assert_eq!(
        recruiter.get("/admin/privacy").await.status,
        StatusCode::FORBIDDEN
    );
    let page = admin.get("/admin/privacy").await;
    let version = page.attr("input[name=version]", "value").unwrap();
    let form = |months: &'static str, text: &'static str| {
        vec![
            ("retention_months", months),
            ("future_roles_months", "24"),
            ("renewal_days", "14"),
            ("consent_text", text),
            ("future_roles_text", "Keep me in mind for two years."),
        ]
    };
    let mut bad = form("0", "");
    bad.push(("version", &version));
    let res = admin.post("/admin/privacy", &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text("#retention_months-error")
            .contains("from 1 to 120")
    );
    assert!(res.text("#consent_text-error").contains("Write what"));
    assert_eq!(res.attr("#renewal_days", "value").as_deref(), Some("14"));
    let mut good = form("9", "I agree you use this to consider me for the job.");
    good.push(("version", &version));
    admin
        .post("/admin/privacy", &good)
        .await
        .assert_redirect("/admin/privacy");
    // Saved over by someone else's older form: says who changed what.
    let res = admin.post("/admin/privacy", &good).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_logs where action = 'privacy_settings.updated'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // The apply form says what the admin wrote.
    let chain = opened(&app).await;
    let path = format!("/requirements/{}/posting", chain.requirement);
    admin
        .post(&path, &posting("Platform engineer", &[]))
        .await
        .assert_redirect(&path);
    let slug = slug_of(&app, chain.requirement).await;
    let job = app.client().get(&format!("/careers/{slug}")).await;
    let labels = job.texts("fieldset.consents label");
    assert_eq!(
        labels,
        [
            "I agree you use this to consider me for the job.",
            "Keep me in mind for two years. (optional)"
        ]
    );
}
