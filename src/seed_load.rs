//! `seed-load --requirements N --candidates M`: enough data to measure the
//! app at scale.
//!
//! Builds on the demo organisation (seed-demo runs first), adds a larger
//! one (hiring managers, recruiters, department heads, a finance
//! approver, more departments) and then tops the requirements up to N with
//! their approvals, approval tasks, openings, transitions and audit rows,
//! and the candidates up to M (N unless given) with their addresses, about
//! three applications each and every stage change of those.
//! Everything is set-based SQL (`insert … select … from generate_series`),
//! so 100,000 requirements load in seconds rather than through 100,000
//! round trips of the domain functions. Running it again adds only what is
//! missing; `setseed` makes a run on an empty database repeatable.
//!
//! The distributions follow a company that has used the app for three
//! years: most requirements are recent, old ones are mostly filled,
//! cancelled or rejected, recent ones spread over every state; Engineering
//! and Sales hire most, mid levels most often. The demo approver is a
//! finance approver and heads two departments, so they hold thousands of
//! pending approvals: the approval page and the approve POST can be
//! measured as them.
//!
//! Candidates apply soon after they are added, to requirements made about
//! then (open, on hold or filled ones); most applications stop at the
//! first stages, a few are hires, and many end rejected or withdrawn
//! (most of the older ones). Their search vector holds words of a
//! generated resume (no file stands behind it) with marker words at known
//! shares ([`MARKERS`]), and one open requirement, [`BOARD_TITLE`], has
//! [`BOARD_APPLICATIONS`] applications: candidate search and a large board
//! can be measured as the demo recruiter. Generated rows are consistent by
//! construction, no audit rows are written for candidates or applications,
//! and hires do not fill openings.
//!
//! The newest [`PUBLISHED_JOBS`] open requirements are published on the
//! careers site (its pages, feeds and apply form can be measured).

use crate::BoxError;
use sqlx::{PgConnection, PgPool};
use std::time::Instant;
use uuid::Uuid;

/// Where the generated people's addresses live (never a real domain).
const LOAD_DOMAIN: &str = "load.hiringhare.test";

