//! What every area of the domain shares: field errors, the parsing of free
//! text, dates and ids from forms, the keyset cursor lists page with, LIKE
//! patterns from input, and amounts as shown.

use std::borrow::Cow;
use uuid::Uuid;

/// Where a page of a list starts: just past this row, in the list's order
/// (keyset paging on `(time, id)`: a page deep in thousands costs what the
/// first does, and rows sharing a time are neither skipped nor shown twice).
/// Written in a URL as `<time>,<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct After {
    pub at: chrono::DateTime<chrono::Utc>,
    pub id: uuid::Uuid,
}

impl After {
    pub fn parse(s: &str) -> Option<After> {
        let (at, id) = s.split_once(',')?;
        Some(After {
            at: chrono::DateTime::parse_from_rfc3339(at)
                .ok()?
                .with_timezone(&chrono::Utc),
            id: id.parse().ok()?,
        })
    }

    /// `Z`, not `+00:00`: a `+` in a query string reads as a space. In
    /// microseconds, PostgreSQL's precision, so the time reads back exact.
    pub fn param(&self) -> String {
        format!(
            "{},{}",
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            self.id
        )
    }
}

/// From a query string's `after=`: one that does not parse is refused
/// like any malformed parameter.
impl<'de> serde::Deserialize<'de> for After {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        After::parse(&s).ok_or_else(|| serde::de::Error::custom("not a <time>,<id> cursor"))
    }
}

/// `input` with LIKE's wildcards (`%`, `_`) and its escape character (`\`,
/// the default of `like` and `ilike`) escaped, so that what a person typed
/// into a search matches only itself. Every pattern built from input goes
/// through here.
pub fn like_escaped(input: &str) -> String {
    input
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Something's id and its name, as a query reads them to turn ids into
/// words.
#[derive(Debug, sqlx::FromRow)]
pub struct NameOf {
    pub id: Uuid,
    pub name: String,
}

/// Problems with submitted input, each tied to the field it concerns (by
/// its form name; a field of a repeated group as `<group>-<n>-<field>`, its
/// HTML id), in the words shown beside that field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(Cow<'static, str>, String)>);

impl FieldErrors {
    /// A single problem.
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        FieldErrors(vec![(field.into(), message.into())])
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    /// Adds the problems of the `n`-th of a repeated `group` of fields (a
    /// workflow's steps), each under `<group>-<n>-<field>`.
    pub fn nest(&mut self, group: &str, n: usize, other: FieldErrors) {
        self.0.extend(
            other
                .0
                .into_iter()
                .map(|(f, m)| (format!("{group}-{n}-{f}").into(), m)),
        );
    }

    /// Adds `other`'s problems after these: [`FieldErrors::get`] shows the
    /// first problem of a field, so the caller's own come first.
    pub fn extend(&mut self, other: FieldErrors) {
        self.0.extend(other.0);
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(value)` when no problem was found.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }
}

/// Trims `input`; records `message` against `field` when empty, and the
/// problems of [`optional_text`] otherwise.
pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    max: usize,
    message: &str,
) -> String {
    if input.trim().is_empty() {
        errors.add(field, message);
    }
    optional_text(errors, field, input, max)
}

/// Trims `input`; records a problem against `field` when it is longer than
/// `max` characters or holds a NUL byte. Every text field goes through here
/// (or [`required_text`]): PostgreSQL refuses NUL in text, and a value that
/// reached it would fail the whole request instead of this one field.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
    max: usize,
) -> String {
    let v = input.trim();
    if v.contains('\0') {
        errors.add(
            field,
            "Remove the invisible NUL character (often pasted from another program).",
        );
    } else if v.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    v.to_owned()
}

/// A date typed as YYYY-MM-DD, between the years 2000 and 2100: further
/// out is a typo (year 0 or 10000), never a plan.
pub fn optional_date(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
) -> Option<chrono::NaiveDate> {
    use chrono::Datelike;
    match input.trim() {
        "" => None,
        v => match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) if (2000..=2100).contains(&d.year()) => Some(d),
            Ok(_) => {
                errors.add(field, "Enter a date between the years 2000 and 2100.");
                None
            }
            Err(_) => {
                errors.add(field, "Enter a date like 2027-03-01.");
                None
            }
        },
    }
}

/// An optional id from a `<select>`: empty means none.
pub fn optional_id(
    errors: &mut FieldErrors,
    field: &'static str,
    input: &str,
) -> Option<uuid::Uuid> {
    let v = input.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            errors.add(field, "Choose one of the options.");
            None
        }
    }
}

/// The longest reason a transition keeps (and an approver's comment, which
/// becomes one): a few paragraphs.
pub const REASON_MAX: usize = 5_000;

// The choices of a requirement's facts that approval workflows' conditions
// read too (an offer will have an employment type as well).
pub const EMPLOYMENT_TYPES: [(&str, &str); 5] = [
    ("full_time", "Full-time"),
    ("part_time", "Part-time"),
    ("contract", "Contract"),
    ("intern", "Intern"),
    ("temporary", "Temporary"),
];
pub const REASONS: [(&str, &str); 2] = [("new", "New headcount"), ("backfill", "Backfill")];

/// The label of `value` in one of the choice lists (these, and the
/// requirement's own).
pub fn label(choices: &[(&'static str, &'static str)], value: &str) -> &'static str {
    choices
        .iter()
        .find(|(v, _)| *v == value)
        .map_or("", |(_, l)| l)
}

/// Stores an enum as the text its `as_str` gives and reads it back with its
/// `parse`: a value the code does not know is a decoding error, never a
/// guess (a status nobody wrote must not read as a draft).
#[macro_export]
macro_rules! text_enum {
    ($t:ty) => {
        impl sqlx::Type<sqlx::Postgres> for $t {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $t {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode(self.as_str(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $t {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$t>::parse(s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)).into())
            }
        }
    };
}

/// A salary range as shown: "60,000–80,000 EUR".
pub fn range(min: i64, max: i64, currency: &str) -> String {
    format!("{}–{} {currency}", amount(&min), amount(&max))
}

/// An amount with its thousands grouped: 1234567 → "1,234,567". By
/// reference, as templates pass their values.
pub fn amount(n: &i64) -> String {
    let n = *n;
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        grouped.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(d);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_group_their_thousands() {
        assert_eq!(amount(&0), "0");
        assert_eq!(amount(&999), "999");
        assert_eq!(amount(&1000), "1,000");
        assert_eq!(amount(&88000), "88,000");
        assert_eq!(amount(&1234567), "1,234,567");
        assert_eq!(amount(&-45000), "-45,000");
    }

    #[test]
    fn a_cursor_reads_back_as_written() {
        let a = After {
            at: chrono::DateTime::from_timestamp_micros(1_796_000_000_123_456).unwrap(),
            id: uuid::Uuid::new_v4(),
        };
        assert_eq!(After::parse(&a.param()), Some(a));
        assert!(!a.param().contains('+'));
        assert_eq!(After::parse("2026-12-01T10:00:00Z"), None);
        assert_eq!(
            After::parse("yesterday,00000000-0000-0000-0000-000000000000"),
            None
        );
    }

    #[test]
    fn like_wildcards_match_only_themselves() {
        assert_eq!(like_escaped("50%_a\\b"), "50\\%\\_a\\\\b");
        assert_eq!(like_escaped("plain"), "plain");
    }
}
