-- Each process caches the departments and job levels its requirement pages
-- offer (src/catalog.rs). This one row counts committed changes to them, or
-- to a person's name (a department's head is shown by name); the query that
-- loads the signed-in user on every request reads it, so a cache knows it
-- is out of date without a round trip of its own. A trigger rather than the
-- code that writes, so that no write (an admin page, a seed, a hand-run
-- UPDATE) can forget.
create table catalog_version (
    only_row boolean primary key default true check (only_row),
    version bigint not null default 0
);
insert into catalog_version default values;

create function catalog_changed() returns trigger
language plpgsql as $$
begin
    update catalog_version set version = version + 1;
    return null;
end $$;

create trigger departments_catalog_changed
    after insert or update or delete or truncate on departments
    for each statement execute function catalog_changed();

create trigger job_levels_catalog_changed
    after insert or update or delete or truncate on job_levels
    for each statement execute function catalog_changed();

create trigger users_catalog_changed
    after update of full_name on users
    for each statement execute function catalog_changed();
