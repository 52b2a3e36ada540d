-- The careers site at 2,000 jobs: the description rendered once when a job
-- is saved (not on every view and feed), the words searched indexed, and
-- one time that says when the public jobs last changed.

-- Sanitized HTML of the Markdown description, written with it.
alter table postings add column description_html text not null default '';

-- What the careers search reads: the public title first, then the text.
alter table postings add column search tsvector generated always as (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', description), 'B')) stored;
create index postings_search_idx on postings using gin (search);

-- Whether its requirement recruits (open, not deleted) and in which
-- department, kept on the posting by the requirement's trigger, so that
-- the public pages read postings alone: the newest public jobs walk one
-- index, whatever else there is.
alter table postings
    add column live boolean not null default false,
    add column department_id uuid references departments (id);
update postings p set live = (r.status = 'open' and r.deleted_at is null), department_id = r.department_id
  from requirements r where r.id = p.requirement_id;
alter table postings alter column department_id set not null;
create index postings_public_idx on postings (published_at desc, requirement_id desc)
    where published_at is not null and live;

-- When the public jobs last changed: the newest posting's change. A
-- requirement put on hold, filled, cancelled, deleted or moved to another
-- department changes what its job shows: its trigger touches the posting.
create index postings_updated_idx on postings (updated_at desc);
create function touch_posting() returns trigger language plpgsql as $$
begin
    update postings
       set live = (new.status = 'open' and new.deleted_at is null),
           department_id = new.department_id,
           updated_at = now()
     where requirement_id = new.id;
    return null;
end $$;
create trigger requirements_touch_posting
    after update of status, deleted_at, department_id on requirements
    for each row
    when (old.status is distinct from new.status
          or old.deleted_at is distinct from new.deleted_at
          or old.department_id is distinct from new.department_id)
    execute function touch_posting();
