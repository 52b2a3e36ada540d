//! Candidates' documents (resumes): which kind a file is, judged by its
//! content alone, and its text, read in pure Rust so it can be searched.

use quick_xml::Reader;
use quick_xml::events::{BytesRef, Event};
use std::io::{Cursor, Read};

/// The kinds of document accepted as a candidate's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Pdf,
    Docx,
    Odt,
    Rtf,
    Text,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Pdf, Kind::Docx, Kind::Odt, Kind::Rtf, Kind::Text];

    /// The name stored in the database (also the usual file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Docx => "docx",
            Kind::Odt => "odt",
            Kind::Rtf => "rtf",
            Kind::Text => "txt",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The media type the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Odt => ODT_MIMETYPE,
            Kind::Rtf => "application/rtf",
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pdf => "PDF",
            Kind::Docx => "Word (DOCX)",
            Kind::Odt => "OpenDocument text",
            Kind::Rtf => "RTF",
            Kind::Text => "Plain text",
        }
    }
}

crate::text_enum!(Kind);

const ODT_MIMETYPE: &str = "application/vnd.oasis.opendocument.text";

/// The most leading junk before `%PDF-` that readers accept.
const PDF_HEADER_WITHIN: usize = 1024;

/// The most an entry of a DOCX or ODT may hold uncompressed (zip bombs).
const MAX_ENTRY: u64 = 50 * 1024 * 1024;

/// The most characters of text kept from one document.
pub const MAX_TEXT: usize = 200_000;

/// Characters to a page, to estimate the pages of the kinds without any.
const CHARS_PER_PAGE: usize = 3_000;

/// The kind of document `bytes` hold, judged by their content alone (never
/// the name or a header). None for anything else.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    let head = &bytes[..bytes.len().min(PDF_HEADER_WITHIN + 5)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        Some(Kind::Pdf)
    } else if bytes.starts_with(b"PK\x03\x04") {
        sniff_zip(bytes)
    } else if bytes.starts_with(b"{\\rtf") {
        Some(Kind::Rtf)
    } else if is_text(bytes) {
        Some(Kind::Text)
    } else {
        None
    }
}

/// A DOCX or an ODT by the entries they must have; any other ZIP is None.
fn sniff_zip(bytes: &[u8]) -> Option<Kind> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    if archive.index_for_name("word/document.xml").is_some() {
        return Some(Kind::Docx);
    }
    archive.index_for_name("content.xml")?;
    let mut mimetype = Vec::new();
    archive
        .by_name("mimetype")
        .ok()?
        .take(128)
        .read_to_end(&mut mimetype)
        .ok()?;
    (mimetype.trim_ascii() == ODT_MIMETYPE.as_bytes()).then_some(Kind::Odt)
}

/// Valid UTF-8 (a BOM allowed) with no control characters but tab, CR, LF
/// and form feed, and something besides whitespace.
fn is_text(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(strip_bom(bytes)) else {
        return false;
    };
    !text.trim().is_empty()
        && !text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n' | '\x0c'))
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// What a document says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    /// The PDF's page count; for the other kinds an estimate.
    pub pages: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// Damaged, or not the kind it was taken for.
    #[error("the document could not be read: {0}")]
    Unreadable(String),
    /// A PDF that needs a password to be opened.
    #[error("the document is protected by a password")]
    Encrypted,
    /// A part of it unpacks to more than 50 MB (a zip bomb).
    #[error("the document unpacks to more than 50 MB")]
    TooLarge,
}

fn unreadable(e: impl std::fmt::Display) -> ExtractError {
    ExtractError::Unreadable(e.to_string())
}

