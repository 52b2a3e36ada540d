//! Signing in and out, `next`, throttling, CSRF, passwords and sessions.

use crate::harness::{Client, PASSWORD, TestApp, link_in};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;

#[tokio::test]
async fn deep_link_signs_in_and_lands_on_the_page() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada Admin", &[Role::Admin])
        .await;
    let client = app.client();
    let res = client.get("/admin/users?q=ada").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/sign-in?next=%2Fadmin%2Fusers%3Fq%3Dada");
    let form = client.get(res.location()).await;
    assert_eq!(
        form.attr("input[name=next]", "value").as_deref(),
        Some("/admin/users?q=ada")
    );
    let res = client
        .sign_in("ADA@example.com ", PASSWORD, "/admin/users?q=ada")
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/users?q=ada");
    let page = client.get("/admin/users?q=ada").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.texts("table.data tbody th")
            .contains(&"Ada Admin".to_owned())
    );
}

#[tokio::test]
async fn next_never_leaves_the_site() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    for bad in [
        "//evil.example",
        "https://evil.example/x",
        "/\\evil.example",
        "http:/evil.example",
    ] {
        let client = app.client();
        let res = client.sign_in("ada@example.com", PASSWORD, bad).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{bad}");
        assert_eq!(res.location(), "/", "{bad}");
    }
    let client = app.client();
    let res = client
        .sign_in("ada@example.com", PASSWORD, "/approvals/42")
        .await;
    assert_eq!(res.location(), "/approvals/42");
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let wrong = app
        .client()
        .sign_in("ada@example.com", "not the password", "/")
        .await;
    let unknown = app
        .client()
        .sign_in("nobody@example.com", PASSWORD, "/")
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        wrong.texts("#sign-in-error"),
        unknown.texts("#sign-in-error")
    );
    // The email typed is kept; the password is not.
    assert_eq!(
        wrong.attr("#email", "value").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(wrong.attr("#password", "value"), None);
}

#[tokio::test]
async fn five_failures_lock_the_account_for_a_while() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let client = app.client();
    for _ in 0..5 {
        assert_eq!(
            client
                .sign_in("ada@example.com", "wrong password!!", "/")
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // Even the right password is refused now, with a real page and Retry-After.
    let res = client.sign_in("ada@example.com", PASSWORD, "/").await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    assert_eq!(res.texts("h1"), vec!["Too many attempts"]);
    // Another account from the same address is not locked.
    app.user("bob@example.com", "Bob", &[Role::Viewer]).await;
    client
        .sign_in("bob@example.com", PASSWORD, "/")
        .await
        .assert_redirect("/");
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_slowed_down() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let client = app.client();
    // Below the per-account limit on each account, but 50 failures in all.
    for i in 0..50 {
        let res = client
            .sign_in(&format!("user{i}@example.com"), "wrong password!!", "/")
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}");
    }
    assert_eq!(
        client
            .sign_in("ada@example.com", PASSWORD, "/")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn posts_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let (client, _) = app.signed_in(Role::Admin).await;
    let form = [
        ("name", "Sales"),
        ("parent_id", ""),
        ("head_id", ""),
        ("version", "0"),
    ];
    let res = client.post_raw("/admin/departments", &form).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let mut wrong = form.to_vec();
    wrong.push(("csrf_token", "forged"));
    assert_eq!(
        client.post_raw("/admin/departments", &wrong).await.status,
        StatusCode::FORBIDDEN
    );
    // A sign-in form posted from elsewhere (no session token) is refused too.
    let fresh = app.client();
    let res = fresh
        .post_raw("/sign-in", &[("email", "x@example.com"), ("password", "y")])
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    // Nothing was created by the refused posts.
    let count: i64 = sqlx::query_scalar("select count(*) from departments")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
    // The same form with the token (as a field, or as htmx's header) works.
    client
        .post("/admin/departments", &form)
        .await
        .assert_redirect("/admin/departments");
    let res = client
        .post_hx(
            "/admin/departments",
            &[("name", "Ops"), ("parent_id", ""), ("head_id", "")],
        )
        .await;
    res.assert_redirect("/admin/departments");
}

#[tokio::test]
async fn sign_in_rotates_the_session_id_and_sign_out_is_a_post() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let client = app.client();
    client.get("/sign-in").await;
    let before: Vec<String> = sqlx::query_scalar("select id from sessions")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(before.len(), 1);
    client.sign_in("ada@example.com", PASSWORD, "/").await;
    let after: Vec<String> = sqlx::query_scalar("select id from sessions")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "the session id must change at sign-in");
    assert_eq!(
        client.get("/sign-out").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    let res = client.post("/sign-out", &[]).await;
    assert_eq!(res.location(), "/sign-in");
    client.get("/").await.assert_redirect("/sign-in?next=%2F");
}