/// The larger organisation, idempotent: people and departments are added
/// only when missing. Generated people have no password: they own and
/// decide requirements, they do not sign in.
const ORGANISATION: [&str; 5] = [
    // 200 hiring managers and 30 recruiters.
    "insert into users (email, full_name, roles, time_zone)
     select kind || '-' || lpad(i::text, 3, '0') || '@' || $1,
            (array['Amara', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas',
                   'Kofi', 'Lena', 'Mateo', 'Nadia', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tala'])[1 + i % 20]
            || ' ' ||
            (array['Abara', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova', 'Jensen',
                   'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okafor', 'Petit', 'Rossi', 'Schmidt', 'Tanaka', 'Weber'])[1 + (i * 7 + (kind = 'rec')::int) % 20],
            array[case kind when 'hm' then 'hiring_manager' else 'recruiter' end],
            'Europe/Berlin'
       from (select 'hm' as kind, i from generate_series(1, 200) i
             union all select 'rec', i from generate_series(1, 30) i) people
     on conflict (email) do nothing",
    // A finance approver: with the demo approver, everyone the default
    // workflow's second step asks.
    "insert into users (email, full_name, roles, time_zone)
     values ('finance@' || $1, 'Fatima Lindqvist', '{approver}', 'Europe/Berlin')
     on conflict (email) do nothing",
    // A head for each department below.
    "insert into users (email, full_name, roles, time_zone)
     select 'head-' || replace(lower(name), ' ', '-') || '@' || $1, head, '{hiring_manager}', 'Europe/Berlin'
       from (values ('Sales', 'Sigrid Aalto'), ('Marketing', 'Malik Osei'), ('Customer success', 'Camille Roy'),
                    ('Support', 'Sunil Rao'), ('Data', 'Dana Kim'), ('Security', 'Stefan Horvat'),
                    ('Infrastructure', 'Ingrid Holm'), ('Design', 'Diego Ruiz'), ('Legal', 'Lucia Ferri'),
                    ('Operations', 'Oliver Grant'), ('Research', 'Rina Sato'), ('Growth', 'Gabriel Silva'))
            as d (name, head)
     on conflict (email) do nothing",
    "insert into departments (name, parent_id, head_id)
     select d.name, (select id from departments where name = d.parent and archived_at is null),
            (select id from users where email = 'head-' || replace(lower(d.name), ' ', '-') || '@' || $1)
       from (values ('Sales', null), ('Marketing', null), ('Customer success', 'Sales'), ('Support', 'Sales'),
                    ('Data', 'Product'), ('Security', 'Engineering'), ('Infrastructure', 'Engineering'),
                    ('Design', 'Product'), ('Legal', 'Finance'), ('Operations', null), ('Research', 'Engineering'),
                    ('Growth', 'Marketing')) as d (name, parent)
      where not exists (select 1 from departments e where lower(e.name) = lower(d.name) and e.archived_at is null)
      order by d.parent nulls first",
    // Every department hires, so every one needs a head for the first step.
    "update departments d set head_id = (select id from users where email = 'head-sales@' || $1)
      where head_id is null and archived_at is null",
];

/// The generated requirements, first into a temporary table (`load`) so
/// that the statements in [`REQUIREMENTS`] see the same rows. `$1` is how
/// many to add.
const GENERATE: &str = "create temp table load on commit drop as
     with departments_weighted as (
         -- Engineering and Sales hire most.
         select array_agg(d.id order by d.name, w) as ids
           from departments d
           cross join lateral generate_series(1, case lower(d.name)
                 when 'platform' then 8 when 'engineering' then 5 when 'sales' then 6 when 'mobile' then 4
                 when 'product' then 3 when 'data' then 3 when 'customer success' then 3 when 'support' then 4
                 when 'infrastructure' then 3 when 'marketing' then 2 else 1 end) w
          where d.archived_at is null and d.head_id is not null),
     levels_weighted as (
         -- Mid levels most often, directors rarely.
         select array_agg(l.id order by l.rank, w) as ids
           from job_levels l
           cross join lateral generate_series(1, case l.rank
                 when 1 then 20 when 2 then 30 when 3 then 28 when 4 then 12 when 5 then 6 else 4 end) w
          where l.archived_at is null),
     managers as (
         select array_agg(id order by email) as ids from users
          where 'hiring_manager' = any(roles) and deactivated_at is null
            and id not in (select head_id from departments where head_id is not null)),
     recruiters as (
         select array_agg(id order by email) as ids from users
          where 'recruiter' = any(roles) and deactivated_at is null),
     drawn as materialized (
         -- Ages skewed to the recent past: about half under a year.
         select power(random(), 1.6) * 1095 as age, random() as a, random() as b, random() as c,
                random() as d, random() as e, random() as f, random() as g, random() as h,
                random() as s1, random() as s2, random() as s3
           from generate_series(1, $1)),
     picked as (
         select x.*, dw.ids[1 + floor(x.a * cardinality(dw.ids))::int] as department_id,
                lw.ids[1 + floor(x.b * cardinality(lw.ids))::int] as job_level_id,
                m.ids[1 + floor(x.c * cardinality(m.ids))::int] as hiring_manager_id,
                rc.ids[1 + floor(x.d * cardinality(rc.ids))::int] as some_recruiter,
                now() - x.age * interval '1 day' as created_at,
                case when x.age > 365
                     then (array['filled', 'filled', 'filled', 'filled', 'filled', 'filled', 'filled',
                                 'cancelled', 'cancelled', 'rejected', 'open', 'on_hold'])[1 + floor(x.e * 12)::int]
                     else (array['draft', 'draft', 'draft', 'pending_approval', 'pending_approval',
                                 'pending_approval', 'changes_requested', 'approved', 'approved', 'open',
                                 'open', 'open', 'open', 'open', 'open', 'open', 'open', 'on_hold', 'filled',
                                 'filled', 'filled', 'cancelled', 'rejected'])[1 + floor(x.e * 23)::int]
                end as status,
                (array['Backend engineer', 'Frontend engineer', 'Site reliability engineer', 'Data engineer',
                       'Data analyst', 'Data scientist', 'Machine learning engineer', 'iOS developer',
                       'Android developer', 'QA engineer', 'Security engineer', 'Product manager',
                       'Product designer', 'UX researcher', 'Engineering manager', 'Technical writer',
                       'Account executive', 'Sales development representative', 'Solutions engineer',
                       'Customer success manager', 'Support specialist', 'Marketing manager',
                       'Content strategist', 'Growth marketer', 'Financial analyst', 'Payroll specialist',
                       'Accountant', 'Legal counsel', 'Recruiter', 'People partner', 'Office manager',
                       'Operations analyst', 'Platform engineer', 'Database administrator',
                       'Network engineer', 'Research scientist', 'Business analyst', 'Partnerships manager',
                       'Controller', 'Chief of staff'])[1 + floor(x.f * 40)::int] as title,
                (array['Berlin', 'Berlin', 'Berlin', 'Munich', 'Hamburg', 'Amsterdam', 'Lisbon', 'Warsaw',
                       'Remote (EU)', 'Remote (EU)'])[1 + floor(x.g * 10)::int] as location
           from drawn x, departments_weighted dw, levels_weighted lw, managers m, recruiters rc),
     shaped as (
         select p.*, l.salary_min as band_min, l.salary_max as band_max, d.name as department_name,
                array(select distinct s from unnest(array[
                    (array['Rust', 'Go', 'Python', 'TypeScript', 'React', 'PostgreSQL', 'Kubernetes', 'AWS',
                           'Terraform', 'Swift', 'Kotlin', 'SQL', 'Excel', 'Salesforce', 'Figma', 'Statistics',
                           'Machine learning', 'Negotiation', 'Communication', 'Leadership', 'Accounting',
                           'Contract law', 'SEO', 'Copywriting', 'Linux', 'Networking', 'Security',
                           'Testing', 'Public speaking', 'German'])[1 + floor(p.s1 * 30)::int],
                    (array['Communication', 'Leadership', 'SQL', 'Python', 'Teamwork', 'English',
                           'German', 'Mentoring'])[1 + floor(p.s2 * 8)::int],
                    (array['Rust', 'Go', 'Python', 'TypeScript', 'PostgreSQL', 'Kubernetes', 'Excel',
                           'Figma', 'Salesforce', 'Statistics'])[1 + floor(p.s3 * 10)::int]]) s) as skills,
                extract(year from p.created_at at time zone 'UTC')::int as year
           from picked p
           join job_levels l on l.id = p.job_level_id
           join departments d on d.id = p.department_id)
     select gen_random_uuid() as id, s.year,
            coalesce(c.last, 0) + row_number() over (partition by s.year order by s.created_at) as seq,
            s.title, s.department_id, s.job_level_id, s.hiring_manager_id,
            case when s.status in ('draft', 'pending_approval', 'changes_requested', 'rejected') and s.h < 0.6
                 then null else s.some_recruiter end as recruiter_id,
            case when s.h < 0.75 then 1 when s.h < 0.9 then 2 when s.h < 0.98 then 3 + floor(s.a * 3)::int
                 else 6 + floor(s.b * 5)::int end as headcount,
            (array['full_time', 'full_time', 'full_time', 'full_time', 'full_time', 'full_time', 'full_time',
                   'full_time', 'full_time', 'full_time', 'full_time', 'full_time', 'full_time', 'full_time',
                   'full_time', 'full_time', 'part_time', 'contract', 'contract', 'intern'])[1 + floor(s.g * 20)::int]
                as employment_type,
            s.location,
            (array['onsite', 'hybrid', 'hybrid', 'remote'])[1 + floor(s.c * 4)::int] as remote_policy,
            s.band_min + round((s.band_max - s.band_min) * 0.2 * random() / 1000) * 1000 as salary_min,
            case when s.f < 0.05 then s.band_max + 10000
                 else s.band_max - round((s.band_max - s.band_min) * 0.2 * s.a / 1000) * 1000 end as salary_max,
            case when s.b < 0.35 then 'backfill' else 'new' end as reason,
            case when s.b < 0.35 then 'A colleague who moved on' else '' end as replaces,
            case when s.g < 0.2 then null
                 else (s.created_at + (30 + floor(s.h * 90)) * interval '1 day')::date end as target_start,
            (array['low', 'low', 'low', 'normal', 'normal', 'normal', 'normal', 'normal', 'normal', 'normal',
                   'normal', 'normal', 'high', 'high', 'high', 'high', 'urgent', 'urgent', 'normal', 'normal'])[1 + floor(random() * 20)::int]
                as priority,
            'We are hiring a **' || s.title || '** for ' || s.department_name || ' in ' || s.location
                || E'.\\n\\nYou will work with ' || array_to_string(s.skills, ', ')
                || E' in a team that ships often and reviews every change.\\n\\n'
                || E'- Own your work from idea to production\\n- Learn from and teach your colleagues\\n'
                || '- Flexible hours, a learning budget and 30 days of leave' as description,
            s.skills, s.e < 0.03 as confidential, s.status, s.created_at,
            s.created_at + random() * s.age * interval '1 day' as updated_at,
            -- Pending approvals: about half wait for the head, half for finance.
            case when s.f < 0.5 then 1 else 2 end as at_step
       from shaped s left join requirement_counters c on c.year = s.year";

/// The requirements and everything that hangs off them, from `load`.
const REQUIREMENTS: [&str; 12] = [
    "insert into requirements (id, reference, title, department_id, job_level_id, hiring_manager_id,
            recruiter_id, headcount, employment_type, location, remote_policy, salary_min, salary_max, currency,
            reason, replaces, target_start, priority, description, skills, confidential, status, created_by,
            version, created_at, updated_at)
     select id, 'HH-' || year || '-' || case when seq < 10000 then lpad(seq::text, 4, '0') else seq::text end,
            title, department_id, job_level_id, hiring_manager_id, recruiter_id, headcount, employment_type,
            location, remote_policy, salary_min, salary_max, 'EUR', reason, replaces, target_start, priority,
            description, skills, confidential, status, hiring_manager_id,
            case status when 'draft' then 1 when 'pending_approval' then 2 else 3 end, created_at, updated_at
       from load
      -- In the order they were made, as a real table fills up.
      order by created_at",
    // The counters continue after the generated references, as the app
    // allocates them (HH-<year>-<n>).
    "insert into requirement_counters (year, last)
     select year, max(seq) from load group by year
     on conflict (year) do update set last = greatest(requirement_counters.last, excluded.last)",
    "insert into audit_logs (at, actor_id, action, entity_type, entity_id, changes)
     select created_at, hiring_manager_id, 'requirement.created', 'requirement', id,
            jsonb_build_object('reference', jsonb_build_object('before', null, 'after',
                'HH-' || year || '-' || case when seq < 10000 then lpad(seq::text, 4, '0') else seq::text end),
                'title', jsonb_build_object('before', null, 'after', title))
       from load",
    // The latest transition of each (its earlier ones are implied).
    "create temp table load_transitions on commit drop as
     select l.id, l.hiring_manager_id, l.updated_at, t.from_status, l.status as to_status, t.action, t.reason
       from load l
       join (values ('pending_approval', 'draft', 'submit', ''), ('approved', 'pending_approval', 'approve', ''),
                    ('open', 'approved', 'open', ''), ('on_hold', 'open', 'hold', ''), ('filled', 'open', 'fill', ''),
                    ('cancelled', 'open', 'cancel', 'Budget moved to next year'),
                    ('rejected', 'pending_approval', 'reject', 'Over budget this quarter'),
                    ('changes_requested', 'pending_approval', 'request_changes', 'Please check the level'))
            as t (status, from_status, action, reason) on t.status = l.status",
    "insert into requirement_transitions (requirement_id, from_status, to_status, reason, actor_id, at)
     select id, from_status, to_status, reason, hiring_manager_id, updated_at from load_transitions",
    "insert into audit_logs (at, actor_id, action, entity_type, entity_id, changes)
     select updated_at, hiring_manager_id, 'requirement.' || action, 'requirement', id,
            jsonb_build_object('status', jsonb_build_object('before', from_status, 'after', to_status))
       from load_transitions",
    // One approval per submitted requirement, on the default workflow.
    "create temp table load_approvals on commit drop as
     select gen_random_uuid() as id, l.id as requirement_id, l.hiring_manager_id,
            case l.status when 'pending_approval' then 'pending' when 'rejected' then 'rejected'
                          when 'changes_requested' then 'changes_requested' else 'approved' end as status,
            l.created_at + interval '2 hours' as created_at,
            l.created_at + (l.updated_at - l.created_at) / 2 as decided_at,
            d.head_id, l.at_step, l.recruiter_id
       from load l join departments d on d.id = l.department_id
      where l.status not in ('draft', 'cancelled')",
    "insert into approvals (id, subject_type, subject_id, workflow_id, workflow_version, requester_id, status, created_at, decided_at)
     select a.id, 'requirement', a.requirement_id, w.id, w.version, a.hiring_manager_id, a.status, a.created_at,
            case when a.status <> 'pending' then a.decided_at end
       from load_approvals a,
            (select id, version from approval_workflows
              where subject = 'requirement' and is_default and archived_at is null) w",
    // Step 1, the department head; step 2, every finance approver (all
    // must approve). Nobody approves a requirement they are named on.
    "insert into approval_tasks (approval_id, step, step_name, approver_id, status, decided_by, comment,
            created_at, started_at, decided_at)
     select a.id, t.step, t.step_name, t.approver_id, t.status,
            case when t.status in ('approved', 'rejected', 'changes_requested') then t.approver_id end,
            case t.status when 'approved' then 'Looks good' when 'rejected' then 'Over budget this quarter'
                          when 'changes_requested' then 'Please check the level' else '' end,
            a.created_at, case when t.status <> 'waiting' then a.created_at end,
            case when t.status not in ('pending', 'waiting') then a.decided_at end
       from load_approvals a
       cross join (select array_agg(id) as ids from users
                    where 'approver' = any(roles) and deactivated_at is null) finance
       cross join lateral (
           select 1 as step, 'Department head' as step_name, a.head_id as approver_id,
                  case a.status when 'pending' then case when a.at_step = 1 then 'pending' else 'approved' end
                                else a.status end as status
            where a.head_id is not null
              and a.head_id is distinct from a.hiring_manager_id and a.head_id is distinct from a.recruiter_id
           union all
           select 2, 'Finance', u.id,
                  case a.status when 'pending' then case when a.at_step = 1 and a.head_id is not null
                                                              and a.head_id is distinct from a.hiring_manager_id
                                                              and a.head_id is distinct from a.recruiter_id
                                                         then 'waiting' else 'pending' end
                                when 'approved' then 'approved' else 'superseded' end
             from unnest(finance.ids) u (id)
            where u.id is distinct from a.hiring_manager_id and u.id is distinct from a.recruiter_id) t",
    "insert into audit_logs (at, actor_id, action, entity_type, entity_id, changes)
     select t.decided_at, t.decided_by, 'approval.' || t.status, 'approval_task', t.id,
            jsonb_build_object('decision', jsonb_build_object('before', null, 'after', t.status),
                               'comment', jsonb_build_object('before', null, 'after', t.comment))
       from approval_tasks t join load_approvals a on a.id = t.approval_id
      where t.decided_by is not null",
    // Reminders and escalations of long-waiting tasks went out long ago
    // (roughly: after two and four days).
    "insert into approval_reminders (task_id, kind, sent_at)
     select t.id, k.kind, t.started_at + k.after
       from approval_tasks t join load_approvals a on a.id = t.approval_id
       cross join (values ('reminder', interval '2 days'), ('escalation', interval '4 days')) k (kind, after)
      where t.status = 'pending' and t.started_at + k.after < now()",
    // One opening per head once recruiting started; filled ones all
    // filled, open ones with some filled and at least one still open.
    "insert into openings (requirement_id, status, hire_name, settled_by, created_at, updated_at)
     select o.id, o.status,
            case when o.status = 'filled' then
              (array['Alex', 'Bea', 'Carlos', 'Dana', 'Emre', 'Fatima', 'Gustav', 'Hana', 'Ivo', 'Julia'])[1 + floor(random() * 10)::int]
              || ' ' ||
              (array['Adams', 'Brandt', 'Cruz', 'Dahl', 'Egger', 'Fontaine', 'Gray', 'Holm', 'Ito', 'Jovanovic'])[1 + floor(random() * 10)::int]
            end,
            case when o.status = 'filled' then o.recruiter_id end,
            o.created_at, o.updated_at
       from (select l.id, l.recruiter_id, l.created_at + interval '3 days' as created_at, l.updated_at,
                    case when l.status = 'filled' or (k < l.headcount and random() < 0.3) then 'filled' else 'open' end as status
               from load l cross join lateral generate_series(1, l.headcount) k
              where l.status in ('open', 'on_hold', 'filled')) o",
];

