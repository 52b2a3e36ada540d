-- The approval engine approves subjects (a requirement today, an offer
-- next), not requirements: an approval names its subject by kind and id.
-- Every approval so far is of a requirement, so each keeps its meaning.
alter table approvals
    add column subject_type text check (subject_type in ('requirement', 'offer')),
    add column subject_id   uuid;
update approvals set subject_type = 'requirement', subject_id = requirement_id;
alter table approvals
    alter column subject_type set not null,
    alter column subject_id set not null;
-- "The approvals of this subject, newest first" (the trail, the latest
-- round, the last approved values).
create index approvals_subject_idx on approvals (subject_type, subject_id, created_at desc);
drop index approvals_requirement_idx;
alter table approvals drop column requirement_id;

-- A mailed link is bound to the version of the subject it was mailed about.
alter table approval_links rename column requirement_version to subject_version;

-- The subjects as the engine's set-based reads (the inbox, the trail, a
-- mailed link's check) see them, one branch per kind with the same
-- columns: how a line names it, its version, whether it is gone, and its
-- own people (who requested it or work on it: they never decide on it).
-- The subject's area says the same in Rust (`approval::subject::About`).
create view approval_subjects as
select 'requirement'::text as kind, r.id, r.reference, r.title, r.version,
       r.deleted_at is not null as deleted,
       array_remove(array[r.hiring_manager_id, r.created_by, r.recruiter_id], null) as people
  from requirements r;
