//! The requirements list: its filters, orders, search and keyset pages,
//! and the CSV export of the same rows.

use crate::domain::kernel::label;
use crate::domain::requisition::form::PRIORITIES;
use crate::domain::requisition::lifecycle::Status;
use crate::domain::requisition::requirement::RequirementId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// The list's filters and order, all optional; they live in the URL.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ListFilter {
    pub q: String,
    pub status: String,
    pub department: String,
    pub level: String,
    pub hiring_manager: String,
    pub recruiter: String,
    pub priority: String,
    /// Created on or after this date (YYYY-MM-DD).
    pub from: String,
    /// Created on or before this date.
    pub to: String,
    /// One of [`Sort`]'s names; empty (or unknown) is the newest first.
    pub sort: String,
    /// Keyset pagination: the rows that follow this row (the last of the
    /// previous page) in the chosen order.
    pub after: String,
}

/// The orders a recruiter picks from. Each is a keyset: a tuple of columns
/// ending in the id (so it is total), all ascending or all descending, so a
/// page continues with one row comparison, and each has an index (migration
/// 20261124000007) that walks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    RecentlyUpdated,
    Title,
    /// Urgent first, then the newest.
    Priority,
    /// The soonest target start first; those without a date last.
    TargetStart,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Newest,
        Sort::Oldest,
        Sort::RecentlyUpdated,
        Sort::Title,
        Sort::Priority,
        Sort::TargetStart,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::RecentlyUpdated => "updated",
            Sort::Title => "title",
            Sort::Priority => "priority",
            Sort::TargetStart => "start",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::Oldest => "Oldest first",
            Sort::RecentlyUpdated => "Recently updated",
            Sort::Title => "Title, A to Z",
            Sort::Priority => "Priority, urgent first",
            Sort::TargetStart => "Target start, soonest first",
        }
    }

    /// Unknown names fall back to the default: a stale bookmark still lists.
    pub fn parse(s: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .unwrap_or_default()
    }
}

pub const PAGE_SIZE: i64 = 25;

/// One row of the list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListRow {
    pub id: RequirementId,
    pub reference: String,
    pub title: String,
    pub department_name: String,
    pub hiring_manager_name: String,
    pub headcount: i32,
    pub priority: String,
    pub status: Status,
    pub target_start: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl ListRow {
    pub fn priority_label(&self) -> &'static str {
        label(&PRIORITIES, &self.priority)
    }

    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

impl Sort {
    /// The order's keyset (an expression list over `r`), how the rows after
    /// the cursor compare with it, and the matching ORDER BY.
    fn keyset(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Sort::Newest => ("r.created_at, r.id", "<", "r.created_at desc, r.id desc"),
            Sort::Oldest => ("r.created_at, r.id", ">", "r.created_at, r.id"),
            Sort::RecentlyUpdated => ("r.updated_at, r.id", "<", "r.updated_at desc, r.id desc"),
            Sort::Title => ("lower(r.title), r.id", ">", "lower(r.title), r.id"),
            Sort::Priority => (
                "priority_rank(r.priority), r.created_at, r.id",
                "<",
                "priority_rank(r.priority) desc, r.created_at desc, r.id desc",
            ),
            Sort::TargetStart => (
                "coalesce(r.target_start, 'infinity'::date), r.id",
                ">",
                "coalesce(r.target_start, 'infinity'::date), r.id",
            ),
        }
    }
}

/// A person filter: an id (from a link) or part of a name, as typed. A
/// name box instead of a list of every person keeps the page small.
fn person(q: &mut sqlx::QueryBuilder<sqlx::Postgres>, column: &'static str, value: &str) {
    // PostgreSQL refuses NUL in text; in a name it can only be noise.
    let value = value.replace('\0', " ");
    let value = value.trim();
    if value.is_empty() {
        return;
    }
    match value.parse::<Uuid>() {
        Ok(id) => {
            q.push(" and ").push(column).push(" = ").push_bind(id);
        }
        Err(_) => {
            let pattern = format!("%{}%", crate::domain::kernel::like_escaped(value));
            q.push(" and ")
                .push(column)
                .push(" in (select id from users where full_name ilike ")
                .push_bind(pattern)
                .push(")");
        }
    }
}

