-- "Waiting for a person" (the inbox, and the navigation's count on every
-- page) leaves out the requirements that person requested or works on. It
-- finds them from the requirements' side, so these index only what can
-- have tasks waiting: requirements pending approval (deleting or cancelling
-- one calls its approval off). Small, and one lookup per statement instead
-- of a probe per waiting task.
create index requirements_pending_hm_idx on requirements (hiring_manager_id)
    where status = 'pending_approval' and deleted_at is null;
create index requirements_pending_creator_idx on requirements (created_by)
    where status = 'pending_approval' and deleted_at is null;
create index requirements_pending_recruiter_idx on requirements (recruiter_id)
    where status = 'pending_approval' and deleted_at is null;
