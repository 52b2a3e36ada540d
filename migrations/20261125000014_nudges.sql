-- NOTIFY after commit (src/nudge.rs says why). A transaction writes its
-- NOTIFYs here; a short transaction sends them once it has committed.
-- Unlogged: writing a nudge adds no WAL to the change's commit, sending one
-- commits without waiting for a disk flush, and a nudge lost in a crash
-- costs nothing (live streams re-read on reconnecting, workers also poll).
create unlogged table nudges (
    id bigint generated always as identity primary key,
    channel text not null,
    payload text not null
);

-- apalis wakes its workers with a NOTIFY from a trigger on every queued
-- task, inside the transaction that queues it (a decision queueing mail):
-- the same function, with the same payload, now goes through nudges.
-- db::migrate runs apalis' migrations before ours, so this replaces theirs.
create or replace function apalis.notify_new_jobs() returns trigger
language plpgsql as $$
begin
    if new.run_at <= now() then
        insert into public.nudges (channel, payload)
        values ('apalis::job::insert',
                json_build_object('job_type', new.job_type, 'id', new.id, 'run_at', new.run_at)::text);
    end if;
    return new;
end;
$$;