/// The document's text, whitespace tidied (runs of spaces/tabs collapsed,
/// at most one blank line between paragraphs, trimmed), cut to at most
/// [`MAX_TEXT`] characters. `pages`: the PDF's page count; for the other
/// kinds an estimate (1 per 3,000 characters, at least 1).
pub fn extract(kind: Kind, bytes: &[u8]) -> Result<Extracted, ExtractError> {
    let (raw, pages) = match kind {
        Kind::Pdf => {
            let (text, pages) = pdf_text(bytes)?;
            (text, Some(pages))
        }
        Kind::Docx => (docx_text(bytes)?, None),
        Kind::Odt => (odt_text(bytes)?, None),
        Kind::Rtf => (rtf_text(bytes), None),
        Kind::Text => (String::from_utf8_lossy(strip_bom(bytes)).into_owned(), None),
    };
    let mut text = tidy(&raw);
    let chars = text.chars().count();
    if let Some((cut, _)) = text.char_indices().nth(MAX_TEXT) {
        text.truncate(cut);
        text.truncate(text.trim_end().len());
    }
    let pages = pages.unwrap_or_else(|| {
        u32::try_from(chars.div_ceil(CHARS_PER_PAGE).max(1)).unwrap_or(u32::MAX)
    });
    Ok(Extracted { text, pages })
}