#[tokio::test]
async fn idle_and_absolute_timeouts_end_the_session() {
    let app = TestApp::spawn().await;
    let (client, _) = app.signed_in(Role::Viewer).await;
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    // Nine hours without activity (the idle limit is eight).
    sqlx::query("update sessions set data = jsonb_set(data, '{seen_at}', to_jsonb(now() - interval '9 hours'))")
        .execute(&app.pool)
        .await
        .unwrap();
    client.get("/").await.assert_redirect("/sign-in?next=%2F");

    let (client, _) = app.signed_in(Role::Viewer).await;
    // Active a minute ago, but signed in eight days ago (the limit is seven).
    sqlx::query(
        "update sessions set data = jsonb_set(jsonb_set(data, '{signed_in_at}', to_jsonb(now() - interval '8 days')),
                                              '{seen_at}', to_jsonb(now() - interval '1 minute'))
          where user_id is not null",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    client.get("/").await.assert_redirect("/sign-in?next=%2F");
}

/// Reading pages leaves the session row alone (no write per page view),
/// and the user row that loading the session brings along is never stored.
#[tokio::test]
async fn reading_pages_does_not_write_the_session() {
    let app = TestApp::spawn().await;
    let (client, user_id) = app.signed_in(Role::Viewer).await;
    assert_eq!(client.get("/").await.status, StatusCode::OK);
    let version = || async {
        sqlx::query_as::<_, (String, bool)>(
            "select xmin::text, data ? '_loaded_user' from sessions where user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
    };
    let before = version().await;
    assert!(!before.1, "the loaded user was stored in the session");
    for path in ["/", "/profile", "/requirements", "/approvals"] {
        let page = client.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body.contains("Test Viewer"),
            "{path} lacks the user's name"
        );
    }
    assert_eq!(version().await, before);
}

