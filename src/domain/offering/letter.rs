//! Offer letters: a company's one template, Markdown with merge fields such
//! as `{{candidate_name}}`, merged with an offer version's values into the
//! letter shown as HTML (by the web layer) and printed as a PDF here.

mod layout;
mod pdf;

pub use pdf::FontError;

/// The merge fields a template may use, with what each one is, in the order
/// the admin page lists them.
pub const FIELDS: &[(&str, &str)] = &[
    ("candidate_name", "The candidate's full name"),
    (
        "candidate_first_name",
        "The candidate's first name, for the greeting",
    ),
    ("job_title", "The title of the job offered"),
    (
        "requirement_reference",
        "The reference of the requirement the hire fills",
    ),
    ("department", "The department the job belongs to"),
    ("location", "Where the job is based"),
    ("employment_type", "e.g. Full-time, permanent"),
    (
        "salary",
        "Amount, currency and period, e.g. 85,000 EUR a year",
    ),
    ("bonus", "The bonus offered, if any"),
    ("equity", "The equity offered, if any"),
    ("sign_on", "The sign-on payment offered, if any"),
    ("start_date", "e.g. 1 March 2027"),
    (
        "expiry_date",
        "The last day the candidate can accept the offer",
    ),
    ("company_name", "Your company's name"),
    ("hiring_manager_name", "The hiring manager's full name"),
    ("recruiter_name", "The recruiter's full name"),
    ("today", "The date the letter is printed"),
];

/// The default template a new company starts with. The optional terms
/// (bonus, equity, sign-on) are left out: a field with no value merges as
/// nothing, and a line reading "Bonus:" with nothing after it would be in
/// most letters.
pub const DEFAULT_TEMPLATE: &str = "\
{{company_name}}

{{today}}

{{candidate_name}}

# Offer of employment

Dear {{candidate_first_name}},

We are delighted to offer you the position of **{{job_title}}** in our \
{{department}} team at {{company_name}}. This letter sets out the main terms \
of our offer.

## The position

- **Job title:** {{job_title}} (reference {{requirement_reference}})
- **Location:** {{location}}
- **Employment type:** {{employment_type}}
- **Reporting to:** {{hiring_manager_name}}
- **Start date:** {{start_date}}

## Pay

Your base salary will be **{{salary}}**.

Your full terms and conditions will be set out in your contract of \
employment, which we will send you once you accept.

## Accepting this offer

This offer is open until **{{expiry_date}}**. To accept it, please sign and \
return a copy of this letter by that date. If you have any questions, \
{{recruiter_name}} will be happy to answer them.

We very much look forward to welcoming you to {{company_name}}.

Yours sincerely,

{{hiring_manager_name}}

{{company_name}}
";

/// What [`check`] and [`merge`] see in a template: text, a field (as typed
/// and its name without the braces and spaces), or a `{{` with no `}}` on
/// its line.
enum Piece<'a> {
    Text(&'a str),
    Field { typed: &'a str, name: &'a str },
    Unclosed(&'a str),
}

/// Splits a template into pieces. A field ends on the line it starts on, so
/// a stray `{{` is reported where it is rather than swallowing paragraphs
/// up to some later `}}`.
fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        pieces.push(Piece::Text(&rest[..open]));
        let inside = &rest[open + 2..];
        let line_end = inside.find('\n').unwrap_or(inside.len());
        let reopen = inside[..line_end].find("{{").unwrap_or(line_end);
        match inside[..reopen].find("}}") {
            Some(close) => {
                pieces.push(Piece::Field {
                    typed: &rest[open..open + 2 + close + 2],
                    name: inside[..close].trim(),
                });
                rest = &inside[close + 2..];
            }
            None => {
                pieces.push(Piece::Unclosed(&rest[open..open + 2 + reopen]));
                rest = &inside[reopen..];
            }
        }
    }
    pieces.push(Piece::Text(rest));
    pieces
}

fn is_field(name: &str) -> bool {
    FIELDS.iter().any(|(field, _)| *field == name)
}

