-- An opening ends filled (by a hire) or closed (with a reason), by someone.
-- Until candidates and offers exist, a hire is named in words; `hire_name`
-- stays the name shown when a hire comes from an accepted offer.
alter table openings
    add column hire_name text,
    add column settled_by uuid references users (id);

-- Openings seed-load filled before this column existed.
update openings set hire_name = 'Unnamed hire' where status = 'filled' and hire_name is null;
update openings set closed_reason = 'Closed' where status = 'closed' and closed_reason is null;

alter table openings
    add constraint openings_outcome_check check (
        (status = 'open' and hire_name is null and closed_reason is null)
        or (status = 'filled' and hire_name is not null)
        or (status = 'closed' and closed_reason is not null));
