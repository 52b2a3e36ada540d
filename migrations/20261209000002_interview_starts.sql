-- Interviews by start: the conflicts of a panel, and each person's feed,
-- read the interviews starting in a window. An interview lasts at most
-- eight hours, so those overlapping a span start at most eight hours
-- before it: a bounded range of this index.
create index interviews_starts_idx on interviews (starts_at) where status in ('scheduled', 'completed');

-- The eight hours, kept by the database as well as by the form.
alter table interviews add constraint interviews_length check (ends_at - starts_at <= interval '8 hours');
