-- The careers site at 2,000 jobs: the description rendered once when a job
-- is saved (not on every view and feed), the words searched indexed, and
-- one time that says when the public jobs last changed.

-- Sanitized HTML of the Markdown description, written with it.
alter table postings add column description_html text not null default '';

-- What the careers search reads: the public title first, then the text.
alter table postings add column search tsvector generated always as (
    setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', description), 'B')) stored;
create index postings_search_idx on postings using gin (search);

-- When the public jobs last changed: the newest posting's change. A
-- requirement put on hold, filled, cancelled, deleted or moved to another
-- department changes what its job shows, so it touches its posting.
create index postings_updated_idx on postings (updated_at desc);
create function touch_posting() returns trigger language plpgsql as $$
begin
    update postings set updated_at = now() where requirement_id = new.id;
    return null;
end $$;
create trigger requirements_touch_posting
    after update of status, deleted_at, department_id on requirements
    for each row
    when (old.status is distinct from new.status
          or old.deleted_at is distinct from new.deleted_at
          or old.department_id is distinct from new.department_id)
    execute function touch_posting();