/// Up to `limit` requirements the user may see, in the filter's order (a
/// page asks for one row more, to tell whether another page follows).
/// Keyset pagination costs the same on page 400 as on page 1, and no exact
/// count is taken.
///
/// The statement holds only the filters in use (a `QueryBuilder`, the one
/// dynamic query here): with every filter written as `($n is null or …)`,
/// PostgreSQL planned all thirteen on every request, which took longer
/// than running the query (0.85 ms against 0.1 ms at 100,000
/// requirements). Each combination of filters is its own prepared
/// statement, planned once per connection: the pool runs on generic plans
/// (see `db::connect`).
///
/// A generic plan cannot know how many rows a search matches, and the
/// right way to search differs: a common word fills a page from the first
/// rows in the list's order, a rare one is quicker found through the text
/// index. So a search first looks at the first [`SEARCH_WINDOW`] rows in
/// order; if they hold a whole page, that page is the answer (every later
/// row comes after it); otherwise the text index finds every match.
pub async fn list(
    conn: &mut PgConnection,
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
    limit: i64,
) -> Result<Vec<ListRow>, sqlx::Error> {
    let search = f.q.trim();
    if search.is_empty() {
        return list_query(viewer, sees_confidential, f, Some(limit), Source::All)
            .build_query_as()
            .fetch_all(conn)
            .await;
    }
    if limit < SEARCH_WINDOW {
        let rows = list_query(viewer, sees_confidential, f, Some(limit), Source::Window)
            .build_query_as()
            .fetch_all(&mut *conn)
            .await?;
        if rows.len() as i64 == limit {
            return Ok(rows);
        }
    }
    list_query(viewer, sees_confidential, f, Some(limit), Source::Matches)
        .build_query_as()
        .fetch_all(conn)
        .await
}

