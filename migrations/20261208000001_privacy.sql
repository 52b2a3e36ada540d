-- Privacy: why and until when a candidate's data is kept, consent renewal,
-- anonymisation, and what a candidate may ask of their data.

-- What an admin sets (one row, like careers_settings).
create table privacy_settings (
    id                  boolean primary key default true check (id),
    -- After a candidate's last application closed (hired, rejected or
    -- withdrawn), how long their data is kept without consent.
    retention_months    integer not null default 6 check (retention_months between 1 and 120),
    -- How long consent to be kept for future roles lasts.
    future_roles_months integer not null default 12 check (future_roles_months between 1 and 60),
    -- How long before consent lapses the candidate is asked to renew it.
    renewal_days        integer not null default 30 check (renewal_days between 1 and 180),
    -- The apply form's two checkboxes, as the candidate reads them.
    consent_text        text not null default 'I agree that you keep and use what I send here to consider my application for this job.'
                        check (length(btrim(consent_text)) between 1 and 1000),
    future_roles_text   text not null default 'Keep my details for future roles too. I can withdraw this at any time.'
                        check (length(btrim(future_roles_text)) between 1 and 1000),
    updated_at          timestamptz not null default now(),
    version             integer not null default 1
);
insert into privacy_settings default values;

alter table candidates
    -- A legal hold (a dispute, an audit) keeps the data whatever its date;
    -- the reason is shown on the profile.
    add column legal_hold       text check (legal_hold is null or length(btrim(legal_hold)) between 1 and 500),
    add column anonymised_at    timestamptz,
    -- When they were last asked to renew their consent (once per lapse).
    add column consent_asked_at timestamptz;

-- Links mailed to a candidate: renewing consent, or seeing their data.
-- Only a digest of the token is kept.
create table candidate_tokens (
    id           uuid primary key default gen_random_uuid(),
    candidate_id uuid not null references candidates (id),
    purpose      text not null check (purpose in ('consent_renewal', 'data_access')),
    digest       bytea not null unique,
    expires_at   timestamptz not null,
    created_at   timestamptz not null default now()
);
create index candidate_tokens_candidate_idx on candidate_tokens (candidate_id);

-- What candidates asked of their data, answered within a month.
create table data_requests (
    id           uuid primary key default gen_random_uuid(),
    candidate_id uuid not null references candidates (id),
    kind         text not null check (kind in ('access', 'withdrawal', 'erasure')),
    requested_at timestamptz not null default now(),
    due_on       date not null,
    answered_at  timestamptz,
    answered_by  uuid references users (id)
);
create index data_requests_open_idx on data_requests (due_on) where answered_at is null;

-- Stored contents to delete once the anonymising transaction commits (a
-- store is not transactional): whoever commits deletes them, and the daily
-- run deletes what a crash left.
create table forgotten_files (
    sha256 text primary key,
    at     timestamptz not null default now()
);

-- The daily privacy run, claimed once per day however many processes tick.
create table privacy_runs (
    day        date primary key,
    started_at timestamptz not null default now()
);

-- The audit keeps ids and actions, never a candidate's personal data: the
-- rows written before this rule lose the values of those fields (that they
-- changed stays). The log refuses updates; this one-time cleaning is the
-- exception, made while its guard is off.
alter table audit_logs disable trigger audit_logs_no_update_delete;
update audit_logs a
   set changes = (
       select jsonb_object_agg(
                  k,
                  case when k in ('full_name', 'emails', 'phone', 'location', 'links', 'source_detail', 'file')
                       then '{"personal": true}'::jsonb else v end)
         from jsonb_each(a.changes) as e (k, v))
 where a.entity_type = 'candidate' and a.changes <> '{}'::jsonb;
update audit_logs
   set changes = changes || '{"body": {"personal": true}}'::jsonb
 where entity_type = 'comment' and changes ? 'body'
   and entity_id in (select id from comments where subject_type = 'candidate');
update audit_logs
   set changes = changes || '{"note": {"personal": true}}'::jsonb
 where entity_type = 'application' and changes ? 'note';
update audit_logs
   set changes = changes || '{"mail_to": {"personal": true}}'::jsonb
 where entity_type = 'application' and changes ? 'mail_to';
update audit_logs
   set changes = changes || '{"hire": {"personal": true}}'::jsonb
 where entity_type = 'opening' and changes ? 'hire';
alter table audit_logs enable trigger audit_logs_no_update_delete;
