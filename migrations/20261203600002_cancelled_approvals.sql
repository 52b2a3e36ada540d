-- Deleting or cancelling a subject calls off its approval in progress: the
-- tasks not yet decided, and the approval itself, become 'cancelled' (a
-- state of its own: "superseded" means a step ended without needing the
-- task, not that the whole request went away), and the links mailed for
-- them are void. After the approvals named their subject
-- (20261203500001_approval_subjects.sql).
alter table approvals drop constraint approvals_status_check;
alter table approvals add constraint approvals_status_check
    check (status in ('pending', 'approved', 'rejected', 'changes_requested', 'cancelled'));

alter table approval_tasks drop constraint approval_tasks_status_check;
alter table approval_tasks add constraint approval_tasks_status_check
    check (status in ('waiting', 'pending', 'approved', 'rejected', 'changes_requested',
                      'superseded', 'cancelled'));

-- When a mailed link was voided (its task cancelled); it then opens nothing,
-- and says why.
alter table approval_links add column voided_at timestamptz;

-- Tasks of requirements deleted or cancelled before this migration are
-- called off the same way (without audit rows: no person did it, and the
-- requirement's own deletion or cancellation is in the audit log).
with gone as (
    update approval_tasks t set status = 'cancelled', decided_at = now()
      from approvals a join requirements r on a.subject_type = 'requirement' and r.id = a.subject_id
     where a.id = t.approval_id and (r.deleted_at is not null or r.status = 'cancelled')
       and t.status in ('pending', 'waiting')
    returning t.id)
update approval_links l set voided_at = now() from gone where l.task_id = gone.id;
update approvals a set status = 'cancelled', decided_at = now()
  from requirements r
 where a.subject_type = 'requirement' and r.id = a.subject_id
   and (r.deleted_at is not null or r.status = 'cancelled')
   and a.status = 'pending';

-- Whether only some people may see a subject (a confidential requirement):
-- a live event about one reaches only them (`crate::live`). A column added
-- at the end, so the view's other readers are unchanged.
create or replace view approval_subjects as
select 'requirement'::text as kind, r.id, r.reference, r.title, r.version,
       r.deleted_at is not null as deleted,
       array_remove(array[r.hiring_manager_id, r.created_by, r.recruiter_id], null) as people,
       r.confidential
  from requirements r;
