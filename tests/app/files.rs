//! Candidates' files: uploads judged by their content, stored once, read in
//! the background and searched; downloads authorized like the candidate;
//! a new candidate filled in from their resume.

use crate::harness::documents;
use crate::harness::fixtures::history_of;
use crate::harness::{Client, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A recruiter and a candidate of theirs (in no pipeline).
async fn candidate(app: &TestApp) -> (Client, Uuid) {
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Ana Costa"),
                ("emails", "ana@example.com"),
                ("source", "sourced"),
            ],
        )
        .await;
    let id = res
        .location()
        .strip_prefix("/candidates/")
        .and_then(|id| id.parse().ok())
        .unwrap();
    (recruiter, id)
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.unwrap()
}

/// Files in the store's directory.
fn stored(app: &TestApp) -> usize {
    std::fs::read_dir(&app.config.file_store)
        .map(|d| d.count())
        .unwrap_or(0)
}

/// Waits for the background job to have read every file's text.
async fn read_all(app: &TestApp) {
    let began = Instant::now();
    while count(
        app,
        "select count(*) from file_blobs where text_state = 'pending'",
    )
    .await
        > 0
    {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the files' text is still unread"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_resume_is_read_in_the_background_and_its_words_find_the_candidate() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let (recruiter, id) = candidate(&app).await;
    let profile = format!("/candidates/{id}");
    let pdf = documents::pdf(&["Ana Costa\nSenior engineer", "Kubernetes and Zanzibar"]);
    let res = recruiter
        .post_file(&format!("{profile}/files"), "Ana CV.pdf", pdf.clone(), None)
        .await;
    res.assert_redirect(&profile);
    read_all(&app).await;

    let page = recruiter.get(&profile).await;
    assert_eq!(page.texts(".files li > a"), ["Ana CV.pdf"]);
    let about = page.texts(".files li .hint")[0].clone();
    assert!(about.starts_with("PDF, "), "{about}");
    assert!(about.contains("2 pages"), "{about}");
    assert!(page.texts(".file-preview pre")[0].contains("Zanzibar"));
    let events = history_of(&recruiter, &profile).await;
    assert!(events[0].contains("added a file"), "{events:?}");

    // Its words went into the search index proper, not into a pending
    // list that every search would read until a vacuum merged it.
    let without = count(
        &app,
        "select count(*) from pg_class
          where relname in ('candidates_search_idx', 'requirements_search_idx', 'postings_search_idx')
            and 'fastupdate=off' = any(reloptions)",
    )
    .await;
    assert_eq!(without, 3, "a search index keeps a pending list");

    // Found by a word that is only in the resume.
    let found = recruiter.get("/candidates?q=zanzibar").await;
    assert_eq!(found.texts("tbody th a"), ["Ana Costa"]);
    // Where in the resume, the word marked.
    assert_eq!(found.texts("tbody .snippet mark"), ["Zanzibar"]);
    assert!(found.texts("tbody .snippet")[0].contains("Kubernetes and Zanzibar"));
    assert!(
        recruiter
            .get("/candidates?q=madagascar")
            .await
            .texts("tbody th")
            .is_empty()
    );

    // Downloaded as it was uploaded, as an attachment of its real type.
    let link = page.attr(".files li > a", "href").unwrap();
    let file = recruiter.get_bytes(&link).await;
    assert_eq!(file.0, StatusCode::OK);
    assert_eq!(file.1["content-type"], "application/pdf");
    let disposition = file.1["content-disposition"].to_str().unwrap().to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"Ana CV.pdf\""),
        "{disposition}"
    );
    assert_eq!(file.2, pdf);
    // Not to those who may not see the candidate.
    let (viewer, _) = app.signed_in(Role::Viewer).await;
    let (hm, _) = app.signed_in(Role::HiringManager).await;
    assert_eq!(viewer.get(&link).await.status, StatusCode::NOT_FOUND);
    assert_eq!(hm.get(&link).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_upload_is_judged_by_its_content_and_a_refused_one_leaves_nothing() {
    let app = TestApp::spawn_with(|c| c.file_max_bytes = 1_000_000).await;
    let (recruiter, id) = candidate(&app).await;
    let path = format!("/candidates/{id}/files");

    // An executable renamed to look like a resume.
    let mut exe = b"\x7fELF\x02\x01\x01\x00".to_vec();
    exe.extend(std::iter::repeat_n(0u8, 4096));
    let res = recruiter.post_file(&path, "resume.pdf", exe, None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.field_error("file").unwrap().starts_with(
            "Only PDF, Word (DOCX), OpenDocument text, RTF and plain text files are accepted"
        ),
        "{:?}",
        res.field_error("file")
    );
    // Too big, whatever it is.
    let big = documents::pdf_of_size("Kubernetes", 1_500_000);
    let res = recruiter.post_file(&path, "big.pdf", big, None).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("file").as_deref(),
        Some("This file is larger than the limit of 1.0 MB.")
    );
    // A forged form: no token, or another.
    let docx = documents::docx(&["Ana Costa", "Rust"]);
    let res = recruiter
        .post_file(&path, "cv.docx", docx.clone(), Some("forged"))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Someone who may not manage candidates.
    let (hm, _) = app.signed_in(Role::HiringManager).await;
    let res = hm.post_file(&path, "cv.docx", docx, None).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "select count(*) from file_blobs").await, 0);
    assert_eq!(
        count(&app, "select count(*) from file_attachments").await,
        0
    );
    assert_eq!(stored(&app), 0, "nothing stored");
}