/// The title of the requirement whose board is measured: one open
/// requirement with exactly [`BOARD_APPLICATIONS`] applications, found by
/// this title (bench/run looks it up).
pub const BOARD_TITLE: &str = "Support specialist (high-volume pipeline)";

/// How many applications the board requirement has.
pub const BOARD_APPLICATIONS: i64 = 2_000;

/// The rare words the generated resumes hold, with the share of
/// candidates whose resume has each: searching for the first finds about
/// 1 % of them (bench/run measures it).
pub const MARKERS: [(&str, f64); 3] = [("fortran", 0.01), ("cobol", 0.001), ("agile", 0.1)];

/// Makes the newest generated requirement (in `load`) the board
/// requirement: open, not confidential, the demo recruiter's, about six
/// weeks old. `$1` is its title, `$2` the demo domain.
const BOARD_REQUIREMENT: &str = "update load
        set title = $1, status = 'open', confidential = false, headcount = 3,
            recruiter_id = (select id from users where email = 'recruiter@' || $2),
            description = replace(description, '**' || title || '**', '**' || $1 || '**'),
            created_at = now() - interval '45 days', updated_at = now() - interval '40 days',
            target_start = (now() + interval '30 days')::date
      where id = (select id from load order by created_at desc, id limit 1)";

/// The requirements applications go to, numbered in the order they were
/// made: open, on hold or filled, on the template pipeline, but the board
/// requirement (`$1`), which gets its own.
const ELIGIBLE: &str = "create temp table load_eligible on commit drop as
     select (row_number() over (order by r.created_at, r.id))::int as idx, r.id, r.created_at, r.status,
            r.recruiter_id
       from requirements r
      where r.status in ('open', 'on_hold', 'filled') and r.deleted_at is null and r.id is distinct from $1
        and not exists (select from pipeline_stages s where s.requirement_id = r.id)";

