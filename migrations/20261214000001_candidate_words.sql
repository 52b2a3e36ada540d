-- A new candidate's search words are written with their row. Before, the
-- row was inserted with none and then updated: a second version of the
-- row, and of its index entries, on every application from the careers
-- site. `candidate_words` is what search reads of a candidate besides
-- their files (the same words as before, addresses in their order);
-- `candidate_search` adds the files' words to it.
create function candidate_words(full_name text, emails text[], phone text, tags text[], skills text[])
returns tsvector language sql immutable parallel safe as $$
    select setweight(to_tsvector('simple', full_name), 'A')
        || setweight(to_tsvector('simple', coalesce(array_to_string(emails, ' '), '')), 'A')
        || setweight(to_tsvector('simple', concat_ws(' ', phone, regexp_replace(phone, '\D', '', 'g'),
               array_to_string(tags, ' '), array_to_string(skills, ' '))), 'B')
$$;

create or replace function candidate_search(candidate uuid) returns tsvector
language plpgsql stable as $$
begin
    return (
        select candidate_words(c.full_name,
                               array(select e.email from candidate_emails e where e.candidate_id = c.id
                                      order by e.position, e.email),
                               c.phone, c.tags, c.skills)
            || coalesce((select tsvector_agg(b.search) from file_attachments f join file_blobs b on b.sha256 = f.sha256
                          where f.candidate_id = c.id and f.deleted_at is null and b.search is not null),
                        ''::tsvector)
          from candidates c where c.id = candidate);
end
$$;
