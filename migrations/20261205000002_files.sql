-- Candidates' files (resumes and the like). The content is stored once,
-- however often it is uploaded: `file_blobs` is keyed by its sha256, which
-- is also its name in the file store (./data/files or S3).
create table file_blobs (
    sha256     text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
    size       bigint not null check (size > 0),
    -- Sniffed from the content, never taken from the name or a header.
    kind       text not null check (kind in ('pdf', 'docx', 'odt', 'rtf', 'txt')),
    -- Its text is read by a background job: 'pending' until then; 'done'
    -- with the text (empty for a scan, which holds none); 'failed' for a
    -- file that could not be read.
    text_state text not null default 'pending' check (text_state in ('pending', 'done', 'failed')),
    text       text,
    pages      integer,
    created_at timestamptz not null default now()
);

-- One upload: its name as uploaded, who uploaded it, and the candidate it
-- belongs to. None yet while a new candidate is being added from it: then
-- only its uploader may use it.
create table file_attachments (
    id           uuid primary key default gen_random_uuid(),
    sha256       text not null references file_blobs (sha256),
    candidate_id uuid references candidates (id),
    name         text not null check (length(name) between 1 and 255),
    uploaded_by  uuid references users (id),
    created_at   timestamptz not null default now(),
    deleted_at   timestamptz
);
create index file_attachments_candidate_idx on file_attachments (candidate_id) where candidate_id is not null;
create index file_attachments_sha_idx on file_attachments (sha256);
-- The same file attached to the same person once.
create unique index file_attachments_once_idx on file_attachments (candidate_id, sha256)
    where candidate_id is not null and deleted_at is null;

-- Search reads their files' text too (weight D: below name, tags and
-- skills), cut to what a text vector holds.
create or replace function candidate_search(candidate uuid) returns tsvector
language sql stable as $$
    select setweight(to_tsvector('simple', c.full_name), 'A')
        || setweight(to_tsvector('simple', coalesce(
               (select string_agg(e.email, ' ') from candidate_emails e where e.candidate_id = c.id), '')), 'A')
        || setweight(to_tsvector('simple', concat_ws(' ', c.phone, c.phone_digits,
               array_to_string(c.tags, ' '), array_to_string(c.skills, ' '))), 'B')
        || setweight(to_tsvector('simple', left(coalesce(
               (select string_agg(b.text, ' ') from file_attachments f join file_blobs b on b.sha256 = f.sha256
                 where f.candidate_id = c.id and f.deleted_at is null), ''), 400000)), 'D')
      from candidates c where c.id = candidate
$$;