/// The generated candidates (`$1` of them, their addresses numbered from
/// `$2 + 1`), each with where their applications start in
/// `load_eligible` (`base`, around the time they were added), how many
/// they make (1–5, about 3) and how far apart (`stride`: distinct
/// requirements made about the same time). Their resume is a few lines of
/// words from lists, with the [`MARKERS`] at their shares; it goes only
/// into the search vector (there is no file behind it).
const CANDIDATES: &str = "create temp table load_candidates on commit drop as
     with recruiters as (
         select array_agg(id order by email) as ids from users
          where 'recruiter' = any(roles) and deactivated_at is null),
     managers as (
         select array_agg(id order by email) as ids from users
          where 'hiring_manager' = any(roles) and deactivated_at is null),
     eligible as (select count(*)::int as n from load_eligible),
     drawn as materialized (
         select i, random() as a, random() as b, random() as c, random() as d, random() as e, random() as f,
                random() as g, random() as h, random() as k, random() as m, random() as s1, random() as s2,
                random() as s3, random() as s4, random() as t1, random() as t2,
                random() as w1, random() as w2, random() as w3
           from generate_series(1, $1) i),
     named as (
         select x.*,
                (array['Amara', 'Bruno', 'Chiara', 'Dmitri', 'Elif', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas',
                       'Kofi', 'Lena', 'Mateo', 'Nadia', 'Oskar', 'Priya', 'Quentin', 'Rosa', 'Sven', 'Tala',
                       'Aisha', 'Ben', 'Clara', 'David', 'Emma', 'Felix', 'Hannah', 'Ivan', 'Julia', 'Karim',
                       'Laura', 'Marco', 'Nina', 'Omar', 'Paula', 'Rafael', 'Sara', 'Tom', 'Ula', 'Viktor',
                       'Wen', 'Yusuf', 'Zoe', 'Anna', 'Lukas', 'Mia', 'Noah', 'Leonie', 'Ali', 'Sofia',
                       'Mehmet', 'Joana', 'Pieter', 'Agnieszka', 'Tomasz', 'Sanne', 'Daan', 'Ingrid', 'Matteo',
                       'Chen', 'Alice', 'Bastian', 'Carla', 'Diego', 'Eva', 'Finn', 'Giulia', 'Hugo', 'Isabel',
                       'Jakub', 'Katarzyna', 'Leon', 'Maria', 'Nils', 'Olga', 'Pedro', 'Rania', 'Simon',
                       'Tereza', 'Vincent', 'Ayşe', 'Björn', 'Camille', 'Dario', 'Elena', 'Fatima', 'Gabriel',
                       'Helena', 'Ibrahim', 'Jan', 'Kim', 'Lars', 'Marta', 'Nikolai', 'Oliwia', 'Pablo', 'Rui',
                       'Selin', 'Thomas', 'Yara'])[1 + floor(x.a * 100)::int] as first,
                (array['Abara', 'Berg', 'Costa', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ivanova',
                       'Jensen', 'Kowalski', 'Larsen', 'Moreau', 'Novak', 'Okafor', 'Petit', 'Rossi',
                       'Schmidt', 'Tanaka', 'Weber', 'Müller', 'Schneider', 'Wagner', 'Becker', 'Hoffmann',
                       'Schulz', 'Koch', 'Richter', 'Klein', 'Wolf', 'de Vries', 'van Dijk', 'Bakker',
                       'Visser', 'Silva', 'Santos', 'Ferreira', 'Nowak', 'Wiśniewski', 'Kaya', 'Yılmaz',
                       'Demir', 'Martin', 'Bernard', 'Smith', 'Jones', 'Brown', 'Wilson', 'Nguyen', 'Kim',
                       'Singh', 'Patel', 'Ahmed', 'Khan', 'Lopez', 'Romero', 'Bianchi', 'Conti', 'Lindqvist',
                       'Nielsen', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger',
                       'Hartmann', 'Lange', 'Werner', 'Krause', 'Meijer', 'Mulder', 'de Jong', 'Jansen',
                       'Peeters', 'Janssens', 'Lambert', 'Dupont', 'Leroy', 'Fontaine', 'Pereira', 'Oliveira',
                       'Rodrigues', 'Martins', 'Sousa', 'Lewandowski', 'Zieliński', 'Wójcik', 'Kamińska',
                       'Dvořák', 'Horváth', 'Nagy', 'Popescu', 'Ionescu', 'Papadopoulos', 'Andersson',
                       'Johansson', 'Karlsson', 'Virtanen', 'Korhonen', 'Hansen', 'Pedersen', 'Murphy',
                       'Kelly', 'Walsh', 'Taylor', 'Davies', 'Evans', 'Ricci', 'Marino', 'Greco', 'Fernández',
                       'González', 'Sánchez', 'Ruiz', 'Öztürk', 'Çelik', 'Şahin', 'Aydın', 'Moreno'])[1 + floor(x.b * 120)::int] as last,
                (array['careers_page', 'careers_page', 'careers_page', 'careers_page', 'careers_page',
                       'careers_page', 'careers_page', 'job_board', 'job_board', 'job_board', 'job_board',
                       'job_board', 'sourced', 'sourced', 'sourced', 'referral', 'referral', 'agency', 'agency',
                       'other'])[1 + floor(x.c * 20)::int] as source,
                -- Added when they first applied, shortly after the
                -- requirement opened; without requirements to apply to,
                -- at any time in three years, most recently most.
                coalesce(b.created_at + x.e * least(interval '30 days',
                                                    greatest(now() - interval '2 hours' - b.created_at, interval '0')),
                         now() - interval '2 hours' - power(x.e, 1.3) * interval '1095 days') as created_at,
                b.idx as base,
                least(1 + floor(x.f * 5)::int, e.n) as applications,
                1 + floor(x.g * least(40, greatest(1, (e.n - 1) / 4)))::int as stride
           from drawn x cross join eligible e left join load_eligible b on b.idx = 1 + floor(x.d * e.n)::int),
     shaped as (
         select n.*,
                lower(translate(n.first || '.' || replace(n.last, ' ', ''), 'üöäśıłéíáńóřşçğđÖÇŞ', 'uoasileianorscgdOCS')) || '.'
                    || ($2 + n.i) || '@' || (array['example.com', 'example.net', 'example.org'])[1 + floor(n.h * 3)::int]
                    as email,
                case when n.k < 0.8
                     then (array['+49 30 ', '+49 89 ', '+49 40 ', '+31 20 ', '+351 21 ', '+48 22 ', '+44 20 ',
                                 '+49 151 '])[1 + floor(n.s4 * 8)::int] || lpad(floor(n.m * 100000000)::text, 8, '0')
                     else '' end as phone,
                (array['Berlin', 'Berlin', 'Berlin', 'Munich', 'Hamburg', 'Cologne', 'Amsterdam', 'Rotterdam',
                       'Lisbon', 'Porto', 'Warsaw', 'Kraków', 'London', 'Paris', 'Vienna', 'Zurich', 'Prague',
                       'Madrid', 'Barcelona', 'Remote'])[1 + floor(n.s1 * 20)::int] as location,
                array(select distinct t from unnest(array[
                    case when n.t1 < 0.15 then (array['silver medalist', 'relocation', 'visa needed', 'remote only',
                                                      'alumni', 'top talent', 'part-time', 'returner'])[1 + floor(n.t2 * 8)::int] end,
                    case when n.t1 < 0.03 then (array['do not contact', 'future role', 'conference'])[1 + floor(n.s3 * 3)::int] end]) t
                    where t is not null) as tags,
                array(select distinct s from unnest(array[
                    (array['Rust', 'Go', 'Python', 'TypeScript', 'React', 'PostgreSQL', 'Kubernetes', 'AWS',
                           'Terraform', 'Swift', 'Kotlin', 'SQL', 'Excel', 'Salesforce', 'Figma', 'Statistics', 'Java',
                           'C#', 'Docker', 'Negotiation', 'Accounting', 'SEO', 'Copywriting', 'Linux', 'Networking',
                           'Security', 'Testing', 'Public speaking', 'German', 'Spanish'])[1 + floor(n.s1 * 30)::int],
                    (array['Communication', 'Leadership', 'SQL', 'Python', 'Teamwork', 'English', 'German',
                           'Mentoring'])[1 + floor(n.s2 * 8)::int],
                    case when n.s3 < 0.6 then (array['Rust', 'Go', 'Python', 'TypeScript', 'PostgreSQL', 'Kubernetes',
                                                    'Excel', 'Figma', 'Salesforce', 'Statistics',
                                                    'Product management', 'Sales'])[1 + floor(n.s4 * 12)::int] end]) s
                    where s is not null) as skills
           from named n)
     select gen_random_uuid() as id, s.first || ' ' || s.last as full_name, s.email, s.phone, s.location,
            case when s.g < 0.4 then array['https://www.linkedin.com/in/' || split_part(s.email, '@', 1)]
                 else '{}' end as links,
            s.source,
            case when s.source = 'referral' then m.ids[1 + floor(s.h * cardinality(m.ids))::int] end as referrer_id,
            case s.source
                 when 'job_board' then (array['LinkedIn', 'StepStone', 'Indeed', 'Glassdoor',
                                              'Welcome to the Jungle'])[1 + floor(s.t2 * 5)::int]
                 when 'agency' then (array['Hays', 'Robert Walters', 'Michael Page', 'Harvey Nash'])[1 + floor(s.t2 * 4)::int]
                 when 'other' then (array['Meetup', 'Conference', 'Hackathon', 'University fair'])[1 + floor(s.t2 * 4)::int]
                 else '' end as source_detail,
            s.tags, s.skills, rc.ids[1 + floor(s.m * cardinality(rc.ids))::int] as owner_id,
            case when s.k < 0.9 then s.created_at end as consent_given_at,
            -- Kept until a date for some (never a past one: nothing here
            -- is due for anonymising), until withdrawn for the others.
            case when s.k < 0.35 then greatest(s.created_at + interval '2 years', now() + interval '60 days')::date
                 end as consent_until,
            s.created_at, s.base, s.applications, s.stride,
            concat_ws(' ',
                (array['Junior', 'Senior', 'Lead', 'Staff', 'Principal', 'Experienced', 'Certified',
                       'Freelance'])[1 + floor(s.t1 * 8)::int],
                (array['backend developer', 'frontend developer', 'data engineer', 'data scientist',
                       'product manager', 'designer', 'account executive', 'support specialist', 'accountant',
                       'marketing manager', 'site reliability engineer', 'QA engineer', 'recruiter', 'lawyer',
                       'analyst', 'consultant'])[1 + floor(s.s2 * 16)::int],
                'with', 1 + floor(s.e * 20)::int, 'years of experience. Worked at',
                (array['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark Industries',
                       'Wayne Enterprises', 'Soylent', 'Tyrell', 'Cyberdyne', 'Wonka', 'Aperture',
                       'Massive Dynamic', 'Oscorp', 'Pied Piper'])[1 + floor(s.a * 16)::int],
                'and',
                (array['Zalando', 'Siemens', 'SAP', 'Booking', 'Adyen', 'Spotify', 'Allegro', 'Farfetch', 'N26',
                       'Delivery Hero', 'HelloFresh', 'Bosch', 'Philips', 'ING', 'Allianz',
                       'Lufthansa'])[1 + floor(s.b * 16)::int],
                'on', (array['payments', 'logistics', 'search', 'mobile apps', 'billing', 'analytics',
                             'customer onboarding', 'internal tools', 'compliance', 'pricing', 'recommendations',
                             'infrastructure'])[1 + floor(s.c * 12)::int],
                'and', (array['reporting', 'hiring', 'migrations', 'automation', 'performance',
                              'security reviews', 'onboarding', 'documentation', 'forecasting',
                              'partnerships'])[1 + floor(s.h * 10)::int],
                '. Education:', (array['BSc', 'MSc', 'BA', 'MA', 'PhD', 'MBA', 'Apprenticeship'])[1 + floor(s.k * 7)::int],
                (array['Computer Science', 'Mathematics', 'Physics', 'Economics', 'Business', 'Law', 'Design',
                       'Linguistics', 'Psychology', 'Engineering'])[1 + floor(s.m * 10)::int],
                ', University of',
                (array['Amsterdam', 'Lisbon', 'Warsaw', 'Vienna', 'Munich', 'Edinburgh', 'Bologna', 'Leiden',
                       'Porto', 'Gothenburg', 'Ghent', 'Zurich'])[1 + floor(s.s3 * 12)::int],
                '. Languages:', (array['English', 'English German', 'English Spanish', 'German French',
                                       'English Polish', 'English Portuguese', 'English Dutch',
                                       'English Italian'])[1 + floor(s.s4 * 8)::int],
                '. Interests:', (array['climbing', 'chess', 'cooking', 'running', 'photography', 'music',
                                       'cycling', 'volunteering', 'travel', 'reading'])[1 + floor(s.t2 * 10)::int],
                '.',
                -- MARKERS, at their shares.
                case when s.w1 < 0.01 then 'Also fortran.' end,
                case when s.w2 < 0.001 then 'Also cobol.' end,
                case when s.w3 < 0.1 then 'Also agile.' end) as resume
       from shaped s, recruiters rc, managers m";

