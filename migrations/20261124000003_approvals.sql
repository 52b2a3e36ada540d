-- Approval workflows and the approvals that run them.

-- A workflow: ordered steps, each naming its approvers. Editing a workflow
-- bumps its version; an approval records the version it ran under.
create table approval_workflows (
    id          uuid primary key default gen_random_uuid(),
    subject     text not null check (subject in ('requirement', 'offer')),
    name        text not null,
    is_default  boolean not null default false,
    -- Which requirements it applies to; {} matches all. Keys (all optional):
    -- department_id, min_level_rank, min_headcount, above_band,
    -- employment_type, reason. The most specific match wins.
    conditions  jsonb not null default '{}',
    version     integer not null default 1,
    archived_at timestamptz,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
-- Exactly one live default per subject.
create unique index approval_workflows_default_key on approval_workflows (subject)
    where is_default and archived_at is null;

create table workflow_steps (
    id            uuid primary key default gen_random_uuid(),
    workflow_id   uuid not null references approval_workflows (id),
    position      integer not null check (position >= 1),
    name          text not null,
    approver_kind text not null check (approver_kind in ('users', 'role', 'department_head', 'manager')),
    approver_ids  uuid[] not null default '{}',
    approver_role text,
    -- Null: every approver must approve; otherwise this many of them.
    required      integer check (required >= 1),
    sla_hours     integer not null default 48 check (sla_hours >= 1),
    unique (workflow_id, position),
    check (approver_kind <> 'role' or approver_role is not null)
);

-- A default always exists: department head, then an approver (finance).
with w as (
    insert into approval_workflows (subject, name, is_default)
    values ('requirement', 'Standard requirement approval', true) returning id)
insert into workflow_steps (workflow_id, position, name, approver_kind, approver_role)
select id, 1, 'Department head', 'department_head', null from w
union all
select id, 2, 'Finance', 'role', 'approver' from w;

-- One run of a workflow for one submission of a requirement.
create table approvals (
    id                  uuid primary key default gen_random_uuid(),
    requirement_id      uuid not null references requirements (id),
    workflow_id         uuid not null references approval_workflows (id),
    workflow_version    integer not null,
    requester_id        uuid not null references users (id),
    status              text not null default 'pending'
                            check (status in ('pending', 'approved', 'rejected', 'changes_requested')),
    created_at          timestamptz not null default now(),
    decided_at          timestamptz
);
create index approvals_requirement_idx on approvals (requirement_id, created_at desc);

-- One approver's part in one step. /approvals/{id} is one of these; the
-- decision is recorded on it: who, on whose behalf, when, and why.
create table approval_tasks (
    id           uuid primary key default gen_random_uuid(),
    approval_id  uuid not null references approvals (id),
    step         integer not null,
    step_name    text not null,
    required     integer,
    approver_id  uuid not null references users (id),
    -- waiting: its step has not started; superseded: its step ended
    -- without needing it.
    status       text not null default 'waiting' check (status in
                     ('waiting', 'pending', 'approved', 'rejected', 'changes_requested', 'superseded')),
    decided_by   uuid references users (id),
    comment      text not null default '',
    created_at   timestamptz not null default now(),
    decided_at   timestamptz,
    unique (approval_id, step, approver_id)
);
create index approval_tasks_inbox_idx on approval_tasks (approver_id, status, created_at desc);
create index approval_tasks_approval_idx on approval_tasks (approval_id, step);
