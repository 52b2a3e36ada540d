-- The Outbox and the notification list page on (created_at, id), newest
-- first: rows that share a time are neither skipped nor shown twice at a
-- page's edge. Each list has an index in that order, walked backwards.
create index outbox_created_id_idx on outbox (created_at, id);
drop index outbox_created_idx;

-- Also serves everything the old (user_id, created_at desc) index did.
create index notifications_user_created_id_idx on notifications (user_id, created_at, id);
drop index notifications_user_idx;
