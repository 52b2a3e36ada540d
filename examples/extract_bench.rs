//! The extraction bench (`bench/run`): how many pages a second
//! `document::extract` reads from a multi-page PDF and from a DOCX of the
//! same text, as the background job reads uploaded resumes. Prints
//! `extraction: N pages/s (PDF), M pages/s (DOCX)`.
//!
//! `extract_bench pdf BYTES OUT` instead writes a one-page PDF of about
//! BYTES bytes to OUT for the upload bench: a page of resume text and the
//! rest an unreferenced stream of hex digits, which starts with [`NONCE`]
//! so that the bench can make every upload a different file by overwriting
//! it with as many other characters.
//!
//! Environment: `EXTRACT_PAGES` (20, the pages of each document),
//! `EXTRACT_SECONDS` (2, how long each kind is read for).

use hiring_hare::domain::recruiting::document::{self, Kind};
use pdf_extract::content::{Content, Operation};
use pdf_extract::{Document, Object, Stream, StringFormat, dictionary};
use std::error::Error;
use std::io::{Cursor, Write as _};
use std::time::{Duration, Instant};
use zip::write::SimpleFileOptions;

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Where the padding of a PDF of a size starts: replaced per upload.
const NONCE: &str = "HHNONCE0000000000000000000000000";

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => bench(),
        [cmd, bytes, out] if cmd == "pdf" => {
            let pdf = pdf_of_size(&resume_page(0), bytes.parse()?)?;
            std::fs::write(out, pdf)?;
            Ok(())
        }
        _ => Err("usage: extract_bench [pdf BYTES OUT]".into()),
    }
}

fn env(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) => Ok(v.parse()?),
        Err(_) => Ok(default),
    }
}

fn bench() -> Result<()> {
    let pages = env("EXTRACT_PAGES", 20)?.max(1);
    let seconds = Duration::from_secs(env("EXTRACT_SECONDS", 2)?.max(1));
    let text: Vec<String> = (0..pages).map(resume_page).collect();
    let text: Vec<&str> = text.iter().map(String::as_str).collect();
    let pdf = pdf(&text, 0)?;
    let docx = docx(&text)?;
    let pdf_rate = pages_per_second(Kind::Pdf, &pdf, seconds)?;
    let docx_rate = pages_per_second(Kind::Docx, &docx, seconds)?;
    println!(
        "extraction: {pdf_rate:.0} pages/s (PDF), {docx_rate:.0} pages/s (DOCX); \
         {pages}-page documents of {} KB (PDF) and {} KB (DOCX), one thread",
        pdf.len() / 1000,
        docx.len() / 1000
    );
    Ok(())
}

/// Reads `bytes` again and again for `seconds` (at least once): the pages
/// read a second. For a DOCX the pages are extract's estimate.
fn pages_per_second(kind: Kind, bytes: &[u8], seconds: Duration) -> Result<f64> {
    let started = Instant::now();
    let mut pages = 0u64;
    loop {
        let got = document::extract(kind, bytes).map_err(|e| format!("{kind:?}: {e}"))?;
        if got.text.is_empty() {
            return Err(format!("{kind:?}: no text read").into());
        }
        pages += u64::from(got.pages);
        if started.elapsed() >= seconds {
            break;
        }
    }
    Ok(pages as f64 / started.elapsed().as_secs_f64())
}

/// Forty lines of resume-like text, different on every page (xorshift
/// over word lists: the same text every run).
fn resume_page(page: u64) -> String {
    const WORDS: [&str; 48] = [
        "designed",
        "built",
        "operated",
        "migrated",
        "reviewed",
        "mentored",
        "shipped",
        "measured",
        "payments",
        "search",
        "billing",
        "analytics",
        "onboarding",
        "pricing",
        "logistics",
        "reporting",
        "Rust",
        "PostgreSQL",
        "Kubernetes",
        "Python",
        "TypeScript",
        "React",
        "Go",
        "Terraform",
        "team",
        "customers",
        "latency",
        "throughput",
        "incidents",
        "releases",
        "services",
        "pipelines",
        "with",
        "for",
        "and",
        "across",
        "in",
        "the",
        "a",
        "three",
        "engineers",
        "quarterly",
        "budget",
        "roadmap",
        "stakeholders",
        "Berlin",
        "Lisbon",
        "Warsaw",
    ];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ (page + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = format!("Experience, page {}\n", page + 1);
    for _ in 0..40 {
        let words: Vec<&str> = (0..11)
            .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
            .collect();
        out.push_str(&words.join(" "));
        out.push_str(".\n");
    }
    out
}

/// A PDF of about `bytes` bytes: `words` on its page, the rest padding (at
/// least as big as the page needs).
fn pdf_of_size(words: &str, bytes: usize) -> Result<Vec<u8>> {
    let mut padding = NONCE.len();
    let mut out = pdf(&[words], padding)?;
    // The padding object's own bytes and its length's digits: a few rounds.
    for _ in 0..4 {
        if out.len() >= bytes {
            break;
        }
        padding = (padding + bytes).saturating_sub(out.len());
        out = pdf(&[words], padding)?;
    }
    Ok(out)
}

/// A PDF of Helvetica text, one page per `&str`, and `padding` bytes of an
/// uncompressed stream no page uses, starting with [`NONCE`] (none when 0).
fn pdf(pages: &[&str], padding: usize) -> Result<Vec<u8>> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut kids = Vec::new();
    for page in pages {
        let mut operations = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 10.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![50.into(), 800.into()]),
        ];
        for line in page.lines() {
            let latin1 = line
                .chars()
                .map(|c| u8::try_from(c).unwrap_or(b'?'))
                .collect();
            operations.push(Operation::new(
                "Tj",
                vec![Object::String(latin1, StringFormat::Literal)],
            ));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }.encode()?;
        let content = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content,
        });
        kids.push(page.into());
    }
    let count = i64::try_from(kids.len())?;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => kids,
            "Count" => count,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    if padding > 0 {
        let mut x: u32 = 0x9E37_79B9;
        let mut hex = NONCE.as_bytes().to_vec();
        hex.extend((hex.len()..padding).map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            b"0123456789abcdef"[(x & 15) as usize]
        }));
        let mut stream = Stream::new(dictionary! {}, hex);
        stream.allows_compression = false;
        doc.add_object(stream);
    }
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out)?;
    Ok(out)
}

/// A DOCX of one paragraph per line of `pages`.
fn docx(pages: &[&str]) -> Result<Vec<u8>> {
    let xml = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let body: String = pages
        .iter()
        .flat_map(|p| p.lines())
        .map(|line| {
            format!(
                r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
                xml(line)
            )
        })
        .collect();
    let entries = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"#
                .to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"#
                .to_owned(),
        ),
        (
            "word/document.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
            ),
        ),
    ];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries {
        w.start_file(
            name,
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated),
        )?;
        w.write_all(content.as_bytes())?;
    }
    Ok(w.finish()?.into_inner())
}
