//! Scorecards: each panel member's ratings of the round's attributes, an
//! overall recommendation, take-aways and private notes. Blind: a panel
//! member sees the others' only once theirs is in; the requirement's
//! hiring manager, recruiters and admins see them all. Amending keeps the
//! version before.

use super::{Interview, InterviewId, Seat, plan};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Action, Changes, Entity};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::kernel::{FieldErrors, optional_text};
use crate::domain::messaging::Letters;
use crate::domain::recruiting::application::Who;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// The 1–4 scale of a rating and of the overall recommendation (which may
/// also be "no decision").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    StrongNo,
    No,
    Yes,
    StrongYes,
    NoDecision,
}

impl Recommendation {
    pub const ALL: [Recommendation; 5] = [
        Recommendation::StrongNo,
        Recommendation::No,
        Recommendation::Yes,
        Recommendation::StrongYes,
        Recommendation::NoDecision,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::StrongNo => "strong_no",
            Recommendation::No => "no",
            Recommendation::Yes => "yes",
            Recommendation::StrongYes => "strong_yes",
            Recommendation::NoDecision => "no_decision",
        }
    }

    pub fn parse(s: &str) -> Option<Recommendation> {
        Recommendation::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Recommendation::StrongNo => "Strong no",
            Recommendation::No => "No",
            Recommendation::Yes => "Yes",
            Recommendation::StrongYes => "Strong yes",
            Recommendation::NoDecision => "No decision",
        }
    }
}

crate::text_enum!(Recommendation);

/// The label of a rating, 1 (strong no) to 4 (strong yes).
pub fn rating_label(rating: u8) -> &'static str {
    match rating {
        1 => "Strong no",
        2 => "No",
        3 => "Yes",
        4 => "Strong yes",
        _ => "",
    }
}

/// One attribute's rating (none: not assessed) and note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub attribute: String,
    pub rating: Option<u8>,
    pub note: String,
}

/// A submitted scorecard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Scorecard {
    pub id: Uuid,
    pub interview_id: Uuid,
    pub author_id: Uuid,
    pub author_name: String,
    pub ratings: sqlx::types::Json<Vec<Rating>>,
    pub recommendation: Recommendation,
    pub takeaways: String,
    pub private_notes: String,
    pub submitted_at: DateTime<Utc>,
    pub version: i32,
}

/// The form as typed: per attribute of the round, in its order, a rating
/// ("1"–"4" or "") and a note.
#[derive(Debug, Clone, Default)]
pub struct ScorecardForm {
    pub ratings: Vec<(String, String)>,
    pub recommendation: String,
    pub takeaways: String,
    pub private_notes: String,
    /// The version amended; 0 for a first submission.
    pub version: i32,
}

impl ScorecardForm {
    pub fn of(s: &Scorecard, attributes: &[String]) -> ScorecardForm {
        ScorecardForm {
            ratings: attributes
                .iter()
                .map(|a| {
                    s.ratings.iter().find(|r| &r.attribute == a).map_or_else(
                        Default::default,
                        |r| {
                            (
                                r.rating.map(|n| n.to_string()).unwrap_or_default(),
                                r.note.clone(),
                            )
                        },
                    )
                })
                .collect(),
            recommendation: s.recommendation.as_str().into(),
            takeaways: s.takeaways.clone(),
            private_notes: s.private_notes.clone(),
            version: s.version,
        }
    }

    /// The ratings and the rest, checked against the round's attributes.
    pub fn check(
        &self,
        attributes: &[String],
    ) -> Result<(Vec<Rating>, Recommendation, String, String), FieldErrors> {
        let mut e = FieldErrors::default();
        let mut ratings = Vec::new();
        for (n, attribute) in attributes.iter().enumerate() {
            let (rating, note) = self.ratings.get(n).cloned().unwrap_or_default();
            let rating = match rating.trim() {
                "" => None,
                r => match r.parse::<u8>() {
                    Ok(v @ 1..=4) => Some(v),
                    _ => {
                        e.add(
                            "ratings",
                            "Rate each attribute from strong no to strong yes.",
                        );
                        None
                    }
                },
            };
            let note = optional_text(&mut e, "ratings", &note, 2000);
            ratings.push(Rating {
                attribute: attribute.clone(),
                rating,
                note,
            });
        }
        let recommendation = Recommendation::parse(self.recommendation.trim());
        if recommendation.is_none() {
            e.add("recommendation", "Choose your overall recommendation.");
        }
        let takeaways = optional_text(&mut e, "takeaways", &self.takeaways, 10_000);
        let private_notes = optional_text(&mut e, "private_notes", &self.private_notes, 10_000);
        match recommendation {
            Some(r) if e.is_empty() => Ok((ratings, r, takeaways, private_notes)),
            _ => Err(e),
        }
    }
}

