//! Mail: invitations delivered over real SMTP (a small server run by the
//! test) and followed to a signed-in user, retries after a refused message,
//! the transactional outbox (rolled back = no mail; committed = delivered
//! even if no worker ran at the time), and the admin Outbox page.

use crate::harness::{Client, TestApp, link_in};
use base64::Engine as _;
use hiring_hare::domain::access::Role;
use hiring_hare::domain::messaging::outbox::{self, Mail};
use reqwest::StatusCode;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

/// How long anything asynchronous (delivery, a retry) may take.
const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `check` every 50 ms until it gives a value; fails after [`PATIENCE`].
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- a minimal SMTP server ---------------------------------------------------

/// One message the server accepted.
#[derive(Debug)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    /// The DATA as sent (CRLF line ends), dot-stuffing undone.
    data: String,
}

/// Speaks just enough SMTP for lettre: no STARTTLS, no AUTH.
struct SmtpServer {
    port: u16,
    accepted: mpsc::UnboundedReceiver<Received>,
    shared: Arc<Shared>,
}

struct Shared {
    /// Messages whose DATA was completely received, accepted or refused.
    transactions: AtomicUsize,
    /// This many first messages are refused with a transient 451.
    refuse_first: usize,
    /// The DATA of the refused messages.
    refused: std::sync::Mutex<Vec<String>>,
    /// Refusing a message closes the gate: later sessions get their
    /// greeting only once the test opens it, so the test sees the state
    /// between a refused attempt and the retry without racing the retry.
    gate: watch::Sender<bool>,
    accepted: mpsc::UnboundedSender<Received>,
}

impl SmtpServer {
    async fn start(refuse_first: usize) -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, accepted) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            transactions: AtomicUsize::new(0),
            refuse_first,
            refused: std::sync::Mutex::default(),
            gate: watch::Sender::new(true),
            accepted: tx,
        });
        let state = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    // A client that hangs up mid-session is its own business.
                    let _ = smtp_session(stream, &state).await;
                });
            }
        });
        SmtpServer {
            port,
            accepted,
            shared,
        }
    }

    /// The app's SMTP_URL for this server: plain SMTP, no TLS (lettre's
    /// `from_url` adds TLS only for `smtps://` or a `?tls=` parameter).
    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Lets sessions held since a refusal proceed.
    fn open_gate(&self) {
        self.shared.gate.send_replace(true);
    }

    fn transactions(&self) -> usize {
        self.shared.transactions.load(Ordering::SeqCst)
    }

    /// The next accepted message, waiting up to [`PATIENCE`].
    async fn next_message(&mut self) -> Received {
        tokio::time::timeout(PATIENCE, self.accepted.recv())
            .await
            .expect("a message reaches the SMTP server in time")
            .expect("the SMTP server is running")
    }
}

async fn read_line<R: AsyncBufReadExt + Unpin>(r: &mut R) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if r.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// `MAIL FROM:<a@b> SIZE=1` → `a@b`.
fn envelope_address(line: &str) -> String {
    let start = line.find('<').map_or(0, |i| i + 1);
    let end = line[start..].find('>').map_or(line.len(), |i| start + i);
    line[start..end].trim().to_owned()
}

