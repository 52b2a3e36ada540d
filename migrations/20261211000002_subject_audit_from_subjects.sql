-- A subject's history read its related rows' audit entries by joining
-- them to every entry of their kind: with statistics from when there were
-- few, the planner hashed all of them (every stage move in the company,
-- 1,500 rows read for one candidate's page at 20,000 requirements, and
-- growing with every move). Each branch now starts from the subject's own
-- rows (its openings, applications, interviews, …), which the outer
-- condition on the subject narrows through their indexes, and reads each
-- row's entries by key behind an offset 0 fence the planner cannot turn
-- into a join over all of them. Same columns, same rows.
create or replace view subject_audit as
select 'requirement'::text as subject_type, a.entity_id as subject_id, a.id as audit_id
  from audit_logs a
 where a.entity_type = 'requirement'
union all
select 'requirement', o.requirement_id, a.id
  from openings o
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'opening' and a.entity_id = o.id offset 0) a
union all
select p.subject_type, p.subject_id, a.id
  from approvals p
  join approval_tasks t on t.approval_id = p.id
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'approval_task' and a.entity_id = t.id offset 0) a
union all
select 'candidate', a.entity_id, a.id
  from audit_logs a
 where a.entity_type = 'candidate'
union all
select 'candidate', c.merged_into, a.id
  from candidates c
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'candidate' and a.entity_id = c.id
                        and a.action <> 'candidate.merged_away' offset 0) a
 where c.merged_into is not null
union all
select 'candidate', p.candidate_id, a.id
  from applications p
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'application' and a.entity_id = p.id offset 0) a
union all
select 'candidate', p.candidate_id, a.id
  from applications p
  join interviews i on i.application_id = p.id
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'interview' and a.entity_id = i.id offset 0) a
union all
select 'candidate', p.candidate_id, a.id
  from applications p
  join interviews i on i.application_id = p.id
  join scorecards s on s.interview_id = i.id
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'scorecard' and a.entity_id = s.id offset 0) a
union all
select 'offer', a.entity_id, a.id
  from audit_logs a
 where a.entity_type = 'offer'
union all
select 'candidate', p.candidate_id, a.id
  from applications p
  join offers o on o.application_id = p.id
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'offer' and a.entity_id = o.id offset 0) a
union all
select 'candidate', p.candidate_id, a.id
  from applications p
  join offers o on o.application_id = p.id
  join onboardings b on b.offer_id = o.id
  join onboarding_tasks t on t.onboarding_id = b.id
 cross join lateral (select a.id from audit_logs a
                      where a.entity_type = 'onboarding_task' and a.entity_id = t.id offset 0) a;
