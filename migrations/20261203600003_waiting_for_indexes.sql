-- "Waiting for a person" (the inbox, the home page, and the navigation's
-- count on every page) leaves out the subjects that person requested or
-- works on. It finds them from the subjects' side, once per statement
-- instead of a probe per waiting task, through this view: the own people
-- of each subject that can have tasks waiting (deleting or cancelling one
-- calls its approval off), one row a person, one branch per kind and role
-- (so a lookup by person uses the index under each branch).
create view approval_pending_people as
select 'requirement'::text as kind, r.id, r.hiring_manager_id as person
  from requirements r where r.status = 'pending_approval' and r.deleted_at is null
union all
select 'requirement'::text, r.id, r.created_by
  from requirements r where r.status = 'pending_approval' and r.deleted_at is null
union all
select 'requirement'::text, r.id, r.recruiter_id
  from requirements r where r.status = 'pending_approval' and r.deleted_at is null
   and r.recruiter_id is not null;

-- Small: only requirements pending approval.
create index requirements_pending_hm_idx on requirements (hiring_manager_id)
    where status = 'pending_approval' and deleted_at is null;
create index requirements_pending_creator_idx on requirements (created_by)
    where status = 'pending_approval' and deleted_at is null;
create index requirements_pending_recruiter_idx on requirements (recruiter_id)
    where status = 'pending_approval' and deleted_at is null;
