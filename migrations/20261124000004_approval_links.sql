-- The single-use link in an approval mail: it opens that one decision page
-- without a password, for that approver, while the requirement is still the
-- version they were asked about, for 72 hours. Only a keyed digest is kept.
create table approval_links (
    id                  uuid primary key default gen_random_uuid(),
    task_id             uuid not null references approval_tasks (id),
    requirement_version integer not null,
    digest              bytea not null unique,
    expires_at          timestamptz not null,
    used_at             timestamptz,
    created_at          timestamptz not null default now()
);
create index approval_links_task_idx on approval_links (task_id);
