//! Markdown from users (requirement descriptions, later comments), turned
//! into HTML and sanitized: whatever is typed, no script or event handler
//! survives, and links cannot run JavaScript.

use pulldown_cmark::{Options, Parser, html};
use std::sync::LazyLock;

/// The sanitizer, built once: a builder holds sets of the tags and
/// attributes it allows, and building them for every description was most
/// of the allocation a decision page made.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"));
    b
});

pub fn to_safe_html(markdown: &str) -> String {
    let mut raw = String::new();
    html::push_html(
        &mut raw,
        Parser::new_ext(
            markdown,
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        ),
    );
    CLEANER.clean(&raw).to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_renders_and_nothing_runs() {
        assert_eq!(
            to_safe_html("**Rust** and *SQL*").trim(),
            "<p><strong>Rust</strong> and <em>SQL</em></p>"
        );
        for evil in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<iframe src=//evil.example></iframe>",
        ] {
            let html = to_safe_html(evil);
            let lower = html.to_lowercase();
            assert!(
                !lower.contains("<script")
                    && !lower.contains("onerror")
                    && !lower.contains("javascript:")
                    && !lower.contains("<iframe"),
                "{evil} → {html}"
            );
        }
    }
}
