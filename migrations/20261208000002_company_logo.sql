-- The company's logo on the careers site: stored in the file store under
-- `logos/<sha256>`, its type and size read from its bytes when uploaded
-- (the page reserves its box before it loads).
alter table careers_settings
    add column logo_sha256 text check (logo_sha256 ~ '^[0-9a-f]{64}$'),
    add column logo_type   text check (logo_type in ('png', 'jpeg', 'webp')),
    add column logo_width  integer check (logo_width between 1 and 4000),
    add column logo_height integer check (logo_height between 1 and 4000),
    add check ((logo_sha256 is null) = (logo_type is null)
               and (logo_sha256 is null) = (logo_width is null)
               and (logo_sha256 is null) = (logo_height is null));
