//! Merging two records of one person, with a preview, and splitting them
//! back while neither has changed.

use crate::harness::documents;
use crate::harness::fixtures::{history_of, opened};
use crate::harness::{Client, Page, TestApp};
use hiring_hare::domain::access::Role;
use reqwest::StatusCode;
use uuid::Uuid;

async fn add(recruiter: &Client, fields: &[(&str, &str)]) -> Uuid {
    let mut form = vec![("source", "sourced")];
    form.extend_from_slice(fields);
    let res = recruiter.post("/candidates", &form).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    res.location()
        .trim_start_matches("/candidates/")
        .parse()
        .unwrap()
}

async fn version(app: &TestApp, id: Uuid) -> String {
    let v: i32 = sqlx::query_scalar("select version from candidates where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    v.to_string()
}

/// A profile's name and details, label by label (as the preview lists
/// them).
fn shown(page: &Page) -> Vec<String> {
    let mut all = page.texts("h1");
    all.extend(page.texts("dl.meta dd"));
    all
}

async fn details(recruiter: &Client, id: Uuid) -> Vec<String> {
    shown(&recruiter.get(&format!("/candidates/{id}")).await)
}

#[tokio::test]
async fn two_records_merge_as_previewed_and_split_back_exactly() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let requirement = chain.requirement.to_string();
    let ana = add(
        &recruiter,
        &[
            ("full_name", "Ana Costa"),
            ("emails", "ana@example.com"),
            ("phone", "+44 20 7946 0958"),
            ("tags", "rust"),
            ("requirement_id", &requirement),
        ],
    )
    .await;
    let anna = add(
        &recruiter,
        &[
            ("full_name", "Anna Costa-Silva"),
            ("emails", "anna.k@mail.test"),
            ("phone", "020 7946 0958"),
            ("location", "Lisbon"),
            ("tags", "Rust, go"),
        ],
    )
    .await;
    let anna_profile = format!("/candidates/{anna}");
    recruiter
        .post_file(
            &format!("{anna_profile}/files"),
            "anna.docx",
            documents::docx(&["Anna Costa-Silva"]),
            None,
        )
        .await
        .assert_redirect(&anna_profile);
    recruiter
        .post(
            &format!("{anna_profile}/comments"),
            &[("body", "Met her at RustConf.")],
        )
        .await;

    // The possible duplicate leads to the comparison.
    let profile = recruiter.get(&format!("/candidates/{ana}")).await;
    let compare = profile.attr("#duplicates a[href*=merge]", "href").unwrap();
    assert_eq!(compare, format!("/candidates/{ana}/merge?with={anna}"));
    let page = recruiter.get(&compare).await;
    assert_eq!(page.status, StatusCode::OK);
    // A choice for each field that differs, the record kept's by default.
    assert_eq!(
        page.texts(".merge-choices legend"),
        ["Name", "Phone", "Location"]
    );
    let preview = page.texts("#merge-result dd");
    assert_eq!(preview[0], "Ana Costa");
    assert_eq!(preview[1], "ana@example.com, anna.k@mail.test");
    assert_eq!(preview[3], "—");
    assert_eq!(preview[7], "rust go");
    // The preview follows the picks.
    let picked = recruiter
        .get(&format!(
            "{compare}&full_name=merged&location=merged&phone=kept"
        ))
        .await;
    let preview = picked.texts("#merge-result dd");
    assert_eq!(preview[0], "Anna Costa-Silva");
    assert_eq!(preview[3], "Lisbon");
    assert_eq!(
        picked.attr("#merge-result input[name=full_name]", "value"),
        Some("merged".into())
    );

    // A record changed since the preview: the merge says what changed.
    let stale_ana = version(&app, ana).await;
    let stale_anna = version(&app, anna).await;
    recruiter
        .post(
            &format!("/candidates/{ana}"),
            &[
                ("full_name", "Ana Costa"),
                ("emails", "ana@example.com"),
                ("phone", "+44 20 7946 0958"),
                ("tags", "rust, backend"),
                ("source", "sourced"),
                ("version", &stale_ana),
            ],
        )
        .await
        .assert_redirect(&format!("/candidates/{ana}"));
    let merge = |kept_version: String, merged_version: String| {
        let recruiter = &recruiter;
        let with = anna.to_string();
        async move {
            recruiter
                .post(
                    &format!("/candidates/{ana}/merge"),
                    &[
                        ("with", with.as_str()),
                        ("full_name", "merged"),
                        ("location", "merged"),
                        ("phone", "kept"),
                        ("kept_version", &kept_version),
                        ("merged_version", &merged_version),
                    ],
                )
                .await
        }
    };
    let res = merge(stale_ana.clone(), stale_anna.clone()).await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body.contains("backend"), "{}", res.body);
    assert_eq!(details(&recruiter, anna).await[0], "Anna Costa-Silva");
    let before = details(&recruiter, ana).await;
    assert_eq!(before[7], "rust backend");

    // Merged as previewed.
    let res = merge(version(&app, ana).await, version(&app, anna).await).await;
    res.assert_redirect(&format!("/candidates/{ana}"));
    let page = recruiter.get(&format!("/candidates/{ana}")).await;
    let merged = shown(&page);
    assert_eq!(merged[0], "Anna Costa-Silva");
    assert_eq!(merged[1], "ana@example.com, anna.k@mail.test");
    assert_eq!(merged[2], "+44 20 7946 0958");
    assert_eq!(merged[3], "Lisbon");
    assert_eq!(merged[7], "rust backend go");
    assert_eq!(page.texts(".files li > a"), ["anna.docx"]);
    assert!(page.texts("#comments .comment .prose")[0].contains("RustConf"));
    assert_eq!(page.texts(".application h3").len(), 1);
    assert!(page.texts("#duplicates li").is_empty());
    let events = history_of(&recruiter, &format!("/candidates/{ana}")).await;
    assert!(events[0].contains("merged another record"), "{events:?}");
    // The other record's links lead here; search finds one person.
    recruiter
        .get(&anna_profile)
        .await
        .assert_redirect(&format!("/candidates/{ana}"));
    let found = recruiter.get("/candidates?q=anna.k@mail.test").await;
    assert_eq!(found.texts("tbody th a"), ["Anna Costa-Silva"]);
    // Adding the other address again finds the merged person.
    let again = add(
        &recruiter,
        &[("full_name", "Anna"), ("emails", "ANNA.K@mail.test")],
    )
    .await;
    assert_eq!(again, ana);

    // Split back: both records exactly as they were before.
    let merge_id = page.attr("form[action$=split] input[name=merge_id]", "value");
    let res = recruiter
        .post(
            &format!("/candidates/{ana}/split"),
            &[("merge_id", merge_id.as_deref().unwrap())],
        )
        .await;
    res.assert_redirect(&anna_profile);
    assert_eq!(details(&recruiter, ana).await, before);
    let anna_page = recruiter.get(&anna_profile).await;
    let restored = shown(&anna_page);
    assert_eq!(restored[0], "Anna Costa-Silva");
    assert_eq!(restored[1], "anna.k@mail.test");
    assert_eq!(restored[7], "Rust go");
    assert_eq!(anna_page.texts(".files li > a"), ["anna.docx"]);
    assert!(anna_page.texts("#comments .comment .prose")[0].contains("RustConf"));
    let ana_page = recruiter.get(&format!("/candidates/{ana}")).await;
    assert!(ana_page.texts(".files li > a").is_empty());
    assert_eq!(ana_page.texts(".application h3").len(), 1);
    assert!(anna_page.texts(".application h3").is_empty());
    assert_eq!(
        recruiter
            .get("/candidates?q=anna.k@mail.test")
            .await
            .texts("tbody th a"),
        ["Anna Costa-Silva"]
    );
    assert_eq!(app.audit_count("candidate.split", ana).await, 1);

    // Merged again, then changed: it can no longer be split back.
    merge(version(&app, ana).await, version(&app, anna).await)
        .await
        .assert_redirect(&format!("/candidates/{ana}"));
    let page = recruiter.get(&format!("/candidates/{ana}")).await;
    let merge_id = page
        .attr("form[action$=split] input[name=merge_id]", "value")
        .unwrap();
    let card = application_of(&app, ana).await;
    let seen_in: Uuid = sqlx::query_scalar("select stage_id from applications where id = $1")
        .bind(card)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let tagged = recruiter
        .post(
            &format!("/requirements/{}/board", chain.requirement),
            &[
                ("chosen", &format!("{card}:{seen_in}")),
                ("action", "tag"),
                ("tag", "silver-medalist"),
            ],
        )
        .await;
    assert_eq!(tagged.status, StatusCode::SEE_OTHER, "{}", tagged.body);
    let page = recruiter.get(&format!("/candidates/{ana}")).await;
    assert!(page.texts("form[action$=split]").is_empty());
    assert!(page.texts(&format!("#merge-{merge_id}"))[0].contains("can no longer be split back"));
    let res = recruiter
        .post(
            &format!("/candidates/{ana}/split"),
            &[("merge_id", &merge_id)],
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(res.body.contains("silver-medalist"), "{}", res.body);
}