/// Why a template cannot be saved: each problem in words, naming the field,
/// once however often it occurs.
pub fn check(template: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    for piece in pieces(template) {
        let problem = match piece {
            Piece::Text(_) => continue,
            Piece::Field { name, .. } if is_field(name) => continue,
            Piece::Field { typed, .. } => {
                let names: Vec<&str> = FIELDS.iter().map(|(field, _)| *field).collect();
                format!(
                    "Unknown merge field {typed}: the fields are {}",
                    names.join(", ")
                )
            }
            Piece::Unclosed(typed) => {
                // Enough of the line to find it, not the rest of the paragraph.
                let shown: String = typed.trim_end().chars().take(40).collect();
                format!("A merge field is not closed: {shown}")
            }
        };
        if !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The values to merge: one per field in [`FIELDS`], in its order, empty
/// for a term the offer does not have.
#[derive(Debug, Clone)]
pub struct Values(Vec<String>);

impl Default for Values {
    fn default() -> Values {
        Values(vec![String::new(); FIELDS.len()])
    }
}

impl Values {
    pub fn new() -> Values {
        Values::default()
    }

    /// Sets `field`'s value. A name not in [`FIELDS`] is a typo in the
    /// caller: debug builds stop on it, release builds ignore it (the field
    /// then merges as nothing, which the letter's preview shows).
    pub fn set(&mut self, field: &'static str, value: impl Into<String>) -> &mut Self {
        let index = FIELDS.iter().position(|(name, _)| *name == field);
        debug_assert!(index.is_some(), "unknown merge field {field}");
        if let Some(slot) = index.and_then(|i| self.0.get_mut(i)) {
            *slot = value.into();
        }
        self
    }

    fn get(&self, field: &str) -> Option<&str> {
        let index = FIELDS.iter().position(|(name, _)| *name == field)?;
        self.0.get(index).map(String::as_str)
    }
}

/// The template with each field replaced by its value, as Markdown. A field
/// that is not known (check refuses it at save) or not closed is left as
/// typed, so the letter shows what is wrong rather than dropping it.
pub fn merge(template: &str, values: &Values) -> String {
    let mut merged = String::with_capacity(template.len() + 256);
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) => merged.push_str(text),
            Piece::Field { typed, name } => match values.get(name) {
                Some(value) => escape_into(&mut merged, value),
                None => merged.push_str(typed),
            },
            Piece::Unclosed(typed) => merged.push_str(typed),
        }
    }
    merged
}

/// The ASCII punctuation that can start or end Markdown syntax where a value
/// may land (emphasis, links, code, headings, lists, quotes, tables,
/// setext underlines) or HTML (`<`, and `&` for entities). CommonMark lets any
/// ASCII punctuation be backslash-escaped; the rest (`,`, `'`, `:`, `/`, …)
/// is left alone so the merged Markdown stays readable.
const MARKDOWN_SPECIAL: &str = "\\`*_[]()<>#+-.!|~&=";

