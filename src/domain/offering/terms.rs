//! An offer's terms: what the form takes, what a version holds, how two
//! versions differ, and how money is written.

use crate::domain::activity::history::FieldChange;
use crate::domain::kernel::{
    EMPLOYMENT_TYPES, FieldErrors, amount, label, optional_date, optional_text,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a salary is paid per, in the words of the form and the letter.
pub const PERIODS: [(&str, &str); 3] = [
    ("year", "a year"),
    ("month", "a month"),
    ("hour", "an hour"),
];

/// The longest free text of a term (bonus, equity, location).
const TERM_MAX: usize = 300;
/// The longest note.
const NOTES_MAX: usize = 5_000;
/// The largest amount a form takes, in whole units: more is a typo.
const LARGEST: i64 = 1_000_000_000;

/// The terms' labels, in the order pages show them.
pub const LABELS: [&str; 10] = [
    "Salary",
    "Bonus",
    "Equity",
    "Sign-on bonus",
    "Start date",
    "Expires",
    "Location",
    "Employment",
    "Notes",
    "Currency",
];

/// One version's terms. Money in minor units (cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Terms {
    pub salary_minor: i64,
    pub currency: String,
    pub period: String,
    pub bonus: String,
    pub equity: String,
    pub sign_on_minor: i64,
    pub start_date: NaiveDate,
    pub expires_on: NaiveDate,
    pub location: String,
    pub employment_type: String,
    pub notes: String,
}

impl Terms {
    /// "85,000 EUR a year", "22.50 USD an hour".
    pub fn salary(&self) -> String {
        format!(
            "{} {} {}",
            money(self.salary_minor),
            self.currency,
            label(&PERIODS, &self.period)
        )
    }

    /// "5,000 EUR", or "" without one.
    pub fn sign_on(&self) -> String {
        if self.sign_on_minor == 0 {
            String::new()
        } else {
            format!("{} {}", money(self.sign_on_minor), self.currency)
        }
    }

    pub fn employment(&self) -> &'static str {
        label(&EMPLOYMENT_TYPES, &self.employment_type)
    }

    /// The salary over a year, in whole units: what a level's band and a
    /// workflow's "amount over" compare with (a year of 2,080 hours).
    pub fn yearly(&self) -> i64 {
        let per_year = match self.period.as_str() {
            "month" => 12,
            "hour" => 2_080,
            _ => 1,
        };
        self.salary_minor.saturating_mul(per_year) / 100
    }

    /// The terms as a list of (label, value), in the order of [`LABELS`].
    pub fn described(&self) -> [(&'static str, String); 10] {
        let date = |d: &NaiveDate| d.format("%-d %B %Y").to_string();
        [
            ("Salary", self.salary()),
            ("Bonus", self.bonus.clone()),
            ("Equity", self.equity.clone()),
            ("Sign-on bonus", self.sign_on()),
            ("Start date", date(&self.start_date)),
            ("Expires", date(&self.expires_on)),
            ("Location", self.location.clone()),
            ("Employment", self.employment().to_owned()),
            ("Notes", self.notes.clone()),
            ("Currency", self.currency.clone()),
        ]
    }

    /// The terms as pages list them: (label, value), the currency shown in
    /// the amounts.
    pub fn listed(&self) -> Vec<(&'static str, String)> {
        self.described()
            .into_iter()
            .filter(|(label, _)| *label != "Currency")
            .collect()
    }

    /// What changed from `earlier` to these, field by field.
    pub fn changes_since(&self, earlier: &Terms) -> Vec<FieldChange> {
        let dash = |s: String| if s.is_empty() { "—".to_owned() } else { s };
        earlier
            .described()
            .into_iter()
            .zip(self.described())
            // The currency shows in the amounts.
            .filter(|((label, _), _)| *label != "Currency")
            .filter(|((_, before), (_, after))| before != after)
            .map(|((label, before), (_, after))| FieldChange {
                label,
                before: dash(before),
                after: dash(after),
            })
            .collect()
    }
}

/// Minor units as written: "85,000", "22.50".
pub fn money(minor: i64) -> String {
    let whole = amount(&(minor / 100));
    match minor % 100 {
        0 => whole,
        cents => format!("{whole}.{:02}", cents.abs()),
    }
}

