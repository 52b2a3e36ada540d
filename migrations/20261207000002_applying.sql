-- Applying on the careers site: the cover letter an application came
-- with, and the attempts the apply form's rate limit counts.
alter table applications add column cover_letter text not null default '';

-- Each application sent (spam caught by the honeypot is not even counted:
-- it saves nothing). Per address and per email, over the last hour.
create table apply_attempts (
    id    bigint generated always as identity primary key,
    at    timestamptz not null default now(),
    ip    inet,
    email text not null
);
create index apply_attempts_ip_idx on apply_attempts (ip, at);
create index apply_attempts_email_idx on apply_attempts (lower(email), at);
