//! Real documents made in the tests: PDF (lopdf, as re-exported by
//! pdf-extract), DOCX and ODT (zip), RTF and text.

use pdf_extract::content::{Content, Operation};
use pdf_extract::{Document, Object, Stream, StringFormat, dictionary};
use std::io::{Cursor, Write as _};
use zip::write::SimpleFileOptions;

/// A PDF of Helvetica text: one page per `&str`, each line of it a line of
/// text (Latin-1 characters shown, others a '?').
pub fn pdf(pages: &[&str]) -> Vec<u8> {
    pdf_padded(pages, 0)
}

/// A PDF of about `bytes` bytes: `words` on its page, and the rest padding
/// in an uncompressed stream (hex digits, so not much compressible), for
/// upload-size tests and benchmarks. At least as big as the page needs.
pub fn pdf_of_size(words: &str, bytes: usize) -> Vec<u8> {
    let mut padding = 0;
    let mut out = pdf_padded(&[words], padding);
    // The padding object's own bytes and its length's digits: a few rounds.
    for _ in 0..4 {
        if out.len() == bytes || (padding == 0 && out.len() > bytes) {
            break;
        }
        padding = (padding + bytes).saturating_sub(out.len());
        out = pdf_padded(&[words], padding);
    }
    out
}

fn pdf_padded(pages: &[&str], padding: usize) -> Vec<u8> {
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
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("TL", vec![16.into()]),
            Operation::new("Td", vec![72.into(), 770.into()]),
        ];
        for line in page.lines() {
            let latin1 = line
                .chars()
                .map(|c| u8::try_from(c).ok().filter(|b| !(0x80..0xA0).contains(b)))
                .map(|b| b.unwrap_or(b'?'))
                .collect();
            operations.push(Operation::new(
                "Tj",
                vec![Object::String(latin1, StringFormat::Literal)],
            ));
            operations.push(Operation::new("T*", vec![]));
        }
        operations.push(Operation::new("ET", vec![]));
        let content = Content { operations }.encode().unwrap();
        let content = doc.add_object(Stream::new(dictionary! {}, content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => content,
        });
        kids.push(page.into());
    }
    let count = i64::try_from(kids.len()).unwrap();
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
        // xorshift: the same bytes every run.
        let mut x: u32 = 0x9E37_79B9;
        let hex: Vec<u8> = (0..padding)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                b"0123456789abcdef"[(x & 15) as usize]
            })
            .collect();
        let mut stream = Stream::new(dictionary! {}, hex);
        stream.allows_compression = false;
        doc.add_object(stream);
    }
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A DOCX (Word) document of one paragraph per `&str`.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                r#"<w:p><w:r><w:t xml:space="preserve">{}</w:t></w:r></w:p>"#,
                xml(p)
            )
        })
        .collect();
    zip_of(&[
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"#,
        ),
        (
            "word/document.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
            ),
        ),
    ])
}

/// An ODT (OpenDocument text) of one paragraph per `&str`.
pub fn odt(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| format!("<text:p>{}</text:p>", xml(p)))
        .collect();
    zip_of(&[
        // First and stored, as the format wants it.
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        (
            "META-INF/manifest.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"#,
        ),
        (
            "content.xml",
            &format!(
                r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:text>{body}</office:text></office:body></office:document-content>"#
            ),
        ),
    ])
}

/// An RTF document of one paragraph per `&str` (its lines `\line`s, other
/// than ASCII as `\uN?`).
pub fn rtf(paragraphs: &[&str]) -> Vec<u8> {
    let mut out = String::from(r"{\rtf1\ansi\deff0{\fonttbl{\f0 Helvetica;}}\f0\fs24 ");
    for p in paragraphs {
        for c in p.chars() {
            match c {
                '\\' | '{' | '}' => {
                    out.push('\\');
                    out.push(c);
                }
                '\n' => out.push_str(r"\line "),
                c if c.is_ascii() => out.push(c),
                c => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        // A signed 16-bit number, as RTF writes them.
                        out.push_str(&format!(r"\u{}?", *unit as i16));
                    }
                }
            }
        }
        out.push_str("\\par\n");
    }
    out.push('}');
    out.into_bytes()
}

/// A ZIP of `entries`, the first stored and the others deflated.
fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (i, (name, content)) in entries.iter().enumerate() {
        let method = if i == 0 {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(content.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use hiring_hare::domain::recruiting::document::{Kind, extract, sniff};

    /// Each builder makes a document the app recognises and reads back.
    #[test]
    fn the_app_reads_what_the_builders_make() {
        let paragraphs = ["José Müller <jose@example.com>", "Rust & Kubernetes {k8s}"];
        for (kind, bytes) in [
            (Kind::Pdf, super::pdf(&paragraphs)),
            (Kind::Docx, super::docx(&paragraphs)),
            (Kind::Odt, super::odt(&paragraphs)),
            (Kind::Rtf, super::rtf(&paragraphs)),
        ] {
            assert_eq!(sniff(&bytes), Some(kind));
            let got = extract(kind, &bytes).unwrap();
            for word in ["José", "Müller", "<jose@example.com>", "Rust", "&", "{k8s}"] {
                assert!(
                    got.text.contains(word),
                    "{kind:?} lost {word}: {:?}",
                    got.text
                );
            }
        }
        let two = extract(Kind::Pdf, &super::pdf(&["one\nline two", "page two"])).unwrap();
        assert_eq!(two.pages, 2);
    }

    #[test]
    fn a_pdf_of_a_size_is_about_that_size() {
        for size in [10_000, 1_000_000] {
            let bytes = super::pdf_of_size("Kubernetes Rust", size);
            assert!(
                bytes.len().abs_diff(size) < 64,
                "{} for {size}",
                bytes.len()
            );
            let got = extract(Kind::Pdf, &bytes).unwrap();
            assert_eq!(got.text, "Kubernetes Rust");
            assert_eq!(got.pages, 1);
        }
        // Smaller than the page needs: just the page.
        assert!(super::pdf_of_size("Kubernetes Rust", 10).len() < 1_000);
    }
}
