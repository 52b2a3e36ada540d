//! CSV downloads: rows streamed as the database sends them, so memory
//! stays flat however many there are. Any list with an export (requirements
//! today; candidates next) gives its query and how a row reads as fields.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use tokio::sync::mpsc::Sender;

/// Rows read ahead of the client at most, and sent as one chunk.
const ROWS_PER_CHUNK: usize = 500;

/// Streams `file` with the `header` line and one line per row that `query`
/// sends. The query runs on the request's one connection (taken before the
/// response starts: a busy pool is an error page, not a broken download),
/// which it holds until the last row is sent; it waits for a slow reader
/// (the channel is bounded) and stops when the reader goes. A failure
/// half-way breaks the download (the client sees an error), never a
/// silently short file.
pub fn download<T, Query>(
    file: &str,
    header: &[&str],
    query: impl FnOnce(Sender<T>) -> Query,
    fields: fn(&T) -> Vec<String>,
) -> Response
where
    T: Send + 'static,
    Query: Future<Output = Result<(), sqlx::Error>> + Send + 'static,
{
    let (rows_tx, rows_rx) = tokio::sync::mpsc::channel::<T>(ROWS_PER_CHUNK);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let query = query(rows_tx);
    tokio::spawn(async move {
        let done = query.await;
        // The client may have gone: nobody to tell.
        let _ = done_tx.send(done);
    });
    let rows = futures::stream::unfold(rows_rx, |mut rx| async move {
        rx.recv().await.map(|row| (row, rx))
    })
    .ready_chunks(ROWS_PER_CHUNK)
    .map(move |rows| {
        let mut chunk = String::new();
        for r in &rows {
            line(&mut chunk, &fields(r));
        }
        Ok::<_, std::io::Error>(chunk)
    });
    // The rows end when the query does: then whether it ended well.
    let end = futures::stream::once(async move {
        match done_rx.await {
            Ok(Ok(())) => Ok(String::new()),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "CSV export failed");
                Err(std::io::Error::other("export failed"))
            }
            Err(_) => Err(std::io::Error::other("export stopped")),
        }
    });
    let mut first = String::new();
    line(&mut first, header);
    let body = futures::stream::iter([Ok(first)]).chain(rows).chain(end);
    let disposition = format!("attachment; filename=\"{file}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Appends one CSV line.
fn line(out: &mut String, fields: &[impl AsRef<str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&field(f.as_ref()));
    }
    out.push_str("\r\n");
}

/// One CSV field, quoted when needed. A leading =, +, - or @ is defused
/// with an apostrophe so a spreadsheet never runs it as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::line;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        line(
            &mut out,
            &["plain", "a,b", "say \"hi\"", "=SUM(A1)", "-1", "two\nlines"],
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),'-1,\"two\nlines\"\r\n"
        );
    }
}
