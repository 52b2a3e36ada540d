//! Reminders of missing scorecards: the first an hour after the interview
//! ends, then one each business day (in the interviewer's time zone) up to
//! ten days after; after two business days the recruiter is told too.
//! An interview not yet over never causes one. Each reminder is a row
//! claimed by the statement that decides it is due, so however many
//! processes run this at once, it goes once.

use crate::domain::Error;
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::messaging::Letters;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
struct Due {
    interview_id: Uuid,
    user_id: Uuid,
    kind: String,
    interviewer: String,
    candidate_name: String,
    round_name: String,
    reference: String,
    title: String,
    /// Whom an escalation tells: the recruiter, or the hiring manager.
    recruiter: Uuid,
}

/// Sends the reminders and escalations due at `now`; returns how many.
pub async fn send_due(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    let due: Vec<Due> = sqlx::query_as(
        "with owed as (
           select p.interview_id, p.user_id,
                  ($1::timestamptz at time zone u.time_zone)::date as today,
                  (i.ends_at at time zone u.time_zone)::date as end_day
             from interviews i
             join interview_panel p on p.interview_id = i.id
             join users u on u.id = p.user_id
            where i.status in ('scheduled', 'completed')
              and i.ends_at <= $1 - interval '1 hour' and i.ends_at > $1 - interval '12 days'
              and u.deactivated_at is null
              and not exists (select from scorecards s
                               where s.interview_id = p.interview_id and s.author_id = p.user_id)),
         claimed as (
           insert into scorecard_reminders (interview_id, user_id, kind, day)
           select interview_id, user_id, 'reminder', today from owed o
            where today <= end_day + 10
              and (extract(isodow from today) < 6
                   or not exists (select from scorecard_reminders r
                                   where r.interview_id = o.interview_id and r.user_id = o.user_id
                                     and r.kind = 'reminder'))
           union all
           select interview_id, user_id, 'escalation', end_day from owed o
            where (select count(*) from generate_series(end_day + 1, today, interval '1 day') g
                    where extract(isodow from g) < 6) >= 2
           on conflict do nothing
           returning interview_id, user_id, kind)
         select c.interview_id, c.user_id, c.kind, u.full_name as interviewer,
                cd.full_name as candidate_name, i.round_name, r.reference, r.title,
                coalesce(r.recruiter_id, r.hiring_manager_id) as recruiter
           from claimed c
           join users u on u.id = c.user_id
           join interviews i on i.id = c.interview_id
           join applications a on a.id = i.application_id
           join candidates cd on cd.id = a.candidate_id
           join requirements r on r.id = a.requirement_id
          order by c.interview_id, c.user_id",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await?;
    for d in &due {
        let (text, to) = if d.kind == "escalation" {
            (
                format!(
                    "{}'s scorecard for {} ({}) is two business days late, {} {}",
                    d.interviewer, d.candidate_name, d.round_name, d.reference, d.title
                ),
                d.recruiter,
            )
        } else {
            (
                format!(
                    "Your scorecard for {} ({}) is waiting, {} {}",
                    d.candidate_name, d.round_name, d.reference, d.title
                ),
                d.user_id,
            )
        };
        let notice = Notice {
            event: Event::FeedbackOverdue,
            subject_type: "interview",
            subject_id: d.interview_id,
            text,
            link: format!("/interviews/{}", d.interview_id),
            actor: None,
        };
        notify::tell(&mut *conn, mail, &notice, &[to]).await?;
    }
    Ok(due.len())
}