/// The candidates, their addresses, then their applications and every
/// move of those, from `load_candidates` and `load_applications`.
const INSERT_CANDIDATES: [&str; 2] = [
    // `search` as `candidate_search` computes it (name and address, then
    // phone, tags and skills; no files), and the resume's words below
    // them all (weight D, where the text of files goes).
    "insert into candidates (id, full_name, phone, location, links, source, referrer_id, source_detail, tags,
            skills, owner_id, consent_given_at, consent_until, created_by, created_at, updated_at, search)
     select id, full_name, phone, location, links, source, referrer_id, source_detail, tags, skills, owner_id,
            consent_given_at, consent_until,
            case when source in ('careers_page', 'job_board') then null else owner_id end, created_at, created_at,
            setweight(to_tsvector('simple', full_name), 'A')
            || setweight(to_tsvector('simple', email), 'A')
            || setweight(to_tsvector('simple', concat_ws(' ', phone, regexp_replace(phone, '\\D', '', 'g'),
                                                         array_to_string(tags, ' '), array_to_string(skills, ' '))), 'B')
            || setweight(to_tsvector('simple', resume), 'D')
       from load_candidates
      -- In the order they were added, as a real table fills up.
      order by created_at",
    "insert into candidate_emails (candidate_id, email, position)
     select id, email, 1 from load_candidates order by email",
];