/// The attributes an interview's scorecard rates: its round's.
pub async fn attributes(
    conn: &mut PgConnection,
    interview: &Interview,
) -> Result<Vec<String>, sqlx::Error> {
    Ok(match interview.round_id {
        Some(r) => plan::round(conn, r)
            .await?
            .map(|r| r.attributes)
            .unwrap_or_default(),
        None => Vec::new(),
    })
}

macro_rules! scorecard_select {
    () => {
        "select s.id, s.interview_id, s.author_id, u.full_name as author_name, s.ratings,
                s.recommendation, s.takeaways, s.private_notes, s.submitted_at, s.version
           from scorecards s join users u on u.id = s.author_id "
    };
}

/// The scorecards of `interviews` that someone at `seat` (with or without
/// their own in) may read, by interview and author. Private notes are
/// kept from other panel members.
pub async fn visible(
    conn: &mut PgConnection,
    interviews: &[(InterviewId, Seat)],
    user: Uuid,
) -> Result<Vec<Scorecard>, sqlx::Error> {
    if interviews.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = interviews.iter().map(|(i, _)| i.uuid()).collect();
    let all: Vec<Scorecard> = sqlx::query_as(concat!(
        scorecard_select!(),
        "where s.interview_id = any($1) order by s.submitted_at, s.id"
    ))
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    let mine: Vec<Uuid> = all
        .iter()
        .filter(|s| s.author_id == user)
        .map(|s| s.interview_id)
        .collect();
    Ok(all
        .into_iter()
        .filter_map(|mut s| {
            let seat = interviews
                .iter()
                .find(|(i, _)| i.uuid() == s.interview_id)
                .map_or(Seat::None, |(_, seat)| *seat);
            match seat {
                Seat::Manager | Seat::Reader => Some(s),
                Seat::Panel if s.author_id == user => Some(s),
                Seat::Panel if mine.contains(&s.interview_id) => {
                    s.private_notes.clear();
                    Some(s)
                }
                _ => None,
            }
        })
        .collect())
}

/// The panel's ratings side by side: per attribute, each author's rating,
/// and whether they disagree (a yes and a no, or two points apart).
#[derive(Debug, Clone)]
pub struct Summary {
    pub authors: Vec<String>,
    pub rows: Vec<SummaryRow>,
    pub recommendations: Vec<Recommendation>,
}

