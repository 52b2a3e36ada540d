-- A file's words as candidate search reads them, computed once per content
-- when its text is read, instead of each time a candidate holding it is
-- reindexed (reading 400 KB of resume text into a vector takes ~35 ms; adding
-- a ready vector to a candidate's, ~2 ms): an application from the careers
-- site reindexes its new candidate.
alter table file_blobs add column search tsvector;
update file_blobs set search = setweight(to_tsvector('simple', left(text, 400000)), 'D')
 where text is not null;

-- The vectors of a candidate's files, one after the other.
create aggregate tsvector_agg (tsvector) (sfunc = tsvector_concat, stype = tsvector, initcond = '');

create or replace function candidate_search(candidate uuid) returns tsvector
language sql stable as $$
    select setweight(to_tsvector('simple', c.full_name), 'A')
        || setweight(to_tsvector('simple', coalesce(
               (select string_agg(e.email, ' ') from candidate_emails e where e.candidate_id = c.id), '')), 'A')
        || setweight(to_tsvector('simple', concat_ws(' ', c.phone, c.phone_digits,
               array_to_string(c.tags, ' '), array_to_string(c.skills, ' '))), 'B')
        || coalesce((select tsvector_agg(b.search) from file_attachments f join file_blobs b on b.sha256 = f.sha256
                      where f.candidate_id = c.id and f.deleted_at is null and b.search is not null),
                    ''::tsvector)
      from candidates c where c.id = candidate
$$;