async fn smtp_session(stream: tokio::net::TcpStream, state: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    if state.gate.subscribe().wait_for(|open| *open).await.is_err() {
        return Ok(());
    }
    write.write_all(b"220 smtp.test ESMTP ready\r\n").await?;
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    while let Some(line) = read_line(&mut read).await? {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-smtp.test greets you\r\n250 HELP\r\n",
            "HELO" => b"250 smtp.test\r\n",
            "MAIL" => {
                mail_from = envelope_address(&line);
                rcpt_to.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                rcpt_to.push(envelope_address(&line));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    let Some(line) = read_line(&mut read).await? else {
                        return Ok(());
                    };
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                let n = state.transactions.fetch_add(1, Ordering::SeqCst);
                if n < state.refuse_first {
                    state.refused.lock().unwrap().push(data);
                    state.gate.send_replace(false);
                    b"451 4.3.0 Mailbox busy, try again later\r\n"
                } else {
                    let _ = state.accepted.send(Received {
                        mail_from: std::mem::take(&mut mail_from),
                        rcpt_to: std::mem::take(&mut rcpt_to),
                        data,
                    });
                    b"250 2.0.0 Queued\r\n"
                }
            }
            "RSET" => {
                mail_from.clear();
                rcpt_to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

// ---- reading a MIME message ---------------------------------------------------

/// A message or one part of a multipart body.
struct Part {
    /// Lower-case names, unfolded values.
    headers: Vec<(String, String)>,
    body: String,
}

impl Part {
    fn parse(raw: &str) -> Part {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                if let Some((_, value)) = headers.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Part {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `text/plain` from `Content-Type: text/plain; charset=utf-8`.
    fn mime_type(&self) -> String {
        self.header("content-type")
            .unwrap_or("text/plain")
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    }

    fn content_type_param(&self, name: &str) -> Option<String> {
        self.header("content-type")?
            .split(';')
            .skip(1)
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
    }

    /// The parts of a multipart body (empty if it is not one).
    fn parts(&self) -> Vec<Part> {
        let Some(boundary) = self.content_type_param("boundary") else {
            return Vec::new();
        };
        let delimiter = format!("--{boundary}");
        self.body
            .split(&delimiter)
            .skip(1) // the preamble
            .take_while(|p| !p.starts_with("--")) // the close delimiter
            .map(|p| {
                // The CRLFs around a delimiter belong to the delimiter.
                let p = p.strip_prefix("\r\n").unwrap_or(p);
                Part::parse(p.strip_suffix("\r\n").unwrap_or(p))
            })
            .collect()
    }

    /// The body with its Content-Transfer-Encoding undone.
    fn decoded(&self) -> String {
        let encoding = self
            .header("content-transfer-encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        match encoding.as_str() {
            "base64" => {
                let compact: String = self.body.chars().filter(|c| !c.is_whitespace()).collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("valid base64 body");
                String::from_utf8(bytes).expect("UTF-8 body")
            }
            "quoted-printable" => decode_quoted_printable(&self.body),
            _ => self.body.clone(),
        }
    }
}

fn decode_quoted_printable(s: &str) -> String {
    // Soft line breaks first, then =XX escapes.
    let joined = s.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII escape");
            out.push(u8::from_str_radix(hex, 16).expect("=XX escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8 body")
}

// ---- helpers ---------------------------------------------------------------------

/// Invites a user through the admin form.
async fn invite(admin: &Client, email: &str, name: &str, role: Role) {
    let form = admin.get("/admin/users/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let res = admin
        .post(
            "/admin/users",
            &[
                ("email", email),
                ("full_name", name),
                ("roles", role.as_str()),
                ("department_id", ""),
                ("manager_id", ""),
                ("time_zone", "UTC"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "invite: {}", res.body);
    assert!(
        res.location().starts_with("/admin/users/"),
        "{}",
        res.location()
    );
}

#[derive(Debug, sqlx::FromRow)]
struct OutboxRow {
    id: Uuid,
    attempts: i32,
    last_error: Option<String>,
    sent: bool,
}

async fn outbox_rows(pool: &PgPool, to: &str) -> Vec<OutboxRow> {
    sqlx::query_as(
        "select id, attempts, last_error, sent_at is not null as sent
           from outbox where to_address = $1 order by created_at",
    )
    .bind(to)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Waits until the only outbox row to `to` is marked sent, and returns it.
async fn sent_row(pool: &PgPool, to: &str) -> OutboxRow {
    eventually("the outbox row to be marked sent", async || {
        let mut rows = outbox_rows(pool, to).await;
        assert!(rows.len() <= 1, "one message to {to}: {rows:?}");
        rows.pop().filter(|r| r.sent)
    })
    .await
}

fn a_mail(to: &str, subject: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: subject.into(),
        text: "Hello,\n\nthis is a test.\n".into(),
        html: "<p>Hello,</p><p>this is a test.</p>".into(),
        template: "invitation",
        sealed_token: None,
        calendar: None,
    }
}

async fn counts(pool: &PgPool) -> (i64, i64) {
    let outbox: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(pool)
        .await
        .unwrap();
    let tasks: i64 = sqlx::query_scalar("select count(*) from apalis.jobs")
        .fetch_one(pool)
        .await
        .unwrap();
    (outbox, tasks)
}

// ---- tests -----------------------------------------------------------------------

#[tokio::test]
async fn invitation_goes_out_over_smtp_and_its_link_signs_the_user_in() {
    let mut smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let app = TestApp::spawn_with(|config| config.smtp_url = Some(url)).await;
    app.run_workers();
    let (admin, _) = app.signed_in(Role::Admin).await;
    let started = Instant::now();
    invite(&admin, "ivy@example.com", "Ivy Invitee", Role::Recruiter).await;

    let received = smtp.next_message().await;
    let delivered_in = started.elapsed();
    assert_eq!(received.mail_from, "no-reply@hiringhare.test");
    assert_eq!(received.rcpt_to, vec!["ivy@example.com"]);
    let message = Part::parse(&received.data);
    assert_eq!(message.header("to"), Some("ivy@example.com"));
    assert_eq!(
        message.header("from"),
        Some("\"Hiring Hare\" <no-reply@hiringhare.test>")
    );
    assert_eq!(
        message.header("subject"),
        Some("Test Admin invited you to Hiring Hare")
    );
    assert_eq!(message.mime_type(), "multipart/alternative");
    let parts = message.parts();
    let types: Vec<String> = parts.iter().map(Part::mime_type).collect();
    assert_eq!(types, ["text/plain", "text/html"], "{}", received.data);
    let text = parts[0].decoded();
    let html = parts[1].decoded();
    assert!(text.contains("Hello Ivy Invitee,"), "{text}");
    let link = link_in(&text, "/invitation/").expect("an invitation link in the text");
    let queued = app.last_mail_to("ivy@example.com").await.unwrap();
    assert_eq!(link_in(&queued, "/invitation/").as_ref(), Some(&link));
    let full_link = app.url(&link);
    assert!(
        html.contains(&format!("href=\"{full_link}\"")),
        "the HTML part links to {full_link}: {html}"
    );

    // The outbox row is marked sent after one attempt; the message is it.
    let row = sent_row(&app.pool, "ivy@example.com").await;
    assert_eq!((row.attempts, row.last_error), (1, None));
    assert_eq!(
        message.header("message-id"),
        Some(format!("<{}@hiringhare>", row.id).as_str())
    );

    // Ivy follows the link in a browser of her own and chooses a password.
    let browser = app.client();
    let form = browser.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body
            .contains("Choose a password for Ivy Invitee (ivy@example.com)."),
        "{}",
        form.body
    );
    let new_password = "lantern over quiet water";
    let res = browser
        .post(
            &link,
            &[("password", new_password), ("confirm", new_password)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/");
    let home = browser.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert_eq!(home.texts("h1"), ["Welcome, Ivy"]);
    assert_eq!(home.texts(".user-menu summary"), ["Ivy Invitee"]);
    // The link works once, and the password signs her in from elsewhere.
    assert_eq!(app.client().get(&link).await.status, StatusCode::GONE);
    app.client()
        .sign_in("ivy@example.com", new_password, "/")
        .await
        .assert_redirect("/");
    // Nothing else went out.
    assert_eq!(smtp.transactions(), 1);
    eprintln!("invitation delivered over SMTP in {delivered_in:?}");
}

#[tokio::test]
async fn a_refused_message_is_retried_and_delivered() {
    let mut smtp = SmtpServer::start(1).await;
    let url = smtp.url();
    let app = TestApp::spawn_with(|config| config.smtp_url = Some(url)).await;
    app.run_workers();
    let (admin, _) = app.signed_in(Role::Admin).await;
    invite(&admin, "rex@example.com", "Rex Retry", Role::Viewer).await;

    // The first attempt is refused, and the outbox says so while it waits.
    let failed = eventually("the refused attempt to be recorded", async || {
        outbox_rows(&app.pool, "rex@example.com")
            .await
            .pop()
            .filter(|r| r.attempts == 1 && !r.sent)
    })
    .await;
    assert_eq!(smtp.transactions(), 1);
    let error = failed.last_error.unwrap_or_default();
    assert!(error.contains("451"), "{error}");
    let page = admin.get("/admin/outbox").await;
    assert!(
        page.texts("table.data tbody td")
            .iter()
            .any(|t| t.starts_with("Retrying (1)")),
        "{}",
        page.body
    );

    // The retry, after the back-off, is accepted.
    smtp.open_gate();
    let received = smtp.next_message().await;
    assert_eq!(received.rcpt_to, vec!["rex@example.com"]);
    assert_eq!(
        Part::parse(&received.data).header("subject"),
        Some("Test Admin invited you to Hiring Hare")
    );
    let row = sent_row(&app.pool, "rex@example.com").await;
    assert_eq!((row.attempts, row.last_error), (2, None));
    assert_eq!(smtp.transactions(), 2, "one refused, one accepted");
    // Both attempts are one message to mail clients: the Message-ID is the
    // outbox row's.
    let refused = smtp.shared.refused.lock().unwrap().clone();
    let message_id = format!("<{}@hiringhare>", row.id);
    assert_eq!(
        Part::parse(&refused[0]).header("message-id"),
        Some(message_id.as_str())
    );
    assert_eq!(
        Part::parse(&received.data).header("message-id"),
        Some(message_id.as_str())
    );
}

#[tokio::test]
async fn a_rolled_back_change_sends_no_mail() {
    let app = TestApp::spawn().await;
    let mail = a_mail("nobody@example.com", "Never sent");

    let mut tx = app.pool.begin().await.unwrap();
    outbox::queue(&mut tx, &mail).await.unwrap();
    let inside: (i64, i64) = (
        sqlx::query_scalar("select count(*) from outbox")
            .fetch_one(&mut *tx)
            .await
            .unwrap(),
        sqlx::query_scalar("select count(*) from apalis.jobs")
            .fetch_one(&mut *tx)
            .await
            .unwrap(),
    );
    assert_eq!(inside, (1, 1), "both written through the transaction");
    assert_eq!(counts(&app.pool).await, (0, 0), "invisible before commit");
    tx.rollback().await.unwrap();
    assert_eq!(counts(&app.pool).await, (0, 0), "rollback leaves nothing");

    let mut tx = app.pool.begin().await.unwrap();
    let id = outbox::queue(&mut tx, &mail).await.unwrap();
    assert_eq!(counts(&app.pool).await, (0, 0), "invisible before commit");
    tx.commit().await.unwrap();
    assert_eq!(counts(&app.pool).await, (1, 1));
    // The task is a mail task for that very row.
    let (queue, outbox_id): (String, Option<String>) = sqlx::query_as(
        "select job_type, convert_from(job, 'UTF8')::jsonb ->> 'outbox_id' from apalis.jobs",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(queue, jobs::MAIL_QUEUE);
    assert_eq!(outbox_id, Some(id.to_string()));
}

#[tokio::test]
async fn mail_committed_while_no_worker_ran_is_delivered_when_one_starts() {
    // File transport (no SMTP_URL): messages land in <data_dir>/mail.
    let app = TestApp::spawn().await;
    let mail_dir = app.data_dir.path().join("mail");
    let eml_files = || -> Vec<std::path::PathBuf> {
        std::fs::read_dir(&mail_dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let subject = "Queued while the workers were down";
    let mut tx = app.pool.begin().await.unwrap();
    outbox::queue(&mut tx, &a_mail("late@example.com", subject))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // The process "crashed" here: committed, nothing delivered.
    assert!(eml_files().is_empty());
    assert!(!outbox_rows(&app.pool, "late@example.com").await[0].sent);

    let started = Instant::now();
    app.run_workers();
    let file = eventually("an .eml file in the mail directory", async || {
        eml_files().pop()
    })
    .await;
    let delivered_in = started.elapsed();
    let row = sent_row(&app.pool, "late@example.com").await;
    assert_eq!((row.attempts, row.last_error), (1, None));
    assert_eq!(eml_files().len(), 1, "delivered once");
    let eml = std::fs::read_to_string(&file).unwrap();
    let message = Part::parse(&eml);
    assert_eq!(message.header("subject"), Some(subject));
    assert_eq!(message.header("to"), Some("late@example.com"));
    eprintln!("delivered {delivered_in:?} after the workers started");
}

#[tokio::test]
async fn outbox_page_lists_the_invitation_with_its_link_masked_for_admins_only() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    invite(&admin, "olga@example.com", "Olga Outbox", Role::Interviewer).await;
    // The link as the mail transport gets it works...
    let link = link_in(
        &app.last_mail_to("olga@example.com").await.unwrap(),
        "/invitation/",
    )
    .unwrap();
    let token = link.trim_start_matches("/invitation/");
    assert_eq!(app.client().get(&link).await.status, StatusCode::OK);
    // ...but neither the stored message nor the page holds it.
    let (text, html): (String, String) =
        sqlx::query_as("select body_text, body_html from outbox where to_address = $1")
            .bind("olga@example.com")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(!text.contains(token) && !html.contains(token), "{text}");
    assert!(text.contains("/invitation/[token-withheld]"), "{text}");

    let page = admin.get("/admin/outbox").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(token), "{}", page.body);
    let rows = page.texts("table.data tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    for expected in [
        "olga@example.com",
        "Test Admin invited you to Hiring Hare",
        "invitation",
        "Queued", // no worker runs in this test
        "(token withheld)",
    ] {
        assert!(row.contains(expected), "{expected:?} in {row:?}");
    }
    assert!(
        page.attr("table.data tbody a", "href").is_none(),
        "a masked link is not offered as one: {}",
        page.body
    );
    assert!(!page.body.contains("work all the same"), "{}", page.body);
    // The masked link opens nothing.
    let masked = page.texts("table.data tbody .masked-link");
    let masked = url::Url::parse(&masked[0]).unwrap();
    let res = app.client().get(masked.path()).await;
    assert_ne!(res.status, StatusCode::OK, "{}", res.body);
    assert!(!res.body.contains("Olga Outbox"), "{}", res.body);

    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    assert_eq!(
        recruiter.get("/admin/outbox").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_mail_file_holds_the_working_link_for_the_app_user_only_and_a_repeat_replaces_it() {
    // File transport (no SMTP_URL): messages land in <data_dir>/mail.
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    invite(&admin, "fay@example.com", "Fay File", Role::Viewer).await;
    app.run_workers();
    let row = sent_row(&app.pool, "fay@example.com").await;
    let path = app
        .data_dir
        .path()
        .join("mail")
        .join(format!("{}.eml", row.id));
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let eml = std::fs::read_to_string(&path).unwrap();
    let message = Part::parse(&eml);
    let text = message.parts()[0].decoded();
    let link = link_in(&text, "/invitation/").expect("a link in the file");
    assert!(!link.contains("token-withheld"), "{link}");
    let form = app.client().get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);

    // A crash between the transport and the "sent" mark: the retry
    // delivers the same message again, over the same file.
    sqlx::query("update outbox set sent_at = null where id = $1")
        .bind(row.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let delivery =
        hiring_hare::mail::Delivery::new(app.pools.background.clone(), &app.config).unwrap();
    jobs::Mailer::deliver(&delivery, row.id).await.unwrap();
    let files = std::fs::read_dir(app.data_dir.path().join("mail"))
        .unwrap()
        .count();
    assert_eq!(files, 1);
    let again = Part::parse(&std::fs::read_to_string(&path).unwrap());
    assert_eq!(
        again.header("message-id"),
        Some(format!("<{}@hiringhare>", row.id).as_str())
    );
    assert_eq!(again.header("message-id"), message.header("message-id"));
}

#[tokio::test]
async fn mail_queued_by_seed_demo_links_to_the_public_url_of_the_process_that_sends_it() {
    let app = TestApp::spawn_with(|c| c.public_url = "https://hire.example.org".into()).await;
    // seed-demo, run with an address of its own (or none: BIND's default).
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_hiring-hare"))
        .arg("seed-demo")
        .env("DATABASE_URL", &app.database_url)
        .env("PUBLIC_URL", "http://127.0.0.1:9")
        .env(
            "SECRET_KEY",
            std::str::from_utf8(&app.config.secret_key).unwrap(),
        )
        .env("DATA_DIR", app.data_dir.path())
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let queued: i64 = sqlx::query_scalar("select count(*) from outbox")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(queued > 0, "seed-demo queues approval mail");

    app.run_workers();
    eventually("every message to be sent", async || {
        let unsent: i64 = sqlx::query_scalar("select count(*) from outbox where sent_at is null")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        (unsent == 0).then_some(())
    })
    .await;
    let mut links = 0;
    for file in std::fs::read_dir(app.data_dir.path().join("mail")).unwrap() {
        let eml = std::fs::read_to_string(file.unwrap().path()).unwrap();
        for part in Part::parse(&eml).parts() {
            let body = part.decoded();
            for word in body.split(|c: char| c.is_whitespace() || c == '"') {
                if word.starts_with("http") {
                    assert!(word.starts_with("https://hire.example.org/"), "{word}");
                    links += 1;
                }
            }
            assert!(!body.contains("127.0.0.1:9"), "{body}");
        }
    }
    assert!(links > 0);
}

#[tokio::test]
async fn stored_reset_and_approval_mail_hold_masked_links_that_open_nothing() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let client = app.client();
    client.get("/password-reset").await;
    let res = client
        .post("/password-reset", &[("email", "ada@example.com")])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    crate::harness::fixtures::submitted(&app).await;

    for (to, path) in [
        ("ada@example.com", "/password-reset/"),
        ("head@example.com", "/approvals/"),
    ] {
        let stored: String =
            sqlx::query_scalar("select body_text from outbox where to_address = $1")
                .bind(to)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        let masked = stored
            .split_whitespace()
            .find(|w| w.contains(path))
            .unwrap_or_else(|| panic!("a link in {stored}"));
        assert!(masked.contains("[token-withheld]"), "{masked}");
        // As stored (its address put in), the link opens nothing...
        let masked = masked.replace(hiring_hare::domain::messaging::outbox::PUBLIC_URL_MARK, "");
        let res = app.client().get(&masked).await;
        assert_eq!(res.status, StatusCode::GONE, "{masked}: {}", res.body);
        // ...while the one delivered does.
        let text = app.last_mail_to(to).await.unwrap();
        let sent = text
            .split_whitespace()
            .find(|w| w.contains(path))
            .unwrap()
            .trim_start_matches(&app.config.public_url);
        let token = sent.rsplit(['/', '=']).next().unwrap();
        assert!(token.len() > 20 && !stored.contains(token), "{sent}");
        let res = app.client().get(sent).await;
        assert_eq!(res.status, StatusCode::OK, "{sent}: {}", res.body);
    }
}
