-- A GIN index's pending list (fastupdate, on by default) makes a write
-- cheap and every search dearer: each search reads the whole list, up to
-- 4 MB, until a vacuum merges it. A resume read in the background adds
-- its thousands of words to its candidate's row, so after a burst of
-- uploads a one-word candidate search read 259 pending pages (1.1 ms where
-- 0.16 ms does). Searches far outnumber these writes, which are background
-- work anyway: words go into the index proper as they are written.
alter index candidates_search_idx set (fastupdate = off);
alter index requirements_search_idx set (fastupdate = off);
alter index postings_search_idx set (fastupdate = off);
-- What is pending now, merged once.
select gin_clean_pending_list('candidates_search_idx'::regclass);
select gin_clean_pending_list('requirements_search_idx'::regclass);
select gin_clean_pending_list('postings_search_idx'::regclass);
