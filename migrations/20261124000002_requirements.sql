-- Requirements (requisitions), their openings and their lifecycle history.

-- Reference codes are HH-<year>-<seq>, the sequence restarting each year.
-- A counter row per year, incremented in the creating transaction, keeps
-- the numbers gap-free and unique across processes.
create table requirement_counters (
    year integer primary key,
    last integer not null
);

-- array_to_string is only "stable" (it could depend on settings for some
-- element types); for text[] it is not, so this wrapper may be declared
-- immutable and used in the generated search column.
create function skills_text(skills text[]) returns text
    language sql immutable parallel safe
    return array_to_string(skills, ' ');

create table requirements (
    id               uuid primary key default gen_random_uuid(),
    reference        text not null,
    title            text not null check (length(btrim(title)) between 1 and 200),
    department_id    uuid not null references departments (id),
    job_level_id     uuid not null references job_levels (id),
    hiring_manager_id uuid not null references users (id),
    recruiter_id     uuid references users (id),
    headcount        integer not null check (headcount between 1 and 500),
    employment_type  text not null check (employment_type in ('full_time', 'part_time', 'contract', 'intern', 'temporary')),
    location         text not null default '',
    remote_policy    text not null check (remote_policy in ('onsite', 'hybrid', 'remote')),
    salary_min       bigint not null check (salary_min >= 0),
    salary_max       bigint not null,
    currency         char(3) not null check (currency ~ '^[A-Z]{3}$'),
    reason           text not null check (reason in ('new', 'backfill')),
    replaces         text not null default '',
    target_start     date,
    priority         text not null check (priority in ('low', 'normal', 'high', 'urgent')),
    description      text not null default '',
    skills           text[] not null default '{}',
    confidential     boolean not null default false,
    status           text not null default 'draft' check (status in
                         ('draft', 'pending_approval', 'changes_requested', 'approved', 'rejected',
                          'open', 'on_hold', 'filled', 'cancelled')),
    created_by       uuid not null references users (id),
    deleted_at       timestamptz,
    version          integer not null default 1,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    -- Title and skills weigh more than the description in search.
    search           tsvector generated always as (
                         setweight(to_tsvector('simple', reference || ' ' || title), 'A') ||
                         setweight(to_tsvector('simple', skills_text(skills)), 'B') ||
                         setweight(to_tsvector('english', description), 'C')) stored,
    constraint requirements_reference_key unique (reference),
    check (salary_min <= salary_max),
    check (reason = 'backfill' or replaces = '')
);
-- Indexes for the list's filters and its default order (newest first).
create index requirements_live_created_idx on requirements (created_at desc, id desc) where deleted_at is null;
create index requirements_status_idx on requirements (status, created_at desc) where deleted_at is null;
create index requirements_department_idx on requirements (department_id) where deleted_at is null;
create index requirements_level_idx on requirements (job_level_id) where deleted_at is null;
create index requirements_hiring_manager_idx on requirements (hiring_manager_id) where deleted_at is null;
create index requirements_recruiter_idx on requirements (recruiter_id) where deleted_at is null;
create index requirements_search_idx on requirements using gin (search);

-- One opening per head. A requirement is filled when none is open.
create table openings (
    id             uuid primary key default gen_random_uuid(),
    requirement_id uuid not null references requirements (id),
    status         text not null default 'open' check (status in ('open', 'filled', 'closed')),
    closed_reason  text,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now()
);
create index openings_requirement_idx on openings (requirement_id, status);

-- Each lifecycle transition is a row (who, when, from, to, why), beside its
-- audit row: the requirement's timeline reads these.
create table requirement_transitions (
    id             bigint generated always as identity primary key,
    requirement_id uuid not null references requirements (id),
    from_status    text not null,
    to_status      text not null,
    reason         text not null default '',
    actor_id       uuid references users (id),
    at             timestamptz not null default now()
);
create index requirement_transitions_idx on requirement_transitions (requirement_id, id);
