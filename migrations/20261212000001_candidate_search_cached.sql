-- A candidate's search words are recomputed on every upload, application
-- from the careers site and edit. As a SQL function its query was parsed
-- and planned on each call (0.27 ms, three times what running it takes);
-- PL/pgSQL keeps the plan for the session. Same words as before.
create or replace function candidate_search(candidate uuid) returns tsvector
language plpgsql stable as $$
begin
    return (
        select setweight(to_tsvector('simple', c.full_name), 'A')
            || setweight(to_tsvector('simple', coalesce(
                   (select string_agg(e.email, ' ') from candidate_emails e where e.candidate_id = c.id), '')), 'A')
            || setweight(to_tsvector('simple', concat_ws(' ', c.phone, c.phone_digits,
                   array_to_string(c.tags, ' '), array_to_string(c.skills, ' '))), 'B')
            || coalesce((select tsvector_agg(b.search) from file_attachments f join file_blobs b on b.sha256 = f.sha256
                          where f.candidate_id = c.id and f.deleted_at is null and b.search is not null),
                        ''::tsvector)
          from candidates c where c.id = candidate);
end
$$;
