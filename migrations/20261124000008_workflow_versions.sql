-- Workflow versions: every save of a workflow is kept, so the admin pages
-- show who saved which version when and what changed, and an approval's
-- recorded (workflow_id, workflow_version) can always be read back.
create table workflow_versions (
    workflow_id uuid not null references approval_workflows (id),
    version     integer not null check (version >= 1),
    name        text not null,
    conditions  jsonb not null,
    -- The ordered steps as saved: [{name, approver_kind, approver_ids,
    -- approver_role, required, sla_hours}, …]; position is the index + 1.
    steps       jsonb not null,
    -- Null for versions nobody signed in saved (the migration's default,
    -- the demo seed).
    saved_by    uuid references users (id),
    saved_at    timestamptz not null default now(),
    primary key (workflow_id, version)
);

-- What exists already is its own first recorded version.
insert into workflow_versions (workflow_id, version, name, conditions, steps, saved_at)
select w.id, w.version, w.name, w.conditions,
       coalesce((select jsonb_agg(jsonb_build_object(
                        'name', s.name, 'approver_kind', s.approver_kind,
                        'approver_ids', to_jsonb(s.approver_ids), 'approver_role', s.approver_role,
                        'required', s.required, 'sla_hours', s.sla_hours) order by s.position)
                   from workflow_steps s where s.workflow_id = w.id), '[]'),
       w.updated_at
  from approval_workflows w;

-- A task keeps the SLA of the step it was created for: editing the workflow
-- afterwards (which rewrites workflow_steps) leaves running approvals on the
-- terms they started with.
alter table approval_tasks add column sla_hours integer not null default 48 check (sla_hours >= 1);
update approval_tasks t set sla_hours = s.sla_hours
  from approvals a, workflow_steps s
 where a.id = t.approval_id and s.workflow_id = a.workflow_id and s.position = t.step;
