//! One domain error, one mapping to pages (`web::problems`): a refused
//! change shows beside the input that caused it, with the input kept; a
//! stale one says who changed what, whichever form it came from.

use crate::harness::fixtures::{draft, form, org};
use crate::harness::{Page, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;

/// The reason of a refused action sits beside its own field, in its own
/// form (opened again, the text kept), linked from the summary at the top.
#[tokio::test]
async fn a_refused_actions_reason_stays_beside_its_own_field() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &o, hm_id, "Data engineer").await;
    let typed = "Budget frozen. ".repeat(400);
    let res = hm
        .post(
            &format!("/requirements/{id}/transitions"),
            &[("action", "cancel"), ("reason", &typed), ("version", "1")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let problem = res.field_error("cancel-reason").unwrap_or_default();
    assert_eq!(problem, "Use at most 5000 characters.");
    assert_eq!(
        res.attr("details[open] #cancel-reason", "value").as_deref(),
        Some(typed.as_str())
    );
    assert_eq!(
        res.attr("#error-summary a", "href").as_deref(),
        Some("#cancel-reason")
    );
    assert_eq!(status_of(&app, id).await, "draft", "nothing was saved");
}

/// An action taken on a page someone changed since says who changed what,
/// like a stale form, and the page it shows acts on the current version.
#[tokio::test]
async fn a_stale_action_says_who_changed_what() {
    let app = TestApp::spawn().await;
    let o = org(&app).await;
    let (hm, hm_id) = app.signed_in(Role::HiringManager).await;
    let id = draft(&app, &hm, &o, hm_id, "Data engineer").await;
    // An admin renames it meanwhile, through the form.
    let (admin, admin_id) = app.signed_in(Role::Admin).await;
    let mut fields = form(&o, hm_id, "Data scientist");
    fields.push(("version", "1".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    admin
        .post(&format!("/requirements/{id}"), &fields)
        .await
        .assert_redirect(&format!("/requirements/{id}"));
    let admin_name: String = sqlx::query_scalar("select full_name from users where id = $1")
        .bind(admin_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let res = hm
        .post(
            &format!("/requirements/{id}/transitions"),
            &[
                ("action", "cancel"),
                ("reason", "No budget"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    let alert = res.texts("[role=alert]").join(" ");
    assert!(alert.contains("Someone else saved this"), "{alert}");
    assert!(alert.contains(&admin_name), "{alert}");
    assert!(alert.contains("Data engineer → Data scientist"), "{alert}");
    assert_eq!(status_of(&app, id).await, "draft");
    assert_eq!(
        version_in_forms(&res),
        vec!["2".to_owned()],
        "the page acts on the version now stored"
    );
}

async fn status_of(app: &TestApp, id: uuid::Uuid) -> String {
    sqlx::query_scalar("select status from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// The distinct versions the page's action forms send.
fn version_in_forms(page: &Page) -> Vec<String> {
    let mut versions = page.attrs("form input[name=version]", "value");
    versions.dedup();
    versions
}