/// The applications: those of the new candidates (to `applications`
/// requirements of `load_eligible`, from `base` on, `stride` apart), and
/// as many of the newest candidates as the board requirement (`$1`) lacks
/// of [`BOARD_APPLICATIONS`] (`$2`). Each has gone as far as `reached`
/// along the template's active stages (to hired for a few), and some have
/// ended there, rejected or withdrawn (most of those whose requirement is
/// filled or that are older than four months); `moves` is how many stage
/// changes that took, `gap` the time between two and `jitter` what varies
/// it, so that the changes below and `stage_entered_at` agree.
const APPLICATIONS: &str = "create temp table load_applications on commit drop as
     with steps as (
         select array_agg(id order by position) as ids from pipeline_stages
          where requirement_id is null and archived_at is null and kind in ('active', 'hired')),
     ends as (
         select (select id from pipeline_stages
                  where requirement_id is null and archived_at is null and kind = 'rejected') as rejected,
                (select id from pipeline_stages
                  where requirement_id is null and archived_at is null and kind = 'withdrawn') as withdrawn),
     reasons as (
         select array_agg(id order by position) filter (where side = 'we_rejected') as we,
                array_agg(id order by position) filter (where side = 'they_withdrew') as they
           from rejection_reasons where archived_at is null),
     eligible as (select count(*)::int as n from load_eligible),
     picked as (
         select c.id as candidate_id, c.source, c.referrer_id, c.owner_id as candidate_owner,
                e.id as requirement_id, e.status, e.recruiter_id,
                case when j = 0 then c.created_at
                     else c.created_at + j * random() * least(interval '12 days', (now() - c.created_at) / 5)
                end as created_at
           from load_candidates c
          cross join eligible n
          cross join lateral generate_series(0, c.applications - 1) j
           join load_eligible e on e.idx = (c.base - 1 + j * c.stride) % n.n + 1
         union all
         select c.id, c.source, c.referrer_id, c.owner_id, r.id, r.status, r.recruiter_id,
                greatest(c.created_at, r.created_at) + random() * 0.95 * (now() - greatest(c.created_at, r.created_at))
           from requirements r,
                lateral (select c.* from candidates c
                          where c.deleted_at is null
                            and not exists (select from applications a
                                             where a.candidate_id = c.id and a.requirement_id = r.id)
                          order by c.created_at desc, c.id desc
                          limit greatest($2 - (select count(*) from applications a where a.requirement_id = r.id), 0)) c
          where r.id = $1),
     drawn as (
         select p.*, random() as u1, random() as u2, random() as u3, random() as u4, random() as u5,
                p.status = 'filled' or p.created_at < now() - interval '120 days' as settled
           from picked p),
     reached as (
         -- Most never get past screening; a few are hired.
         select d.*,
                case when d.u1 >= 0.96 then cardinality(st.ids)
                     else greatest(least(case when d.u1 < 0.45 then 1 when d.u1 < 0.72 then 2
                                              when d.u1 < 0.89 then 3 else 4 end,
                                         cardinality(st.ids) - 1), 1) end as reached,
                cardinality(st.ids) as hired
           from drawn d, steps st),
     ended as (
         select r.*,
                case when r.reached = r.hired then null
                     when r.settled then case when r.u2 < 0.45 then 'rejected' when r.u2 < 0.57 then 'withdrawn' end
                     else case when r.u2 < 0.2 then 'rejected' when r.u2 < 0.26 then 'withdrawn' end
                end as ended
           from reached r),
     timed as (
         select x.*, x.reached + (x.ended is not null)::int as moves,
                least((1 + x.u3 * 9) * interval '1 day',
                      (now() - x.created_at) / (x.reached + (x.ended is not null)::int + 1)) as gap
           from ended x)
     select gen_random_uuid() as id, t.candidate_id, t.requirement_id,
            case t.ended when 'rejected' then en.rejected when 'withdrawn' then en.withdrawn
                         else st.ids[t.reached] end as stage_id,
            t.created_at + case when t.moves = 1 then 0
                                else t.moves - 1 + 0.5 * ((t.u4 + t.moves * 0.6180339887)
                                                          - floor(t.u4 + t.moves * 0.6180339887)) end
                           * t.gap as stage_entered_at,
            coalesce(t.recruiter_id, t.candidate_owner) as owner_id, t.source,
            case when t.source = 'referral' then t.referrer_id end as referrer_id,
            case t.ended when 'rejected' then rs.we[1 + floor(t.u5 * cardinality(rs.we))::int]
                         when 'withdrawn' then rs.they[1 + floor(t.u5 * cardinality(rs.they))::int] end
                as rejection_reason_id,
            case when t.source in ('careers_page', 'job_board') then null
                 else coalesce(t.recruiter_id, t.candidate_owner) end as created_by,
            t.created_at, t.reached, t.moves, t.gap, t.u4 as jitter
       from timed t, steps st, ends en, reasons rs";

const INSERT_APPLICATIONS: [&str; 2] = [
    "insert into applications (id, candidate_id, requirement_id, stage_id, stage_entered_at, owner_id, source,
            referrer_id, rejection_reason_id, created_by, created_at, updated_at, version)
     select id, candidate_id, requirement_id, stage_id, stage_entered_at, owner_id, source, referrer_id,
            rejection_reason_id, created_by, created_at, stage_entered_at, moves
       from load_applications
      order by created_at",
    // One row per move: into the first stage, along the active stages as
    // far as it reached, and to its end if it ended; the owner moved it
    // (into the first stage, whoever added it: nobody for those who
    // applied themselves). At the times `stage_entered_at` was computed
    // from, so the last one is where and when it is now.
    "insert into application_stage_changes (application_id, from_stage_id, to_stage_id, moved_by, at)
     select a.id, case when i > 1 then st.ids[i - 1] end, case when i <= a.reached then st.ids[i] else a.stage_id end,
            case when i = 1 then a.created_by else a.owner_id end,
            a.created_at + case when i = 1 then 0
                                else i - 1 + 0.5 * ((a.jitter + i * 0.6180339887)
                                                    - floor(a.jitter + i * 0.6180339887)) end * a.gap
       from load_applications a
      cross join (select array_agg(id order by position) as ids from pipeline_stages
                   where requirement_id is null and archived_at is null and kind in ('active', 'hired')) st
      cross join lateral generate_series(1, a.moves) i",
];

/// The secondary indexes a large load drops and builds again afterwards
/// (faster than keeping them up to date row by row): rebuilt from their
/// own definitions, as the migrations made them.
const REBUILT_INDEXES: [&str; 7] = [
    "candidates_search_idx",
    "candidates_tags_idx",
    "candidates_phone_idx",
    "candidate_emails_local_idx",
    "applications_board_idx",
    "applications_stage_idx",
    "application_stage_changes_idx",
];

/// How many open requirements the careers site shows (at most).
pub const PUBLISHED_JOBS: i64 = 2_000;

