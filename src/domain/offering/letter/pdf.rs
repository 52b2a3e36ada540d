//! Laid-out pages written as a PDF, with pdf-writer.
//!
//! The text is set in Liberation Sans, embedded as a subset (subsetter) and
//! addressed by glyph, as a CID font with a ToUnicode map: the 14 standard
//! PDF fonts cannot write `Ł` or Cyrillic, and without the map the text
//! could be seen but not selected, searched or extracted.

use super::layout::{self, Line, MARGIN, PAGE_HEIGHT, PAGE_WIDTH, Page};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

/// Why a PDF could not be made. Only the embedded font can fail (it is
/// parsed and subset for every letter), so this is a bug, never the
/// letter's fault.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("the letter font cannot be read: {0}")]
    Parse(#[from] ttf_parser::FaceParsingError),
    #[error("the letter font cannot be subset: {0}")]
    Subset(#[from] subsetter::Error),
}

/// A font file and its PostScript name, for the PDF's font dictionaries.
struct FontFile {
    data: &'static [u8],
    postscript_name: &'static str,
}

/// Liberation Sans (OFL): it covers Latin, Greek and Cyrillic, and is
/// metric-compatible with Arial, so letters look familiar. There is no
/// italic file: italic is the regular face slanted, as 400 KB more for the
/// odd emphasised word is not worth it.
static FONT_FILES: [FontFile; 2] = [
    FontFile {
        data: include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/fonts/LiberationSans-Regular.ttf"
        )),
        postscript_name: "LiberationSans",
    },
    FontFile {
        data: include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/fonts/LiberationSans-Bold.ttf"
        )),
        postscript_name: "LiberationSans-Bold",
    },
];
pub const REGULAR: usize = 0;
pub const BOLD: usize = 1;
const FONT_NAMES: [Name<'static>; 2] = [Name(b"F0"), Name(b"F1")];
/// The shear that slants the regular face into italic (about 12°).
const OBLIQUE: f32 = 0.21;

const IDENTITY: SystemInfo = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

pub fn render(markdown: &str, title: &str) -> Result<Vec<u8>, FontError> {
    let mut fonts = [
        Font::new(&FONT_FILES[REGULAR])?,
        Font::new(&FONT_FILES[BOLD])?,
    ];
    let pages = layout::lay_out(markdown, &mut fonts);
    write(&pages, &fonts, title)
}

/// One font as one letter uses it: the glyphs taken from it, numbered from
/// 0 in the order first used (the subset's glyph ids, used as CIDs).
pub struct Font {
    file: &'static FontFile,
    face: Face<'static>,
    remapper: GlyphRemapper,
    /// The advance of each CID in thousandths of an em (PDF's unit).
    widths: Vec<f32>,
    /// The character each CID was first used for, for the ToUnicode map;
    /// `None` for `.notdef`, which stands for any character the font lacks.
    chars: Vec<Option<char>>,
    cids: HashMap<char, u16>,
}

impl Font {
    fn new(file: &'static FontFile) -> Result<Font, FontError> {
        let mut font = Font {
            file,
            face: Face::parse(file.data, 0)?,
            // It starts with .notdef as CID 0.
            remapper: GlyphRemapper::new(),
            widths: Vec::new(),
            chars: vec![None],
            cids: HashMap::new(),
        };
        font.widths.push(font.advance(GlyphId(0)));
        Ok(font)
    }

    fn advance(&self, glyph: GlyphId) -> f32 {
        let advance = f32::from(self.face.glyph_hor_advance(glyph).unwrap_or(0));
        advance * 1000.0 / f32::from(self.face.units_per_em())
    }

    /// The CID for `c` and its advance in thousandths of an em.
    pub fn glyph(&mut self, c: char) -> (u16, f32) {
        let cid = match self.cids.get(&c) {
            Some(&cid) => cid,
            None => {
                let glyph = self.face.glyph_index(c).unwrap_or(GlyphId(0));
                let cid = self.remapper.remap(glyph.0);
                if usize::from(cid) == self.widths.len() {
                    self.widths.push(self.advance(glyph));
                    self.chars.push(Some(c));
                }
                self.cids.insert(c, cid);
                cid
            }
        };
        let width = self.widths.get(usize::from(cid)).copied().unwrap_or(0.0);
        (cid, width)
    }

    fn is_used(&self) -> bool {
        self.widths.len() > 1
    }
}

fn write(pages: &[Page], fonts: &[Font; 2], title: &str) -> Result<Vec<u8>, FontError> {
    let mut pdf = Pdf::new();
    let mut ids = Ref::new(1);
    let catalog = ids.bump();
    let tree = ids.bump();
    let font_ids = [ids.bump(), ids.bump()];
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (ids.bump(), ids.bump())).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
    pdf.document_info(ids.bump())
        .title(TextStr(title))
        .producer(TextStr("Hiring Hare"));

    for (page, &(page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut writer = pdf.page(page_id);
        writer
            .media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(content_id);
        let mut resources = writer.resources();
        let mut names = resources.fonts();
        for ((font, name), id) in fonts.iter().zip(FONT_NAMES).zip(font_ids) {
            if font.is_used() {
                names.pair(name, id);
            }
        }
        names.finish();
        resources.finish();
        writer.finish();
        pdf.stream(content_id, &deflate(&page_content(page)))
            .filter(Filter::FlateDecode);
    }

    for (font, id) in fonts.iter().zip(font_ids) {
        if font.is_used() {
            write_font(&mut pdf, &mut ids, font, id)?;
        }
    }
    Ok(pdf.finish())
}

fn page_content(page: &Page) -> Vec<u8> {
    let mut content = Content::new();
    if !page.rules.is_empty() {
        content.set_stroke_gray(0.6).set_line_width(0.5);
        for &y in &page.rules {
            content
                .move_to(MARGIN, y)
                .line_to(PAGE_WIDTH - MARGIN, y)
                .stroke();
        }
    }
    content.begin_text();
    let mut text = Text {
        content: &mut content,
        font: None,
    };
    for line in &page.lines {
        // Each run of glyphs in one font and slant is shown from where the
        // layout measured it to start, so nothing drifts.
        let mut x = line.x;
        let mut run = Vec::new();
        let mut start = (x, REGULAR, false);
        for glyph in &line.glyphs {
            if let Some(cid) = glyph.cid {
                if run.is_empty() || (start.1, start.2) != (glyph.font, glyph.italic) {
                    text.show(line, start, &mut run);
                    start = (x, glyph.font, glyph.italic);
                }
                run.extend(cid.to_be_bytes());
            } else {
                text.show(line, start, &mut run);
            }
            x += glyph.width;
        }
        text.show(line, start, &mut run);
    }
    content.end_text();
    content.finish().into_vec()
}

/// A page's text object, and the font and size it last set.
struct Text<'c> {
    content: &'c mut Content,
    font: Option<(usize, f32)>,
}

