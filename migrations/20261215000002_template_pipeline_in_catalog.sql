-- The template pipeline and the names of every pipeline's stages join the
-- cached catalog (src/catalog.rs): the candidate profile built the template
-- again for each application, a fifth of its dearest statement, the
-- candidate list read the names for its filter on every search, and they
-- change a few times a year. A requirement's own copy is still read with
-- its application; a change to one renews the catalog too (its names are
-- in the list's filter).
create trigger pipeline_stages_catalog_changed
    after insert or update or delete or truncate on pipeline_stages
    for each statement execute function catalog_changed();
