//! The test harness: a real PostgreSQL (the embedded cluster under `data/`
//! unless DATABASE_URL names a server), a fresh database per test cloned
//! from a migrated template, the app served on a free loopback port, and
//! HTTP clients with their own cookie jars that handle CSRF like a browser.

pub mod documents;
pub mod fixtures;

use hiring_hare::auth::password;
use hiring_hare::config::Config;
use hiring_hare::db::embedded::EmbeddedPostgres;
use hiring_hare::domain::access::Role;
use hiring_hare::domain::activity::audit::Actor;
use hiring_hare::domain::org::user::{self, Email, UserFields};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use sha2::Digest as _;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use uuid::Uuid;

pub const PASSWORD: &str = "copper kettle morning";

/// The server tests run against: its admin URL, and a way to build a URL
/// for one database on it.
struct Server {
    admin_url: String,
    /// Kept alive for the whole test run (and left running afterwards, to be
    /// reused by the next run or by `cargo run`).
    embedded: Option<EmbeddedPostgres>,
    template: String,
}

impl Server {
    fn url(&self, db: &str) -> String {
        match &self.embedded {
            Some(pg) => pg.url(db),
            None => {
                let mut url = url::Url::parse(&self.admin_url).expect("DATABASE_URL is a URL");
                url.set_path(&format!("/{db}"));
                url.to_string()
            }
        }
    }
}

static SERVER: OnceLock<Server> = OnceLock::new();

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts (or finds) the server and builds the template database, once per
/// test process. Runs on its own thread and runtime: each `#[tokio::test]`
/// has its own runtime, and nothing made here may be tied to one of them.
fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        std::thread::spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let (admin_url, embedded) = match std::env::var("DATABASE_URL") {
                    Ok(url) if !url.is_empty() => (url, None),
                    _ => {
                        let pg = EmbeddedPostgres::ensure_running(&repo_dir().join("data"))
                            .await
                            .unwrap();
                        (pg.url("postgres"), Some(pg))
                    }
                };
                let mut server = Server {
                    admin_url,
                    embedded,
                    template: String::new(),
                };
                server.template = template(&server).await;
                server
            })
        })
        .join()
        .unwrap()
    })
}

