-- Offers: an application's offer, its versions of terms (each with its
-- letter), its approval through the engine, the candidate's link and
-- answer; the company's letter template; onboarding checklists.

create table offers (
    id               uuid primary key default gen_random_uuid(),
    application_id   uuid not null references applications (id),
    -- The opening it fills when accepted.
    opening_id       uuid not null references openings (id),
    status           text not null default 'draft'
                         check (status in ('draft', 'pending_approval', 'approved', 'sent',
                                           'accepted', 'declined', 'expired', 'withdrawn')),
    -- The current version of its terms (offer_versions.number): only it
    -- can be sent or accepted.
    terms_version    integer not null default 1,
    -- Bumped by every change: a stale edit and a mailed approval link die.
    version          integer not null default 1,
    created_by       uuid not null references users (id),
    sent_at          timestamptz,
    -- The answer: when, the name the candidate typed (accepting) or the
    -- reason they gave (declining), from where; or who recorded an answer
    -- given by phone.
    answered_at      timestamptz,
    signed_name      text,
    answer_reason    text,
    answer_ip        inet,
    answer_agent     text,
    answer_recorded_by uuid references users (id),
    -- The reminder two days before it expires went (once).
    expiry_reminded_at timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now()
);
create index offers_application_idx on offers (application_id, created_at desc);
create index offers_opening_idx on offers (opening_id);
-- An opening holds one accepted offer: of two acceptances racing for it,
-- the second fails here even if every check before passed.
create unique index offers_accepted_opening_key on offers (opening_id) where status = 'accepted';
-- What the expiry run looks at.
create index offers_sent_idx on offers (id) where status = 'sent';

-- Each version of an offer's terms, with its letter as it was merged.
-- Money in minor units (cents): an hourly rate has them.
create table offer_versions (
    offer_id        uuid not null references offers (id),
    number          integer not null check (number >= 1),
    salary_minor    bigint not null check (salary_minor > 0),
    currency        char(3) not null check (currency ~ '^[A-Z]{3}$'),
    period          text not null check (period in ('year', 'month', 'hour')),
    bonus           text not null default '',
    equity          text not null default '',
    sign_on_minor   bigint not null default 0 check (sign_on_minor >= 0),
    start_date      date not null,
    expires_on      date not null,
    location        text not null default '',
    employment_type text not null,
    notes           text not null default '',
    -- The letter: the template merged with these terms (Markdown), and
    -- its PDF.
    letter          text not null default '',
    letter_pdf      bytea,
    created_by      uuid not null references users (id),
    created_at      timestamptz not null default now(),
    primary key (offer_id, number)
);

-- The candidate's link to answer: single use, bound to one version, dying
-- with the offer's expiry. Only its digest is kept.
create table offer_links (
    digest        bytea primary key,
    offer_id      uuid not null references offers (id),
    terms_version integer not null,
    expires_at    timestamptz not null,
    used_at       timestamptz,
    created_at    timestamptz not null default now()
);
create index offer_links_offer_idx on offer_links (offer_id);

-- The company's letter template (one row; none: the built-in default).
create table offer_letter_template (
    id         boolean primary key default true check (id),
    body       text not null,
    version    integer not null default 1,
    updated_by uuid references users (id),
    updated_at timestamptz not null default now()
);

alter table outbox add column offer_id uuid references offers (id);

-- A workflow's conditions gain "amount over" (the yearly salary, in whole
-- units) for offers.
with w as (
    insert into approval_workflows (subject, name, is_default)
    values ('offer', 'Standard offer approval', true) returning id)
insert into workflow_steps (workflow_id, position, name, approver_kind, approver_role)
select id, 1, 'Department head', 'department_head', null from w
union all
select id, 2, 'Finance', 'role', 'approver' from w;
insert into workflow_versions (workflow_id, version, name, conditions, steps)
select w.id, w.version, w.name, w.conditions,
       (select jsonb_agg(jsonb_build_object(
                'name', s.name, 'approver_kind', s.approver_kind,
                'approver_ids', to_jsonb(s.approver_ids), 'approver_role', s.approver_role,
                'required', s.required, 'sla_hours', s.sla_hours, 'fallback_id', s.fallback_id)
                order by s.position)
          from workflow_steps s where s.workflow_id = w.id)
  from approval_workflows w where w.subject = 'offer';

create or replace view approval_subjects as
select 'requirement'::text as kind, r.id, r.reference, r.title, r.version,
       r.deleted_at is not null as deleted,
       array_remove(array[r.hiring_manager_id, r.created_by, r.recruiter_id], null) as people,
       r.confidential
  from requirements r
union all
select 'offer', o.id, 'Offer ' || r.reference, c.full_name || ', ' || r.title, o.version,
       o.status = 'withdrawn',
       array_remove(array[o.created_by, r.recruiter_id], null),
       r.confidential
  from offers o
  join applications a on a.id = o.application_id
  join candidates c on c.id = a.candidate_id
  join requirements r on r.id = a.requirement_id;

