//! The candidate list: full-text search, filters (all in the URL), keyset
//! pages, and the same rows streamed for an export.

use super::Reach;
use super::candidate::{CandidateId, Source};
use crate::domain::kernel::After;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// As many as the requirements list shows.
pub const PAGE_SIZE: i64 = 25;

/// The list's filters as the URL holds them: every one optional, anything
/// that does not parse ignored.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Filter {
    /// Words to find in names, addresses, phone, tags and skills.
    pub q: String,
    /// A stage's name: candidates with an application there.
    pub stage: String,
    /// A requirement's id: candidates in its pipeline.
    pub requirement: String,
    pub source: String,
    pub tag: String,
    /// The owner's id.
    pub owner: String,
    /// Added on or after (YYYY-MM-DD).
    pub from: String,
    /// Added on or before.
    pub to: String,
    /// The cursor: the last row of the previous page.
    pub after: String,
}

impl Filter {
    /// The words searched for, lower-cased, for highlighting: the first
    /// [`HIGHLIGHTED_WORDS`] of them.
    pub fn words(&self) -> Vec<String> {
        self.q
            .split(|c: char| !c.is_alphanumeric() && c != '@' && c != '.' && c != '+')
            .map(|w| w.trim_matches('.').to_lowercase())
            .filter(|w| !w.is_empty())
            .take(HIGHLIGHTED_WORDS)
            .collect()
    }
}

/// A search is a few words; each row's text is compared with every word
/// highlighted, so a query of thousands (a URL holds 64 KB) would cost
/// seconds for a page.
pub const HIGHLIGHTED_WORDS: usize = 32;

/// One row of the list.
#[derive(Debug, sqlx::FromRow)]
pub struct Row {
    pub id: CandidateId,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: String,
    pub tags: Vec<String>,
    pub skills: Vec<String>,
    pub source: Source,
    pub owner_name: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Their applications, "HH-2026-0042 (Interview)", newest first.
    pub applications: Vec<String>,
    /// Searching, a page: the text of their first file whose words match
    /// (its start), read into [`Row::snippet`] by [`list`].
    pub file_text: Option<String>,
    /// Searching: the words found in their files, with some around them,
    /// cut into the words found (true) and the rest.
    #[sqlx(skip)]
    pub snippet: Vec<(bool, String)>,
    /// Filtered to a requirement: their application there, as the bulk
    /// form takes it ("application:the stage it is in"), while it is in
    /// the pipeline proper.
    pub chosen: Option<String>,
}

/// Up to `limit` candidates `reach` sees, newest first, after the
/// filter's cursor.
pub async fn list(
    conn: &mut PgConnection,
    reach: Reach,
    f: &Filter,
    limit: i64,
) -> Result<Vec<Row>, sqlx::Error> {
    let mut rows: Vec<Row> = query(reach, f, Some(limit))
        .build_query_as()
        .fetch_all(conn)
        .await?;
    let words = f.words();
    for row in &mut rows {
        if let Some(text) = row.file_text.take() {
            row.snippet = snippet(&text, &words);
        }
    }
    Ok(rows)
}

