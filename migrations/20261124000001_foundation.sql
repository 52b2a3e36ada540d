-- Foundation: organisation, accounts, sessions, sign-in throttling, single-use
-- tokens, the mail outbox and the audit trail.
--
-- Conventions used by every later migration:
--   * UUID keys (gen_random_uuid() is built into PostgreSQL 13+).
--   * created_at/updated_at on every mutable table; `version` for optimistic
--     locking where people edit the same row from forms.
--   * A row that can be retired carries a timestamp (archived_at,
--     deactivated_at) rather than a boolean: it records *when* as well.

create table departments (
    id          uuid primary key default gen_random_uuid(),
    name        text not null check (length(btrim(name)) between 1 and 120),
    parent_id   uuid references departments (id),
    -- head_id is added after users exist (circular reference).
    archived_at timestamptz,
    version     integer not null default 1,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    check (parent_id is null or parent_id <> id)
);
-- Names are unique among live departments, whatever their case.
create unique index departments_name_key on departments (lower(name)) where archived_at is null;
create index departments_parent_idx on departments (parent_id);

create table job_levels (
    id          uuid primary key default gen_random_uuid(),
    name        text not null check (length(btrim(name)) between 1 and 80),
    rank        integer not null check (rank between 1 and 100),
    -- Whole currency units: salaries are never fractional in a band.
    salary_min  bigint not null check (salary_min >= 0),
    salary_max  bigint not null,
    currency    char(3) not null check (currency ~ '^[A-Z]{3}$'),
    archived_at timestamptz,
    version     integer not null default 1,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    check (salary_min <= salary_max)
);
create unique index job_levels_name_key on job_levels (lower(name)) where archived_at is null;

create table users (
    id             uuid primary key default gen_random_uuid(),
    -- Stored lower-cased by the application (Email::parse), so a plain unique
    -- constraint is case-insensitive.
    email          text not null check (email = lower(email)),
    full_name      text not null check (length(btrim(full_name)) between 1 and 120),
    -- Null until an invited user chooses a password.
    password_hash  text,
    roles          text[] not null default '{}' check (roles <@ array[
                       'super_admin', 'admin', 'hiring_manager', 'approver',
                       'recruiter', 'interviewer', 'viewer']::text[]),
    department_id  uuid references departments (id),
    manager_id     uuid references users (id),
    time_zone      text not null default 'UTC',
    deactivated_at timestamptz,
    version        integer not null default 1,
    created_at     timestamptz not null default now(),
    updated_at     timestamptz not null default now(),
    constraint users_email_key unique (email),
    check (manager_id is null or manager_id <> id)
);
create index users_department_idx on users (department_id);
create index users_manager_idx on users (manager_id);
create index users_roles_idx on users using gin (roles);

alter table departments add column head_id uuid references users (id);
create index departments_head_idx on departments (head_id);

-- The last few password hashes, so a change cannot reuse a recent password.
create table password_history (
    user_id       uuid not null references users (id),
    password_hash text not null,
    created_at    timestamptz not null default now()
);
create index password_history_user_idx on password_history (user_id, created_at desc);

-- tower-sessions records. user_id is copied out of the session data so that
-- deactivating a user can end all their sessions with one DELETE.
create table sessions (
    id          text primary key,
    user_id     uuid references users (id),
    data        jsonb not null,
    expiry_date timestamptz not null
);
create index sessions_user_idx on sessions (user_id);
create index sessions_expiry_idx on sessions (expiry_date);

-- Sign-in attempts, kept in the database so limits hold across processes.
create table login_attempts (
    id         bigint generated always as identity primary key,
    email      text not null,
    ip         inet,
    succeeded  boolean not null,
    at         timestamptz not null default now()
);
create index login_attempts_email_idx on login_attempts (email, at) where not succeeded;
create index login_attempts_ip_idx on login_attempts (ip, at) where not succeeded;

-- Single-use, expiring tokens sent by mail (password reset, invitation).
-- Only a keyed digest is stored: a database reader cannot use a token.
create table user_tokens (
    id          uuid primary key default gen_random_uuid(),
    user_id     uuid not null references users (id),
    purpose     text not null check (purpose in ('password_reset', 'invitation')),
    digest      bytea not null unique,
    expires_at  timestamptz not null,
    used_at     timestamptz,
    created_at  timestamptz not null default now()
);
create index user_tokens_user_idx on user_tokens (user_id, purpose);

-- Mail waiting to be sent, written in the transaction of the change that
-- causes it; a job drains it (see jobs/). sent_at null = not sent yet.
create table outbox (
    id          uuid primary key default gen_random_uuid(),
    to_address  text not null,
    subject     text not null,
    body_text   text not null,
    body_html   text not null,
    template    text not null,
    attempts    integer not null default 0,
    last_error  text,
    sent_at     timestamptz,
    created_at  timestamptz not null default now()
);
create index outbox_created_idx on outbox (created_at desc);

-- The audit trail. Rows are only ever inserted: the triggers below make the
-- database itself refuse UPDATE, DELETE and TRUNCATE, whoever asks.
create table audit_logs (
    id              bigint generated always as identity primary key,
    at              timestamptz not null default now(),
    actor_id        uuid references users (id),
    on_behalf_of_id uuid references users (id),
    action          text not null,
    entity_type     text not null,
    entity_id       uuid,
    -- {"field": {"before": x, "after": y}} for the fields that changed.
    changes         jsonb not null default '{}',
    ip              inet,
    user_agent      text,
    request_id      text
);
create index audit_logs_at_idx on audit_logs (at desc);
create index audit_logs_entity_idx on audit_logs (entity_type, entity_id, at desc);
create index audit_logs_actor_idx on audit_logs (actor_id, at desc);
create index audit_logs_action_idx on audit_logs (action, at desc);

create function audit_logs_refuse_change() returns trigger
language plpgsql as $$
begin
    raise exception 'audit_logs is append-only: % refused', tg_op
        using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_logs_no_update_delete
    before update or delete on audit_logs
    for each row execute function audit_logs_refuse_change();
create trigger audit_logs_no_truncate
    before truncate on audit_logs
    for each statement execute function audit_logs_refuse_change();