create or replace view approval_pending_people as
select 'requirement'::text as kind, r.id, r.hiring_manager_id as person
  from requirements r where r.status = 'pending_approval' and r.deleted_at is null
union all
select 'requirement'::text, r.id, r.created_by
  from requirements r where r.status = 'pending_approval' and r.deleted_at is null
union all
select 'requirement'::text, r.id, r.recruiter_id
  from requirements r where r.status = 'pending_approval' and r.deleted_at is null
   and r.recruiter_id is not null
union all
select 'offer'::text, o.id, o.created_by
  from offers o where o.status = 'pending_approval'
union all
select 'offer'::text, o.id, r.recruiter_id
  from offers o
  join applications a on a.id = o.application_id
  join requirements r on r.id = a.requirement_id
 where o.status = 'pending_approval' and r.recruiter_id is not null;
create index offers_pending_creator_idx on offers (created_by) where status = 'pending_approval';

-- Onboarding: checklist templates (one per department, one default), and
-- each hire's checklist made from one when their offer is accepted.
create table onboarding_templates (
    id            uuid primary key default gen_random_uuid(),
    name          text not null check (length(btrim(name)) between 1 and 120),
    -- Null: the default, for departments without their own.
    department_id uuid references departments (id),
    version       integer not null default 1,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);
create unique index onboarding_templates_department_key
    on onboarding_templates (coalesce(department_id, '00000000-0000-0000-0000-000000000000'));

create table onboarding_template_tasks (
    id          uuid primary key default gen_random_uuid(),
    template_id uuid not null references onboarding_templates (id),
    position    integer not null,
    title       text not null check (length(btrim(title)) between 1 and 200),
    -- Who does it: a person, or a role ('hiring_manager' and 'recruiter'
    -- mean the hire's requirement's own; any other role, everyone in it).
    owner_id    uuid references users (id),
    owner_role  text,
    -- Days from the start date: -5 is five days before.
    due_days    integer not null check (due_days between -365 and 365),
    check ((owner_id is null) <> (owner_role is null))
);
create index onboarding_template_tasks_idx on onboarding_template_tasks (template_id, position);

with t as (insert into onboarding_templates (name) values ('Default onboarding') returning id)
insert into onboarding_template_tasks (template_id, position, title, owner_role, due_days)
select id, 1, 'Send the contract for signature', 'recruiter', -14 from t
union all select id, 2, 'Laptop, accounts and badge ready', 'admin', -5 from t
union all select id, 3, 'First-week plan and a buddy named', 'hiring_manager', -3 from t
union all select id, 4, 'Welcome on the first day', 'hiring_manager', 0 from t
union all select id, 5, 'Thirty-day check-in', 'hiring_manager', 30 from t;

create table onboardings (
    id          uuid primary key default gen_random_uuid(),
    offer_id    uuid not null unique references offers (id),
    template_id uuid references onboarding_templates (id),
    start_date  date not null,
    created_at  timestamptz not null default now()
);

create table onboarding_tasks (
    id            uuid primary key default gen_random_uuid(),
    onboarding_id uuid not null references onboardings (id),
    position      integer not null,
    title         text not null,
    owner_id      uuid references users (id),
    owner_role    text,
    due_on        date not null,
    done_at       timestamptz,
    done_by       uuid references users (id),
    reminded_at   timestamptz,
    version       integer not null default 1,
    check ((owner_id is null) <> (owner_role is null))
);
create index onboarding_tasks_onboarding_idx on onboarding_tasks (onboarding_id, position);
create index onboarding_tasks_owner_idx on onboarding_tasks (owner_id, due_on) where done_at is null;
create index onboarding_tasks_role_idx on onboarding_tasks (owner_role, due_on) where done_at is null;

-- An offer's history: its own entries and its approvals'; a candidate's
-- includes their offers and onboarding.
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
   and a.action <> 'candidate.merged_away'
union all
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join applications p on p.id = a.entity_id
 where a.entity_type = 'application'
union all
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join interviews i on i.id = a.entity_id
  join applications p on p.id = i.application_id
 where a.entity_type = 'interview'
union all
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join scorecards s on s.id = a.entity_id
  join interviews i on i.id = s.interview_id
  join applications p on p.id = i.application_id
 where a.entity_type = 'scorecard'
union all
select 'offer', a.entity_id, a.id
  from audit_logs a
 where a.entity_type = 'offer'
union all
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join offers o on o.id = a.entity_id
  join applications p on p.id = o.application_id
 where a.entity_type = 'offer'
union all
select 'candidate', p.candidate_id, a.id
  from audit_logs a
  join onboarding_tasks t on t.id = a.entity_id
  join onboardings b on b.id = t.onboarding_id
  join offers o on o.id = b.offer_id
  join applications p on p.id = o.application_id
 where a.entity_type = 'onboarding_task';