/// A second candidate of the recruiter's.
async fn another(recruiter: &Client, name: &str, email: &str) -> Uuid {
    let res = recruiter
        .post(
            "/candidates",
            &[("full_name", name), ("emails", email), ("source", "agency")],
        )
        .await;
    res.location()
        .strip_prefix("/candidates/")
        .and_then(|id| id.parse().ok())
        .unwrap()
}

#[tokio::test]
async fn the_same_file_is_stored_once_and_attached_once_per_person() {
    let app = TestApp::spawn().await;
    app.run_workers();
    let (recruiter, ana) = candidate(&app).await;
    let ben = another(&recruiter, "Ben Dahl", "ben@example.com").await;
    let docx = documents::docx(&["Ben Dahl", "Quaternion specialist"]);
    for id in [ana, ben] {
        let path = format!("/candidates/{id}");
        recruiter
            .post_file(&format!("{path}/files"), "cv.docx", docx.clone(), None)
            .await
            .assert_redirect(&path);
    }
    let res = recruiter
        .post_file(
            &format!("/candidates/{ana}/files"),
            "again.docx",
            docx.clone(),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("file").as_deref(),
        Some("This file is attached already, as “cv.docx”.")
    );
    assert_eq!(count(&app, "select count(*) from file_blobs").await, 1);
    assert_eq!(
        count(&app, "select count(*) from file_attachments").await,
        2
    );
    assert_eq!(stored(&app), 1);
    // Read once, and both are found by it.
    read_all(&app).await;
    let found = recruiter.get("/candidates?q=quaternion").await;
    assert_eq!(found.texts("tbody th a"), ["Ben Dahl", "Ana Costa"]);
    // Content read already: its words find the next person at once.
    let cleo = another(&recruiter, "Cleo Park", "cleo@example.com").await;
    let path = format!("/candidates/{cleo}");
    recruiter
        .post_file(&format!("{path}/files"), "cv.docx", docx, None)
        .await
        .assert_redirect(&path);
    let found = recruiter.get("/candidates?q=quaternion").await;
    assert_eq!(
        found.texts("tbody th a"),
        ["Cleo Park", "Ben Dahl", "Ana Costa"]
    );

    // The other kinds are read too; a scan holds no text, and says so.
    let odt = documents::odt(&["Ben Dahl", "Heliotrope gardener"]);
    let rtf = documents::rtf(&["Ben Dahl", "Sextant navigator"]);
    let path = format!("/candidates/{ben}");
    for (name, bytes) in [
        ("cv.odt", odt),
        ("cv.rtf", rtf),
        ("scan.pdf", documents::pdf(&[""])),
    ] {
        recruiter
            .post_file(&format!("{path}/files"), name, bytes, None)
            .await
            .assert_redirect(&path);
    }
    read_all(&app).await;
    for word in ["heliotrope", "sextant"] {
        let found = recruiter.get(&format!("/candidates?q={word}")).await;
        assert_eq!(found.texts("tbody th a"), ["Ben Dahl"], "{word}");
    }
    let page = recruiter.get(&path).await;
    assert!(
        page.texts(".file-state")
            .iter()
            .any(|s| s.starts_with("No text found in it (a scan?)")),
        "{:?}",
        page.texts(".file-state")
    );
}

