-- Two records of one person merged into one, and split back while neither
-- has changed since.

-- A merged-away record: hidden (deleted_at), pointing at the one it became
-- part of, so that its old links still lead somewhere.
alter table candidates add column merged_into uuid references candidates (id);

-- What a merge moved and overwrote, so that it can be undone exactly:
-- the kept record's values before (a row image), the addresses,
-- applications, files and comments that came from the other record, and
-- both records' versions right after (a split needs both unchanged).
create table candidate_merges (
    id                 uuid primary key default gen_random_uuid(),
    kept_id            uuid not null references candidates (id),
    merged_id          uuid not null references candidates (id),
    kept_before        jsonb not null,
    moved_emails       text[] not null,
    moved_applications uuid[] not null,
    moved_files        uuid[] not null,
    moved_comments     uuid[] not null,
    kept_version       integer not null,
    merged_version     integer not null,
    merged_by          uuid references users (id),
    merged_at          timestamptz not null default now(),
    split_by           uuid references users (id),
    split_at           timestamptz,
    check (kept_id <> merged_id)
);
create index candidate_merges_kept_idx on candidate_merges (kept_id, merged_at desc);
create index candidates_merged_into_idx on candidates (merged_into) where merged_into is not null;

-- A merged-away record's history shows on the record it became part of.
create or replace view subject_audit as
select 'requirement'::text as subject_type, a.entity_id as subject_id, a.id as audit_id
  from audit_logs a
 where a.entity_type = 'requirement'
union all
select 'requirement', o.requirement_id, a.id
  from audit_logs a
  join openings o on o.id = a.entity_id
 where a.entity_type = 'opening'
union all
select p.subject_type, p.subject_id, a.id
  from audit_logs a
  join approval_tasks t on t.id = a.entity_id
  join approvals p on p.id = t.approval_id
 where a.entity_type = 'approval_task'
union all
select 'candidate', a.entity_id, a.id
  from audit_logs a
 where a.entity_type = 'candidate'
union all
select 'candidate', c.merged_into, a.id
  from audit_logs a
  join candidates c on c.id = a.entity_id
 where a.entity_type = 'candidate' and c.merged_into is not null
   -- Its "merged into another" is told by the record kept, once.
   and a.action <> 'candidate.merged_away'
union all
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join applications p on p.id = a.entity_id
 where a.entity_type = 'application';
