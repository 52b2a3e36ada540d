//! `seed-load --requirements N`: enough data to measure the app at scale.
//!
//! Builds on the demo organisation (seed-demo runs first), adds a larger
//! one (hiring managers, recruiters, department heads, a finance
//! approver, more departments) and then tops the requirements up to N with
//! their approvals, approval tasks, openings, transitions and audit rows.
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

use crate::BoxError;
use sqlx::PgPool;
use std::time::Instant;

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

/// Makes sure there are at least `target` requirements, creating the demo
/// organisation first if it is missing.
pub async fn load(
    pool: &PgPool,
    mail: &crate::mail::MailRenderer,
    target: i64,
) -> Result<(), BoxError> {
    crate::seed::demo(pool, mail).await?;
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
    let missing = target - existing;
    if missing <= 0 {
        tx.commit().await?;
        println!("There are {existing} requirements already; nothing to add.");
        return Ok(());
    }
    sqlx::query("select setseed(0.2026)")
        .execute(&mut *tx)
        .await?;
    sqlx::query(GENERATE)
        .bind(missing)
        .execute(&mut *tx)
        .await?;
    for statement in REQUIREMENTS {
        sqlx::query(statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    // Fresh statistics, so the planner sees the new sizes at once, and a
    // visibility map, so counts can be answered from indexes alone.
    sqlx::query("vacuum analyze").execute(pool).await?;
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from approval_tasks t join users u on u.id = t.approver_id
          where u.email = 'approver@' || $1 and t.status = 'pending'",
    )
    .bind(crate::seed::DEMO_DOMAIN)
    .fetch_one(pool)
    .await?;
    println!(
        "Added {missing} requirements ({} in all) in {:.1} s; approver@{} has {pending} pending approvals.",
        existing + missing,
        started.elapsed().as_secs_f64(),
        crate::seed::DEMO_DOMAIN
    );
    Ok(())
}