async fn application_of(app: &TestApp, candidate: Uuid) -> Uuid {
    sqlx::query_scalar("select id from applications where candidate_id = $1")
        .bind(candidate)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_merge_waits_while_both_are_active_in_one_pipeline() {
    let app = TestApp::spawn().await;
    let chain = opened(&app).await;
    let (recruiter, _) = app.signed_in(Role::Recruiter).await;
    let requirement = chain.requirement.to_string();
    let one = add(
        &recruiter,
        &[
            ("full_name", "Ben Dahl"),
            ("emails", "ben@example.com"),
            ("requirement_id", &requirement),
        ],
    )
    .await;
    let two = add(
        &recruiter,
        &[
            ("full_name", "Ben Dahl"),
            ("emails", "ben.dahl@mail.test"),
            ("requirement_id", &requirement),
        ],
    )
    .await;
    let post = async || {
        recruiter
            .post(
                &format!("/candidates/{one}/merge"),
                &[
                    ("with", &two.to_string()),
                    ("kept_version", &version(&app, one).await),
                    ("merged_version", &version(&app, two).await),
                ],
            )
            .await
    };
    let compare = recruiter
        .get(&format!("/candidates/{one}/merge?with={two}"))
        .await;
    assert!(compare.texts("#merge-result form").is_empty());
    let res = post().await;
    assert_eq!(res.status, StatusCode::CONFLICT);
    assert!(
        res.texts("[role=alert]")
            .iter()
            .any(|t| t.contains("reject or withdraw Ben Dahl's application there first")),
        "{}",
        res.body
    );
    assert_eq!(
        sqlx::query_scalar::<_, i64>("select count(*) from candidates where deleted_at is null")
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        2
    );

    // Once the other's has ended, it stays with the record merged away,
    // counted nowhere.
    let theirs = application_of(&app, two).await;
    let reason: Uuid =
        sqlx::query_scalar("select id from rejection_reasons order by position limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let from: Uuid = sqlx::query_scalar("select stage_id from applications where id = $1")
        .bind(theirs)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    recruiter
        .post(
            &format!("/applications/{theirs}/rejection"),
            &[
                ("reason_id", &reason.to_string()),
                ("from", &from.to_string()),
            ],
        )
        .await;
    post().await.assert_redirect(&format!("/candidates/{one}"));
    let board = recruiter
        .get(&format!("/requirements/{}/board", chain.requirement))
        .await;
    let counts = board.texts(".board-column h2 .count");
    assert_eq!(counts.iter().filter(|c| *c == "1").count(), 1, "{counts:?}");
    assert_eq!(application_of(&app, two).await, theirs);
}
