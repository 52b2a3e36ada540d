-- Possible duplicates (src/domain/recruiting/duplicates.rs): the same name
-- (any case) is looked up by this index; the same phone by
-- `candidates_phone_idx` (the last nine digits).
create index candidates_name_idx on candidates (lower(full_name)) where deleted_at is null;