/// Publishes the newest open, non-confidential requirements, up to
/// [`PUBLISHED_JOBS`] public in all (a run tops up those that filled or
/// closed since), as their recruiter would: a public title and
/// description, their place and pay.
async fn publish_jobs(pool: &PgPool) -> Result<(), BoxError> {
    let published = sqlx::query(concat!(
        "insert into postings (requirement_id, slug, title, description, description_html, location,
                               remote_policy, employment_type, pay_min, pay_max, currency, pay_period,
                               published_at, published_by, updated_at, live, department_id)
         select r.id,
                trim(both '-' from lower(regexp_replace(r.title || ' ' || r.reference, '[^[:alnum:]]+', '-', 'g'))),
                r.title, t.text,
                -- As the app renders a paragraph of plain text.
                '<p>' || replace(replace(replace(t.text, '&', '&amp;'), '<', '&lt;'), '>', '&gt;') || '</p>',
                case when r.remote_policy = 'remote' then '' else coalesce(nullif(r.location, ''), 'Lisbon') end,
                r.remote_policy, r.employment_type, r.salary_min, r.salary_max, r.currency, 'year',
                r.updated_at, r.recruiter_id, r.updated_at, true, r.department_id
           from requirements r join departments d on d.id = r.department_id
          cross join lateral (select coalesce(nullif(r.description, ''),
                                              'Join the ' || d.name || ' team as ' || r.title || '.') as text) t
          where r.status = 'open' and r.deleted_at is null and not r.confidential
            and not exists (select from postings p where p.requirement_id = r.id)
          order by r.created_at desc
          limit greatest(0, $1 - (select count(*) from postings p where ",
        crate::domain::recruiting::careers::public!(),
        "))"
    ))
    .bind(PUBLISHED_JOBS)
    .execute(pool)
    .await?;
    if published.rows_affected() > 0 {
        println!(
            "Published {} open requirements on the careers site.",
            published.rows_affected()
        );
    }
    Ok(())
}

/// Makes sure there are at least `requirements` requirements and
/// `candidates` candidates (with their applications), creating the demo
/// organisation first if it is missing.
pub async fn load(
    pool: &PgPool,
    mail: &crate::mail::MailRenderer,
    requirements: i64,
    candidates: i64,
) -> Result<(), BoxError> {
    crate::seed::demo(pool, mail).await?;
    let added = load_requirements(pool, requirements).await?;
    publish_jobs(pool).await?;
    let started = Instant::now();
    let summary = load_candidates(pool, candidates).await?;
    load_interviews(pool).await?;
    load_offers(pool).await?;
    let loaded = started.elapsed();
    if !added && summary.is_none() {
        return Ok(());
    }
    // Fresh statistics, so the planner sees the new sizes at once, and a
    // visibility map, so counts can be answered from indexes alone.
    let started = Instant::now();
    sqlx::query("vacuum analyze").execute(pool).await?;
    let vacuumed = started.elapsed();
    match summary {
        Some(s) => println!(
            "Added {} candidates ({} in all) with {} applications and {} stage changes in {:.1} s \
             (then vacuum analyze {:.1} s); \"{}\" is in {:.2} % of the candidates' resumes; the board \
             of {} ({BOARD_TITLE:?}, /requirements/{}/board) has {} applications.",
            s.candidates,
            s.in_all,
            s.applications,
            s.changes,
            loaded.as_secs_f64(),
            vacuumed.as_secs_f64(),
            MARKERS[0].0,
            s.marker_share(pool).await?,
            s.board_reference,
            s.board,
            s.board_applications,
        ),
        None => println!("Vacuum analyze took {:.1} s.", vacuumed.as_secs_f64()),
    }
    Ok(())
}

/// Interviews on the demo interviewer's panels: 500 in their calendar
/// feed's window (the last 30 days and the next 180), each with four more
/// interviewers (a 5-person panel, for the scheduling form's conflicts),
/// and 3,000 that ended over a month ago, each awaiting their scorecard.
/// Once: a database that has them keeps them.
async fn load_interviews(pool: &PgPool) -> Result<(), BoxError> {
    let mut tx = pool.begin().await?;
    let present: bool = sqlx::query_scalar("select exists (select from interviews)")
        .fetch_one(&mut *tx)
        .await?;
    let interviewer: Option<Uuid> =
        sqlx::query_scalar("select id from users where email = 'interviewer@' || $1")
            .bind(crate::seed::DEMO_DOMAIN)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(interviewer) = interviewer.filter(|_| !present) else {
        return Ok(());
    };
    sqlx::query(
        "insert into users (email, full_name, roles, time_zone)
         select 'panel-' || i || '@' || $1, 'Panel Member ' || i, '{interviewer}', 'Europe/Berlin'
           from generate_series(1, 4) i
         on conflict (email) do nothing",
    )
    .bind(LOAD_DOMAIN)
    .execute(&mut *tx)
    .await?;
    let added = sqlx::query(
        "with apps as (
           select a.id, row_number() over (order by a.created_at, a.id) as n
             from applications a join requirements r on r.id = a.requirement_id
            where r.deleted_at is null and not r.confidential
            limit 3500),
         round as (
           select id, name, kind, minutes from interview_rounds
            where requirement_id is null and archived_at is null order by position limit 1),
         made as (
           insert into interviews (application_id, round_id, round_name, kind, starts_at, ends_at, time_zone)
           select a.id, r.id, r.name, r.kind, t.starts_at, t.starts_at + make_interval(mins => r.minutes),
                  'Europe/Berlin'
             from apps a cross join round r
            cross join lateral (
              select case when a.n <= 500
                          then date_trunc('hour', now()) - interval '29 days' + a.n * interval '9 hours'
                          else date_trunc('hour', now()) - interval '40 days' - (a.n - 500) * interval '1 hour'
                     end as starts_at) t
           returning id, starts_at > now() - interval '30 days' as in_feed)
         insert into interview_panel (interview_id, user_id)
         select m.id, $1 from made m
         union all
         select m.id, u.id from made m cross join users u
          where m.in_feed and u.email like 'panel-%@' || $2",
    )
    .bind(interviewer)
    .bind(LOAD_DOMAIN)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    println!(
        "Added interviews for interviewer@{}: {} panel places.",
        crate::seed::DEMO_DOMAIN,
        added.rows_affected()
    );
    Ok(())
}

/// Approved offers, ready to send, drafted by the demo recruiter: one per
/// open opening of up to 3,000 open requirements (so every one can be
/// accepted), each for another application, moved to the offer stage.
/// Once: a database that has offers keeps them.
async fn load_offers(pool: &PgPool) -> Result<(), BoxError> {
    let mut tx = pool.begin().await?;
    let present: bool = sqlx::query_scalar("select exists (select from offers)")
        .fetch_one(&mut *tx)
        .await?;
    let recruiter: Option<Uuid> =
        sqlx::query_scalar("select id from users where email = 'recruiter@' || $1")
            .bind(crate::seed::DEMO_DOMAIN)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(recruiter) = recruiter.filter(|_| !present) else {
        return Ok(());
    };
    let added = sqlx::query(
        "with reqs as (
           select r.id from requirements r
            where r.status = 'open' and r.deleted_at is null and not r.confidential
              and not exists (select from pipeline_stages s where s.requirement_id = r.id)),
         ops as (
           select o.id, o.requirement_id, row_number() over (partition by o.requirement_id order by o.id) as n
             from openings o join reqs r on r.id = o.requirement_id where o.status = 'open'),
         apps as (
           select a.id, a.requirement_id, row_number() over (partition by a.requirement_id order by a.id) as n
             from applications a join reqs r on r.id = a.requirement_id
             join pipeline_stages s on s.id = a.stage_id where s.kind = 'active'),
         picks as (
           select ops.id as opening_id, apps.id as application_id
             from ops join apps on apps.requirement_id = ops.requirement_id and apps.n = ops.n
            limit 3000),
         offer_stage as (
           select id from pipeline_stages
            where requirement_id is null and archived_at is null and kind = 'active'
            order by position desc limit 1),
         moved as (
           update applications a set stage_id = (select id from offer_stage), stage_entered_at = now()
             from picks p where a.id = p.application_id returning a.id),
         -- Each move with its row, as a recruiter's makes one.
         history as (
           insert into application_stage_changes (application_id, from_stage_id, to_stage_id, moved_by)
           select a.id, a.stage_id, (select id from offer_stage), $1
             from applications a join picks p on p.application_id = a.id),
         made as (
           insert into offers (application_id, opening_id, status, created_by)
           select p.application_id, p.opening_id, 'approved', $1 from picks p
            where p.application_id in (select id from moved)
           returning id)
         insert into offer_versions (offer_id, number, salary_minor, currency, period, bonus, start_date,
                                     expires_on, location, employment_type, created_by)
         select id, 1, 8500000, 'EUR', 'year', '10% on target', current_date + 60, current_date + 30,
                'Berlin', 'full_time', $1
           from made",
    )
    .bind(recruiter)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    println!(
        "Added {} approved offers, ready to send, for recruiter@{}.",
        added.rows_affected(),
        crate::seed::DEMO_DOMAIN
    );
    Ok(())
}