#[tokio::test]
async fn a_candidate_is_added_from_their_resume() {
    let app = TestApp::spawn().await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let resume = "Cleo Marsh\nLisbon · +351 912 345 678 · cleo.marsh@mail.test\nRust, PostgreSQL";
    let res = recruiter
        .post_file(
            "/candidates/resume",
            "cleo.txt",
            resume.as_bytes().to_vec(),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let form = res.location().to_owned();
    assert!(form.starts_with("/candidates/new?file="), "{form}");
    let file = form.trim_start_matches("/candidates/new?file=").to_owned();

    // Until its text is read, the page waits (and reloads itself).
    let page = recruiter.get(&form).await;
    assert!(page.texts("[role=status]")[0].starts_with("Reading the resume"));
    assert_eq!(
        page.attr("meta[http-equiv=refresh]", "content").as_deref(),
        Some("2")
    );
    assert!(page.texts("#full_name").is_empty(), "no form yet");
    // Nobody else may fetch the file meanwhile.
    let (other, _) = app.signed_in(Role::Recruiter).await;
    assert_eq!(
        other.get(&format!("/files/{file}")).await.status,
        StatusCode::NOT_FOUND
    );

    app.run_workers();
    read_all(&app).await;
    let page = recruiter.get(&form).await;
    assert!(page.attr("meta[http-equiv=refresh]", "content").is_none());
    assert_eq!(page.texts("#emails"), ["cleo.marsh@mail.test"]);
    assert_eq!(
        page.attr("#phone", "value").as_deref(),
        Some("+351 912 345 678")
    );
    assert_eq!(
        page.attr("input[name=file_id]", "value").as_deref(),
        Some(file.as_str())
    );
    let res = recruiter
        .post(
            "/candidates",
            &[
                ("full_name", "Cleo Marsh"),
                ("emails", "cleo.marsh@mail.test"),
                ("phone", "+351 912 345 678"),
                ("source", "sourced"),
                ("file_id", &file),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let profile = recruiter.get(res.location()).await;
    assert_eq!(profile.texts(".files li > a"), ["cleo.txt"]);
    // The file is the candidate's now: whoever sees them may fetch it.
    assert_eq!(
        other.get(&format!("/files/{file}")).await.status,
        StatusCode::OK
    );
    let found = recruiter.get("/candidates?q=postgresql").await;
    assert_eq!(found.texts("tbody th a"), ["Cleo Marsh"]);
}

/// An S3-compatible server (moto's, which CI installs) on a free port,
/// stopped when dropped.
struct S3Server {
    child: std::process::Child,
    url: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn s3_server() -> S3Server {
    let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "the S3 test needs an S3-compatible server: `{program}` did not start ({e}); \
                 install it with `pip install 'moto[s3,server]'` (.ci/run does), or set \
                 MOTO_SERVER to its path"
            )
        });
    let server = S3Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let began = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the S3 server did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server
}

#[tokio::test]
async fn files_live_in_an_s3_compatible_store_when_configured() {
    let s3 = s3_server().await;
    let http = reqwest::Client::new();
    let made = http
        .put(format!("{}/hh-files", s3.url))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success(), "bucket: {}", made.status());
    let endpoint = s3.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.file_store = "s3://hh-files/resumes".into();
        c.file_store_options = [
            ("aws_endpoint", endpoint.as_str()),
            ("aws_access_key_id", "test"),
            ("aws_secret_access_key", "test"),
            ("aws_region", "us-east-1"),
            ("aws_allow_http", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    })
    .await;
    app.run_workers();
    let (recruiter, id) = candidate(&app).await;
    let profile = format!("/candidates/{id}");
    let pdf = documents::pdf(&["Ana Costa", "Marmalade logistics"]);
    recruiter
        .post_file(&format!("{profile}/files"), "cv.pdf", pdf.clone(), None)
        .await
        .assert_redirect(&profile);
    // In the bucket, under its digest; nothing in the local directory.
    let sha: String = sqlx::query_scalar("select sha256 from file_blobs")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let bucket =
        hiring_hare::storage::Storage::open(&app.config.file_store, &app.config.file_store_options)
            .unwrap();
    let object = hiring_hare::domain::recruiting::files::Store::get(&bucket, &sha).await;
    assert_eq!(object.unwrap().to_vec(), pdf);
    let local = std::fs::read_dir(app.config.data_dir.join("files")).map_or(0, |d| d.count());
    assert_eq!(local, 0, "nothing in the local directory");
    // Read from there by the text job, and downloaded from there.
    read_all(&app).await;
    let found = recruiter.get("/candidates?q=marmalade").await;
    assert_eq!(found.texts("tbody th a"), ["Ana Costa"]);
    let link = recruiter
        .get(&profile)
        .await
        .attr(".files li > a", "href")
        .unwrap();
    assert_eq!(recruiter.get_bytes(&link).await.2, pdf);
}