/// Every candidate of the filter, from its start, sent to `out` as the
/// database sends them (see `requisition::list::export`).
pub async fn export(
    conn: &mut PgConnection,
    reach: Reach,
    f: &Filter,
    out: tokio::sync::mpsc::Sender<Row>,
) -> Result<(), sqlx::Error> {
    use futures::TryStreamExt as _;
    let f = Filter {
        after: String::new(),
        ..f.clone()
    };
    let mut q = query(reach, &f, None);
    let mut rows = q.build_query_as::<Row>().fetch(conn);
    while let Some(row) = rows.try_next().await? {
        if out.send(row).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The statement holds only the filters in use (as the requirements
/// list's does, for the same reason: a generic plan of every filter
/// written as `($n is null or …)` plans them all on every request).
fn query(reach: Reach, f: &Filter, limit: Option<i64>) -> QueryBuilder<Postgres> {
    let mut q = QueryBuilder::new(
        "select c.id, c.full_name,
                (select e.email from candidate_emails e where e.candidate_id = c.id
                  order by e.position, e.email limit 1) as email,
                c.phone, c.tags, c.skills, c.source, ow.full_name as owner_name, c.created_at,
                array(select r.reference || ' (' || s.name || ')'
                        from applications a join requirements r on r.id = a.requirement_id
                        join pipeline_stages s on s.id = a.stage_id
                       where a.candidate_id = c.id and r.deleted_at is null
                         and (not r.confidential or ",
    );
    q.push_bind(reach.confidential)
        .push(" or ")
        .push_bind(reach.user)
        .push(
            " in (r.hiring_manager_id, r.created_by, r.recruiter_id))
                       order by a.created_at desc) as applications",
        );
    let text = f.q.replace('\0', " ");
    let text = text.trim();
    if text.is_empty() || limit.is_none() {
        // An export has no column for it.
        q.push(", null as file_text");
    } else {
        // The start of the first file whose own words match, for the
        // snippet, found in it here rather than by `ts_headline`, which
        // parsed each page's files whole (two fifths of the statement).
        q.push(
            ", (select left(b.text, 20000) from file_attachments fa join file_blobs b on b.sha256 = fa.sha256
                 where fa.candidate_id = c.id and fa.deleted_at is null
                   and b.search @@ (select websearch_to_tsquery('simple', ",
        )
        .push_bind(text.to_owned())
        .push(")) limit 1) as file_text");
    }
    let id = |v: &str| v.trim().parse::<Uuid>().ok();
    let requirement = id(&f.requirement);
    match requirement {
        Some(r) => q
            .push(
                ", (select ca.id::text || ':' || ca.stage_id::text
                      from applications ca join pipeline_stages cs on cs.id = ca.stage_id
                     where ca.candidate_id = c.id and cs.kind = 'active' and ca.requirement_id = ",
            )
            .push_bind(r)
            .push(") as chosen"),
        None => q.push(", null::text as chosen"),
    };
    // The page is found by id and date alone, then its rows read whole: a
    // search sorts its thousand matches to keep the newest, and carrying
    // their names, tags and skills through that sort cost a sixth of the
    // statement. Searching, the matches come from the text index first
    // (`offset 0` keeps them apart from the sort): a generic plan cannot
    // tell how rare the words are and, for a page of 25, would walk the
    // newest candidates testing each (5,000 for a word in 1 % of them).
    let searching = !text.is_empty();
    q.push(if searching {
        " from (select id, created_at from (select c.id, c.created_at from candidates c
          where c.deleted_at is null"
    } else {
        " from (select c.id, c.created_at from candidates c
          where c.deleted_at is null"
    });
    if !reach.all {
        // Those of the requirements they manage (none for someone who
        // sees no candidates: the handler refuses them first).
        q.push(
            " and exists (select from applications ra join requirements rr on rr.id = ra.requirement_id
                           where ra.candidate_id = c.id and rr.deleted_at is null and ",
        )
        .push_bind(reach.own)
        .push(" and ")
        .push_bind(reach.user)
        .push(" in (rr.hiring_manager_id, rr.created_by))");
    }
    if searching {
        q.push(" and c.search @@ (select websearch_to_tsquery('simple', ")
            .push_bind(text.to_owned())
            .push("))");
    }
    let stage = f.stage.replace('\0', "");
    let stage = stage.trim();
    if requirement.is_some() || !stage.is_empty() {
        q.push(
            " and exists (select from applications fa join pipeline_stages fs on fs.id = fa.stage_id
                           where fa.candidate_id = c.id",
        );
        if let Some(r) = requirement {
            q.push(" and fa.requirement_id = ").push_bind(r);
        }
        if !stage.is_empty() {
            q.push(" and fs.name = ").push_bind(stage.to_owned());
        }
        q.push(")");
    }
    if let Some(source) = Source::parse(&f.source) {
        q.push(" and c.source = ").push_bind(source.as_str());
    }
    let tag = f.tag.replace('\0', "");
    if !tag.trim().is_empty() {
        q.push(" and c.tags @> array[")
            .push_bind(tag.trim().to_owned())
            .push("]");
    }
    if let Some(owner) = id(&f.owner) {
        q.push(" and c.owner_id = ").push_bind(owner);
    }
    let date = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    if let Some(from) = date(&f.from) {
        q.push(" and c.created_at >= ").push_bind(from);
    }
    if let Some(to) = date(&f.to) {
        q.push(" and c.created_at < ").push_bind(to).push(" + 1");
    }
    if let Some(after) = After::parse(&f.after) {
        q.push(" and (c.created_at, c.id) < (")
            .push_bind(after.at)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    q.push(if searching {
        " offset 0) c order by c.created_at desc, c.id desc"
    } else {
        " order by c.created_at desc, c.id desc"
    });
    if let Some(limit) = limit {
        q.push(" limit ").push(limit);
    }
    q.push(
        ") page join candidates c on c.id = page.id left join users ow on ow.id = c.owner_id
          order by page.created_at desc, page.id desc",
    );
    q
}

/// The words of `text` as the search reads text, as byte ranges: letters
/// and digits, with an email address (or a dotted name) kept whole.
fn words_in(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let in_word = |c: char| c.is_alphanumeric() || "@._+".contains(c);
    let mut at = 0;
    std::iter::from_fn(move || {
        let rest = &text[at..];
        let start = at + rest.find(char::is_alphanumeric)?;
        let rest = &text[start..];
        let mut end = rest.find(|c: char| !in_word(c)).unwrap_or(rest.len());
        // A word ends with a letter or digit: "Rust." is "Rust" and ".".
        while !rest[..end].ends_with(char::is_alphanumeric) {
            end -= rest[..end].chars().next_back().map_or(1, char::len_utf8);
        }
        at = start + end;
        Some(start..at)
    })
}

/// Whether `word` is one of `words` (lower-cased), ignoring its case.
fn is_one_of(word: &str, words: &[String]) -> bool {
    words
        .iter()
        .any(|w| w.chars().eq(word.chars().flat_map(char::to_lowercase)))
}

/// A text cut into the parts that match one of `words` (for `<mark>`) and
/// those that do not, in order.
pub fn highlight(text: &str, words: &[String]) -> Vec<(bool, String)> {
    let mut parts: Vec<(bool, String)> = Vec::new();
    let mut push = |hit: bool, s: &str| match parts.last_mut() {
        _ if s.is_empty() => {}
        Some((h, last)) if *h == hit => last.push_str(s),
        _ => parts.push((hit, s.to_owned())),
    };
    let mut at = 0;
    for word in words_in(text) {
        push(false, &text[at..word.start]);
        push(is_one_of(&text[word.clone()], words), &text[word.clone()]);
        at = word.end;
    }
    push(false, &text[at..]);
    parts
}

/// Words shown before the first word found, and in all, in a snippet.
const SNIPPET_BEFORE: usize = 6;
const SNIPPET_WORDS: usize = 16;

/// A few words of `text` around the first of `words` in it, cut as
/// [`highlight`] cuts a text; none when none of them is in it.
pub fn snippet(text: &str, words: &[String]) -> Vec<(bool, String)> {
    let mut before = std::collections::VecDeque::with_capacity(SNIPPET_BEFORE + 1);
    let mut all = words_in(text);
    let Some(found) = all.by_ref().find(|w| {
        before.push_back(w.start);
        if before.len() > SNIPPET_BEFORE + 1 {
            before.pop_front();
        }
        is_one_of(&text[w.clone()], words)
    }) else {
        return Vec::new();
    };
    let from = before.front().copied().unwrap_or(found.start);
    let to = all
        .take(SNIPPET_WORDS - before.len())
        .last()
        .map_or(found.end, |w| w.end);
    highlight(&text[from..to], words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_words_are_marked() {
        let words = Filter {
            q: "Rust ana@example.com".into(),
            ..Filter::default()
        }
        .words();
        assert_eq!(words, ["rust", "ana@example.com"]);
        assert_eq!(
            highlight("Ana Costa, rust/RUST; trust", &words),
            [
                (false, "Ana Costa, ".to_owned()),
                (true, "rust".to_owned()),
                (false, "/".to_owned()),
                (true, "RUST".to_owned()),
                (false, "; trust".to_owned()),
            ]
        );
        assert_eq!(
            highlight("ana@example.com, Ana.", &words),
            [
                (true, "ana@example.com".to_owned()),
                (false, ", Ana.".to_owned()),
            ]
        );
        assert_eq!(highlight("", &words), []);
    }

    #[test]
    fn a_snippet_is_the_words_around_the_first_found() {
        let words = vec!["fortran".to_owned()];
        let text = "Curriculum vitae. Ana Costa, engineer: ten years of numerical code in C, \
                    FORTRAN and Python at a weather service; FORTRAN again later, and more \
                    words that the snippet leaves out.";
        assert_eq!(
            snippet(text, &words),
            [
                (false, "years of numerical code in C, ".to_owned()),
                (true, "FORTRAN".to_owned()),
                (false, " and Python at a weather service; ".to_owned()),
                (true, "FORTRAN".to_owned()),
                (false, " again later".to_owned()),
            ]
        );
        // At the start, fewer words before; none found, no snippet.
        assert_eq!(
            snippet("Fortran, mostly.", &words),
            [(true, "Fortran".to_owned()), (false, ", mostly".to_owned())]
        );
        assert_eq!(snippet("Fortrans and fortran77.", &words), []);
        assert_eq!(snippet("", &words), []);
    }

    #[test]
    fn a_huge_query_highlights_its_first_words_only() {
        let q = (0..10_000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let words = Filter {
            q,
            ..Filter::default()
        }
        .words();
        assert_eq!(words.len(), HIGHLIGHTED_WORDS);
        assert_eq!(words[0], "w0");
    }
}
