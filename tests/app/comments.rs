//! Comments on requirements: mention parsing, who is told of a mention,
//! edits and deletes audited and kept to their author (or an admin), stale
//! edits, errors beside the field, sanitized Markdown, the suggestions, and
//! the whole flow in a browser.

use crate::browser::{Browser, WIDTHS, check_layout, set_width};
use crate::harness::fixtures::{Org, comment, draft, form, org};
use crate::harness::{Client, PASSWORD, Page, TestApp};
use hiring_hare::domain::access::Role;
use hiring_hare::domain::activity::comments::mentions;
use reqwest::StatusCode;
use scraper::Selector;
use uuid::Uuid;

#[test]
fn mentions_are_handles_outside_code_each_once() {
    assert_eq!(
        mentions("Thanks @hana.head, and @Finn.Finance too. @hana.head again."),
        ["hana.head", "finn.finance"]
    );
    // Code spans and blocks quote, they do not mention.
    assert_eq!(
        mentions("`@hana.head` and\n\n```\n@finn.finance\n```\n\n    @indented\n\nbut @riley"),
        ["riley"]
    );
    // Email addresses are not mentions; a sentence's full stop ends one.
    assert_eq!(
        mentions("Mail hana@example.com or a@b.c, ask @riley."),
        ["riley"]
    );
    // Markdown around a mention does not hide it.
    assert_eq!(mentions("**@hana.head** _@riley_"), ["hana.head", "riley"]);
    assert!(mentions("@ alone, @. and @.x").is_empty());
}

#[tokio::test]
async fn handles_are_made_from_names_and_unique() {
    let app = TestApp::spawn().await;
    let mut handles = Vec::new();
    for (email, name) in [
        ("zoe@example.com", "Zoë  Ångström-Smith"),
        ("zoe2@example.com", "Zoë Ångström Smith"),
        ("li@example.com", "李雷"),
    ] {
        let id = app.user(email, name, &[Role::Viewer]).await;
        handles.push(handle(&app, id).await);
    }
    assert_eq!(
        handles,
        ["zoe.angstrom.smith", "zoe.angstrom.smith2", "user"]
    );
}

struct Setup {
    app: TestApp,
    org: Org,
    hm: Client,
    hm_id: Uuid,
    requirement: Uuid,
    /// Hana Head, a recruiter not named on the requirement: @hana.head.
    hana: Uuid,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let hana = app
        .user("hana@example.com", "Hana Head", &[Role::Recruiter])
        .await;
    let requirement = draft(&app, &hm, &o, hm_id, "Platform engineer").await;
    Setup {
        app,
        org: o,
        hm,
        hm_id,
        requirement,
        hana,
    }
}

