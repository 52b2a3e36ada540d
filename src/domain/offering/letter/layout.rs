//! A letter's Markdown set on A4 pages: paragraphs broken into lines at
//! spaces, headings, lists, quotes, tables and rules placed down the page,
//! and a new page when the next line would cross the bottom margin. Letters
//! are in scripts that need no shaping (Latin, Greek, Cyrillic), so each
//! character is one glyph from the font's character map.

use super::pdf::{BOLD, Font, REGULAR};
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::mem;

pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
/// 25 mm on every side.
pub const MARGIN: f32 = 70.87;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const BODY_SIZE: f32 = 10.5;
const FOOTER_SIZE: f32 = 8.5;
/// Line height as a multiple of the font size.
const LEADING: f32 = 1.4;
/// From the top of a line's box to its baseline, as a multiple of the size:
/// half the extra leading plus the font's ascent (0.905 em).
const BASELINE: f32 = (LEADING - 1.0) / 2.0 + 0.905;
const PARAGRAPH_GAP: f32 = 0.6 * BODY_SIZE;
const ITEM_GAP: f32 = 0.2 * BODY_SIZE;
/// Per level of list or quote.
const INDENT: f32 = 18.0;
/// Between a table row's cells, which are not aligned in columns.
const CELL_GAP: f32 = 2.0 * BODY_SIZE;

/// A glyph set on a line, or (with no CID) a gap between table cells.
#[derive(Clone, Copy)]
pub struct Glyph {
    pub font: usize,
    pub italic: bool,
    pub cid: Option<u16>,
    /// In points, at the line's size.
    pub width: f32,
}

pub struct Line {
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    pub glyphs: Vec<Glyph>,
}

#[derive(Default)]
pub struct Page {
    pub lines: Vec<Line>,
    /// The heights of horizontal rules drawn across the text.
    pub rules: Vec<f32>,
}

/// Sets `markdown` on pages, taking its glyphs from `fonts`.
pub fn lay_out(markdown: &str, fonts: &mut [Font; 2]) -> Vec<Page> {
    let mut layout = Layout {
        fonts,
        pages: vec![Page::default()],
        y: PAGE_HEIGHT - MARGIN,
        items: Vec::new(),
        bold: 0,
        italic: 0,
        heading: None,
        lists: Vec::new(),
        quotes: 0,
        code: false,
        marker: None,
    };
    // The same extensions as the HTML the web layer shows.
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        layout.event(event);
    }
    layout.flush(0.0);
    layout.number_pages();
    layout.pages
}

/// What a paragraph is made of before it is broken into lines.
#[derive(Clone, Copy)]
enum Item {
    Letter(Glyph),
    /// A space or cell gap: where a line may break, dropped when it does.
    Space(Glyph),
    Break,
}

impl Item {
    fn width(&self) -> f32 {
        match self {
            Item::Letter(glyph) | Item::Space(glyph) => glyph.width,
            Item::Break => 0.0,
        }
    }
}

struct Layout<'f> {
    fonts: &'f mut [Font; 2],
    pages: Vec<Page>,
    /// The top of the next line on the last page.
    y: f32,
    /// The paragraph gathered so far.
    items: Vec<Item>,
    bold: u32,
    italic: u32,
    heading: Option<HeadingLevel>,
    /// The open lists, innermost last: the next item's number, or `None`
    /// for bullets.
    lists: Vec<Option<u64>>,
    quotes: u32,
    code: bool,
    /// The marker of a list item whose first line is not set yet.
    marker: Option<String>,
}