/// The template's name carries a digest of the migrations, so a changed
/// migration gets a new template instead of a stale one.
async fn template(server: &Server) -> String {
    let mut digest = sha2::Sha256::new();
    for m in hiring_hare::db::MIGRATOR.iter() {
        digest.update(m.checksum.as_ref());
    }
    digest.update(env!("CARGO_PKG_VERSION"));
    let name = format!("hh_template_{}", &hex::encode(digest.finalize())[..12]);
    let mut admin = PgConnection::connect(&server.admin_url).await.unwrap();
    // One test process at a time builds it.
    sqlx::query("select pg_advisory_lock(7171)")
        .execute(&mut admin)
        .await
        .unwrap();
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    if !exists {
        let building = format!("{name}_building");
        exec(&mut admin, &format!("drop database if exists {building}")).await;
        exec(&mut admin, &format!("create database {building}")).await;
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .connect(&server.url(&building))
            .await
            .unwrap();
        hiring_hare::db::migrate(&pool).await.unwrap();
        pool.close().await;
        exec(
            &mut admin,
            &format!("alter database {building} rename to {name}"),
        )
        .await;
    }
    // Databases of earlier runs of this binary.
    let stale: Vec<String> =
        sqlx::query_scalar("select datname from pg_database where datname like 'hh_test_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    for db in stale {
        exec(
            &mut admin,
            &format!("drop database if exists {db} with (force)"),
        )
        .await;
    }
    sqlx::query("select pg_advisory_unlock(7171)")
        .execute(&mut admin)
        .await
        .unwrap();
    name
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(conn)
        .await
        .unwrap();
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> (PgPool, String) {
    let server = server();
    let name = format!("hh_test_{}_{}", std::process::id(), Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server.admin_url).await.unwrap();
    exec(
        &mut admin,
        &format!("create database {name} template {}", server.template),
    )
    .await;
    let url = server.url(&name);
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .unwrap();
    (pool, url)
}

/// A database with nothing in it yet (not cloned from the template), for a
/// test that migrates it step by step.
pub async fn empty_database() -> PgPool {
    let server = server();
    let name = format!("hh_test_{}_{}", std::process::id(), Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server.admin_url).await.unwrap();
    exec(&mut admin, &format!("create database {name}")).await;
    PgPoolOptions::new()
        .max_connections(2)
        .connect(&server.url(&name))
        .await
        .unwrap()
}

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    /// The test's own pool, for reading and arranging rows directly.
    pub pool: PgPool,
    /// The app's pools, built as `serve` builds them (the requests' pool of
    /// `config.database_pool_size`).
    pub pools: hiring_hare::db::Pools,
    /// The test's own database, for a second process to share.
    pub database_url: String,
    /// The app's live-update fan-out (to see its streams).
    pub live: hiring_hare::live::Live,
    pub config: Config,
    /// Holds `data/mail` for the file transport.
    pub data_dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn test_config(data_dir: &std::path::Path) -> Config {
    Config {
        database_url: None,
        database_pool_size: 8,
        bind: "127.0.0.1:0".parse().unwrap(),
        public_url: String::new(),
        secret_key: b"test-secret-key-test-secret-key-test".to_vec(),
        smtp_url: None,
        mail_from: "Hiring Hare <no-reply@hiringhare.test>".into(),
        scheduling_address: "Hiring Hare Scheduling <interviews@hiringhare.test>".into(),
        inbound_mail_secret: Some("test-inbound-secret".into()),
        data_dir: data_dir.to_owned(),
        session_idle: Duration::from_secs(8 * 3600),
        session_absolute: Duration::from_secs(7 * 24 * 3600),
        trust_proxy_headers: false,
        trusted_proxy_hops: 1,
        metrics_token: None,
        file_store: data_dir.join("files").to_string_lossy().into_owned(),
        file_max_bytes: 10_000_000,
        rejection_mail_delay: Duration::from_secs(600),
        file_store_options: Vec::new(),
    }
}

impl TestApp {
    /// Whether a statement of the app's came to wait for a lock (within 5 s).
    pub async fn lock_awaited(&self) -> bool {
        let began = std::time::Instant::now();
        while began.elapsed() < Duration::from_secs(5) {
            let waiting: i64 = sqlx::query_scalar(
                "select count(*) from pg_stat_activity
                  where datname = current_database() and wait_event_type = 'Lock'",
            )
            .fetch_one(&self.pool)
            .await
            .unwrap();
            if waiting > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        false
    }

    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Spawns the app after `adjust` has changed its configuration.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (pool, database_url) = fresh_database().await;
        let data_dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = test_config(data_dir.path());
        config.public_url = format!("http://{addr}");
        adjust(&mut config);
        hiring_hare::web::health::install_metrics();
        let pools = hiring_hare::db::open(&database_url, config.database_pool_size)
            .await
            .unwrap();
        let state = hiring_hare::server::state(&pools, config.clone()).unwrap();
        let live = state.live.clone();
        let app = hiring_hare::web::router(state);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        // Ready as a load balancer would see it: the listener for live
        // updates is up (it has a connection of its own, which may take a
        // moment on a busy machine).
        for _ in 0..200 {
            if live.listening() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        TestApp {
            addr,
            pool,
            pools,
            database_url,
            live,
            config,
            data_dir,
            stop: Some(stop),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Waits until `n` event streams are open, so that what a test does
    /// next is heard live (a page opens its stream after it loads; on a
    /// loaded machine, with browsers starting beside it, that takes a while).
    pub async fn wait_for_streams(&self, n: usize) {
        let began = std::time::Instant::now();
        while self.live.streams() < n {
            assert!(
                began.elapsed() < std::time::Duration::from_secs(30),
                "{} of {n} pages opened their event stream",
                self.live.streams()
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Runs the background workers (mail delivery, reminders) until the
    /// test ends.
    pub fn run_workers(&self) {
        let background = &self.pools.background;
        let delivery = hiring_hare::mail::Delivery::new(background.clone(), &self.config).unwrap();
        tokio::spawn(jobs::run_workers(
            background.clone(),
            std::sync::Arc::new(delivery),
            std::sync::Arc::new(
                hiring_hare::server::Periodic::new(background.clone(), &self.config).unwrap(),
            ),
            std::sync::Arc::new(
                hiring_hare::server::Extraction::new(background.clone(), &self.config).unwrap(),
            ),
            std::future::pending(),
        ));
    }

    /// Creates an active user with `roles` and the test password.
    pub async fn user(&self, email: &str, name: &str, roles: &[Role]) -> Uuid {
        static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
        let hash = HASH
            .get_or_init(|| async { password::hash(PASSWORD.into()).await.unwrap() })
            .await;
        let fields = UserFields {
            email: Email::parse(email).unwrap(),
            full_name: name.into(),
            roles: roles.to_vec(),
            department_id: None,
            manager_id: None,
            time_zone: "UTC".into(),
        };
        let mut conn = self.pool.acquire().await.unwrap();
        user::create(&mut conn, &Actor::system(), &fields, Some(hash))
            .await
            .unwrap()
    }

    /// A user with `role`, signed in through the sign-in form.
    pub async fn signed_in(&self, role: Role) -> (Client, Uuid) {
        let email = format!("{}-{}@example.com", role.as_str(), Uuid::new_v4().simple());
        let id = self
            .user(&email, &format!("Test {}", role.label()), &[role])
            .await;
        let client = self.client();
        let res = client.sign_in(&email, PASSWORD, "/").await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "sign-in as {role} failed: {}",
            res.body
        );
        (client, id)
    }

    pub fn client(&self) -> Client {
        Client::at(&format!("http://{}", self.addr))
    }

    /// The text of the last mail queued to `to`, as the mail transport gets
    /// it: with the working token that the stored row only keeps sealed.
    pub async fn last_mail_to(&self, to: &str) -> Option<String> {
        let id: Uuid = sqlx::query_scalar(
            "select id from outbox where to_address = $1 order by created_at desc limit 1",
        )
        .bind(to)
        .fetch_optional(&self.pool)
        .await
        .unwrap()?;
        let mut conn = self.pool.acquire().await.unwrap();
        let message = hiring_hare::domain::messaging::outbox::find(&mut conn, id)
            .await
            .unwrap()?;
        Some(
            message
                .as_sent(&self.config.secret_key, &self.config.public_url)
                .unwrap()
                .0,
        )
    }

    pub async fn audit_count(&self, action: &str, entity_id: Uuid) -> i64 {
        sqlx::query_scalar("select count(*) from audit_logs where action = $1 and entity_id = $2")
            .bind(action)
            .bind(entity_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

/// The first link in `text` that starts with `prefix` (after the host).
pub fn link_in(text: &str, path_prefix: &str) -> Option<String> {
    text.split_whitespace()
        .filter_map(|w| url::Url::parse(w).ok())
        .find(|u| u.path().starts_with(path_prefix))
        .map(|u| u.path().to_owned())
}

/// A browser-like HTTP client: cookies kept, redirects not followed (tests
/// assert them), and the CSRF token of the last page sent with each form.
pub struct Client {
    base: String,
    http: reqwest::Client,
    csrf: std::sync::Mutex<Option<String>>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    pub fn html(&self) -> Html {
        Html::parse_document(&self.body)
    }

    /// Texts of the elements matching `css`.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let sel = Selector::parse(css).unwrap();
        self.html()
            .select(&sel)
            .map(|e| {
                e.text()
                    .collect::<String>()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    /// The texts of the elements matching `css`, as one line.
    pub fn text(&self, css: &str) -> String {
        self.texts(css).join(" ")
    }

    pub fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.attrs(css, attr).into_iter().next()
    }

    /// `attr` of each element matching `css` that has it.
    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let sel = Selector::parse(css).unwrap();
        self.html()
            .select(&sel)
            .filter_map(|e| e.value().attr(attr).map(str::to_owned))
            .collect()
    }

    pub fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a redirect (303) to `to`: a redirect is success only where
    /// it leads (a 303 to `/sign-in` is none).
    #[track_caller]
    pub fn assert_redirect(&self, to: &str) {
        assert_eq!(
            (self.status, self.location()),
            (StatusCode::SEE_OTHER, to),
            "{}",
            self.body
        );
    }

    /// The message shown beside `field` (by the error id convention).
    pub fn field_error(&self, field: &str) -> Option<String> {
        self.texts(&format!("#{field}-error")).into_iter().next()
    }
}

impl Client {
    /// A browser-like client (cookies, no redirects followed) of the app
    /// at `base`.
    pub fn at(base: &str) -> Client {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// As [`Client::at`], sending `headers` with every request (a forwarded
    /// address, a request id).
    pub fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Client {
        Client {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .default_headers(headers)
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    /// The raw response of a GET, to read a stream from.
    pub async fn stream(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }
    pub async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    /// A GET with `headers` added (`HX-Request`, a bearer token).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Page {
        let mut req = self.http.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req).await
    }

    /// An htmx request for a fragment.
    pub async fn get_hx(&self, path: &str) -> Page {
        self.send(
            self.http
                .get(format!("{}{path}", self.base))
                .header("HX-Request", "true"),
        )
        .await
    }

    /// A download: its status, headers and bytes as sent.
    pub async fn get_bytes(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.bytes().await.unwrap().to_vec())
    }

    /// Posts a form with the CSRF token of the last page fetched (fetching
    /// `/profile` or `/sign-in` first if none was).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        fields.push(("csrf_token", &token));
        self.post_raw(path, &fields).await
    }

    /// As [`post`], the way htmx sends it: token in the header.
    pub async fn post_hx(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let token = self.csrf_token().await;
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .form(form);
        self.send(req).await
    }

    /// Uploads `bytes` as the form's `file`, as a browser sends a file
    /// form: multipart, the CSRF token its first field (`token` overrides
    /// the page's, to test a wrong one).
    pub async fn post_file(
        &self,
        path: &str,
        name: &str,
        bytes: Vec<u8>,
        token: Option<&str>,
    ) -> Page {
        let token = match token {
            Some(t) => t.to_owned(),
            None => self.csrf_token().await,
        };
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_owned())
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .multipart(form),
        )
        .await
    }

    /// Posts `fields` and a `file` (name, bytes) as one multipart form, as
    /// a browser sends a form with a file, and nothing else (no token).
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
    ) -> Page {
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        if let Some((name, bytes)) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name(name.to_owned())
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
        }
        self.send(
            self.http
                .post(format!("{}{path}", self.base))
                .multipart(form),
        )
        .await
    }

    /// Posts exactly `form`, with no token added.
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(self.http.post(format!("{}{path}", self.base)).form(form))
            .await
    }

    pub async fn csrf_token(&self) -> String {
        if let Some(t) = self.csrf.lock().unwrap().clone() {
            return t;
        }
        let page = self.get("/sign-in").await;
        if page.status == StatusCode::SEE_OTHER {
            self.get("/profile").await;
        }
        self.csrf
            .lock()
            .unwrap()
            .clone()
            .expect("a page with a CSRF token")
    }

    pub async fn sign_in(&self, email: &str, password: &str, next: &str) -> Page {
        self.get(&format!(
            "/sign-in?next={}",
            hiring_hare::error::urlencode(next)
        ))
        .await;
        let res = self
            .post(
                "/sign-in",
                &[("email", email), ("password", password), ("next", next)],
            )
            .await;
        // The token changes at sign-in.
        *self.csrf.lock().unwrap() = None;
        res
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Page {
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        // A live stream never ends: its answer is its status and headers.
        let streams = headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = if streams {
            String::new()
        } else {
            res.text().await.unwrap()
        };
        let page = Page {
            status,
            headers,
            body,
        };
        if let Some(t) = page.attr("input[name=csrf_token]", "value") {
            *self.csrf.lock().unwrap() = Some(t);
        }
        page
    }
}

impl TestApp {
    /// The text of the last mail queued to the user with `id`.
    pub async fn last_mail_to_id(&self, id: Uuid) -> Option<String> {
        let email: String = sqlx::query_scalar("select email from users where id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap();
        self.last_mail_to(&email).await
    }
}
