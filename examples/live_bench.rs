//! The live-update bench (`bench/live`): holds many `/events` streams open
//! on one `hiring-hare serve` process and reports its memory, then commits
//! notifications from this process (as an approval commits them: the same
//! `notify`, in a transaction) and times each until it arrives on a stream
//! held by that other process.
//!
//! Environment: `BASE` (the serving process), `SERVE_PID` (its pid, for its
//! memory), `DATABASE_URL`, `PASSWORD` (the demo users'), `STREAMS` (5000),
//! `EVENTS` (1000).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hiring_hare::domain::activity::notify::{self, Event, Notice};
use std::time::{Duration, Instant};
use uuid::Uuid;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Signs in through the form; returns the session cookie.
async fn sign_in(base: &str, email: &str, password: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(format!("{base}/sign-in")).send().await.unwrap();
    let cookie = page.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let token = html
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSRF token on the sign-in page");
    let res = http
        .post(format!("{base}/sign-in"))
        .header("cookie", &cookie)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", token),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signing in as {email}");
    // The session id is rotated at sign-in.
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn open_stream(http: &reqwest::Client, base: &str, cookie: &str) -> reqwest::Response {
    let res = http
        .get(format!("{base}/events"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "an event stream");
    res
}

fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let base = env("BASE", "http://127.0.0.1:18081");
    let pid = env("SERVE_PID", "");
    let password = env("PASSWORD", "");
    let streams: usize = env("STREAMS", "5000").parse().unwrap();
    let events: usize = env("EVENTS", "1000").parse().unwrap();
    let pool = sqlx::PgPool::connect(&env("DATABASE_URL", ""))
        .await
        .unwrap();

    // Many tabs of one person hold streams; another person's one stream
    // is timed.
    let idle = sign_in(&base, "hiring_manager@demo.hiringhare.test", &password).await;
    let timed = sign_in(&base, "approver@demo.hiringhare.test", &password).await;
    let approver: Uuid =
        sqlx::query_scalar("select id from users where email = 'approver@demo.hiringhare.test'")
            .fetch_one(&pool)
            .await
            .unwrap();

    let before = rss_kib(&pid);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut held = Vec::with_capacity(streams);
    for chunk in 0..streams.div_ceil(250) {
        let n = 250.min(streams - chunk * 250);
        let opened =
            futures::future::join_all((0..n).map(|_| open_stream(&http, &base, &idle))).await;
        held.extend(opened);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(&pid);
    println!(
        "streams: {} held open in {:.1} s; serving process RSS {:.1} MiB before, {:.1} MiB with them ({:.1} KiB per stream)",
        held.len(),
        started.elapsed().as_secs_f64(),
        before as f64 / 1024.0,
        after as f64 / 1024.0,
        (after.saturating_sub(before)) as f64 / held.len() as f64
    );

    let mut stream = open_stream(&http, &base, &timed).await;
    let mut latencies = Vec::with_capacity(events);
    let mut buffer = String::new();
    for i in 0..events {
        let text = format!("bench event {i}");
        let mut tx = pool.begin().await.unwrap();
        notify::notify(
            &mut tx,
            &Notice {
                event: Event::ApprovalApproved,
                subject_type: "requirement",
                subject_id: Uuid::new_v4(),
                text: text.clone(),
                link: "/notifications".into(),
                actor: None,
            },
            &[approver],
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let committed = Instant::now();
        hiring_hare::nudge::send(&pool).await.unwrap();
        while !buffer.contains(&text) {
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
                .await
                .expect("the event within 10 s")
                .unwrap()
                .expect("the stream stays open");
            buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
        latencies.push(committed.elapsed().as_secs_f64() * 1000.0);
        buffer.clear();
    }
    latencies.sort_by(f64::total_cmp);
    println!(
        "commit to stream: {} events, p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    // The bench's notifications are not anyone's news.
    sqlx::query("delete from notifications where text like 'bench event %'")
        .execute(&pool)
        .await
        .unwrap();
    drop(held);
}
