-- Each inbox tab reads a page of rows from its own index alone (index-only),
-- then only those rows' subjects: each index holds what a row shows of its
-- task and which subject it is on, so neither the tasks nor the approvals
-- are read for a page, and "waiting for a person" leaves out the subjects
-- they are named on without going through the approvals.
--
-- A task's subject is its approval's, copied here by a trigger (so every
-- insert, the app's, seed-load's or a test's, gets it right without naming
-- it); an approval never moves to another subject.
alter table approval_tasks add column subject_type text, add column subject_id uuid;
update approval_tasks t set subject_type = a.subject_type, subject_id = a.subject_id
  from approvals a where a.id = t.approval_id;
alter table approval_tasks
    alter column subject_type set not null,
    alter column subject_id set not null;

create function approval_tasks_subject() returns trigger
    language plpgsql as $$
begin
    select subject_type, subject_id into strict new.subject_type, new.subject_id
      from approvals where id = new.approval_id;
    return new;
end $$;
create trigger approval_tasks_subject
    before insert or update of approval_id on approval_tasks
    for each row execute function approval_tasks_subject();

-- "waiting": an approver's pending tasks, the longest waiting first (also
-- what the navigation's count and the home page read).
drop index approval_tasks_waiting_idx;
create index approval_tasks_waiting_idx on approval_tasks (approver_id, started_at, id)
    include (subject_type, subject_id, step_name)
    where status = 'pending';
-- "decided": what a person decided, the newest first (walked backwards).
drop index approval_tasks_decided_idx;
create index approval_tasks_decided_idx on approval_tasks (decided_by, decided_at, id)
    include (subject_type, subject_id, step_name, status)
    where status in ('approved', 'rejected', 'changes_requested');
