-- Recruiting: candidates (the person), applications (the person for one
-- requirement) and the stages an application moves through.

-- The stages of the pipeline. Rows with no requirement are the admins'
-- template; a requirement that needs its own takes a copy (rows naming
-- it), and then uses only those. `kind` is what a stage means to the app:
-- `active` stages are the pipeline proper, `hired` fills an opening, and
-- `rejected` and `withdrawn` are the two ends an application leaves by.
create table pipeline_stages (
    id             uuid primary key default gen_random_uuid(),
    requirement_id uuid references requirements (id),
    name           text not null check (length(btrim(name)) between 1 and 60),
    kind           text not null check (kind in ('active', 'hired', 'rejected', 'withdrawn')),
    position       integer not null,
    archived_at    timestamptz,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create index pipeline_stages_requirement_idx on pipeline_stages (requirement_id, position);
-- One of each end per pipeline: a rejection goes to *the* rejected stage.
create unique index pipeline_stages_one_end_idx
    on pipeline_stages (coalesce(requirement_id, '00000000-0000-0000-0000-000000000000'), kind)
    where kind <> 'active' and archived_at is null;

insert into pipeline_stages (name, kind, position) values
    ('Applied', 'active', 1),
    ('Screening', 'active', 2),
    ('Interview', 'active', 3),
    ('Offer', 'active', 4),
    ('Hired', 'hired', 5),
    ('Rejected', 'rejected', 6),
    ('Withdrawn', 'withdrawn', 7);

-- Why an application ended: kept by admins, each on one side (we rejected
-- them, or they withdrew), which decides the stage it ends in.
create table rejection_reasons (
    id          uuid primary key default gen_random_uuid(),
    label       text not null check (length(btrim(label)) between 1 and 120),
    side        text not null check (side in ('we_rejected', 'they_withdrew')),
    position    integer not null,
    archived_at timestamptz,
    created_at  timestamptz not null default now()
);

insert into rejection_reasons (label, side, position) values
    ('Lacks required skills', 'we_rejected', 1),
    ('Not enough experience', 'we_rejected', 2),
    ('Salary expectations too high', 'we_rejected', 3),
    ('Another candidate was a better fit', 'we_rejected', 4),
    ('Did not respond', 'we_rejected', 5),
    ('Accepted another offer', 'they_withdrew', 6),
    ('Compensation', 'they_withdrew', 7),
    ('No longer looking', 'they_withdrew', 8),
    ('Location or remote policy', 'they_withdrew', 9);

create table candidates (
    id               uuid primary key default gen_random_uuid(),
    full_name        text not null check (length(btrim(full_name)) between 1 and 200),
    phone            text not null default '',
    -- The phone's digits, for the possible-duplicate check: "+44 20 7946
    -- 0958" and "020-7946-0958" end in the same digits.
    phone_digits     text generated always as (regexp_replace(phone, '\D', '', 'g')) stored,
    location         text not null default '',
    links            text[] not null default '{}',
    source           text not null check (source in ('careers_page', 'referral', 'agency', 'sourced', 'job_board', 'other')),
    -- For a referral, the colleague who referred them.
    referrer_id      uuid references users (id),
    -- The agency's or the job board's name, or what "other" means.
    source_detail    text not null default '',
    tags             text[] not null default '{}',
    skills           text[] not null default '{}',
    owner_id         uuid references users (id),
    consent_given_at timestamptz,
    consent_until    date,
    created_by       uuid references users (id),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    version          integer not null default 1,
    deleted_at       timestamptz,
    -- What full-text search reads: name, emails, phone, tags, skills and the
    -- text of their files, kept by the application whenever one changes
    -- (they live in several tables, which a generated column cannot read).
    -- The 'simple' configuration matches words as written, whatever the
    -- language of a resume.
    search           tsvector not null default ''::tsvector
);
create index candidates_search_idx on candidates using gin (search);
create index candidates_created_idx on candidates (created_at desc, id desc) where deleted_at is null;
create index candidates_phone_idx on candidates (right(phone_digits, 9)) where length(phone_digits) >= 7;
create index candidates_owner_idx on candidates (owner_id);
create index candidates_tags_idx on candidates using gin (tags);

-- A candidate's addresses: one person, however many addresses, and an
-- address belongs to one person (case-insensitive): adding or applying
-- again with it finds the same candidate.
create table candidate_emails (
    candidate_id uuid not null references candidates (id),
    email        text not null check (length(email) between 3 and 254),
    position     integer not null default 1,
    primary key (candidate_id, email)
);
create unique index candidate_emails_unique_idx on candidate_emails (lower(email));

create table applications (
    id               uuid primary key default gen_random_uuid(),
    candidate_id     uuid not null references candidates (id),
    requirement_id   uuid not null references requirements (id),
    stage_id         uuid not null references pipeline_stages (id),
    -- When it entered its stage: "time in stage" without reading history.
    stage_entered_at timestamptz not null default now(),
    owner_id         uuid references users (id),
    source           text not null check (source in ('careers_page', 'referral', 'agency', 'sourced', 'job_board', 'other')),
    referrer_id      uuid references users (id),
    -- Set while it is rejected or withdrawn; cleared when un-rejected.
    rejection_reason_id uuid references rejection_reasons (id),
    rejection_note   text,
    created_by       uuid references users (id),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    version          integer not null default 1,
    unique (candidate_id, requirement_id)
);
create index applications_board_idx on applications (requirement_id, stage_id, stage_entered_at);
create index applications_stage_idx on applications (stage_id);

-- Every move of an application, the first (into its first stage) included:
-- who moved it from where to where, and when. Time in each stage is the
-- gap between two rows.
create table application_stage_changes (
    id            bigint generated always as identity primary key,
    application_id uuid not null references applications (id),
    from_stage_id uuid references pipeline_stages (id),
    to_stage_id   uuid not null references pipeline_stages (id),
    moved_by      uuid references users (id),
    at            timestamptz not null default now()
);
create index application_stage_changes_idx on application_stage_changes (application_id, id);

-- What search reads of a candidate, weighted: name and addresses first,
-- then phone, tags and skills. `search` is set from it whenever one of them
-- changes (src/domain/recruiting/candidate.rs, `reindex`).
create function candidate_search(candidate uuid) returns tsvector
language sql stable as $$
    select setweight(to_tsvector('simple', c.full_name), 'A')
        || setweight(to_tsvector('simple', coalesce(
               (select string_agg(e.email, ' ') from candidate_emails e where e.candidate_id = c.id), '')), 'A')
        || setweight(to_tsvector('simple', concat_ws(' ', c.phone, c.phone_digits,
               array_to_string(c.tags, ' '), array_to_string(c.skills, ' '))), 'B')
      from candidates c where c.id = candidate
$$;

-- An opening filled by a hire names the application that filled it. Those
-- filled before applications existed keep only the name they were given.
alter table openings add column application_id uuid references applications (id);
create unique index openings_application_idx on openings (application_id) where application_id is not null;

-- A candidate's history: their own entries and their applications'.
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
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join applications p on p.id = a.entity_id
 where a.entity_type = 'application';