impl Text<'_> {
    /// Shows a run of CIDs (two bytes each) from `x` on `line`, and empties it.
    fn show(&mut self, line: &Line, (x, font, italic): (f32, usize, bool), run: &mut Vec<u8>) {
        if run.is_empty() {
            return;
        }
        if self.font != Some((font, line.size)) {
            self.content.set_font(FONT_NAMES[font], line.size);
            self.font = Some((font, line.size));
        }
        let shear = if italic { OBLIQUE } else { 0.0 };
        self.content
            .set_text_matrix([1.0, 0.0, shear, 1.0, x, line.baseline])
            .show(Str(run));
        run.clear();
    }
}

/// Writes `font` as a Type 0 font over a TrueType CID font: the subset of
/// glyphs the letter uses, their widths, and the map back to Unicode.
fn write_font(pdf: &mut Pdf, ids: &mut Ref, font: &Font, id: Ref) -> Result<(), FontError> {
    let cid_font = ids.bump();
    let descriptor = ids.bump();
    let to_unicode = ids.bump();
    let file = ids.bump();

    let subset = subsetter::subset(font.file.data, 0, &font.remapper)?;
    let name = format!(
        "{}+{}",
        subset_tag(&font.remapper),
        font.file.postscript_name
    );
    let name = Name(name.as_bytes());

    pdf.type0_font(id)
        .base_font(name)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);

    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(name)
        .system_info(IDENTITY)
        .font_descriptor(descriptor)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    // One array from CID 0: pdf-extract 0.12 misreads the shorter
    // "first last width" form.
    cid.widths().consecutive(0, font.widths.iter().copied());
    cid.finish();

    let face = &font.face;
    let scale = 1000.0 / f32::from(face.units_per_em());
    let bbox = face.global_bounding_box();
    let ascent = f32::from(face.ascender()) * scale;
    let weight = f32::from(face.weight().to_number());
    pdf.font_descriptor(descriptor)
        .name(name)
        // A subset keeps no character map, so readers must not look its
        // glyphs up by a standard encoding.
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(ascent)
        .descent(f32::from(face.descender()) * scale)
        .cap_height(
            face.capital_height()
                .map_or(ascent, |h| f32::from(h) * scale),
        )
        // The usual estimate from the weight class: readers use it only to
        // stand in for a font they cannot load.
        .stem_v(10.0 + 0.244 * (weight - 50.0))
        .font_file2(file);

    let mut cmap = UnicodeCmap::new(Name(b"Custom"), IDENTITY);
    for (cid, c) in (0u16..).zip(&font.chars) {
        if let Some(c) = c {
            cmap.pair(cid, *c);
        }
    }
    pdf.stream(to_unicode, &deflate(&cmap.finish()))
        .filter(Filter::FlateDecode);

    let length = i32::try_from(subset.len()).unwrap_or(i32::MAX);
    pdf.stream(file, &deflate(&subset))
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), length);
    Ok(())
}

/// The six capital letters before a subset's font name, which tell it from
/// other subsets of the same font; taken from the glyphs it holds, so the
/// same letter makes the same PDF.
fn subset_tag(remapper: &GlyphRemapper) -> String {
    let mut hasher = DefaultHasher::new();
    remapper.hash(&mut hasher);
    // Not `.finish()`, which pdf-writer's `Finish` takes over.
    let mut hash = Hasher::finish(&hasher);
    (0..6)
        .map(|_| {
            let letter = char::from(b'A' + (hash % 26) as u8);
            hash /= 26;
            letter
        })
        .collect()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(data, 6)
}