/// An amount as typed ("85000", "85,000", "85 000", "22.50") in minor
/// units, or None when it is not one.
fn parse_money(input: &str) -> Option<i64> {
    let v: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\u{a0}'))
        .collect();
    let (whole, cents) = v.split_once('.').unwrap_or((&v, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || cents.len() > 2
        || !cents.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok().filter(|w| *w <= LARGEST)?;
    let cents: i64 = format!("{cents:0<2}").parse().ok()?;
    Some(whole * 100 + cents)
}

/// The form's input, kept as typed so it can be shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TermsForm {
    pub salary: String,
    pub currency: String,
    pub period: String,
    pub bonus: String,
    pub equity: String,
    pub sign_on: String,
    pub start_date: String,
    pub expires_on: String,
    pub location: String,
    pub employment_type: String,
    pub notes: String,
    /// The opening it fills (chosen on a new offer).
    pub opening_id: String,
    /// The offer's version the change applies over.
    pub version: i32,
}

impl TermsForm {
    pub fn of(t: &Terms) -> TermsForm {
        TermsForm {
            salary: money(t.salary_minor),
            currency: t.currency.clone(),
            period: t.period.clone(),
            bonus: t.bonus.clone(),
            equity: t.equity.clone(),
            sign_on: if t.sign_on_minor == 0 {
                String::new()
            } else {
                money(t.sign_on_minor)
            },
            start_date: t.start_date.to_string(),
            expires_on: t.expires_on.to_string(),
            location: t.location.clone(),
            employment_type: t.employment_type.clone(),
            notes: t.notes.clone(),
            opening_id: String::new(),
            version: 0,
        }
    }

    /// The terms, or each problem beside its field. Dates must not be in
    /// the past (`today`), and the offer expires by the start date.
    pub fn parse(&self, today: NaiveDate) -> Result<Terms, FieldErrors> {
        let mut e = FieldErrors::default();
        let salary = match parse_money(&self.salary) {
            Some(n) if n > 0 => n,
            _ => {
                e.add(
                    "salary",
                    "Enter the salary as a number, like 85000 or 22.50.",
                );
                0
            }
        };
        let sign_on = match self.sign_on.trim() {
            "" => 0,
            v => parse_money(v).unwrap_or_else(|| {
                e.add(
                    "sign_on",
                    "Enter the sign-on bonus as a number, or leave it empty.",
                );
                0
            }),
        };
        let currency = self.currency.trim().to_uppercase();
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            e.add("currency", "Enter a three-letter currency code, like EUR.");
        }
        if !PERIODS.iter().any(|(k, _)| *k == self.period) {
            e.add("period", "Choose what the salary is paid per.");
        }
        if !EMPLOYMENT_TYPES
            .iter()
            .any(|(k, _)| *k == self.employment_type)
        {
            e.add("employment_type", "Choose one of the options.");
        }
        let mut date = |field: &'static str, input: &str, missing: &str| {
            if input.trim().is_empty() {
                e.add(field, missing);
                return None;
            }
            let d = optional_date(&mut e, field, input)?;
            if d < today {
                e.add(field, "Choose today or a later date.");
            }
            Some(d)
        };
        let start = date("start_date", &self.start_date, "Enter the start date.");
        let expires = date(
            "expires_on",
            &self.expires_on,
            "Enter when the offer expires.",
        );
        if let (Some(s), Some(x)) = (start, expires)
            && x > s
        {
            e.add("expires_on", "The offer must expire by the start date.");
        }
        let terms = Terms {
            salary_minor: salary,
            currency,
            period: self.period.clone(),
            bonus: optional_text(&mut e, "bonus", &self.bonus, TERM_MAX),
            equity: optional_text(&mut e, "equity", &self.equity, TERM_MAX),
            sign_on_minor: sign_on,
            start_date: start.unwrap_or(today),
            expires_on: expires.unwrap_or(today),
            location: optional_text(&mut e, "location", &self.location, TERM_MAX),
            employment_type: self.employment_type.clone(),
            notes: optional_text(&mut e, "notes", &self.notes, NOTES_MAX),
        };
        e.into_result(|| terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> TermsForm {
        TermsForm {
            salary: "85,000".into(),
            currency: "eur".into(),
            period: "year".into(),
            start_date: "2027-03-01".into(),
            expires_on: "2027-02-01".into(),
            employment_type: "full_time".into(),
            ..TermsForm::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 10).unwrap()
    }

    #[test]
    fn money_reads_as_people_type_it() {
        assert_eq!(parse_money("85,000"), Some(8_500_000));
        assert_eq!(parse_money(" 85 000 "), Some(8_500_000));
        assert_eq!(parse_money("22.5"), Some(2_250));
        assert_eq!(parse_money("22.50"), Some(2_250));
        assert_eq!(parse_money("22.505"), None);
        assert_eq!(parse_money("-5"), None);
        assert_eq!(parse_money("1e9"), None);
        assert_eq!(parse_money("99999999999999999999"), None);
        assert_eq!(money(8_500_000), "85,000");
        assert_eq!(money(2_250), "22.50");
    }

    #[test]
    fn a_good_form_makes_terms() {
        let t = form().parse(today()).unwrap();
        assert_eq!(t.salary(), "85,000 EUR a year");
        assert_eq!(t.yearly(), 85_000);
        let hourly = Terms {
            salary_minor: 5_000,
            period: "hour".into(),
            ..t
        };
        assert_eq!(hourly.yearly(), 104_000);
    }

    #[test]
    fn each_problem_is_beside_its_field() {
        let bad = TermsForm {
            salary: "lots".into(),
            currency: "euro".into(),
            period: "week".into(),
            start_date: "2027-01-01".into(),
            expires_on: "".into(),
            notes: "a\0b".into(),
            ..form()
        };
        let e = bad.parse(today()).unwrap_err();
        for field in [
            "salary",
            "currency",
            "period",
            "start_date",
            "expires_on",
            "notes",
        ] {
            assert!(e.get(field).is_some(), "{field} has no problem");
        }
        let late = TermsForm {
            expires_on: "2027-04-01".into(),
            ..form()
        };
        let e = late.parse(today()).unwrap_err();
        assert_eq!(
            e.get("expires_on"),
            Some("The offer must expire by the start date.")
        );
    }

    #[test]
    fn versions_differ_field_by_field() {
        let a = form().parse(today()).unwrap();
        let b = Terms {
            salary_minor: 9_000_000,
            bonus: "10% target".into(),
            ..a.clone()
        };
        let changes = b.changes_since(&a);
        let labels: Vec<_> = changes.iter().map(|c| c.label).collect();
        assert_eq!(labels, ["Salary", "Bonus"]);
        assert_eq!(changes[0].before, "85,000 EUR a year");
        assert_eq!(changes[0].after, "90,000 EUR a year");
        assert_eq!(changes[1].before, "—");
    }
}
