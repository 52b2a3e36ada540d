-- Comment threads (requirements now; candidates and offers later) and the
-- handles people are mentioned by.

-- A handle is what follows the @ in a comment: lower-case ASCII letters and
-- digits in dot-separated parts, made once from the full name
-- ('Hana Head' -> 'hana.head', the next Hana Head gets 'hana.head2'). It is
-- stable: renaming a user does not change it, so old mentions stay right.
-- ASCII only, so anyone can type it: accents are dropped ('Zoë' -> 'zoe'),
-- and a name with no ASCII letter at all gets 'user'.
create function user_handle(full_name text) returns text
language plpgsql volatile as $$
declare
    -- Accents off first: lower() leaves non-ASCII capitals alone under the
    -- C collation, but 'Å' decomposes to an ASCII 'A' and a ring.
    plain text := lower(regexp_replace(normalize(full_name, NFD), '[\u0300-\u036f]', '', 'g'));
    base text := coalesce(
        nullif(btrim(left(btrim(regexp_replace(plain, '[^a-z0-9]+', '.', 'g'), '.'), 40), '.'), ''),
        'user');
    candidate text := base;
    n integer := 1;
begin
    while exists (select 1 from users where handle = candidate) loop
        n := n + 1;
        candidate := base || n;
    end loop;
    return candidate;
end $$;

alter table users add column handle text;

-- One statement per user, oldest first, so each sees the handles already
-- given and the first of two namesakes keeps the plain one.
do $$
declare
    u record;
begin
    for u in select id, full_name from users order by created_at, id loop
        update users set handle = user_handle(u.full_name) where id = u.id;
    end loop;
end $$;

-- Every insert that names no handle gets one (the application's and the
-- set-based loads alike). A row-level BEFORE trigger sees the rows an
-- earlier row of the same statement inserted, so namesakes loaded together
-- still get distinct handles.
create function users_fill_handle() returns trigger
language plpgsql as $$
begin
    new.handle := user_handle(new.full_name);
    return new;
end $$;
create trigger users_fill_handle before insert on users
    for each row when (new.handle is null) execute function users_fill_handle();

alter table users
    alter column handle set not null,
    add constraint users_handle_key unique (handle),
    add constraint users_handle_format check (handle ~ '^[a-z0-9]+(\.[a-z0-9]+)*$');

create table comments (
    id           uuid primary key default gen_random_uuid(),
    -- What the thread belongs to. No foreign key can point at three tables;
    -- the application checks the subject exists and who may see it.
    subject_type text not null check (subject_type in ('requirement', 'candidate', 'offer')),
    subject_id   uuid not null,
    author_id    uuid not null references users (id),
    -- Markdown as typed; rendered sanitized on display.
    body         text not null check (length(btrim(body)) between 1 and 10000),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    -- Soft delete: the audit keeps what was said, the thread hides it.
    deleted_at   timestamptz,
    -- Optimistic locking for edits.
    version      integer not null default 1
);
-- A thread is read oldest first.
create index comments_subject_idx on comments (subject_type, subject_id, created_at);
