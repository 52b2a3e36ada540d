-- Applications hidden by a merge, and indexes for the recruiting pages.

-- An application left with a record merged away (it shared a requirement
-- with the record kept, and had ended): hidden from the board's counts and
-- every other count of applications, until the merge is split back.
alter table applications add column hidden boolean not null default false;

-- The open requirements a person recruits for, by each of the roles that
-- does (recruiter, hiring manager, requester), newest first: the choices
-- for adding a candidate to one (requirement::recruiting_for).
create index requirements_recruiting_recruiter_idx on requirements (recruiter_id, created_at desc)
    where status in ('open', 'on_hold') and deleted_at is null;
create index requirements_recruiting_hm_idx on requirements (hiring_manager_id, created_at desc)
    where status in ('open', 'on_hold') and deleted_at is null;
create index requirements_recruiting_creator_idx on requirements (created_by, created_at desc)
    where status in ('open', 'on_hold') and deleted_at is null;

-- A board: its columns' counts read from the index alone, and each
-- column's longest-waiting cards in order, with no sort.
drop index applications_board_idx;
create index applications_board_idx on applications (requirement_id, stage_id, stage_entered_at, id)
    where not hidden;
