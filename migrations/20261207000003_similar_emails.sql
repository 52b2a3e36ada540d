-- Possible duplicates by "the same name and a similar email address": an
-- address's part before the @, without dots, dashes, underscores and a
-- +tag ("Ana.Costa+jobs@x" and "anacosta@y" are similar), found through an
-- index on it instead of by reading the addresses of everyone who shares
-- the name (a common name is shared by a hundred people in a million).
create function email_local(email text) returns text
language sql immutable parallel safe as $$
    select regexp_replace(split_part(lower(email), '@', 1), '[._-]|\+.*$', '', 'g')
$$;
create index candidate_emails_local_idx on candidate_emails (email_local(email));

-- The names were the way in before; now only a check on the few found.
drop index candidates_name_idx;
