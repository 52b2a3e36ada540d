-- A mailed approval link is bound to the person it was mailed to: it dies
-- when the task goes to someone else (reassignment), not just when the
-- requirement changes. Existing links belong to their task's approver now.
alter table approval_links add column approver_id uuid references users (id);
update approval_links l set approver_id = t.approver_id
  from approval_tasks t where t.id = l.task_id;
alter table approval_links alter column approver_id set not null;

-- The approvals inbox pages each tab by keyset, so each tab has an index in
-- its own order, holding only its own rows:
-- "waiting": an approver's pending tasks, the longest waiting first (also
-- what the navigation's count reads);
create index approval_tasks_waiting_idx on approval_tasks (approver_id, started_at, id)
    where status = 'pending';
-- "decided": what a person decided, the newest first (walked backwards).
create index approval_tasks_decided_idx on approval_tasks (decided_by, decided_at, id)
    where status in ('approved', 'rejected', 'changes_requested');
-- Served by the two above.
drop index approval_tasks_inbox_idx;

-- A step may name who stands in when every approver it names requested or
-- works on the requirement; without one, the parent department's head, the
-- approvers' managers, then the admins do.
alter table workflow_steps add column fallback_id uuid references users (id);
