//! Overdue approvals: reminders, then escalation.

use super::engine::{about, name_of};
use super::subject::{SubjectKind, SubjectRef};
use crate::domain::Error;
use crate::domain::activity::audit::{self, Actor, Changes};
use crate::domain::activity::notify::{self, Event, Notice};
use crate::domain::messaging::{Letters, outbox};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Whole weekdays (Monday to Friday) from `start` to `now`: SLAs count
/// business days, so a Friday request is not overdue on Monday morning.
pub fn business_days_between(start: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    use chrono::Datelike;
    let mut days = 0;
    let mut day = start;
    while day + chrono::Duration::days(1) <= now {
        day += chrono::Duration::days(1);
        if day.weekday().number_from_monday() <= 5 {
            days += 1;
        }
    }
    days
}

/// Reminds approvers whose task is past its step's SLA, and after a second
/// SLA tells their manager and the admins. Each goes out once per task: the
/// reminder row is claimed before the mail is queued, in one transaction,
/// so processes running this at the same moment cannot both send.
pub async fn remind_overdue(
    conn: &mut PgConnection,
    mail: &dyn Letters,
    now: DateTime<Utc>,
) -> Result<usize, Error> {
    #[derive(sqlx::FromRow)]
    struct Pending {
        id: Uuid,
        approver_id: Uuid,
        started_at: DateTime<Utc>,
        sla_hours: i32,
        subject_type: SubjectKind,
        subject_id: Uuid,
    }
    let pending: Vec<Pending> = sqlx::query_as(
        "select t.id, t.approver_id, t.started_at, t.sla_hours, a.subject_type, a.subject_id
           from approval_tasks t
           join approvals a on a.id = t.approval_id
          where t.status = 'pending' and t.started_at is not null
            -- Escalated tasks are done with: with thousands waiting, each
            -- tick would otherwise re-claim every one of them.
            and not exists (select 1 from approval_reminders r where r.task_id = t.id and r.kind = 'escalation')",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut sent = 0;
    for task in pending {
        let (task_id, approver, started) = (task.id, task.approver_id, task.started_at);
        let (sla_hours, subject_kind, subject_id) =
            (task.sla_hours, task.subject_type, task.subject_id);
        let sla_days = ((i64::from(sla_hours) + 23) / 24).max(1);
        let waited = business_days_between(started, now);
        for (kind, due) in [("reminder", sla_days), ("escalation", 2 * sla_days)] {
            if waited < due {
                continue;
            }
            let claimed = sqlx::query("insert into approval_reminders (task_id, kind) values ($1, $2) on conflict do nothing")
                .bind(task_id)
                .bind(kind)
                .execute(&mut *conn)
                .await?;
            if claimed.rows_affected() == 0 {
                continue;
            }
            let r = about(&mut *conn, SubjectRef::new(subject_kind, subject_id)).await?;
            let name = name_of(conn, Some(approver)).await?;
            let recipients: Vec<Uuid> = if kind == "reminder" {
                vec![approver]
            } else {
                sqlx::query_scalar(
                    "select id from users
                      where deactivated_at is null
                        and (id = (select manager_id from users where id = $1)
                             or roles && array['admin', 'super_admin'])",
                )
                .bind(approver)
                .fetch_all(&mut *conn)
                .await?
            };
            let what = if kind == "reminder" {
                "is overdue for your approval".to_owned()
            } else {
                format!("is overdue with {name}")
            };
            let notice = Notice::task(Event::ApprovalReminder, &r.named(), task_id, &what, None);
            for to in notify::notify(&mut *conn, &notice, &recipients).await? {
                let m = mail.approval_overdue(
                    &to.email,
                    &to.full_name,
                    &r,
                    task_id,
                    &name,
                    kind == "escalation",
                    waited,
                )?;
                outbox::queue(&mut *conn, &m).await?;
                sent += 1;
            }
            let c = Changes::new()
                .created("kind", &kind)
                .created("business_days_waited", &waited);
            audit::record(
                &mut *conn,
                &Actor::system(),
                if kind == "reminder" {
                    audit::Action::ApprovalReminder
                } else {
                    audit::Action::ApprovalEscalation
                },
                audit::Entity::ApprovalTask,
                Some(task_id),
                c,
            )
            .await?;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::business_days_between;
    use chrono::{TimeZone, Utc};

    #[test]
    fn slas_count_weekdays_only() {
        let friday = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let tuesday = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        assert_eq!(business_days_between(friday, monday), 1);
        assert_eq!(business_days_between(friday, tuesday), 2);
        assert_eq!(business_days_between(monday, tuesday), 1);
        assert_eq!(business_days_between(monday, monday), 0);
    }
}
