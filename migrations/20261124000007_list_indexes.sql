-- Indexes for the requirement list's orders and the hot per-request
-- queries, measured at 100,000 requirements (`just bench`).

-- Priority as a number, urgent highest, for the "priority" order. An
-- immutable SQL function, so an index can be built on it and the list's
-- ORDER BY matches that index.
create function priority_rank(priority text) returns integer
    language sql immutable parallel safe
    return case priority when 'urgent' then 4 when 'high' then 3 when 'normal' then 2 else 1 end;

-- Each order of the list (see `Sort` in src/domain/requirement.rs) is a
-- keyset; an index on exactly that keyset serves page 1 and page 400 alike
-- by walking it from the cursor. "Newest" and "oldest" walk the existing
-- requirements_live_created_idx, forwards and backwards.
create index requirements_live_updated_idx on requirements (updated_at desc, id desc) where deleted_at is null;
create index requirements_live_title_idx on requirements (lower(title), id) where deleted_at is null;
create index requirements_live_priority_idx on requirements (priority_rank(priority), created_at, id) where deleted_at is null;
create index requirements_live_start_idx on requirements (coalesce(target_start, 'infinity'::date), id) where deleted_at is null;

-- A filter on a department, a status, a hiring manager ("my
-- requirements") or a recruiter, newest first: the filter's column, then
-- the default order, so the index yields the page in order with nothing
-- skipped. These replace the single-column (or id-less) indexes of the
-- requirements migration, which made PostgreSQL read and sort every match.
drop index requirements_department_idx;
drop index requirements_status_idx;
drop index requirements_hiring_manager_idx;
drop index requirements_recruiter_idx;
create index requirements_department_idx on requirements (department_id, created_at desc, id desc) where deleted_at is null;
create index requirements_status_idx on requirements (status, created_at desc, id desc) where deleted_at is null;
create index requirements_hiring_manager_idx on requirements (hiring_manager_id, created_at desc, id desc) where deleted_at is null;
create index requirements_recruiter_idx on requirements (recruiter_id, created_at desc, id desc) where deleted_at is null;