/// Runs of whitespace (and control characters, which the database would
/// refuse) within a line made one space, lines trimmed, runs of blank lines
/// one blank line, a form feed a blank line; trimmed.
fn tidy(raw: &str) -> String {
    let raw = raw.replace("\r\n", "\n").replace('\x0c', "\n\n");
    let mut out = String::with_capacity(raw.len());
    let mut blank = false;
    for line in raw.split(['\n', '\r']) {
        let mut words = line
            .split(|c: char| c.is_whitespace() || c.is_control())
            .map(|w| w.trim_matches('\u{feff}'))
            .filter(|w| !w.is_empty())
            .peekable();
        if words.peek().is_none() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        for (i, word) in words.enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// The text of each page (a blank line after each), and how many pages.
/// pdf-extract panics on some damaged files: a panic is an unreadable file.
fn pdf_text(bytes: &[u8]) -> Result<(String, u32), ExtractError> {
    let read = || -> Result<(String, u32), ExtractError> {
        let mut doc = pdf_extract::Document::load_mem(bytes).map_err(unreadable)?;
        if doc.is_encrypted() && doc.decrypt("").is_err() {
            return Err(ExtractError::Encrypted);
        }
        let pages = doc.get_pages();
        let mut text = String::new();
        for &number in pages.keys() {
            let mut page = String::new();
            pdf_extract::output_doc_page(
                &doc,
                &mut pdf_extract::PlainTextOutput::new(&mut page),
                number,
            )
            .map_err(unreadable)?;
            text.push_str(&page);
            text.push_str("\n\n");
        }
        Ok((text, u32::try_from(pages.len()).unwrap_or(u32::MAX)))
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .unwrap_or_else(|_| Err(unreadable("the PDF is damaged")))
}

/// The entry `name` of the ZIP archive, at most [`MAX_ENTRY`] bytes of it.
fn zip_entry(bytes: &[u8], name: &str) -> Result<Vec<u8>, ExtractError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let entry = archive.by_name(name).map_err(unreadable)?;
    if entry.size() > MAX_ENTRY {
        return Err(ExtractError::TooLarge);
    }
    let mut out = Vec::new();
    entry
        .take(MAX_ENTRY + 1)
        .read_to_end(&mut out)
        .map_err(unreadable)?;
    if out.len() as u64 > MAX_ENTRY {
        return Err(ExtractError::TooLarge);
    }
    Ok(out)
}

/// Appends the character an entity or character reference stands for.
fn push_reference(out: &mut String, r: &BytesRef<'_>) -> Result<(), ExtractError> {
    if let Some(c) = r.resolve_char_ref().map_err(unreadable)? {
        out.push(c);
    } else if let Some(s) = quick_xml::escape::resolve_xml_entity(&r.decode().map_err(unreadable)?)
    {
        out.push_str(s);
    }
    Ok(())
}

/// `word/document.xml`: the text of `w:t` in runs, a line per `w:p`, `w:tab`
/// a tab, `w:br` and `w:cr` a line break.
fn docx_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let xml = zip_entry(bytes, "word/document.xml")?;
    let xml = std::str::from_utf8(&xml).map_err(unreadable)?;
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    // Runs (`w:r`) and text (`w:t`) we are in: a `w:tab` outside a run is a
    // tab stop of the paragraph's style, not a tab.
    let (mut run, mut in_text) = (0usize, false);
    loop {
        match reader.read_event().map_err(unreadable)? {
            Event::Start(e) => match e.name().as_ref() {
                b"w:r" => run += 1,
                b"w:t" => in_text = true,
                _ => {}
            },
            Event::End(e) => match e.name().as_ref() {
                b"w:r" => run = run.saturating_sub(1),
                b"w:t" => in_text = false,
                b"w:p" => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                b"w:p" => out.push('\n'),
                b"w:tab" if run > 0 => out.push('\t'),
                b"w:br" | b"w:cr" if run > 0 => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => out.push_str(&t.xml10_content().map_err(unreadable)?),
            Event::CData(t) if in_text => out.push_str(&t.decode().map_err(unreadable)?),
            Event::GeneralRef(r) if in_text => push_reference(&mut out, &r)?,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// `content.xml`: the text of `text:p` and `text:h` (spans and all), a line
/// per paragraph, `text:s` a space, `text:tab` a tab, `text:line-break` a
/// line break.
fn odt_text(bytes: &[u8]) -> Result<String, ExtractError> {
    let xml = zip_entry(bytes, "content.xml")?;
    let xml = std::str::from_utf8(&xml).map_err(unreadable)?;
    let mut reader = Reader::from_str(xml);
    let mut out = String::new();
    let mut paragraph = 0usize;
    loop {
        match reader.read_event().map_err(unreadable)? {
            Event::Start(e) if matches!(e.name().as_ref(), b"text:p" | b"text:h") => {
                paragraph += 1;
            }
            Event::End(e) if matches!(e.name().as_ref(), b"text:p" | b"text:h") => {
                paragraph = paragraph.saturating_sub(1);
                out.push('\n');
            }
            Event::Empty(e) => match e.name().as_ref() {
                b"text:p" | b"text:h" => out.push('\n'),
                b"text:s" if paragraph > 0 => out.push(' '),
                b"text:tab" if paragraph > 0 => out.push('\t'),
                b"text:line-break" if paragraph > 0 => out.push('\n'),
                _ => {}
            },
            Event::Text(t) if paragraph > 0 => {
                out.push_str(&t.xml10_content().map_err(unreadable)?);
            }
            Event::CData(t) if paragraph > 0 => out.push_str(&t.decode().map_err(unreadable)?),
            Event::GeneralRef(r) if paragraph > 0 => push_reference(&mut out, &r)?,
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// Groups whose text is not the document's (when their first control word
/// is one of these, or they start with `\*`).
const RTF_SKIPPED: &[&[u8]] = &[
    b"fonttbl",
    b"colortbl",
    b"stylesheet",
    b"info",
    b"pict",
    b"object",
    b"filetbl",
    b"listtable",
    b"listoverridetable",
    b"revtbl",
    b"rsidtbl",
    b"xmlnstbl",
    b"themedata",
    b"colorschememapping",
    b"latentstyles",
    b"datastore",
    b"generator",
];

/// A small RTF reader: control words skipped but for the few that stand for
/// text, `\'hh` as Windows-1252, `\uN` (and its fallback skipped), the
/// groups of fonts, colours, styles, pictures… skipped whole.
fn rtf_text(bytes: &[u8]) -> String {
    #[derive(Clone, Copy)]
    struct State {
        /// Inside a group whose text is not the document's.
        skip: bool,
        /// How many fallback characters follow a `\uN`.
        uc: usize,
    }
    let mut state = State { skip: false, uc: 1 };
    let mut groups: Vec<State> = Vec::new();
    let mut out = String::new();
    // Just after `{`: the next control word may make the group a skipped one.
    let mut group_start = false;
    // Fallback characters still to skip after a `\uN`.
    let mut fallback = 0usize;
    // The high half of a surrogate pair written as two `\uN`.
    let mut high: Option<u32> = None;
    let mut i = 0;

    // Emits a character of text unless skipped (as text or as a fallback).
    let emit = |out: &mut String, state: State, fallback: &mut usize, c: char| {
        if *fallback > 0 {
            *fallback -= 1;
        } else if !state.skip {
            out.push(c);
        }
    };

    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => {
                groups.push(state);
                group_start = true;
                fallback = 0;
                i += 1;
                continue;
            }
            b'}' => {
                state = groups.pop().unwrap_or(State { skip: false, uc: 1 });
                fallback = 0;
                i += 1;
            }
            b'\\' => {
                let Some(&next) = bytes.get(i + 1) else { break };
                if next.is_ascii_alphabetic() {
                    let start = i + 1;
                    let mut end = start;
                    while bytes.get(end).is_some_and(u8::is_ascii_alphabetic) {
                        end += 1;
                    }
                    let word = &bytes[start..end];
                    let mut param: Option<i64> = None;
                    let negative = bytes.get(end) == Some(&b'-')
                        && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
                    if negative {
                        end += 1;
                    }
                    while let Some(d) = bytes.get(end).filter(|d| d.is_ascii_digit()) {
                        let n = param.unwrap_or(0);
                        param = Some(n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
                        end += 1;
                    }
                    let param = param.map(|n| if negative { -n } else { n });
                    if bytes.get(end) == Some(&b' ') {
                        end += 1;
                    }
                    i = end;
                    if group_start && RTF_SKIPPED.contains(&word) {
                        state.skip = true;
                    }
                    match word {
                        b"par" | b"line" | b"row" | b"sect" | b"page" => {
                            emit(&mut out, state, &mut 0, '\n');
                        }
                        b"tab" | b"cell" => emit(&mut out, state, &mut 0, '\t'),
                        b"emdash" => emit(&mut out, state, &mut fallback, '—'),
                        b"endash" => emit(&mut out, state, &mut fallback, '–'),
                        b"bullet" => emit(&mut out, state, &mut fallback, '•'),
                        b"lquote" => emit(&mut out, state, &mut fallback, '‘'),
                        b"rquote" => emit(&mut out, state, &mut fallback, '’'),
                        b"ldblquote" => emit(&mut out, state, &mut fallback, '“'),
                        b"rdblquote" => emit(&mut out, state, &mut fallback, '”'),
                        b"emspace" | b"enspace" | b"qmspace" => {
                            emit(&mut out, state, &mut fallback, ' ');
                        }
                        b"uc" => {
                            state.uc =
                                usize::try_from(param.unwrap_or(1).clamp(0, 16)).unwrap_or(1);
                        }
                        b"u" => {
                            // A signed 16-bit number: negative ones are above 32767.
                            let code = param.unwrap_or(0);
                            let code = u32::try_from(if code < 0 { code + 65_536 } else { code })
                                .unwrap_or(0xFFFD);
                            let c = match (high.take(), code) {
                                (_, 0xD800..=0xDBFF) => {
                                    high = Some(code);
                                    None
                                }
                                (Some(h), 0xDC00..=0xDFFF) => {
                                    char::from_u32(0x10000 + ((h - 0xD800) << 10) + (code - 0xDC00))
                                }
                                (_, code) => char::from_u32(code),
                            };
                            if let Some(c) = c {
                                emit(&mut out, state, &mut 0, c);
                            }
                            fallback = state.uc;
                        }
                        b"bin" => {
                            // Binary data of `param` bytes.
                            let n = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
                            i = i.saturating_add(n);
                        }
                        _ => {}
                    }
                } else {
                    i += 2;
                    match next {
                        b'\'' => {
                            let hex = bytes
                                .get(i..i + 2)
                                .and_then(|h| std::str::from_utf8(h).ok());
                            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                                i += 2;
                                emit(&mut out, state, &mut fallback, windows_1252(byte));
                            }
                        }
                        b'\\' | b'{' | b'}' => {
                            emit(&mut out, state, &mut fallback, char::from(next))
                        }
                        b'*' if group_start => state.skip = true,
                        b'~' => emit(&mut out, state, &mut fallback, '\u{a0}'),
                        b'_' => emit(&mut out, state, &mut fallback, '-'),
                        b'\n' | b'\r' => emit(&mut out, state, &mut 0, '\n'),
                        _ => {}
                    }
                }
            }
            // Line ends in the file are not the text's.
            b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            _ => {
                emit(&mut out, state, &mut fallback, windows_1252(b));
                i += 1;
            }
        }
        group_start = false;
    }
    out
}

/// The character byte `b` stands for in Windows-1252 (Latin-1 with
/// typographic characters in 0x80–0x9F; the five unused bytes a '?').
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '?', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '?', 'Ž', '?', //
        '?', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '?', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    /// A PDF of Helvetica text, one page per `&str`, a text line per line.
    fn pdf(pages: &[&str]) -> Vec<u8> {
        use pdf_extract::content::{Content, Operation};
        use pdf_extract::{Document, Object, Stream, dictionary};
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
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
                operations.push(Operation::new("Tj", vec![Object::string_literal(line)]));
                operations.push(Operation::new("T*", vec![]));
            }
            operations.push(Operation::new("ET", vec![]));
            let content = Content { operations }.encode().unwrap();
            let content = doc.add_object(Stream::new(dictionary! {}, content));
            let page = doc.add_object(dictionary! {
                "Type" => "Page", "Parent" => pages_id, "Contents" => content,
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
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    /// A ZIP of `entries`, the first stored (as ODT's `mimetype` must be).
    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        use zip::write::SimpleFileOptions;
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

    fn docx(body: &str) -> Vec<u8> {
        zip_of(&[
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>"#,
            ),
            (
                "word/document.xml",
                &format!(
                    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
  <w:body>{body}</w:body>
</w:document>"#
                ),
            ),
        ])
    }

    fn odt(body: &str) -> Vec<u8> {
        zip_of(&[
            ("mimetype", ODT_MIMETYPE),
            (
                "content.xml",
                &format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">
  <office:body><office:text>{body}</office:text></office:body>
</office:document-content>"#
                ),
            ),
        ])
    }

    #[test]
    fn sniffs_each_kind_by_content() {
        assert_eq!(sniff(&pdf(&["Hello"])), Some(Kind::Pdf));
        let mut late = b"junk before the header\n".to_vec();
        late.extend(pdf(&["Hello"]));
        assert_eq!(sniff(&late), Some(Kind::Pdf));
        assert_eq!(sniff(&docx("<w:p/>")), Some(Kind::Docx));
        assert_eq!(sniff(&odt("<text:p/>")), Some(Kind::Odt));
        assert_eq!(sniff(br"{\rtf1\ansi Hello}"), Some(Kind::Rtf));
        assert_eq!(sniff(b"Jane Doe\r\n\tRust\x0c"), Some(Kind::Text));
        assert_eq!(sniff("\u{feff}Café".as_bytes()), Some(Kind::Text));
    }

    #[test]
    fn sniffs_nothing_else() {
        let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0";
        assert_eq!(sniff(elf), None);
        assert_eq!(sniff(b"MZ\x90\0\x03\0\0\0\x04\0"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), None);
        assert_eq!(sniff(&zip_of(&[("readme.txt", "hello")])), None);
        // The ODT's parts with another mimetype (a spreadsheet).
        let ods = zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            ("content.xml", "<x/>"),
        ]);
        assert_eq!(sniff(&ods), None);
        assert_eq!(sniff(b"PK\x03\x04 not really a zip"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b" \n\t "), None);
        assert_eq!(sniff(b"text with a NUL\0"), None);
        assert_eq!(sniff(b"text with an escape \x1b[0m"), None);
        assert_eq!(sniff(b"Latin-1 caf\xe9"), None);
        // Over 1024 bytes of junk before the header.
        let mut late = vec![b'x'; 1100];
        late.extend(pdf(&["Hello"]));
        assert_ne!(sniff(&late), Some(Kind::Pdf));
    }

    #[test]
    fn kinds_round_trip_their_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("exe"), None);
        assert_eq!(Kind::Text.as_str(), "txt");
    }

    #[test]
    fn extracts_a_pdf_with_its_pages() {
        let one = extract(Kind::Pdf, &pdf(&["Skills: Kubernetes\nand Rust"])).unwrap();
        assert!(one.text.contains("Kubernetes"), "{:?}", one.text);
        assert!(one.text.contains("Rust"), "{:?}", one.text);
        assert_eq!(one.pages, 1);
        let two = extract(Kind::Pdf, &pdf(&["Page one", "Page two"])).unwrap();
        assert_eq!(two.pages, 2);
        assert!(
            two.text.contains("one") && two.text.contains("two"),
            "{:?}",
            two.text
        );
    }

    #[test]
    fn a_damaged_pdf_is_an_error() {
        for damaged in [
            b"%PDF-1.5\ngarbage \x00\xff trailer".to_vec(),
            pdf(&["Hello"])[..200].to_vec(),
        ] {
            assert!(matches!(
                extract(Kind::Pdf, &damaged),
                Err(ExtractError::Unreadable(_))
            ));
        }
        // Pages without a size: pdf-extract panics (`expect("MediaBox")`).
        let mut sizeless = pdf(&["Hello"]);
        let at = sizeless.windows(9).position(|w| w == b"/MediaBox").unwrap();
        sizeless[at..at + 9].copy_from_slice(b"/MediaBax");
        assert!(matches!(
            extract(Kind::Pdf, &sizeless),
            Err(ExtractError::Unreadable(_))
        ));
    }

    #[test]
    fn extracts_a_docx() {
        let body = r#"<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>
            <w:r><w:t>Jane</w:t></w:r><w:r><w:t xml:space="preserve"> Doe &amp; </w:t></w:r>
            <w:r><w:t>co</w:t><w:tab/><w:t>Rust</w:t><w:br/><w:t>Kubernetes</w:t></w:r></w:p>
            <w:p/><w:p/><w:p><w:r><w:t>Last</w:t></w:r></w:p>"#;
        let got = extract(Kind::Docx, &docx(body)).unwrap();
        assert_eq!(got.text, "Jane Doe & co Rust\nKubernetes\n\nLast");
        assert_eq!(got.pages, 1);
    }

    #[test]
    fn extracts_an_odt() {
        let body = r#"<text:h text:outline-level="1">Jane <text:span>Doe</text:span></text:h>
            <text:p>Rust<text:s/><text:tab/>Go<text:line-break/>Kubernetes &lt;3</text:p>
            <text:p/><text:p>Last</text:p>"#;
        let got = extract(Kind::Odt, &odt(body)).unwrap();
        assert_eq!(got.text, "Jane Doe\nRust Go\nKubernetes <3\n\nLast");
    }

    #[test]
    fn extracts_rtf() {
        let rtf = br"{\rtf1\ansi{\fonttbl\f0 Arial;}\f0 Caf\'e9 \b bold\b0\par next}";
        assert_eq!(extract(Kind::Rtf, rtf).unwrap().text, "Café bold\nnext");
        let rtf = br"{\rtf1{\*\generator Writer;}{\info{\title Secret}}\uc1 Fa\u231?ade \u-10179?\u-8704? a\{b\}\\c\tab d\line e}";
        assert_eq!(
            extract(Kind::Rtf, rtf).unwrap().text,
            "Fa\u{e7}ade \u{1f600} a{b}\\c d\ne"
        );
    }

    #[test]
    fn extracts_and_tidies_text() {
        let got = extract(
            Kind::Text,
            "\u{feff}  Jane \t Doe  \r\n\r\n\r\n\nRust\x0cGo\n\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(got.text, "Jane Doe\n\nRust\n\nGo");
        assert_eq!(got.pages, 1);
    }

    #[test]
    fn long_text_is_cut_and_counted_in_pages() {
        let long = "word ".repeat(MAX_TEXT / 5 + 1000);
        let got = extract(Kind::Text, long.as_bytes()).unwrap();
        assert!(got.text.chars().count() <= MAX_TEXT);
        assert!(got.text.ends_with("word"));
        assert_eq!(got.pages, 69);
    }

    #[test]
    fn a_zip_bomb_is_refused() {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file("word/document.xml", options).unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..51 {
            w.write_all(&zeros).unwrap();
        }
        let bomb = w.finish().unwrap().into_inner();
        assert_eq!(sniff(&bomb), Some(Kind::Docx));
        assert!(matches!(
            extract(Kind::Docx, &bomb),
            Err(ExtractError::TooLarge)
        ));
    }
}
