//! iCalendar (RFC 5545) for interviews: the invitations mailed to the panel
//! and the candidate (iTIP, RFC 5546: `METHOD:REQUEST` on every change,
//! `METHOD:CANCEL` when it is off), the per-person feed (`PUBLISH`), and
//! the answers read back from a `METHOD:REPLY`.
//!
//! Times are written in UTC (`…Z`): every calendar places them right in
//! its own zone, across daylight-saving changes, with no VTIMEZONE to get
//! wrong. The UID is the interview's id, so each change replaces the event
//! a calendar holds; SEQUENCE is raised on each.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a calendar object asks of its reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// An invitation, or its update.
    Request,
    /// The event is off (for this reader).
    Cancel,
    /// A feed: events to show, nothing to answer.
    Publish,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }
}

/// An attendee's answer (PARTSTAT), as the panel and the candidate give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    NeedsAction,
    Accepted,
    Declined,
    Tentative,
}

impl Response {
    pub fn as_str(self) -> &'static str {
        match self {
            Response::NeedsAction => "needs-action",
            Response::Accepted => "accepted",
            Response::Declined => "declined",
            Response::Tentative => "tentative",
        }
    }

    pub fn parse(s: &str) -> Option<Response> {
        [
            Response::NeedsAction,
            Response::Accepted,
            Response::Declined,
            Response::Tentative,
        ]
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    pub fn label(self) -> &'static str {
        match self {
            Response::NeedsAction => "No answer yet",
            Response::Accepted => "Accepted",
            Response::Declined => "Declined",
            Response::Tentative => "Maybe",
        }
    }

    fn partstat(self) -> &'static str {
        match self {
            Response::NeedsAction => "NEEDS-ACTION",
            Response::Accepted => "ACCEPTED",
            Response::Declined => "DECLINED",
            Response::Tentative => "TENTATIVE",
        }
    }
}

crate::text_enum!(Response);

/// Someone an event names.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// One interview as a calendar holds it.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: Uuid,
    pub sequence: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub location: String,
    /// Where the reader opens it (the kit), a full URL.
    pub url: Option<String>,
    pub cancelled: bool,
    /// Who invites (invitations only: a feed names none).
    pub organizer: Option<Person>,
    /// With each one's answer.
    pub attendees: Vec<(Person, Response)>,
    /// When this copy was made (DTSTAMP).
    pub stamp: DateTime<Utc>,
}

/// The UID of an interview's event: the same in every copy and change.
pub fn uid(interview: Uuid) -> String {
    format!("{interview}@hiringhare")
}

