-- Who is named on a subject waiting for approval is read on every page
-- (the approvals badge leaves out tasks on one's own subjects): for a
-- recruiter named on 881 pending requirements (of 1,000,000) reading the
-- heap for each took 0.6 ms of every request. Holding the id in the index
-- lets those reads come from the index alone.
drop index requirements_pending_hm_idx;
drop index requirements_pending_creator_idx;
drop index requirements_pending_recruiter_idx;
create index requirements_pending_hm_idx on requirements (hiring_manager_id) include (id)
    where status = 'pending_approval' and deleted_at is null;
create index requirements_pending_creator_idx on requirements (created_by) include (id)
    where status = 'pending_approval' and deleted_at is null;
create index requirements_pending_recruiter_idx on requirements (recruiter_id) include (id)
    where status = 'pending_approval' and deleted_at is null;

-- The rejection reasons join the cached catalog (src/catalog.rs): the
-- board and the candidate pages read them on every view.
create trigger rejection_reasons_catalog_changed
    after insert or update or delete or truncate on rejection_reasons
    for each statement execute function catalog_changed();