/// An erasure queues a content for deletion from the store once nobody
/// holds it. The same file uploaded again meanwhile takes it off that
/// queue: an upload waits for a deletion under way and stores the file
/// afresh, and a deletion waits for an upload under way and then leaves
/// the file. (Checked only against the content's row, a deletion could
/// remove the file an upload was storing: listed, with nothing behind it.)
#[tokio::test]
async fn a_file_uploaded_again_while_its_content_is_forgotten_stays() {
    use hiring_hare::domain::recruiting::files::Store as _;
    use hiring_hare::domain::recruiting::privacy::anonymise;
    use sha2::Digest as _;
    let app = TestApp::spawn().await;
    let (recruiter, id) = candidate(&app).await;
    let profile = format!("/candidates/{id}");
    let store =
        hiring_hare::storage::Storage::open(&app.config.file_store, &app.config.file_store_options)
            .unwrap();
    let pdf = documents::pdf(&["Ana Costa", "Quince orchards"]);
    let sha = hex::encode(sha2::Sha256::digest(&pdf));
    let run = |sql: &'static str| {
        let (pool, sha) = (app.pool.clone(), sha.clone());
        async move { sqlx::query(sql).bind(sha).execute(&pool).await.unwrap() }
    };

    // Erased, as an erasure leaves it: in the store, held by nobody, queued.
    store.put(&sha, pdf.clone().into()).await.unwrap();
    run("insert into forgotten_files (sha256) values ($1)").await;
    // A deletion under way (as `forget_files` holds it), then an upload.
    let mut forgetting = app.pool.begin().await.unwrap();
    sqlx::query("select from forgotten_files where sha256 = $1 for update")
        .bind(&sha)
        .execute(&mut *forgetting)
        .await
        .unwrap();
    let files = format!("{profile}/files");
    let upload = recruiter.post_file(&files, "cv.pdf", pdf.clone(), None);
    let forget = async {
        let waited = app.lock_awaited().await;
        store.delete(&sha).await.unwrap();
        sqlx::query("delete from forgotten_files where sha256 = $1")
            .bind(&sha)
            .execute(&mut *forgetting)
            .await
            .unwrap();
        forgetting.commit().await.unwrap();
        waited
    };
    let (res, waited) = tokio::join!(upload, forget);
    assert!(waited, "the upload did not wait for the deletion");
    res.assert_redirect(&profile);
    assert_eq!(
        store.get(&sha).await.unwrap().to_vec(),
        pdf,
        "stored afresh"
    );

    // Erased again; this time an upload under way (as `files::attach`
    // takes it off the queue), then the deletion.
    run("delete from file_attachments where sha256 = $1").await;
    run("delete from file_blobs where sha256 = $1").await;
    run("insert into forgotten_files (sha256) values ($1)").await;
    let mut uploading = app.pool.begin().await.unwrap();
    sqlx::query(
        "with unqueued as (delete from forgotten_files where sha256 = $1)
         insert into file_blobs (sha256, size, kind) values ($1, $2, 'pdf')",
    )
    .bind(&sha)
    .bind(pdf.len() as i64)
    .execute(&mut *uploading)
    .await
    .unwrap();
    let forget = async {
        let mut conn = app.pool.acquire().await.unwrap();
        anonymise::forget_files(&mut conn, &store).await.unwrap()
    };
    let upload = async {
        let waited = app.lock_awaited().await;
        uploading.commit().await.unwrap();
        waited
    };
    let (forgotten, waited) = tokio::join!(forget, upload);
    assert!(waited, "the deletion did not wait for the upload");
    assert_eq!(forgotten, 0);
    assert_eq!(store.get(&sha).await.unwrap().to_vec(), pdf, "kept");
}