/// Tops the requirements up to `target` (and makes the board requirement
/// if there is none); whether any were added.
async fn load_requirements(pool: &PgPool, target: i64) -> Result<bool, BoxError> {
    let started = Instant::now();
    let mut tx = pool.begin().await?;
    // Two runs at once would both fill the same gap.
    sqlx::query("select pg_advisory_xact_lock(7172)")
        .execute(&mut *tx)
        .await?;
    for statement in ORGANISATION {
        sqlx::query(statement)
            .bind(LOAD_DOMAIN)
            .execute(&mut *tx)
            .await?;
    }
    let existing: i64 =
        sqlx::query_scalar("select count(*) from requirements where deleted_at is null")
            .fetch_one(&mut *tx)
            .await?;
    let board: Option<Uuid> = board_requirement(&mut tx).await?;
    let missing = target - existing;
    // The board requirement is one of the requirements added, or one more
    // when none are (a database seeded before there was one).
    let adding = if missing > 0 {
        missing
    } else {
        i64::from(board.is_none())
    };
    if adding == 0 {
        tx.commit().await?;
        println!("There are {existing} requirements already; nothing to add.");
        return Ok(false);
    }
    sqlx::query("select setseed(0.2026)")
        .execute(&mut *tx)
        .await?;
    sqlx::query(GENERATE).bind(adding).execute(&mut *tx).await?;
    if board.is_none() {
        sqlx::query(BOARD_REQUIREMENT)
            .bind(BOARD_TITLE)
            .bind(crate::seed::DEMO_DOMAIN)
            .execute(&mut *tx)
            .await?;
    }
    for statement in REQUIREMENTS {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from approval_tasks t join users u on u.id = t.approver_id
          where u.email = 'approver@' || $1 and t.status = 'pending'",
    )
    .bind(crate::seed::DEMO_DOMAIN)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    println!(
        "Added {adding} requirements ({} in all) in {:.1} s; approver@{} has {pending} pending approvals.",
        existing + adding,
        started.elapsed().as_secs_f64(),
        crate::seed::DEMO_DOMAIN
    );
    Ok(true)
}

async fn board_requirement(conn: &mut PgConnection) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "select id from requirements where title = $1 and deleted_at is null order by created_at limit 1",
    )
    .bind(BOARD_TITLE)
    .fetch_optional(conn)
    .await
}

/// What a candidate load added.
struct Added {
    candidates: i64,
    in_all: i64,
    applications: u64,
    changes: u64,
    board: Uuid,
    board_reference: String,
    board_applications: i64,
}

impl Added {
    /// The share of candidates (in %) whose search finds the 1 % marker.
    async fn marker_share(&self, pool: &PgPool) -> Result<f64, sqlx::Error> {
        sqlx::query_scalar(
            "select 100.0 * count(*) / greatest((select count(*) from candidates where deleted_at is null), 1)::float8
               from candidates where deleted_at is null and search @@ to_tsquery('simple', $1)",
        )
        .bind(MARKERS[0].0)
        .fetch_one(pool)
        .await
    }
}

/// Tops the candidates up to `target`, with their applications, and the
/// board requirement's applications up to [`BOARD_APPLICATIONS`]; what it
/// added, or None when nothing was missing.
async fn load_candidates(pool: &PgPool, target: i64) -> Result<Option<Added>, BoxError> {
    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock(7172)")
        .execute(&mut *tx)
        .await?;
    let existing: i64 =
        sqlx::query_scalar("select count(*) from candidates where deleted_at is null")
            .fetch_one(&mut *tx)
            .await?;
    let board = board_requirement(&mut tx)
        .await?
        .ok_or("the board requirement is missing")?;
    let on_board: i64 =
        sqlx::query_scalar("select count(*) from applications where requirement_id = $1")
            .bind(board)
            .fetch_one(&mut *tx)
            .await?;
    let missing = (target - existing).max(0);
    if missing == 0 && on_board >= BOARD_APPLICATIONS {
        tx.commit().await?;
        println!("There are {existing} candidates already; nothing to add.");
        return Ok(None);
    }
    for setting in [
        // One commit at the end: nothing to wait for before it.
        "set local synchronous_commit = off",
        "set local work_mem = '256MB'",
        "set local maintenance_work_mem = '1GB'",
    ] {
        sqlx::query(setting).execute(&mut *tx).await?;
    }
    // The rows are made consistent (every reference to a row that exists),
    // so their foreign keys need not be checked one row at a time, which
    // takes most of the time: skipped where the database lets us (its
    // superuser) and no other trigger would be skipped with them.
    let skip_checks: bool = sqlx::query_scalar(
        "select (select rolsuper from pg_roles where rolname = current_user)
            and not exists (select from pg_trigger
                             where not tgisinternal
                               and tgrelid in ('candidates'::regclass, 'candidate_emails'::regclass,
                                               'applications'::regclass, 'application_stage_changes'::regclass))",
    )
    .fetch_one(&mut *tx)
    .await?;
    if skip_checks {
        sqlx::query("set local session_replication_role = replica")
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("select setseed(0.2027)")
        .execute(&mut *tx)
        .await?;
    // Addresses are numbered on from the last generated one.
    let numbered: i64 = sqlx::query_scalar(
        "select coalesce(max(substring(email from '\\.([0-9]+)@example\\.(?:com|net|org)$')::bigint), 0)
           from candidate_emails",
    )
    .fetch_one(&mut *tx)
    .await?;
    // Rebuilding an index is faster than inserting into it once a load at
    // least doubles the tables.
    let rebuild = missing >= existing.max(1);
    let mut indexes: Vec<String> = Vec::new();
    if rebuild {
        indexes = sqlx::query_scalar(
            "select pg_get_indexdef(i.indexrelid) from pg_index i join pg_class c on c.oid = i.indexrelid
              where c.relname = any($1) and c.relnamespace = 'public'::regnamespace",
        )
        .bind(&REBUILT_INDEXES[..])
        .fetch_all(&mut *tx)
        .await?;
        for name in REBUILT_INDEXES {
            // The names are the constants above.
            let drop = format!("drop index if exists {name}");
            sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&mut *tx)
                .await?;
        }
    }
    sqlx::query(ELIGIBLE).bind(board).execute(&mut *tx).await?;
    sqlx::query("analyze load_eligible")
        .execute(&mut *tx)
        .await?;
    sqlx::query(CANDIDATES)
        .bind(missing)
        .bind(numbered)
        .execute(&mut *tx)
        .await?;
    for statement in INSERT_CANDIDATES {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    sqlx::query(APPLICATIONS)
        .bind(board)
        .bind(BOARD_APPLICATIONS)
        .execute(&mut *tx)
        .await?;
    let applications = sqlx::query(INSERT_APPLICATIONS[0])
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let changes = sqlx::query(INSERT_APPLICATIONS[1])
        .execute(&mut *tx)
        .await?
        .rows_affected();
    for definition in indexes {
        // As the database itself wrote them (pg_get_indexdef).
        sqlx::query(sqlx::AssertSqlSafe(definition))
            .execute(&mut *tx)
            .await?;
    }
    let (board_reference, board_applications): (String, i64) = sqlx::query_as(
        "select r.reference, (select count(*) from applications a where a.requirement_id = r.id)
           from requirements r where r.id = $1",
    )
    .bind(board)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(Added {
        candidates: missing,
        in_all: existing + missing,
        applications,
        changes,
        board,
        board_reference,
        board_applications,
    }))
}