/// Appends a value so it reads literally: whitespace, newlines included, is
/// collapsed to single spaces (a newline could end the paragraph or start a
/// block), and Markdown punctuation is escaped.
fn escape_into(out: &mut String, value: &str) {
    for (i, word) in value.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        for c in word.chars() {
            if MARKDOWN_SPECIAL.contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
}

/// The merged letter as an A4 PDF with its text embedded as text (in
/// Liberation Sans, which covers Latin, Greek and Cyrillic), so it can be
/// selected, searched and extracted; `title` goes in the document info.
/// Headings, bold, italic (slanted), lists, quotes, rules and page breaks
/// are laid out; tables print one row per line; raw HTML other than `<br>` is
/// left out. It fails only if the embedded font cannot be read or subset,
/// which is a bug rather than anything in the letter.
pub fn pdf(markdown: &str, title: &str) -> Result<Vec<u8>, FontError> {
    pdf::render(markdown, title)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer() -> Values {
        let mut values = Values::new();
        values
            .set("candidate_name", "Zoë Łukasiewicz")
            .set("candidate_first_name", "Zoë")
            .set("job_title", "Senior Backend Engineer")
            .set("requirement_reference", "REQ-2027-014")
            .set("department", "Platform")
            .set("location", "Kraków (hybrid)")
            .set("employment_type", "Full-time, permanent")
            .set("salary", "85,000 EUR a year")
            .set("start_date", "1 March 2027")
            .set("expiry_date", "15 February 2027")
            .set("company_name", "Hare & Hound GmbH")
            .set("hiring_manager_name", "Şebnem Yılmaz")
            .set("recruiter_name", "Ondřej Dvořák")
            .set("today", "2 February 2027");
        values
    }

    fn text_of(pdf: &[u8]) -> String {
        pdf_extract::extract_text_from_mem(pdf).expect("the PDF's text extracts")
    }

    #[test]
    fn the_default_template_and_spaced_fields_pass_the_check() {
        assert_eq!(check(DEFAULT_TEMPLATE), Ok(()));
        assert_eq!(check("Dear {{ candidate_name }},"), Ok(()));
        assert_eq!(check("No fields at all, and a lone }} brace."), Ok(()));
    }

    #[test]
    fn an_unknown_field_is_refused_by_name_once() {
        let problems = check("Salary: {{salery}}, again {{salery}}").unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].starts_with("Unknown merge field {{salery}}: the fields are candidate_name, candidate_first_name,"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_unclosed_field_is_refused_where_it_is() {
        let problems = check("Dear {{candidate_name\n\nStart: {{start_date}}").unwrap_err();
        assert_eq!(problems, ["A merge field is not closed: {{candidate_name"]);
        let problems = check("{{job_title {{salary}}").unwrap_err();
        assert_eq!(problems, ["A merge field is not closed: {{job_title"]);
    }

    #[test]
    fn merge_fills_fields_and_leaves_unknown_ones_as_typed() {
        let merged = merge(
            "Dear {{ candidate_first_name }}, {{bonus}}{{salery}} {{today",
            &offer(),
        );
        assert_eq!(merged, "Dear Zoë, {{salery}} {{today");
    }

    #[test]
    fn merged_values_read_literally_in_markdown_and_html() {
        let mut values = Values::new();
        values.set(
            "candidate_name",
            "*Bob* <script>alert(1)</script> &amp; [x](y)\n# Not a heading",
        );
        let merged = merge("Dear {{candidate_name}}", &values);
        assert_eq!(
            merged,
            r"Dear \*Bob\* \<script\>alert\(1\)\</script\> \&amp; \[x\]\(y\) \# Not a heading"
        );
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&merged));
        assert_eq!(
            html.trim(),
            "<p>Dear *Bob* &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; [x](y) # Not a heading</p>"
        );
    }

    #[test]
    fn a_value_at_the_start_of_a_line_starts_no_block() {
        let mut values = Values::new();
        values
            .set("job_title", "1. Engineer")
            .set("department", "- Ops");
        let merged = merge("{{job_title}}\n\n{{department}}", &values);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(&merged));
        assert_eq!(html, "<p>1. Engineer</p>\n<p>- Ops</p>\n");
    }

    #[test]
    fn the_default_letter_prints_with_its_unicode_text_extractable() {
        let letter = merge(DEFAULT_TEMPLATE, &offer());
        let pdf = pdf(&letter, "Offer for Zoë Łukasiewicz").unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        let text = text_of(&pdf);
        for expected in [
            "Zoë Łukasiewicz",
            "85,000 EUR",
            "Şebnem Yılmaz",
            "Ondřej Dvořák",
            "Hare & Hound GmbH",
            "Offer of employment",
        ] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
    }

    #[test]
    fn greek_and_cyrillic_names_extract() {
        let mut values = offer();
        values.set(
            "candidate_name",
            "Γιώργος Παπαδόπουλος, Ёлка Щукина, Gőz Łaś",
        );
        let pdf = pdf(&merge(DEFAULT_TEMPLATE, &values), "Offer").unwrap();
        assert!(text_of(&pdf).contains("Γιώργος Παπαδόπουλος, Ёлка Щукина, Gőz Łaś"));
    }

    #[test]
    fn odd_markdown_still_prints() {
        let deep: String = (0..40)
            .map(|i| format!("{}- level {i}\n", "  ".repeat(i)))
            .collect();
        for markdown in [
            "",
            "---",
            "# ",
            "<br><script>x</script>",
            "🐇 漢字 \u{0}\t\u{a0}",
            &"x".repeat(5000),
            &deep,
            "| a | b |\n|---|---|\n| 1 | 2 |\n\n> > quoted\n\n```\ncode\n```",
        ] {
            assert!(
                pdf(markdown, "Odd").unwrap().starts_with(b"%PDF"),
                "{markdown}"
            );
        }
    }

    #[test]
    fn a_long_letter_runs_onto_several_pages_and_still_extracts() {
        let mut letter = String::from("# A long letter\n\n");
        for i in 0..200 {
            letter.push_str(&format!(
                "Paragraph {i}: the terms of this offer are set out in full, so that \
                 **nothing** is left to *doubt*, and each paragraph wraps onto a second line.\n\n"
            ));
            if i % 50 == 0 {
                letter.push_str("- a point\n- another\n  1. nested\n\n---\n\n");
            }
        }
        let pdf = pdf(&letter, "Long").unwrap();
        let pages = pdf_extract::extract_text_from_mem_by_pages(&pdf).unwrap();
        assert!(pages.len() >= 5, "{} pages", pages.len());
        let text = pages.concat();
        assert!(text.contains("Paragraph 0:"));
        assert!(text.contains("Paragraph 199:"));
        assert!(text.contains("Page 1 of"));
    }
}
