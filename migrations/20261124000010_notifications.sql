-- In-app notifications and each user's choice of how to be told.

-- One row per person told about one event, written in the transaction of
-- the change: if it rolls back, nobody was told. Unread until read_at.
create table notifications (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid not null references users (id),
    event        text not null,
    -- What it is about, e.g. ('requirement', id): the item links there.
    subject_type text not null,
    subject_id   uuid not null,
    text         text not null,
    link         text not null,
    actor_id     uuid references users (id),
    created_at   timestamptz not null default now(),
    read_at      timestamptz,
    -- Set once a daily digest listed it.
    digested_at  timestamptz
);
create index notifications_user_idx on notifications (user_id, created_at desc);
create index notifications_unread_idx on notifications (user_id) where read_at is null;

-- Per user and event: 'immediately', 'digest' or 'off'. No row: the
-- event's default (src/domain/notify.rs).
create table notification_preferences (
    user_id  uuid not null references users (id),
    event    text not null,
    delivery text not null check (delivery in ('immediately', 'digest', 'off')),
    primary key (user_id, event)
);