/// A VCALENDAR of `events` with `method`, lines folded and ended as
/// RFC 5545 wants (CRLF, at most 75 octets).
pub fn calendar(method: Method, name: &str, events: &[Event]) -> String {
    // About half a kilobyte an event: a feed of hundreds grows once.
    let mut out = String::with_capacity(256 + events.len() * 512);
    let mut line = |s: &str| fold_into(&mut out, s);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//Hiring Hare//Interviews//EN");
    line("CALSCALE:GREGORIAN");
    line(&format!("METHOD:{}", method.as_str()));
    if method == Method::Publish {
        line(&format!("X-WR-CALNAME:{}", text(name)));
    }
    for e in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", uid(e.id)));
        line(&format!("SEQUENCE:{}", e.sequence));
        line(&format!("DTSTAMP:{}", utc(e.stamp)));
        line(&format!("DTSTART:{}", utc(e.starts_at)));
        line(&format!("DTEND:{}", utc(e.ends_at)));
        line(&format!("SUMMARY:{}", text(&e.summary)));
        if !e.description.is_empty() {
            line(&format!("DESCRIPTION:{}", text(&e.description)));
        }
        if !e.location.is_empty() {
            line(&format!("LOCATION:{}", text(&e.location)));
        }
        if let Some(url) = &e.url {
            line(&format!("URL:{url}"));
        }
        let cancelled = e.cancelled || method == Method::Cancel;
        line(if cancelled {
            "STATUS:CANCELLED"
        } else {
            "STATUS:CONFIRMED"
        });
        line("TRANSP:OPAQUE");
        if let Some(o) = &e.organizer {
            line(&format!(
                "ORGANIZER;CN={}:mailto:{}",
                param(&o.name),
                o.email
            ));
        }
        if method != Method::Publish {
            for (p, response) in &e.attendees {
                line(&format!(
                    "ATTENDEE;CN={};CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={};RSVP=TRUE:mailto:{}",
                    param(&p.name),
                    response.partstat(),
                    p.email
                ));
            }
        }
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value: backslash, semicolon, comma and newlines escaped.
fn text(s: &str) -> String {
    if !s.contains(['\\', ';', ',']) && !s.contains(char::is_control) {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A parameter value (a name): quoted, as names hold commas and colons;
/// a quote cannot be escaped there, so it goes.
fn param(s: &str) -> String {
    let clean: String = s.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    format!("\"{clean}\"")
}

/// Appends `line` folded at 75 octets (never inside a character), CRLF
/// ended.
fn fold_into(out: &mut String, line: &str) {
    if line.len() <= 75 {
        out.push_str(line);
        out.push_str("\r\n");
        return;
    }
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// What a `METHOD:REPLY` says: which event, and each attendee's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub interview: Uuid,
    pub answers: Vec<(String, Response)>,
}

/// Reads a REPLY calendar object; anything else (another method, no UID of
/// ours) is None.
pub fn reply(ics: &str) -> Option<Reply> {
    let unfolded = ics
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "");
    let mut is_reply = false;
    let mut interview = None;
    let mut answers = Vec::new();
    for raw in unfolded.lines() {
        let (head, value) = split_value(raw.trim_end_matches('\r'))?;
        let mut params = split_params(head);
        let name = params.remove(0).to_ascii_uppercase();
        match name.as_str() {
            "METHOD" => is_reply = value.trim().eq_ignore_ascii_case("REPLY"),
            "UID" => {
                interview = value
                    .trim()
                    .strip_suffix("@hiringhare")
                    .and_then(|id| id.parse().ok());
            }
            "ATTENDEE" => {
                let email = value
                    .trim()
                    .strip_prefix("mailto:")
                    .or_else(|| value.trim().strip_prefix("MAILTO:"))
                    .unwrap_or(value.trim())
                    .to_lowercase();
                let answer = params.iter().find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.eq_ignore_ascii_case("PARTSTAT")
                        .then(|| Response::parse(v.trim_matches('"')))
                        .flatten()
                });
                if let Some(answer) = answer {
                    answers.push((email, answer));
                }
            }
            _ => {}
        }
    }
    (is_reply && !answers.is_empty()).then_some(Reply {
        interview: interview?,
        answers,
    })
}

/// Splits a content line at the colon that ends its name and parameters
/// (not one inside a quoted parameter value).
fn split_value(line: &str) -> Option<(&str, &str)> {
    if line.is_empty() {
        return Some(("", ""));
    }
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ':' if !quoted => return Some((&line[..i], &line[i + 1..])),
            _ => {}
        }
    }
    Some((line, ""))
}

fn split_params(head: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in head.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => {
                parts.push(&head[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&head[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_within_75_octets_and_unfold_to_the_same() {
        let mut out = String::new();
        let line = format!("DESCRIPTION:{}", "Zażółć gęślą jaźń, ".repeat(10));
        fold_into(&mut out, &line);
        assert!(out.split("\r\n").all(|l| l.len() <= 75));
        assert_eq!(out.replace("\r\n ", ""), format!("{line}\r\n"));
    }

    #[test]
    fn text_values_escape_what_ends_or_splits_them() {
        assert_eq!(text("Room 4"), "Room 4");
        assert_eq!(text("a,b;c\\d\r\ne\u{7}"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn a_reply_gives_each_attendees_answer() {
        let id = Uuid::new_v4();
        let ics = format!(
            "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:{id}@hiringhare\r\nATTENDEE;CN=\"Lee, Ann\";PARTSTAT=ACCEPTED:mailto:Ann@Example.test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        assert_eq!(
            reply(&ics),
            Some(Reply {
                interview: id,
                answers: vec![("ann@example.test".into(), Response::Accepted)]
            })
        );
        assert_eq!(reply(&ics.replace("REPLY", "REQUEST")), None);
    }
}