/// Mentions `user` was told of: (text, link).
async fn mentions_of(app: &TestApp, user: Uuid) -> Vec<(String, String)> {
    sqlx::query_as(
        "select text, link from notifications where user_id = $1 and event = 'mention' order by created_at",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

async fn handle(app: &TestApp, user: Uuid) -> String {
    sqlx::query_scalar("select handle from users where id = $1")
        .bind(user)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

fn comment_texts(page: &Page) -> Vec<String> {
    page.texts(".comment .prose")
}

#[tokio::test]
async fn a_mention_tells_the_person_but_not_the_author_nor_those_who_cannot_see() {
    let s = setup().await;
    let me = handle(&s.app, s.hm_id).await;
    assert_eq!(me, "test.hiring.manager");
    let profile = s.hm.get("/profile").await;
    assert_eq!(
        profile.attr("#handle", "value").as_deref(),
        Some("@test.hiring.manager")
    );
    let body =
        format!("Can you look, @hana.head? (`@{me}` in code, @nobody.here unknown, @{me} myself)");
    comment(&s.hm, s.requirement, &body).await;
    let told = mentions_of(&s.app, s.hana).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        told[0].1,
        format!("/requirements/{}#comments", s.requirement)
    );
    assert!(
        told[0]
            .0
            .starts_with("Test Hiring manager mentioned you on HH-"),
        "{told:?}"
    );
    assert!(mentions_of(&s.app, s.hm_id).await.is_empty());
    // Hana wants mail at once (the default for mentions).
    let mail = s.app.last_mail_to_id(s.hana).await.unwrap();
    assert!(mail.contains("mentioned you"), "{mail}");
    let page = s.hm.get(&format!("/requirements/{}", s.requirement)).await;
    assert_eq!(comment_texts(&page).len(), 1);
    assert!(comment_texts(&page)[0].contains("Can you look, @hana.head?"));

    // A confidential requirement: Hana is not named on it, an admin sees it.
    let mut secret = form(&s.org, s.hm_id, "Secret role");
    secret.push(("confidential", "on".into()));
    let fields: Vec<(&str, &str)> = secret.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = s.hm.post("/requirements", &fields).await;
    let confidential: Uuid = res
        .location()
        .trim_start_matches("/requirements/")
        .parse()
        .unwrap();
    let admin = s
        .app
        .user("ada@example.com", "Ada Admin", &[Role::Admin])
        .await;
    comment(&s.hm, confidential, "@hana.head @ada.admin have a look").await;
    assert_eq!(mentions_of(&s.app, s.hana).await.len(), 1, "not told again");
    assert_eq!(mentions_of(&s.app, admin).await.len(), 1);
    // Nor is she suggested there.
    let hx =
        s.hm.get_hx(&format!("/mentions?requirement={confidential}&q=ha"))
            .await;
    assert!(!hx.body.contains("hana.head"), "{}", hx.body);
    let hx =
        s.hm.get_hx(&format!("/mentions?requirement={}&q=ha", s.requirement))
            .await;
    assert_eq!(hx.texts(".mention-option"), ["Hana Head @hana.head"]);
    assert_eq!(
        hx.attr(".mention-option", "data-handle").as_deref(),
        Some("hana.head")
    );
}

#[tokio::test]
async fn an_edit_is_audited_and_tells_only_the_newly_mentioned() {
    let s = setup().await;
    let finn = s
        .app
        .user("finn@example.com", "Finn Finance", &[Role::Approver])
        .await;
    let id = comment(&s.hm, s.requirement, "@hana.head first").await;
    assert_eq!(s.app.audit_count("comment.created", id).await, 1);
    let res =
        s.hm.post(
            &format!("/comments/{id}"),
            &[
                ("body", "@hana.head first, and @finn.finance"),
                ("version", "1"),
            ],
        )
        .await;
    res.assert_redirect(&format!("/requirements/{}#comment-{id}", s.requirement));
    assert_eq!(s.app.audit_count("comment.edited", id).await, 1);
    assert_eq!(mentions_of(&s.app, s.hana).await.len(), 1);
    assert_eq!(mentions_of(&s.app, finn).await.len(), 1);
    let page = s.hm.get(&format!("/requirements/{}", s.requirement)).await;
    assert!(page.texts(".comment-meta")[0].contains("(edited"));

    // A second edit from the same (now stale) version is refused, showing
    // what changed, with the text kept.
    let res =
        s.hm.post(
            &format!("/comments/{id}"),
            &[("body", "my stale words"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    let conflict = res.texts(".comment .flash.error").join(" ");
    assert!(conflict.contains("Someone else saved this"), "{conflict}");
    assert!(conflict.contains("and @finn.finance"), "{conflict}");
    assert_eq!(
        res.texts(&format!("#edit-{id}-body")),
        ["my stale words"],
        "input kept"
    );
    assert_eq!(
        res.attr(&format!("#comment-{id} input[name=version]"), "value")
            .as_deref(),
        Some("2")
    );
    assert_eq!(s.app.audit_count("comment.edited", id).await, 1);
}

#[tokio::test]
async fn only_the_author_or_an_admin_changes_a_comment_and_deletes_are_audited() {
    let s = setup().await;
    let id = comment(&s.hm, s.requirement, "mine").await;
    let (other, _) = s.app.signed_in(Role::Recruiter).await;
    let page = other.get(&format!("/requirements/{}", s.requirement)).await;
    assert!(page.texts(".comment-actions").is_empty(), "no edit offered");
    let res = other
        .post(
            &format!("/comments/{id}"),
            &[("body", "theirs now"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = other.post(&format!("/comments/{id}/deletion"), &[]).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(s.app.audit_count("comment.edited", id).await, 0);

    // A viewer reads, but does not write.
    let (viewer, _) = s.app.signed_in(Role::Viewer).await;
    let page = viewer
        .get(&format!("/requirements/{}", s.requirement))
        .await;
    assert_eq!(comment_texts(&page), ["mine"]);
    assert!(page.texts(".comment-form").is_empty());
    let res = viewer
        .post(
            &format!("/requirements/{}/comments", s.requirement),
            &[("body", "hello")],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // The author deletes it (htmx: the thread comes back without it).
    let res = s.hm.post_hx(&format!("/comments/{id}/deletion"), &[]).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.texts("section#comments #no-comments"),
        ["No comments yet."]
    );
    assert_eq!(s.app.audit_count("comment.deleted", id).await, 1);
    let res = s.hm.post(&format!("/comments/{id}/deletion"), &[]).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "gone");

    // An admin may remove anyone's.
    let id = comment(&s.hm, s.requirement, "another").await;
    let (admin, _) = s.app.signed_in(Role::Admin).await;
    admin.get(&format!("/requirements/{}", s.requirement)).await;
    let res = admin.post(&format!("/comments/{id}/deletion"), &[]).await;
    res.assert_redirect(&format!("/requirements/{}#comments", s.requirement));
    assert_eq!(s.app.audit_count("comment.deleted", id).await, 1);
}

#[tokio::test]
async fn an_empty_comment_is_refused_beside_the_field_and_markdown_is_sanitized() {
    let s = setup().await;
    let path = format!("/requirements/{}", s.requirement);
    s.hm.get(&path).await;
    let res =
        s.hm.post(&format!("{path}/comments"), &[("body", "   ")])
            .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        res.field_error("body").as_deref(),
        Some("Write something first.")
    );
    assert_eq!(res.attr("#body", "aria-invalid").as_deref(), Some("true"));
    assert!(
        res.texts("main h1")[0].contains("Platform engineer"),
        "the page"
    );

    // With htmx: the thread alone, the input kept.
    let too_long = "x".repeat(10_001);
    let res =
        s.hm.post_hx(&format!("{path}/comments"), &[("body", &too_long)])
            .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!res.body.contains("<html"), "a fragment");
    assert!(res.field_error("body").unwrap().contains("at most 10000"));
    assert_eq!(res.texts("#body")[0].len(), 10_001);

    let res = s
        .hm
        .post_hx(
            &format!("{path}/comments"),
            &[(
                "body",
                "**Bold** <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
            )],
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let page = s.hm.get(&path).await;
    let html = page.html();
    let prose = html
        .select(&Selector::parse(".comment .prose").unwrap())
        .next()
        .unwrap()
        .inner_html()
        .to_lowercase();
    assert!(prose.contains("<strong>bold</strong>"), "{prose}");
    for evil in ["<script", "onerror", "javascript:"] {
        assert!(!prose.contains(evil), "{evil} survived: {prose}");
    }
}

#[tokio::test]
async fn typing_at_suggests_a_person_whose_handle_goes_in_and_the_comment_appears_without_reload() {
    let s = setup().await;
    let email: String = sqlx::query_scalar("select email from users where id = $1")
        .bind(s.hm_id)
        .fetch_one(&s.app.pool)
        .await
        .unwrap();
    let browser = Browser::start().await;
    browser.goto(&s.app.url("/sign-in")).await;
    browser.sign_in(&email, PASSWORD).await;
    browser.wait_for_path("/").await;
    let page = s.app.url(&format!("/requirements/{}", s.requirement));
    browser.goto(&page).await;
    // Set before posting: a reload would lose it.
    browser.js("window.notReloaded = true").await;
    browser.fill("#body", "Thanks @ha").await;
    let option = browser
        .wait_for("#body-suggestions button[data-handle='hana.head']")
        .await;
    assert_eq!(
        option
            .text()
            .await
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["Hana", "Head", "@hana.head"]
    );
    for width in WIDTHS {
        set_width(&browser, width).await;
        browser
            .js("document.getElementById('comments').scrollIntoView()")
            .await;
        check_layout(&browser, "comment-suggestions", width).await;
    }
    option.click().await.unwrap();
    assert_eq!(browser.value("#body").await, "Thanks @hana.head ");
    let focused = browser.js("return document.activeElement.id").await;
    assert_eq!(focused, serde_json::json!("body"), "back to the text");
    browser
        .wait_for("#body")
        .await
        .send_keys("for the review")
        .await
        .unwrap();
    browser
        .wait_for_xpath("//section[@id='comments']//button[normalize-space()='Comment']")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for(".comment .prose").await;
    assert_eq!(
        browser.text(".comment .prose").await,
        "Thanks @hana.head for the review"
    );
    assert_eq!(browser.value("#body").await, "", "the form is empty again");
    // htmx moves the focus once the swap settles.
    let began = std::time::Instant::now();
    while browser.js("return document.activeElement.id").await != serde_json::json!("body") {
        assert!(
            began.elapsed() < crate::browser::TIMEOUT,
            "the textarea has the focus again, ready for the next comment"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        browser.js("return window.notReloaded === true").await,
        serde_json::json!(true),
        "no reload"
    );
    assert_eq!(mentions_of(&s.app, s.hana).await.len(), 1);
    for width in WIDTHS {
        set_width(&browser, width).await;
        browser
            .js("document.getElementById('comments').scrollIntoView()")
            .await;
        check_layout(&browser, "comment-posted", width).await;
    }
    browser
        .wait_for(".comment-edit > summary")
        .await
        .click()
        .await
        .unwrap();
    browser.wait_for(".comment-edit textarea").await;
    for width in WIDTHS {
        set_width(&browser, width).await;
        browser
            .js("document.getElementById('comments').scrollIntoView()")
            .await;
        check_layout(&browser, "comment-edit", width).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn mention_suggestions_name_only_people_who_may_see_the_requirement() {
    let s = setup().await;
    let (viewer, _) = s.app.signed_in(Role::Viewer).await;
    // Without a requirement there is no list of everybody.
    let res = viewer.get_hx("/mentions?q=ha").await;
    assert_ne!(res.status, StatusCode::OK);
    assert!(!res.body.contains("hana.head"), "{}", res.body);
    // A requirement the viewer sees: people who see it too.
    let res = viewer
        .get_hx(&format!("/mentions?requirement={}&q=ha", s.requirement))
        .await;
    assert_eq!(res.texts(".mention-option"), ["Hana Head @hana.head"]);

    // A confidential one: only the people named on it and admins, and only
    // to those who see it.
    let mut secret = form(&s.org, s.hm_id, "Secret role");
    secret.push(("confidential", "on".into()));
    let fields: Vec<(&str, &str)> = secret.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = s.hm.post("/requirements", &fields).await;
    let confidential: Uuid = res
        .location()
        .trim_start_matches("/requirements/")
        .parse()
        .unwrap();
    s.app
        .user("harriet@example.com", "Harriet Admin", &[Role::Admin])
        .await;
    let res = viewer
        .get_hx(&format!("/mentions?requirement={confidential}&q=ha"))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.contains("hana.head"), "{}", res.body);
    let res =
        s.hm.get_hx(&format!("/mentions?requirement={confidential}&q=ha"))
            .await;
    assert_eq!(
        res.texts(".mention-option"),
        ["Harriet Admin @harriet.admin"]
    );
    // The page without JavaScript keeps the requirement in its search.
    let page =
        s.hm.get(&format!("/mentions?requirement={confidential}&q=ha"))
            .await;
    assert_eq!(
        page.attr("input[name=requirement]", "value"),
        Some(confidential.to_string())
    );
}
