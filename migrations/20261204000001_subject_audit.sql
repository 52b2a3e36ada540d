-- A subject's history is its audit entries, those of its parts (a
-- requirement's openings) and those of its approvals' tasks. This view
-- names the subject of each such entry, one branch per kind of entry, so
-- the history of any subject (a requirement today; a candidate or an offer
-- next) is one read of it: a new kind of subject or part adds a branch,
-- as it does to `approval_subjects`.
create view subject_audit as
select 'requirement'::text as subject_type, a.entity_id as subject_id, a.id as audit_id
  from audit_logs a
 where a.entity_type = 'requirement'
union all
select 'requirement', o.requirement_id, a.id
  from audit_logs a
  join openings o on o.id = a.entity_id
 where a.entity_type = 'opening'
union all
select p.subject_type, p.subject_id, a.id
  from audit_logs a
  join approval_tasks t on t.id = a.entity_id
  join approvals p on p.id = t.approval_id
 where a.entity_type = 'approval_task';