#[tokio::test]
async fn deactivation_ends_every_session_at_once() {
    let app = TestApp::spawn().await;
    let (admin, _) = app.signed_in(Role::Admin).await;
    let (victim, victim_id) = app.signed_in(Role::Recruiter).await;
    let (victim_phone, _) = {
        let c = app.client();
        let email: String = sqlx::query_scalar("select email from users where id = $1")
            .bind(victim_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        c.sign_in(&email, PASSWORD, "/").await;
        (c, ())
    };
    assert_eq!(victim.get("/").await.status, StatusCode::OK);
    assert_eq!(victim_phone.get("/").await.status, StatusCode::OK);
    let res = admin
        .post(&format!("/admin/users/{victim_id}/deactivate"), &[])
        .await;
    res.assert_redirect(&format!("/admin/users/{victim_id}"));
    victim.get("/").await.assert_redirect("/sign-in?next=%2F");
    victim_phone
        .get("/")
        .await
        .assert_redirect("/sign-in?next=%2F");
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions where user_id = $1")
        .bind(victim_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert_eq!(app.audit_count("user.deactivated", victim_id).await, 1);
    // And they cannot sign in again.
    let email: String = sqlx::query_scalar("select email from users where id = $1")
        .bind(victim_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.client().sign_in(&email, PASSWORD, "/").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn password_policy_reasons_are_shown_beside_the_field() {
    let app = TestApp::spawn().await;
    app.user("grace.hopper@example.com", "Grace", &[Role::Viewer])
        .await;
    let client = app.client();
    client
        .sign_in("grace.hopper@example.com", PASSWORD, "/")
        .await;
    let cases = [
        ("short pw", "Use at least 12 characters."),
        (
            "passwordpassword",
            "This password is on a list of common passwords; choose another.",
        ),
        (
            "my name is grace.hopper!",
            "The password must not contain your email name.",
        ),
        (
            PASSWORD,
            "You used this password recently; choose one you have not used before.",
        ),
    ];
    for (new, reason) in cases {
        let res = client
            .post(
                "/profile/password",
                &[("current", PASSWORD), ("password", new), ("confirm", new)],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{new}");
        assert_eq!(
            res.field_error("password").as_deref(),
            Some(reason),
            "{new}"
        );
        assert_eq!(
            res.attr("#password", "aria-invalid").as_deref(),
            Some("true")
        );
    }
    let res = client
        .post(
            "/profile/password",
            &[("current", "nope"), ("password", "x"), ("confirm", "x")],
        )
        .await;
    assert_eq!(
        res.field_error("current").as_deref(),
        Some("This is not your current password.")
    );
}

#[tokio::test]
async fn the_last_five_passwords_cannot_be_reused() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let client = app.client();
    client.sign_in("ada@example.com", PASSWORD, "/").await;
    let passwords = [
        "violet harbor one",
        "violet harbor two",
        "violet harbor three",
        "violet harbor four",
        "violet harbor five",
    ];
    let mut current = PASSWORD;
    for next in passwords {
        let res = client
            .post(
                "/profile/password",
                &[("current", current), ("password", next), ("confirm", next)],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "{next}: {:?}",
            res.field_error("password")
        );
        assert_eq!(res.location(), "/profile", "{next}");
        current = next;
    }
    // The original is now six passwords back: allowed. The second is four back: refused.
    let res = client
        .post(
            "/profile/password",
            &[
                ("current", current),
                ("password", "violet harbor two"),
                ("confirm", "violet harbor two"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = client
        .post(
            "/profile/password",
            &[
                ("current", current),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    res.assert_redirect("/profile");
}

#[tokio::test]
async fn changing_the_password_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let laptop = app.client();
    laptop.sign_in("ada@example.com", PASSWORD, "/").await;
    let phone = app.client();
    phone.sign_in("ada@example.com", PASSWORD, "/").await;
    let new = "saffron lantern river";
    let res = laptop
        .post(
            "/profile/password",
            &[("current", PASSWORD), ("password", new), ("confirm", new)],
        )
        .await;
    res.assert_redirect("/profile");
    assert_eq!(laptop.get("/").await.status, StatusCode::OK);
    phone.get("/").await.assert_redirect("/sign-in?next=%2F");
    app.client()
        .sign_in("ada@example.com", new, "/")
        .await
        .assert_redirect("/");
}

#[tokio::test]
async fn forgotten_password_by_single_use_link() {
    let app = TestApp::spawn().await;
    let id = app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let client = app.client();
    client.get("/password-reset").await;
    let res = client
        .post("/password-reset", &[("email", "Ada@Example.com")])
        .await;
    assert_eq!(res.status, StatusCode::OK);
    // The same answer for an unknown email, and no mail.
    let unknown = client
        .post("/password-reset", &[("email", "nobody@example.com")])
        .await;
    assert_eq!(unknown.texts(".flash.success").len(), 1);
    assert_eq!(app.last_mail_to("nobody@example.com").await, None);
    let mail = app
        .last_mail_to("ada@example.com")
        .await
        .expect("a reset mail");
    let link = link_in(&mail, "/password-reset/").expect("a reset link");
    let form = client.get(&link).await;
    assert_eq!(form.status, StatusCode::OK);
    // A bad password keeps the link usable.
    let res = client
        .post(&link, &[("password", "short"), ("confirm", "short")])
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let new = "saffron lantern river";
    let res = client
        .post(&link, &[("password", new), ("confirm", new)])
        .await;
    res.assert_redirect("/");
    assert_eq!(
        client.get("/").await.status,
        StatusCode::OK,
        "signed in after the reset"
    );
    assert_eq!(app.audit_count("user.password_changed", id).await, 1);
    // Used once: the link is dead now.
    let again = app.client().get(&link).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert_eq!(again.texts("h1"), vec!["This link no longer works"]);
    // Expired links are dead too.
    app.client()
        .post("/password-reset", &[("email", "ada@example.com")])
        .await;
    let link = link_in(
        &app.last_mail_to("ada@example.com").await.unwrap(),
        "/password-reset/",
    )
    .unwrap();
    sqlx::query("update user_tokens set expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(app.client().get(&link).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn profile_keeps_input_on_error_and_saves() {
    let app = TestApp::spawn().await;
    let (client, id) = app.signed_in(Role::Viewer).await;
    let res = client
        .post(
            "/profile",
            &[("full_name", "Ada Lovelace"), ("time_zone", "Mars/Olympus")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.attr("#full_name", "value").as_deref(),
        Some("Ada Lovelace")
    );
    assert_eq!(
        res.field_error("time_zone").as_deref(),
        Some("Choose a time zone from the list.")
    );
    let res = client
        .post(
            "/profile",
            &[
                ("full_name", "Ada Lovelace"),
                ("time_zone", "Europe/London"),
            ],
        )
        .await;
    res.assert_redirect("/profile");
    let (name, tz): (String, String) =
        sqlx::query_as("select full_name, time_zone from users where id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), tz.as_str()),
        ("Ada Lovelace", "Europe/London")
    );
    assert_eq!(app.audit_count("user.profile_updated", id).await, 1);
}

/// A client whose requests arrive through a trusted proxy that appended
/// `real` to `X-Forwarded-For`, after whatever `spoofed` the client wrote.
fn behind_proxy(app: &TestApp, spoofed: &str, real: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let chain = if spoofed.is_empty() {
        real.to_owned()
    } else {
        format!("{spoofed}, {real}")
    };
    headers.insert("x-forwarded-for", chain.parse().unwrap());
    Client::with_headers(&app.url(""), headers)
}

#[tokio::test]
async fn reset_requests_never_lock_anyone_out() {
    let app = TestApp::spawn().await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    let stranger = app.client();
    stranger.get("/password-reset").await;
    for _ in 0..6 {
        let res = stranger
            .post("/password-reset", &[("email", "ada@example.com")])
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    // An inbox gets a few mails, not one per request.
    let mails: i64 = sqlx::query_scalar("select count(*) from outbox where to_address = $1")
        .bind("ada@example.com")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(mails, 3);
    app.client()
        .sign_in("ada@example.com", PASSWORD, "/")
        .await
        .assert_redirect("/");
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_out_another() {
    let app = TestApp::spawn_with(|c| c.trust_proxy_headers = true).await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    // The attacker writes a new address into the header each time; the
    // proxy's entry (the rightmost) is what counts.
    for i in 0..5 {
        let attacker = behind_proxy(&app, &format!("198.51.100.{i}"), "203.0.113.66");
        assert_eq!(
            attacker
                .sign_in("ada@example.com", "wrong password!!", "/")
                .await
                .status,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let attacker = behind_proxy(&app, "198.51.100.99", "203.0.113.66");
    assert_eq!(
        attacker
            .sign_in("ada@example.com", PASSWORD, "/")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacking address stays throttled, whatever it writes on the left"
    );
    let ada = behind_proxy(&app, "", "192.0.2.10");
    ada.sign_in("ada@example.com", PASSWORD, "/")
        .await
        .assert_redirect("/");
    let ip: String = sqlx::query_scalar(
        "select host(ip) from audit_logs where action = 'user.signed_in' order by at desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(ip, "192.0.2.10");
}

#[tokio::test]
async fn many_addresses_still_meet_a_slower_limit_per_account() {
    let app = TestApp::spawn_with(|c| c.trust_proxy_headers = true).await;
    app.user("ada@example.com", "Ada", &[Role::Viewer]).await;
    // Failures spread over many addresses, each below its own limit.
    sqlx::query(
        "insert into login_attempts (email, ip, succeeded)
         select 'ada@example.com', ('198.51.100.' || (n % 20))::inet, false
           from generate_series(1, $1) n",
    )
    .bind(hiring_hare::auth::throttle::PER_ACCOUNT)
    .execute(&app.pool)
    .await
    .unwrap();
    let ada = behind_proxy(&app, "", "192.0.2.10");
    assert_eq!(
        ada.sign_in("ada@example.com", PASSWORD, "/").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn changing_the_password_checks_the_current_one_under_a_throttle() {
    let app = TestApp::spawn().await;
    let (client, _) = app.signed_in(Role::Viewer).await;
    client.get("/profile").await;
    let new = "saffron lantern river";
    for _ in 0..5 {
        let res = client
            .post(
                "/profile/password",
                &[
                    ("current", "not my password"),
                    ("password", new),
                    ("confirm", new),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let res = client
        .post(
            "/profile/password",
            &[("current", PASSWORD), ("password", new), ("confirm", new)],
        )
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.texts("h1"), vec!["Too many attempts"]);
}

#[tokio::test]
async fn a_hundred_simultaneous_sign_ins_on_a_pool_of_two() {
    let app = TestApp::spawn_with(|c| c.database_pool_size = 2).await;
    let mut emails = Vec::new();
    for i in 0..100 {
        let email = format!("user{i}@example.com");
        app.user(&email, &format!("User {i}"), &[Role::Viewer])
            .await;
        emails.push(email);
    }
    // Each client has its session and CSRF token first, so the burst is
    // the sign-ins themselves.
    let mut clients = Vec::new();
    for email in emails {
        let client = app.client();
        client.get("/sign-in").await;
        clients.push((client, email));
    }
    let answers = futures::future::join_all(clients.iter().map(|(client, email)| async move {
        client
            .post(
                "/sign-in",
                &[("email", email), ("password", PASSWORD), ("next", "/")],
            )
            .await
    }))
    .await;
    for res in &answers {
        res.assert_redirect("/");
    }
}

async fn sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_a_page_with_a_form_stores_a_session_for_a_visitor() {
    let app = TestApp::spawn().await;
    let visitor = app.client();
    let css = hiring_hare::web::assets::url("app.css");
    let icon = hiring_hare::web::assets::url("favicon.svg");
    let link = format!("/approvals/{}?token=forged", uuid::Uuid::new_v4());
    for (path, status, to) in [
        ("/health", StatusCode::OK, ""),
        ("/health/live", StatusCode::OK, ""),
        (
            "/favicon.ico",
            StatusCode::TEMPORARY_REDIRECT,
            icon.as_str(),
        ),
        (css.as_str(), StatusCode::OK, ""),
        ("/", StatusCode::SEE_OTHER, "/sign-in?next=%2F"),
        (
            "/requirements",
            StatusCode::SEE_OTHER,
            "/sign-in?next=%2Frequirements",
        ),
        ("/no-such-page", StatusCode::NOT_FOUND, ""),
        ("/static/no-such-file.css", StatusCode::NOT_FOUND, ""),
        (link.as_str(), StatusCode::GONE, ""),
        ("/password-reset/forged", StatusCode::GONE, ""),
        ("/invitation/forged", StatusCode::GONE, ""),
    ] {
        let page = visitor.get(path).await;
        assert_eq!(page.status, status, "{path}");
        assert_eq!(page.location(), to, "{path}");
        assert_eq!(sessions(&app).await, 0, "{path} stored a session");
    }
    // A form posted without its token is refused, and stores nothing either.
    let refused = visitor
        .post_raw("/sign-in", &[("email", "a@example.com"), ("password", "x")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(sessions(&app).await, 0, "the refusal stored a session");
    // The sign-in form needs its CSRF token kept: one session.
    assert_eq!(visitor.get("/sign-in").await.status, StatusCode::OK);
    assert_eq!(sessions(&app).await, 1);
}
