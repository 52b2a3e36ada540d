-- Interviews and scorecards (DOMAIN.md, "Interviews and feedback").

-- The interview plan: ordered rounds, each with its kind, length, the
-- attributes its scorecard rates and the questions the kit suggests. Rows
-- with no requirement are the company's plan; a requirement that needs
-- its own takes a copy (rows naming it) and then uses only those, as the
-- pipeline's stages do.
create table interview_rounds (
    id             uuid primary key default gen_random_uuid(),
    requirement_id uuid references requirements (id),
    position       integer not null,
    name           text not null check (length(btrim(name)) between 1 and 120),
    kind           text not null check (kind in ('phone', 'video', 'onsite', 'technical')),
    minutes        integer not null check (minutes between 5 and 480),
    -- What the scorecard rates, in order (each 1 to 120 characters).
    attributes     text[] not null default '{}',
    questions      text not null default '' check (length(questions) <= 10000),
    archived_at    timestamptz,
    created_at     timestamptz not null default now()
);
create index interview_rounds_requirement_idx on interview_rounds (requirement_id, position);

insert into interview_rounds (name, kind, minutes, position, attributes, questions) values
    ('Phone screen', 'phone', 30, 1, '{Communication,Motivation,Role fit}',
     'What drew you to this role?
Walk me through your most relevant experience.
What are you looking for in your next team?'),
    ('Technical interview', 'technical', 60, 2, '{Problem solving,Technical depth,Code quality}',
     'Work through a problem from our day-to-day together.
How would you test and ship it?
What would you change given more time?'),
    ('Team interview', 'onsite', 90, 3, '{Collaboration,Ownership,Values}',
     'Tell us about a disagreement with a colleague and how it ended.
Describe something you owned from start to finish.');

-- How many interviews a person takes in a week before scheduling warns
-- (null: no limit), and the generation of their private calendar feed's
-- address: the address is derived from it with SECRET_KEY, so resetting
-- the feed (a new generation) revokes the old address, and no secret is
-- stored.
alter table users
    add column weekly_interview_limit integer check (weekly_interview_limit between 1 and 100),
    add column calendar_feed_generation integer not null default 0;

-- One interview of an application. Times are instants; `time_zone` is the
-- zone it was scheduled in (the candidate's copy and the kit say it).
-- `sequence` is the iCalendar SEQUENCE every invitation carries: raised on
-- each change so calendars replace the event they hold (the UID is the id).
create table interviews (
    id                 uuid primary key default gen_random_uuid(),
    application_id     uuid not null references applications (id),
    round_id           uuid references interview_rounds (id),
    round_name         text not null check (length(btrim(round_name)) between 1 and 120),
    kind               text not null check (kind in ('phone', 'video', 'onsite', 'technical')),
    starts_at          timestamptz not null,
    ends_at            timestamptz not null,
    time_zone          text not null,
    location           text not null default '' check (length(location) <= 500),
    notes              text not null default '' check (length(notes) <= 5000),
    status             text not null default 'scheduled'
                       check (status in ('scheduled', 'completed', 'cancelled', 'no_show')),
    sequence           integer not null default 0,
    -- The candidate's answer to the invitation (an iCalendar PARTSTAT).
    candidate_response text not null default 'needs-action'
                       check (candidate_response in ('needs-action', 'accepted', 'declined', 'tentative')),
    created_by         uuid references users (id),
    version            integer not null default 1,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    check (ends_at > starts_at)
);
create index interviews_application_idx on interviews (application_id, starts_at);
-- Reminders look for interviews that ended lately.
create index interviews_ends_idx on interviews (ends_at) where status in ('scheduled', 'completed');

-- The panel: who interviews, and each one's answer to the invitation.
create table interview_panel (
    interview_id uuid not null references interviews (id) on delete cascade,
    user_id      uuid not null references users (id),
    response     text not null default 'needs-action'
                 check (response in ('needs-action', 'accepted', 'declined', 'tentative')),
    primary key (interview_id, user_id)
);
-- A person's interviews: their feed, conflicts, weekly load.
create index interview_panel_user_idx on interview_panel (user_id, interview_id);

-- A panel member's feedback on one interview, once submitted (no drafts:
-- the form keeps what is typed until it is sent). `ratings` is an array of
-- {"attribute", "rating" (1-4 or null), "note"} in the round's order.
-- Amending it bumps `version` and keeps the one before in
-- `scorecard_versions`.
create table scorecards (
    id             uuid primary key default gen_random_uuid(),
    interview_id   uuid not null references interviews (id),
    author_id      uuid not null references users (id),
    ratings        jsonb not null default '[]',
    recommendation text not null
                   check (recommendation in ('strong_no', 'no', 'yes', 'strong_yes', 'no_decision')),
    takeaways      text not null default '' check (length(takeaways) <= 10000),
    private_notes  text not null default '' check (length(private_notes) <= 10000),
    submitted_at   timestamptz not null default now(),
    version        integer not null default 1,
    unique (interview_id, author_id)
);
create index scorecards_author_idx on scorecards (author_id);

create table scorecard_versions (
    scorecard_id   uuid not null references scorecards (id) on delete cascade,
    version        integer not null,
    ratings        jsonb not null,
    recommendation text not null,
    takeaways      text not null,
    private_notes  text not null,
    submitted_at   timestamptz not null,
    primary key (scorecard_id, version)
);

-- Each reminder about a missing scorecard, by the day it is for (the
-- escalation to the recruiter: kind 'escalation', once): the row is
-- claimed before the mail is queued, so however many processes run the
-- reminders, each goes once.
create table scorecard_reminders (
    interview_id uuid not null references interviews (id) on delete cascade,
    user_id      uuid not null references users (id),
    kind         text not null check (kind in ('reminder', 'escalation')),
    day          date not null,
    sent_at      timestamptz not null default now(),
    primary key (interview_id, user_id, kind, day)
);

-- The outbox carries an invitation's iCalendar object (sent as the
-- text/calendar part with its method, and as an .ics attachment).
alter table outbox
    add column calendar_method text check (calendar_method in ('REQUEST', 'CANCEL', 'PUBLISH')),
    add column calendar text;

-- A candidate's history includes their interviews and scorecards.
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
 where a.entity_type = 'scorecard';