impl Layout<'_> {
    fn event(&mut self, event: Event) {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                self.flush(0.0);
                self.heading = Some(level);
            }
            Event::End(TagEnd::Heading(_)) => {
                self.flush_heading();
                self.heading = None;
            }
            Event::End(TagEnd::Paragraph) => self.flush(PARAGRAPH_GAP),
            Event::Start(Tag::List(start)) => {
                // The text of a tight item that holds this list comes first.
                self.flush(ITEM_GAP);
                self.lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
                if self.lists.is_empty() {
                    self.y -= PARAGRAPH_GAP - ITEM_GAP;
                }
            }
            Event::Start(Tag::Item) => {
                self.marker = Some(match self.lists.last_mut() {
                    Some(Some(next)) => {
                        let number = *next;
                        *next += 1;
                        format!("{number}.")
                    }
                    _ => "•".to_owned(),
                });
            }
            // A tight item's text comes without a paragraph around it.
            Event::End(TagEnd::Item) => self.flush(ITEM_GAP),
            Event::Start(Tag::BlockQuote(_)) => {
                self.flush(PARAGRAPH_GAP);
                self.quotes += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => self.quotes = self.quotes.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => self.code = true,
            Event::End(TagEnd::CodeBlock) => {
                self.code = false;
                self.flush(PARAGRAPH_GAP);
            }
            Event::Start(Tag::TableHead) => self.bold += 1,
            Event::End(TagEnd::TableHead) => {
                self.bold = self.bold.saturating_sub(1);
                self.flush(ITEM_GAP);
            }
            Event::End(TagEnd::TableRow) => self.flush(ITEM_GAP),
            Event::End(TagEnd::Table) => self.y -= PARAGRAPH_GAP - ITEM_GAP,
            Event::End(TagEnd::TableCell) => self.items.push(Item::Space(Glyph {
                font: REGULAR,
                italic: false,
                cid: None,
                width: CELL_GAP,
            })),
            Event::Start(Tag::Strong) => self.bold += 1,
            Event::End(TagEnd::Strong) => self.bold = self.bold.saturating_sub(1),
            Event::Start(Tag::Emphasis) => self.italic += 1,
            Event::End(TagEnd::Emphasis) => self.italic = self.italic.saturating_sub(1),
            Event::Text(text) | Event::Code(text) => self.text(&text),
            Event::SoftBreak => self.text(" "),
            Event::HardBreak => self.items.push(Item::Break),
            Event::InlineHtml(html) if is_line_break(&html) => self.items.push(Item::Break),
            Event::Rule => self.rule(),
            // Links and images print their text; other HTML, strikethrough
            // and the rest print as plain text or not at all.
            _ => {}
        }
    }

    fn size(&self) -> f32 {
        match self.heading {
            Some(HeadingLevel::H1) => 18.0,
            Some(HeadingLevel::H2) => 14.0,
            Some(HeadingLevel::H3) => 12.0,
            _ => BODY_SIZE,
        }
    }

    fn glyph(&mut self, c: char) -> Glyph {
        let font = if self.bold > 0 || self.heading.is_some() {
            BOLD
        } else {
            REGULAR
        };
        let (cid, width) = self.fonts[font].glyph(c);
        Glyph {
            font,
            italic: self.italic > 0,
            cid: Some(cid),
            width: width * self.size() / 1000.0,
        }
    }

    /// Adds text to the paragraph. Runs of white space become one space, as
    /// in HTML, except in code blocks, whose line breaks are kept; no-break
    /// spaces count as letters, so a line never breaks at them.
    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if self.code && c == '\n' {
                self.items.push(Item::Break);
            } else if c.is_whitespace() && !matches!(c, '\u{a0}' | '\u{2007}' | '\u{202f}') {
                if !matches!(self.items.last(), Some(Item::Space(_)) | None) {
                    let space = self.glyph(' ');
                    self.items.push(Item::Space(space));
                }
            } else if !c.is_control() {
                let letter = self.glyph(c);
                self.items.push(Item::Letter(letter));
            }
        }
    }

    /// `text` in the regular font at `size`, unbroken, and its width.
    fn plain(&mut self, text: &str, size: f32) -> (Vec<Glyph>, f32) {
        let glyphs: Vec<Glyph> = text
            .chars()
            .map(|c| {
                let (cid, width) = self.fonts[REGULAR].glyph(c);
                Glyph {
                    font: REGULAR,
                    italic: false,
                    cid: Some(cid),
                    width: width * size / 1000.0,
                }
            })
            .collect();
        let width = glyphs.iter().map(|g| g.width).sum();
        (glyphs, width)
    }

    fn indent(&self) -> f32 {
        INDENT * (self.lists.len() as f32 + self.quotes as f32)
    }

    /// Sets the paragraph gathered so far, then leaves `gap` below it.
    fn flush(&mut self, gap: f32) {
        let items = mem::take(&mut self.items);
        let indent = self.indent();
        let lines = wrap(&items, TEXT_WIDTH - indent);
        if lines.is_empty() {
            return;
        }
        let size = self.size();
        let marker = self.marker.take();
        for (i, glyphs) in lines.into_iter().enumerate() {
            self.make_room(size * LEADING);
            let baseline = self.y - size * BASELINE;
            if let Some(marker) = marker.as_deref().filter(|_| i == 0) {
                let (glyphs, width) = self.plain(marker, BODY_SIZE);
                self.set(Line {
                    x: MARGIN + indent - width - 0.5 * BODY_SIZE,
                    baseline,
                    size: BODY_SIZE,
                    glyphs,
                });
            }
            self.set(Line {
                x: MARGIN + indent,
                baseline,
                size,
                glyphs,
            });
            self.y -= size * LEADING;
        }
        self.y -= gap;
    }

    /// A heading, with space above it, moved to the next page with the two
    /// lines after it rather than left alone at the bottom of one.
    fn flush_heading(&mut self) {
        let size = self.size();
        if self.y < PAGE_HEIGHT - MARGIN {
            self.y -= 0.8 * size;
        }
        let lines = wrap(&self.items, TEXT_WIDTH - self.indent()).len() as f32;
        self.make_room(lines * size * LEADING + 0.3 * size + 2.0 * BODY_SIZE * LEADING);
        self.flush(0.3 * size);
    }

    fn rule(&mut self) {
        self.flush(0.0);
        self.make_room(BODY_SIZE * LEADING);
        self.y -= 0.5 * BODY_SIZE * LEADING;
        let y = self.y;
        if let Some(page) = self.pages.last_mut() {
            page.rules.push(y);
        }
        self.y -= 0.5 * BODY_SIZE * LEADING;
    }

    fn set(&mut self, line: Line) {
        if let Some(page) = self.pages.last_mut() {
            page.lines.push(line);
        }
    }

    /// Starts a new page unless `height` fits above the bottom margin (or
    /// the page is still empty).
    fn make_room(&mut self, height: f32) {
        if self.y - height < MARGIN && self.y < PAGE_HEIGHT - MARGIN {
            self.pages.push(Page::default());
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    /// "Page n of N" centred in the bottom margin, when there is more than
    /// one page.
    fn number_pages(&mut self) {
        let count = self.pages.len();
        if count < 2 {
            return;
        }
        for n in 0..count {
            let (glyphs, width) = self.plain(&format!("Page {} of {count}", n + 1), FOOTER_SIZE);
            if let Some(page) = self.pages.get_mut(n) {
                page.lines.push(Line {
                    x: (PAGE_WIDTH - width) / 2.0,
                    baseline: MARGIN / 2.0,
                    size: FOOTER_SIZE,
                    glyphs,
                });
            }
        }
    }
}

/// `<br>`, the one piece of HTML a template is likely to hold for the PDF's
/// sake (an address on several lines).
fn is_line_break(html: &str) -> bool {
    let tag: String = html.chars().filter(|c| !c.is_whitespace()).collect();
    matches!(tag.to_ascii_lowercase().as_str(), "<br>" | "<br/>")
}

/// Breaks a paragraph into lines no wider than `width`: greedily at spaces,
/// and inside a word only when the word alone is wider than a line. Spaces
/// are kept only between words on the same line.
fn wrap(items: &[Item], width: f32) -> Vec<Vec<Glyph>> {
    let mut lines = Vec::new();
    let mut line: Vec<Glyph> = Vec::new();
    let mut line_width = 0.0;
    let mut spaces: Vec<Glyph> = Vec::new();
    let mut rest = items;
    while let Some((first, after)) = rest.split_first() {
        match *first {
            Item::Break => {
                lines.push(mem::take(&mut line));
                line_width = 0.0;
                spaces.clear();
                rest = after;
            }
            Item::Space(space) => {
                if !line.is_empty() {
                    spaces.push(space);
                }
                rest = after;
            }
            Item::Letter(_) => {
                let length = rest
                    .iter()
                    .position(|item| !matches!(item, Item::Letter(_)))
                    .unwrap_or(rest.len());
                let (word, after) = rest.split_at(length);
                let word_width: f32 = word.iter().map(Item::width).sum();
                let spaces_width: f32 = spaces.iter().map(|g| g.width).sum();
                if !line.is_empty() && line_width + spaces_width + word_width > width {
                    lines.push(mem::take(&mut line));
                    line_width = 0.0;
                } else {
                    line.append(&mut spaces);
                    line_width += spaces_width;
                }
                spaces.clear();
                for item in word {
                    if let Item::Letter(glyph) = *item {
                        if !line.is_empty() && line_width + glyph.width > width {
                            lines.push(mem::take(&mut line));
                            line_width = 0.0;
                        }
                        line.push(glyph);
                        line_width += glyph.width;
                    }
                }
                rest = after;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
