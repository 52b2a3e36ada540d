//! Browser tests: the flows a person takes, in real headless Chromium driven
//! over WebDriver (chromedriver), with and without JavaScript.
//!
//! Each test starts its own chromedriver on a free port with a fresh
//! profile, so tests run in parallel. Missing Chromium or ChromeDriver fails
//! the tests with a message saying what to install: a skipped browser test
//! would hide a broken flow.

use crate::harness::{PASSWORD, TestApp};
use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::{ClientBuilder, Locator, elements::Element, key::Key};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::activity::audit::Actor;
use hiring_hare::domain::org::{self, LevelFields};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long to wait for a page, an element or a swap before failing.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// A chromedriver child process, in a process group of its own so that
/// dropping it also ends the Chromium it started (even when a test panics
/// before closing the session).
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The program `name` as given by `env` or found on PATH.
fn program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts chromedriver and waits until it answers `/status`.
async fn start_driver(chromedriver: &Path, log: &Path) -> Result<Driver, String> {
    use std::os::unix::process::CommandExt as _;
    let port = free_port();
    let log_file = std::fs::File::create(log).unwrap();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", chromedriver.display()))?;
    let mut driver = Driver { child, port };
    let http = reqwest::Client::new();
    let began = Instant::now();
    loop {
        if let Ok(Some(status)) = driver.child.try_wait() {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("chromedriver exited with {status}: {log}"));
        }
        let status = http
            .get(format!("http://127.0.0.1:{port}/status"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if matches!(&status, Ok(r) if r.status().is_success()) {
            return Ok(driver);
        }
        if began.elapsed() > TIMEOUT {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!(
                "chromedriver did not answer on port {port} within {TIMEOUT:?}: {log}"
            ));
        }
        // Polling a process that is starting up; nothing to wait on instead.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A headless Chromium session with its own chromedriver and profile.
pub(crate) struct Browser {
    pub(crate) client: fantoccini::Client,
    /// Declared before `profile` so Chromium is gone before its profile is
    /// deleted.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub(crate) async fn start() -> Browser {
        Self::start_with(true).await
    }

    pub(crate) async fn without_javascript() -> Browser {
        Self::start_with(false).await
    }

    async fn start_with(javascript: bool) -> Browser {
        let chromedriver = program("CHROMEDRIVER", &["chromedriver"])
            .filter(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "browser tests need ChromeDriver, and there is no `chromedriver` on PATH \
                     (or at CHROMEDRIVER): install the Debian packages `chromium` and \
                     `chromium-driver`, or set CHROMEDRIVER to its path"
                )
            });
        let chrome = std::env::var_os("CHROME_BIN")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
        assert!(
            chrome.is_file(),
            "browser tests need Chromium, and {} does not exist: install the Debian \
             package `chromium` (or set CHROME_BIN to the browser's path)",
            chrome.display()
        );
        let profile = tempfile::tempdir().unwrap();
        let log = profile.path().join("chromedriver.log");
        // A port taken between choosing and binding it is the one race left.
        let mut attempt = 0;
        let driver = loop {
            attempt += 1;
            match start_driver(&chromedriver, &log).await {
                Ok(driver) => break driver,
                Err(e) if attempt >= 3 => panic!("could not start chromedriver: {e}"),
                Err(_) => {}
            }
        };
        let user_data = profile.path().join("chrome");
        let mut options = json!({
            "binary": chrome,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,900",
                format!("--user-data-dir={}", user_data.display()),
            ],
        });
        if !javascript {
            options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
        }
        let mut caps = fantoccini::wd::Capabilities::new();
        caps.insert("browserName".into(), json!("chrome"));
        caps.insert("goog:chromeOptions".into(), options);
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{}", driver.port);
        let connect = builder.connect(&url);
        let client = match tokio::time::timeout(SESSION_TIMEOUT, connect).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!(
                "chromedriver could not start {}: {e}\n{}",
                chrome.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
            Err(_) => panic!("no browser session within {SESSION_TIMEOUT:?}"),
        };
        Browser {
            client,
            _driver: driver,
            _profile: profile,
        }
    }

    /// Ends the session (chromedriver closes Chromium); dropping the browser
    /// then stops chromedriver.
    pub(crate) async fn close(self) {
        let Browser {
            client,
            _driver,
            _profile,
        } = self;
        let _ = client.close().await;
    }

    pub(crate) async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub(crate) async fn path_and_query(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the address bar shows `path` (with its query).
    pub(crate) async fn wait_for_path(&self, path: &str) {
        let began = Instant::now();
        loop {
            let now = self.path_and_query().await;
            if now == path {
                return;
            }
            assert!(
                began.elapsed() < TIMEOUT,
                "expected to reach {path}, still at {now}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} within {TIMEOUT:?}: {e}"))
    }

    pub(crate) async fn wait_for_xpath(&self, xpath: &str) -> Element {
        self.client
            .wait()
            .at_most(TIMEOUT)
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("no element {xpath} within {TIMEOUT:?}: {e}"))
    }

    /// Clicks the button of the page's main content labelled `label`.
    pub(crate) async fn click_button(&self, label: &str) {
        self.wait_for_xpath(&format!("//main//button[normalize-space()='{label}']"))
            .await
            .click()
            .await
            .unwrap();
    }

    /// Chooses the option labelled `label` in the select `css`.
    pub(crate) async fn choose(&self, css: &str, label: &str) {
        self.wait_for(css)
            .await
            .select_by_label(label)
            .await
            .unwrap_or_else(|e| panic!("no option {label:?} in {css}: {e}"));
    }

    /// Clears the field and types `text` into it, as a person would.
    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub(crate) async fn value(&self, css: &str) -> String {
        for _ in 0..10 {
            match self.wait_for(css).await.prop("value").await {
                Ok(value) => return value.unwrap_or_default(),
                Err(e) if stale(&e) => {}
                Err(e) => panic!("{css}: {e}"),
            }
        }
        panic!("{css} kept being replaced while it was read")
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        for _ in 0..10 {
            match self.wait_for(css).await.text().await {
                Ok(text) => return text.split_whitespace().collect::<Vec<_>>().join(" "),
                Err(e) if stale(&e) => {}
                Err(e) => panic!("{css}: {e}"),
            }
        }
        panic!("{css} kept being replaced while it was read")
    }

    pub(crate) async fn texts(&self, css: &str) -> Vec<String> {
        let mut texts = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.unwrap() {
            // An element of a region being replaced (a live update) goes
            // stale between finding and reading it: callers that wait read
            // again.
            if let Ok(text) = e.text().await {
                texts.push(text.split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        texts
    }

    /// Presses and releases `key` wherever the focus is.
    pub(crate) async fn press(&self, key: Key) {
        let key = char::from(key);
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await.unwrap();
    }

    pub(crate) async fn js(&self, script: &str) -> Value {
        self.client.execute(script, Vec::new()).await.unwrap()
    }

    /// Fills and submits the sign-in form on the current page.
    pub(crate) async fn sign_in(&self, email: &str, password: &str) {
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.wait_for_xpath("//form[@action='/sign-in']//button[normalize-space()='Sign in']")
            .await
            .click()
            .await
            .unwrap();
    }
}

/// Signs in through a deep link and checks the user lands on the page they
/// asked for, filter included. Shared by the JavaScript and no-JavaScript
/// tests: the flow is plain HTML either way.
async fn deep_link_sign_in(app: &TestApp, browser: &Browser) {
    app.user("ada@example.com", "Ada Admin", &[Role::Admin])
        .await;
    app.user("bob@example.com", "Bob Builder", &[Role::Viewer])
        .await;
    browser.goto(&app.url("/admin/users?q=ada")).await;
    browser
        .wait_for_path("/sign-in?next=%2Fadmin%2Fusers%3Fq%3Dada")
        .await;
    assert_eq!(browser.text("h1").await, "Sign in");
    assert_eq!(
        browser.value("input[name=next]").await,
        "/admin/users?q=ada"
    );
    browser.sign_in("ada@example.com", PASSWORD).await;
    browser.wait_for_path("/admin/users?q=ada").await;
    assert_eq!(browser.text("main h1").await, "Users");
    assert_eq!(browser.value("#q").await, "ada");
    let names = browser.texts("#user-results table.data tbody th").await;
    assert_eq!(names, ["Ada Admin"], "the filter of the deep link applies");
    assert_eq!(
        browser.text(".user-menu summary").await,
        "Ada Admin",
        "signed in as Ada"
    );
}

#[tokio::test]
async fn deep_link_sign_in_lands_on_the_page() {
    let app = TestApp::spawn().await;
    let browser = Browser::start().await;
    deep_link_sign_in(&app, &browser).await;
    browser.close().await;
}

#[tokio::test]
async fn deep_link_sign_in_works_without_javascript() {
    let app = TestApp::spawn().await;
    let level = level(&app, "Senior", 3, 65_000, 88_000).await;
    let browser = Browser::without_javascript().await;
    deep_link_sign_in(&app, &browser).await;

    // JavaScript really is off: "Edit" goes to the form's own page instead
    // of swapping the row, and saving there works as a plain form.
    browser.goto(&app.url("/admin/levels")).await;
    browser
        .wait_for(&format!("tr#level-{level} a[href$='/edit']"))
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_path(&format!("/admin/levels/{level}/edit"))
        .await;
    browser
        .fill(&format!("tr#level-{level} input[name=name]"), "Senior II")
        .await;
    browser
        .wait_for_xpath(&format!(
            "//tr[@id='level-{level}']//button[normalize-space()='Save']"
        ))
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for_path("/admin/levels").await;
    assert_eq!(
        browser.text(&format!("tr#level-{level} th")).await,
        "Senior II"
    );
    assert_eq!(browser.text(".flash").await, "Job level “Senior II” saved.");
    browser.close().await;
}

/// A job level made directly in the database.
pub(crate) async fn level(app: &TestApp, name: &str, rank: i32, min: i64, max: i64) -> Uuid {
    let mut conn = app.pool.acquire().await.unwrap();
    let fields = LevelFields {
        name: name.into(),
        rank,
        salary_min: min,
        salary_max: max,
        currency: "EUR".into(),
    };
    org::create_level(&mut conn, &Actor::system(), &fields)
        .await
        .unwrap()
}

/// Waits until the pages of `browsers` have their event streams open (`n`
/// in all in the app); if they do not, says what each page's stream is
/// doing, as the page sees it.
pub(crate) async fn wait_for_streams(app: &TestApp, n: usize, browsers: &[&Browser]) {
    let began = std::time::Instant::now();
    while app.live.streams() < n {
        if began.elapsed() > Duration::from_secs(30) {
            let mut seen = Vec::new();
            for b in browsers {
                seen.push(
                    b.js(
                        "const t = document.getElementById('toasts'); const s = t && t._htmx && t._htmx.sse;
                         return JSON.stringify({path: location.pathname, ready: document.readyState,
                           visibility: document.visibilityState, htmx: typeof htmx,
                           sse: s ? {attempt: s.attempt, status: s.status, reading: !!s.reader} : null,
                           requests: performance.getEntriesByType('resource')
                             .filter(e => e.name.includes('/events'))
                             .map(e => [Math.round(e.startTime), Math.round(e.duration), e.responseStatus])})",
                    )
                    .await,
                );
            }
            panic!(
                "{} of {n} pages opened their event stream: {seen:?}",
                app.live.streams()
            );
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Signs `browser` in as `email` through a deep link to `path`, and
/// waits until it lands there.
pub(crate) async fn signed_in(app: &TestApp, browser: &Browser, email: &str, path: &str) {
    browser
        .goto(&app.url(&format!(
            "/sign-in?next={}",
            hiring_hare::error::urlencode(path)
        )))
        .await;
    browser.sign_in(email, PASSWORD).await;
    browser.wait_for_path(path).await;
}

/// A browser signed in as a new admin, on `path`.
pub(crate) async fn admin_browser(app: &TestApp, path: &str) -> Browser {
    let email = format!("admin-{}@example.com", Uuid::new_v4().simple());
    app.user(&email, "Alex Admin", &[Role::Admin]).await;
    let browser = Browser::start().await;
    signed_in(app, &browser, &email, path).await;
    browser
}

#[tokio::test]
async fn form_errors_keep_the_input_and_sit_beside_the_field() {
    let app = TestApp::spawn().await;
    let browser = admin_browser(&app, "/admin/levels").await;
    browser.fill("#name", "Lead").await;
    browser.fill("#rank", "7").await;
    browser.fill("#salary_min", "90000").await;
    browser.fill("#salary_max", "80000").await;
    browser.fill("#currency", "usd").await;
    browser
        .wait_for_xpath("//button[normalize-space()='Add job level']")
        .await
        .click()
        .await
        .unwrap();

    let error = browser.wait_for("#salary_max-error").await;
    assert_eq!(
        browser.text("#salary_max-error").await,
        "The maximum must be at least the minimum."
    );
    for (field, typed) in [
        ("#name", "Lead"),
        ("#rank", "7"),
        ("#salary_min", "90000"),
        ("#salary_max", "80000"),
        ("#currency", "usd"),
    ] {
        assert_eq!(browser.value(field).await, typed, "{field} keeps its input");
    }
    let input = browser.wait_for("#salary_max").await;
    assert_eq!(
        input.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );
    assert!(
        input
            .attr("aria-describedby")
            .await
            .unwrap()
            .unwrap_or_default()
            .split(' ')
            .any(|id| id == "salary_max-error"),
        "the message is tied to its field"
    );
    // Beside the field: just below it, in the same column.
    let (ix, iy, iw, ih) = input.rectangle().await.unwrap();
    let (ex, ey, _, _) = error.rectangle().await.unwrap();
    assert!(
        ey >= iy + ih - 1.0 && ey <= iy + ih + 24.0 && ex >= ix - 1.0 && ex < ix + iw,
        "message at ({ex}, {ey}) is not right under the field at ({ix}, {iy}, {iw}×{ih})"
    );
    assert!(
        browser.texts("[id$='-error']").await.len() == 1,
        "only the wrong field has a message"
    );
    let count: i64 = sqlx::query_scalar("select count(*) from job_levels")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was saved");
    browser.close().await;
}

#[tokio::test]
async fn levels_edit_inline_without_leaving_the_page() {
    let app = TestApp::spawn().await;
    level(&app, "Junior", 1, 42_000, 55_000).await;
    let senior = level(&app, "Senior", 3, 65_000, 88_000).await;
    let browser = admin_browser(&app, "/admin/levels").await;
    let row = format!("tr#level-{senior}");
    browser.wait_for(&row).await;
    // Set on this document; a page load would lose it.
    browser
        .js("window.hhMarker = 'same page'; return true")
        .await;
    let marker = "return window.hhMarker === 'same page'";

    browser
        .wait_for(&format!("{row} a[href$='/edit']"))
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for(&format!("{row}.inline-edit input[name=name]"))
        .await;
    assert_eq!(browser.js(marker).await, json!(true), "Edit loaded a page");
    browser.wait_for_path("/admin/levels").await;
    assert_eq!(
        browser
            .value(&format!("{row} input[name=salary_max]"))
            .await,
        "88000"
    );

    browser
        .fill(&format!("{row} input[name=name]"), "Senior Engineer")
        .await;
    browser
        .wait_for_xpath(&format!(
            "//tr[@id='level-{senior}']//button[normalize-space()='Save']"
        ))
        .await
        .click()
        .await
        .unwrap();
    browser
        .wait_for_xpath(&format!(
            "//tr[@id='level-{senior}' and not(contains(@class, 'inline-edit'))]\
             /th[normalize-space()='Senior Engineer']"
        ))
        .await;
    assert_eq!(browser.js(marker).await, json!(true), "Save loaded a page");
    browser.wait_for_path("/admin/levels").await;
    assert_eq!(
        browser.texts("table.data tbody th").await,
        ["Junior", "Senior Engineer"]
    );
    let name: String = sqlx::query_scalar("select name from job_levels where id = $1")
        .bind(senior)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "Senior Engineer");
    browser.close().await;
}

/// Widths we design for: a phone and a laptop.
pub(crate) const WIDTHS: [u32; 2] = [390, 1280];

/// The element found went away before it was read: a live region swapped
/// (htmx re-reads the board when anything moves) or the page reloaded (a
/// form waiting for a resume's text). Reading again finds the new one.
fn stale(e: &fantoccini::error::CmdError) -> bool {
    matches!(e, fantoccini::error::CmdError::Standard(w)
        if w.error == fantoccini::error::ErrorStatus::StaleElementReference)
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Sizes the viewport to `width` and checks the page got that width.
pub(crate) async fn set_width(browser: &Browser, width: u32) {
    browser.client.set_window_size(width, 900).await.unwrap();
    let inner = browser.js("return window.innerWidth").await;
    assert_eq!(inner, json!(width), "viewport width after resizing");
}

/// Screenshots the current page as `name-width.png` and checks its layout:
/// no sideways scrolling (wide tables and the board's columns scroll inside
/// their own box) and the heading in view.
pub(crate) async fn check_layout(browser: &Browser, name: &str, width: u32) {
    browser.wait_for("main h1").await;
    let png = browser.client.screenshot().await.unwrap();
    let path = screenshot_dir().join(format!("{name}-{width}.png"));
    std::fs::write(&path, png).unwrap();
    let overflow = browser
        .js(
            "const w = window.innerWidth;
             // A scroll box clips its content, except absolutely positioned
             // descendants whose containing block lies outside it.
             const escapes = e => {
               const wrap = e.closest('.table-wrap, .board');
               if (!wrap) return true;
               const pos = getComputedStyle(e).position;
               if (pos === 'fixed') return true;
               if (pos !== 'absolute') return false;
               for (let a = e.parentElement; a && a !== wrap.parentElement; a = a.parentElement) {
                 if (getComputedStyle(a).position !== 'static') return false;
               }
               return true;
             };
             const wide = [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 0.5 && escapes(e))
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                 + ' \"' + e.textContent.trim().slice(0, 30) + '\" right=' + Math.round(e.getBoundingClientRect().right));
             return { scroll: document.documentElement.scrollWidth, inner: w, wide: wide.slice(0, 5) };",
        )
        .await;
    assert!(
        overflow["scroll"].as_u64() <= overflow["inner"].as_u64(),
        "{name} at {width}px scrolls sideways: {overflow} ({}). Elements in `wide` stick \
         out; absolutely positioned ones (like .visually-hidden text) inside a scrolling \
         .table-wrap escape it unless the .table-wrap is positioned (position: relative)",
        path.display()
    );
    assert_eq!(
        overflow["wide"],
        json!([]),
        "{name} at {width}px: elements past the right edge ({})",
        path.display()
    );
    let (x, _, w, _) = browser.wait_for("main h1").await.rectangle().await.unwrap();
    assert!(
        x >= 0.0 && x + w <= f64::from(width),
        "{name} at {width}px: the heading is cut off"
    );
}

#[tokio::test]
async fn pages_fit_phone_and_laptop_screens() {
    let app = TestApp::spawn().await;
    for (name, rank) in [("Junior", 1), ("Senior", 3), ("Principal Architect", 5)] {
        level(
            &app,
            name,
            rank,
            40_000 * i64::from(rank),
            60_000 * i64::from(rank),
        )
        .await;
    }
    app.user(
        "maximiliana.vandenberghe-oyelaran@example.com",
        "Maximiliana van den Berghe-Oyelaran",
        &[Role::HiringManager, Role::Approver, Role::Interviewer],
    )
    .await;
    app.user("riley@example.com", "Riley Chen", &[Role::Recruiter])
        .await;

    let browser = Browser::start().await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        browser.goto(&app.url("/sign-in")).await;
        check_layout(&browser, "sign-in", width).await;
        // The first Tab reveals the skip link, in view and outlined.
        browser.press(Key::Tab).await;
        let focus = browser
            .js(
                "const a = document.activeElement; const r = a.getBoundingClientRect();
                 return { cls: a.className, top: r.top, left: r.left,
                          outline: getComputedStyle(a).outlineStyle };",
            )
            .await;
        assert_eq!(focus["cls"], json!("skip-link"), "first Tab: {focus}");
        assert!(
            focus["top"].as_f64() >= Some(0.0) && focus["left"].as_f64() >= Some(0.0),
            "the focused skip link is off screen: {focus}"
        );
        assert_ne!(focus["outline"], json!("none"), "focus is visible");
        let png = browser.client.screenshot().await.unwrap();
        std::fs::write(
            screenshot_dir().join(format!("sign-in-focus-{width}.png")),
            png,
        )
        .unwrap();
    }
    browser.close().await;

    let browser = admin_browser(&app, "/admin/users").await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        browser.goto(&app.url("/admin/users")).await;
        check_layout(&browser, "admin-users", width).await;
        browser.goto(&app.url("/admin/levels")).await;
        check_layout(&browser, "admin-levels", width).await;
    }
    browser.close().await;
}

/// The whole page, top to bottom, as `name.png` (for a person to look at),
/// then the window back at its usual height.
pub(crate) async fn full_page_screenshot(browser: &Browser, name: &str, width: u32) {
    // The window's height includes the browser's own bars.
    let height = browser
        .js("return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight")
        .await
        .as_u64()
        .unwrap();
    let height = u32::try_from(height).unwrap().clamp(900, 6000);
    browser.client.set_window_size(width, height).await.unwrap();
    let png = browser.client.screenshot().await.unwrap();
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).unwrap();
    set_width(browser, width).await;
}
