-- Re-approval of a material change to an approved requirement.

-- What the approvers were asked to approve: the requirement's fields at
-- submit. The newest approved one is "the last approval" a later change is
-- compared with (and restored from when the change is declined).
alter table approvals add column fields jsonb;

-- Set when the approval is for a change to a requirement that was already
-- approved: the status it returns to once the change is decided.
alter table approvals add column resume_status text
    check (resume_status in ('approved', 'open', 'on_hold'));
