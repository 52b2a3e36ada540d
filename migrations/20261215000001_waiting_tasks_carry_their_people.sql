-- "Waiting for a person" (the approvals badge on every page, the inbox,
-- the home page) leaves out the subjects that person is named on. It found
-- them from the subjects' side, through the `approval_pending_people` view:
-- five index scans started on every page, a third of the session's
-- statement (pgbench on the bench database: 0.38 ms a load with them, 0.27
-- without). Each pending task now carries its subject's people, in the
-- waiting index beside the rest of what the walk reads, so the check is a
-- comparison on the row in hand; the view and its indexes go.
--
-- The people are the `approval_subjects` view's (one definition for every
-- kind), copied when a task is made and again whenever they change on a
-- subject with tasks open (pending, or waiting for an earlier step, which
-- become pending as they are): triggers, so that every write, the app's,
-- seed-load's or a test's, keeps them right without naming them. A task
-- made decided (seed-load's history) needs none.
alter table approval_tasks add column subject_people uuid[] not null default '{}';

create function approval_subject_people(kind text, subject uuid) returns uuid[]
    language sql stable as $$
    select coalesce((select s.people from approval_subjects s where s.kind = $1 and s.id = $2), '{}')
$$;

create or replace function approval_tasks_subject() returns trigger
    language plpgsql as $$
begin
    select subject_type, subject_id into strict new.subject_type, new.subject_id
      from approvals where id = new.approval_id;
    if new.status in ('pending', 'waiting') then
        new.subject_people := approval_subject_people(new.subject_type, new.subject_id);
    end if;
    return new;
end $$;

-- The open tasks on one subject take its people again.
create function approval_tasks_people_of(kind text, subject uuid) returns void
    language sql as $$
    update approval_tasks t set subject_people = approval_subject_people($1, $2)
     where t.status in ('pending', 'waiting')
       and t.approval_id in (select a.id from approvals a where a.subject_type = $1 and a.subject_id = $2)
$$;

-- A requirement's people are its own and those of its offers (their
-- recruiter is the requirement's).
create function requirements_approval_people() returns trigger
    language plpgsql as $$
begin
    perform approval_tasks_people_of('requirement', new.id);
    perform approval_tasks_people_of('offer', o.id)
       from offers o join applications a on a.id = o.application_id
      where a.requirement_id = new.id and o.status = 'pending_approval';
    return null;
end $$;
create trigger requirements_approval_people
    after update of hiring_manager_id, created_by, recruiter_id on requirements
    for each row
    when (old.hiring_manager_id is distinct from new.hiring_manager_id
       or old.created_by is distinct from new.created_by
       or old.recruiter_id is distinct from new.recruiter_id)
    execute function requirements_approval_people();

create function offers_approval_people() returns trigger
    language plpgsql as $$
begin
    perform approval_tasks_people_of('offer', new.id);
    return null;
end $$;
create trigger offers_approval_people
    after update of created_by on offers
    for each row when (old.created_by is distinct from new.created_by)
    execute function offers_approval_people();

update approval_tasks t set subject_people = approval_subject_people(t.subject_type, t.subject_id)
 where t.status in ('pending', 'waiting');

drop index approval_tasks_waiting_idx;
create index approval_tasks_waiting_idx on approval_tasks (approver_id, started_at, id)
    include (subject_type, subject_id, step_name, subject_people)
    where status = 'pending';

drop view approval_pending_people;
drop index requirements_pending_hm_idx;
drop index requirements_pending_creator_idx;
drop index requirements_pending_recruiter_idx;
drop index offers_pending_creator_idx;
