-- The public careers site: an open requirement published as a job, with
-- what the public sees of it (its own title and description, where, what
-- kind of work, the pay range every posting must show, until when).

create table postings (
    requirement_id  uuid primary key references requirements (id),
    -- The job page's address: the public title's words and the reference
    -- ("platform-engineer-hh-2026-0042"), so it is unique and readable.
    slug            text not null unique,
    title           text not null check (length(btrim(title)) between 1 and 120),
    -- Markdown as typed; rendered sanitized on the job page.
    description     text not null check (length(btrim(description)) between 1 and 20000),
    location        text not null default '',
    remote_policy   text not null check (remote_policy in ('onsite', 'hybrid', 'remote')),
    -- For remote work: where applicants may live (ISO 3166-1 alpha-2).
    countries       text[] not null default '{}',
    employment_type text not null check (employment_type in ('full_time', 'part_time', 'contract', 'intern', 'temporary')),
    pay_min         bigint not null check (pay_min >= 0),
    pay_max         bigint not null,
    currency        char(3) not null check (currency ~ '^[A-Z]{3}$'),
    pay_period      text not null check (pay_period in ('year', 'month', 'hour')),
    closes_on       date,
    -- Null while unpublished: the record stays, ready to publish again.
    published_at    timestamptz,
    published_by    uuid references users (id),
    updated_at      timestamptz not null default now(),
    version         integer not null default 1,
    check (pay_min <= pay_max),
    check (remote_policy = 'remote' or countries = '{}')
);
create index postings_published_idx on postings (published_at desc) where published_at is not null;

-- Slugs a job had before its title changed: their links redirect.
create table posting_slugs (
    slug           text primary key,
    requirement_id uuid not null references requirements (id)
);

-- What the careers site says of the company, kept by admins: one row.
create table careers_settings (
    id           boolean primary key default true check (id),
    company_name text not null default 'Hiring Hare demo company' check (length(btrim(company_name)) between 1 and 120),
    intro        text not null default '' check (length(intro) <= 5000),
    updated_at   timestamptz not null default now()
);
insert into careers_settings default values;