#[derive(Debug, Clone)]
pub struct SummaryRow {
    pub attribute: String,
    /// Each author's rating and its label, in the order of the authors.
    pub ratings: Vec<Option<(u8, &'static str)>>,
    pub disagree: bool,
}

pub fn summary(cards: &[Scorecard]) -> Summary {
    let mut attributes: Vec<String> = Vec::new();
    for c in cards {
        for r in c.ratings.iter() {
            if !attributes.contains(&r.attribute) {
                attributes.push(r.attribute.clone());
            }
        }
    }
    let rows = attributes
        .into_iter()
        .map(|attribute| {
            let ratings: Vec<Option<u8>> = cards
                .iter()
                .map(|c| {
                    c.ratings
                        .iter()
                        .find(|r| r.attribute == attribute)
                        .and_then(|r| r.rating)
                })
                .collect();
            let given: Vec<u8> = ratings.iter().flatten().copied().collect();
            let (lo, hi) = (
                given.iter().min().copied().unwrap_or(0),
                given.iter().max().copied().unwrap_or(0),
            );
            SummaryRow {
                attribute,
                disagree: !given.is_empty() && (hi - lo >= 2 || (lo <= 2 && hi >= 3)),
                ratings: ratings
                    .into_iter()
                    .map(|r| r.map(|n| (n, rating_label(n))))
                    .collect(),
            }
        })
        .collect();
    Summary {
        authors: cards.iter().map(|c| c.author_name.clone()).collect(),
        rows,
        recommendations: cards.iter().map(|c| c.recommendation).collect(),
    }
}

/// Submits (or, with the version last seen, amends) the author's scorecard
/// of an interview they are on the panel of.
pub async fn submit(
    conn: &mut PgConnection,
    who: Who<'_>,
    mail: &dyn Letters,
    interview: InterviewId,
    form: &ScorecardForm,
) -> Result<(), Error> {
    let (i, _, panel) = super::seen_by(&mut *conn, interview, who.user, who.roles).await?;
    if !panel.iter().any(|p| p.user_id == who.user) {
        return Err(Error::Forbidden);
    }
    crate::domain::recruiting::candidate::takes_data(&mut *conn, i.candidate_id).await?;
    if !i.status.is_on() {
        return Err(Error::refused(
            "This interview did not take place: there is nothing to score.",
        ));
    }
    let attributes = attributes(&mut *conn, &i).await?;
    let (ratings, recommendation, takeaways, private_notes) = form.check(&attributes)?;
    let ratings = sqlx::types::Json(ratings);
    let existing: Option<(Uuid, i32)> = sqlx::query_as(
        "select id, version from scorecards where interview_id = $1 and author_id = $2 for update",
    )
    .bind(interview)
    .bind(who.user)
    .fetch_optional(&mut *conn)
    .await?;
    let (id, action) = match existing {
        None if form.version == 0 => {
            let id: Uuid = sqlx::query_scalar(
                "insert into scorecards (interview_id, author_id, ratings, recommendation, takeaways, private_notes)
                 values ($1, $2, $3, $4, $5, $6)
                 on conflict (interview_id, author_id) do nothing returning id",
            )
            .bind(interview)
            .bind(who.user)
            .bind(&ratings)
            .bind(recommendation)
            .bind(&takeaways)
            .bind(&private_notes)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| Error::refused("Your scorecard was sent already: reload the page."))?;
            (id, Action::ScorecardSubmitted)
        }
        Some((id, version)) if version == form.version => {
            sqlx::query(
                "insert into scorecard_versions (scorecard_id, version, ratings, recommendation, takeaways, private_notes, submitted_at)
                 select id, version, ratings, recommendation, takeaways, private_notes, submitted_at
                   from scorecards where id = $1",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "update scorecards set ratings = $2, recommendation = $3, takeaways = $4,
                        private_notes = $5, submitted_at = now(), version = version + 1
                  where id = $1",
            )
            .bind(id)
            .bind(&ratings)
            .bind(recommendation)
            .bind(&takeaways)
            .bind(&private_notes)
            .execute(&mut *conn)
            .await?;
            (id, Action::ScorecardAmended)
        }
        Some((id, _)) => {
            return Err(
                Error::stale_by(conn, Entity::Scorecard, id, "version", form.version).await,
            );
        }
        None => {
            return Err(Error::refused(
                "Your scorecard is not there any more: reload the page.",
            ));
        }
    };
    // What an interviewer thinks of a candidate is about that person: the
    // log records that it was given, never what it says.
    let version: i32 = sqlx::query_scalar("select version from scorecards where id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    audit::record(
        &mut *conn,
        who.actor,
        action,
        Entity::Scorecard,
        Some(id),
        Changes::new()
            .personal("scorecard", true)
            .created("version", &version),
    )
    .await?;
    if action == Action::ScorecardSubmitted {
        let notice = Notice {
            event: Event::FeedbackSubmitted,
            subject_type: "interview",
            subject_id: i.id.uuid(),
            text: format!(
                "{} sent their scorecard for {} ({}), {} {}",
                panel
                    .iter()
                    .find(|p| p.user_id == who.user)
                    .map_or("", |p| p.full_name.as_str()),
                i.candidate_name,
                i.round_name,
                i.reference,
                i.title
            ),
            link: format!("/interviews/{}", i.id),
            actor: Some(who.user),
        };
        let mut people = vec![i.hiring_manager_id];
        people.extend(i.recruiter_id);
        people.dedup();
        people.retain(|p| *p != who.user);
        notify::tell(&mut *conn, mail, &notice, &people).await?;
    }
    Ok(())
}

/// The versions an amended scorecard had, newest first.
pub async fn earlier(
    conn: &mut PgConnection,
    scorecard: Uuid,
) -> Result<Vec<(i32, Recommendation, DateTime<Utc>)>, sqlx::Error> {
    sqlx::query_as(
        "select version, recommendation, submitted_at from scorecard_versions
          where scorecard_id = $1 order by version desc",
    )
    .bind(scorecard)
    .fetch_all(conn)
    .await
}
