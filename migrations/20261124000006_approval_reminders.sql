-- When a task's step started (its SLA runs from there), and the reminders
-- and escalations sent for it. The unique key makes each one go out once
-- per task, whichever process (and however many) runs the check.
alter table approval_tasks add column started_at timestamptz;
update approval_tasks set started_at = created_at where status <> 'waiting';

create table approval_reminders (
    task_id uuid not null references approval_tasks (id),
    kind    text not null check (kind in ('reminder', 'escalation')),
    sent_at timestamptz not null default now(),
    primary key (task_id, kind)
);
