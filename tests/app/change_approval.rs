//! Editing an approved requirement: a material change (more heads, a higher
//! salary ceiling, another level or department) goes back to the approvers,
//! who see what changed; other edits apply at once; a declined change
//! brings the approved values back.

use crate::harness::TestApp;
use crate::harness::fixtures::{
    Chain, approval_path, approve_all, form, mailed_link, open, signed_in_as, status, submitted,
    waiting_task,
};
use reqwest::StatusCode;
use uuid::Uuid;

async fn version(app: &TestApp, id: Uuid) -> i32 {
    sqlx::query_scalar("select version from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// Saves the requirement's form with `changes` over the fields it was
/// drafted with.
pub(crate) async fn edit(
    app: &TestApp,
    chain: &Chain,
    changes: &[(&'static str, &str)],
) -> crate::harness::Page {
    let mut fields = form(&chain.org, chain.hm_id, "Platform engineer");
    for (name, value) in changes {
        fields.retain(|(k, _)| k != name);
        fields.push((name, (*value).to_owned()));
    }
    let v = version(app, chain.requirement).await.to_string();
    let mut pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.push(("version", &v));
    chain
        .hm
        .post(&format!("/requirements/{}", chain.requirement), &pairs)
        .await
}

async fn live_openings(app: &TestApp, id: Uuid) -> i64 {
    sqlx::query_scalar(
        "select count(*) from openings where requirement_id = $1 and status <> 'closed'",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn approvals(app: &TestApp, id: Uuid) -> i64 {
    sqlx::query_scalar("select count(*) from approvals where subject_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_material_edit_goes_back_to_approval_and_approvers_see_the_diff() {
    let app = TestApp::spawn().await;
    let chain = submitted(&app).await;
    let id = chain.requirement;
    let first_mail = mailed_link(&app, "head@example.com").await;
    approve_all(&app, id).await;
    open(&app, &chain.hm, id).await;
    assert_eq!(live_openings(&app, id).await, 2);

    // Not material: a lower ceiling and a new description apply at once.
    let page = chain.hm.get(&format!("/requirements/{id}/edit")).await;
    assert!(
        page.texts("#reapproval-note")[0].contains("sends it back to its approvers"),
        "the form says which edits need approval"
    );
    let res = edit(
        &app,
        &chain,
        &[
            ("salary_max", "80000"),
            ("description", "Run the platform."),
        ],
    )
    .await;
    res.assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(status(&app, id).await, "open");
    assert_eq!(approvals(&app, id).await, 1, "no new approval");

    // Material: one more head and a higher ceiling than was approved.
    let res = edit(
        &app,
        &chain,
        &[
            ("headcount", "3"),
            ("salary_max", "88000"),
            ("description", "Run the platform."),
        ],
    )
    .await;
    res.assert_redirect(&format!("/requirements/{id}"));
    assert_eq!(status(&app, id).await, "pending_approval");
    assert_eq!(approvals(&app, id).await, 2);
    let shown = chain.hm.get(&format!("/requirements/{id}")).await;
    assert!(
        shown.body.contains("goes to the approvers first"),
        "the hiring manager is told"
    );
    assert_eq!(
        shown.texts("#waiting-for li"),
        ["Hana Head (Department head)"],
        "and sees whose decision it waits for"
    );
    // The head's first mail is stale now; its link says so, and to someone
    // signed in who may see the requirement what happened since (who, and
    // which fields: the values are on the pages).
    let res = app.client().get(&first_mail).await;
    assert_eq!(res.status, StatusCode::GONE);
    assert!(
        res.texts("#since-mail li").is_empty(),
        "no history for whoever holds the link"
    );
    let (path, token) = first_mail.split_once("?token=").unwrap();
    let res = chain
        .hm
        .post(&format!("{path}/link"), &[("token", token)])
        .await;
    assert_eq!(res.status, StatusCode::GONE);
    let since = res.texts("#since-mail li");
    assert!(
        since.iter().any(|e| e.contains("Hana Head approved")),
        "{since:?}"
    );
    assert!(
        since
            .iter()
            .any(|e| e.contains("Headcount") && e.contains("Salary maximum")),
        "{since:?}"
    );
    assert!(!res.body.contains("88,000"), "names of fields, not values");
    // While the approvers look at it, the hiring manager cannot edit it.
    assert_eq!(
        edit(&app, &chain, &[("headcount", "5")]).await.status,
        StatusCode::FORBIDDEN
    );

    // The head's mail opens a page that shows what changed since approval.
    let link = approval_path(&app, "head@example.com").await;
    let head = signed_in_as(&app, "head@example.com").await;
    let page = head.get(&link).await;
    assert!(
        page.texts("#since h2")[0].starts_with("Changed since it was approved on "),
        "{:?}",
        page.texts("#since h2")
    );
    let rows = page.texts("#since tbody tr");
    assert!(rows.contains(&"Headcount 2 3".to_owned()), "{rows:?}");
    assert!(
        rows.contains(&"Salary maximum 85,000 88,000".to_owned()),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.starts_with("Description")),
        "{rows:?}"
    );
    assert_eq!(rows.len(), 3, "only what changed: {rows:?}");

    // Approved again: back to recruiting, with an opening for the new head.
    approve_all(&app, id).await;
    assert_eq!(status(&app, id).await, "open");
    assert_eq!(live_openings(&app, id).await, 3);

    // A change the head declines: the approved values come back.
    let res = edit(
        &app,
        &chain,
        &[
            ("headcount", "4"),
            ("salary_max", "88000"),
            ("description", "Run the platform."),
        ],
    )
    .await;
    res.assert_redirect(&format!("/requirements/{id}"));
    let task: Uuid = waiting_task(&app, id).await;
    let res = head
        .post(
            &format!("/approvals/{task}/decision"),
            &[("decision", "reject"), ("comment", "Three is the budget")],
        )
        .await;
    res.assert_redirect("/approvals");
    assert_eq!(status(&app, id).await, "open", "the job goes on");
    let headcount: i32 = sqlx::query_scalar("select headcount from requirements where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(headcount, 3);
    assert_eq!(live_openings(&app, id).await, 3);
    let mail = app.last_mail_to_id(chain.hm_id).await.unwrap();
    assert!(mail.contains("kept at its approved values"), "{mail}");

    // The timeline tells it all, newest first, with the diffs.
    let page = chain.hm.get(&format!("/requirements/{id}")).await;
    let events = page.texts("ol.timeline > li > p");
    assert!(
        events[0].contains("Hana Head opened it for recruiting"),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.contains("Hana Head declined the change")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.contains("rejected (Department head): “Three is the budget”")),
        "{events:?}"
    );
    assert!(
        page.texts("ol.timeline tbody tr")
            .contains(&"Headcount 4 3".to_owned()),
        "the reverted field is shown"
    );
}