/// Every requirement of the filter that `viewer` may see, in the list's
/// order and from its start, sent to `out` as the database sends them: an
/// export of any size in flat memory (the channel is bounded, so the query
/// waits for a slow reader), in one statement and so one snapshot. Stops
/// early when the reader goes away.
pub async fn export(
    conn: &mut PgConnection,
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
    out: tokio::sync::mpsc::Sender<ListRow>,
) -> Result<(), sqlx::Error> {
    use futures::TryStreamExt as _;
    let f = ListFilter {
        after: String::new(),
        ..f.clone()
    };
    let source = if f.q.trim().is_empty() {
        Source::All
    } else {
        Source::Matches
    };
    let mut q = list_query(viewer, sees_confidential, &f, None, source);
    let mut rows = q.build_query_as::<ListRow>().fetch(conn);
    while let Some(row) = rows.try_next().await? {
        if out.send(row).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// How many rows, in the list's order, a search reads before it turns to
/// the text index: a few milliseconds' work, whatever the table's size.
/// Enough for a word in 1 % of the requirements to fill a page here (2,600
/// rows read, 5 ms at 200,000 requirements), where the text index would
/// have every match read from the table (10,000 at a million).
const SEARCH_WINDOW: i64 = 4000;

/// Where a list query takes its rows from (see [`list`]).
#[derive(Clone, Copy, PartialEq)]
enum Source {
    /// The requirements table, through the index of the list's order.
    All,
    /// The first [`SEARCH_WINDOW`] live rows after the cursor, in order.
    Window,
    /// Every match of the search, through the text index.
    Matches,
}

fn list_query(
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
    limit: Option<i64>,
    source: Source,
) -> sqlx::QueryBuilder<sqlx::Postgres> {
    const COLUMNS: &str =
        "select r.id, r.reference, r.title, d.name as department_name, hm.full_name as hiring_manager_name,
                r.headcount, r.priority, r.status, r.target_start, r.created_at";
    const JOINS: &str = " join departments d on d.id = r.department_id
          join users hm on hm.id = r.hiring_manager_id";
    let (key, cmp, order) = Sort::parse(&f.sort).keyset();
    // The cursor's key is read from its row in a subquery (whose own `r`
    // shadows the outer one), so the URL carries only an id.
    let after = f.after.trim().parse::<Uuid>().ok();
    let cursor = |q: &mut sqlx::QueryBuilder<sqlx::Postgres>| {
        if let Some(after) = after {
            q.push(" and (")
                .push(key)
                .push(") ")
                .push(cmp)
                .push(" (select ")
                .push(key)
                .push(" from requirements r where r.id = ")
                .push_bind(after)
                .push(")");
        }
    };
    // The limit is written into the statement, not bound: a constant of
    // ours (a page; none for an export), and a generic plan needs it to
    // know that only a page's rows are wanted.
    let mut q = sqlx::QueryBuilder::<sqlx::Postgres>::new("");
    match source {
        Source::All => {
            q.push(COLUMNS).push(" from requirements r").push(JOINS);
            q.push(" where r.deleted_at is null");
            filters(&mut q, viewer, sees_confidential, f);
            cursor(&mut q);
        }
        // Limits all the way down, with the joins outside: the window is
        // then read in order and only as far as a page needs.
        Source::Window => {
            q.push(COLUMNS).push(
                " from (select r.* from (select * from requirements r where r.deleted_at is null",
            );
            cursor(&mut q);
            q.push(" order by ")
                .push(order)
                .push(" limit ")
                .push(SEARCH_WINDOW);
            q.push(") r where true");
            search(&mut q, &f.q);
            filters(&mut q, viewer, sees_confidential, f);
            q.push(" order by ").push(order);
            if let Some(limit) = limit {
                q.push(" limit ").push(limit);
            }
            q.push(") r").push(JOINS);
        }
        // The matches are gathered first, as a fence: given an order and a
        // limit, the planner would rather walk the order's index, which is
        // the slow way to find a rare word. The filters go inside, where
        // their indexes can narrow the text index's matches.
        //
        // The fence holds only the keys of the list's orders, not whole
        // rows: a rare word still matches thousands of rows at a million
        // requirements, and carrying each one's description and text
        // vector through the sort cost more than finding them. The page's
        // own rows are read by id once it is cut. The cursor applies
        // outside the fence: inside, the planner ANDed the text index
        // with a scan of the order's index for every row before the
        // cursor (25 ms at 200,000 requirements against 0.5 ms for the
        // text index alone).
        Source::Matches => {
            q.push(
                "with matches as materialized (select r.id, r.created_at, r.updated_at, r.title,
                        r.priority, r.target_start
                   from requirements r where r.deleted_at is null",
            );
            search(&mut q, &f.q);
            filters(&mut q, viewer, sees_confidential, f);
            q.push(") ")
                .push(COLUMNS)
                .push(" from (select r.id from matches r where true");
            cursor(&mut q);
            q.push(" order by ").push(order);
            if let Some(limit) = limit {
                q.push(" limit ").push(limit);
            }
            q.push(") m join requirements r on r.id = m.id").push(JOINS);
        }
    }
    q.push(" order by ").push(order);
    if let Some(limit) = limit {
        q.push(" limit ").push(limit);
    }
    q
}

/// The full-text condition: the words as typed, matched both as written
/// and by their English stems.
fn search(q: &mut sqlx::QueryBuilder<sqlx::Postgres>, text: &str) {
    // PostgreSQL refuses NUL in text; in a search it can only be noise.
    let text = text.replace('\0', " ");
    // A scalar subquery, so a generic plan parses the words once per
    // execution rather than once per row it checks. When both readings are
    // the same (words whose stems are themselves), one is checked, not the
    // same twice: a rare word's page checks thousands of rows that fail.
    q.push(
        " and r.search @@ (select case when s = e then s else s || e end
                             from (select websearch_to_tsquery('simple', ",
    )
    .push_bind(text.trim().to_owned())
    .push(") as s, websearch_to_tsquery('english', ")
    .push_bind(text.trim().to_owned())
    .push(") as e) words)");
}

/// Visibility and every filter but the search and the cursor.
fn filters(
    q: &mut sqlx::QueryBuilder<sqlx::Postgres>,
    viewer: Uuid,
    sees_confidential: bool,
    f: &ListFilter,
) {
    let id = |v: &str| v.trim().parse::<Uuid>().ok();
    let date = |v: &str| NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").ok();
    if !sees_confidential {
        q.push(" and (not r.confidential or ")
            .push_bind(viewer)
            .push(" in (r.hiring_manager_id, r.created_by, r.recruiter_id))");
    }
    if let Some(status) = Status::parse(&f.status) {
        q.push(" and r.status = ").push_bind(status.as_str());
    }
    if let Some(department) = id(&f.department) {
        q.push(" and r.department_id = ").push_bind(department);
    }
    if let Some(level) = id(&f.level) {
        q.push(" and r.job_level_id = ").push_bind(level);
    }
    person(q, "r.hiring_manager_id", &f.hiring_manager);
    person(q, "r.recruiter_id", &f.recruiter);
    if let Some((priority, _)) = PRIORITIES.iter().find(|(v, _)| *v == f.priority) {
        q.push(" and r.priority = ").push_bind(*priority);
    }
    if let Some(from) = date(&f.from) {
        q.push(" and r.created_at >= ").push_bind(from);
    }
    if let Some(to) = date(&f.to) {
        q.push(" and r.created_at < ").push_bind(to).push(" + 1");
    }
}
