-- A message may wait before it goes (a rejection mail waits a while, so a
-- rejection by mistake can be undone before the candidate hears of it), and
-- be cancelled until then. The application it is about, for a rejection
-- mail: its profile shows the wait and offers the cancel.
alter table outbox
    add column send_at        timestamptz,
    add column cancelled_at   timestamptz,
    add column application_id uuid references applications (id);
create index outbox_application_idx on outbox (application_id) where application_id is not null;
