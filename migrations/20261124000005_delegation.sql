-- Out-of-office delegation: between the two dates (inclusive) the delegate
-- may decide approvals in the user's name, including ones already waiting.
-- Decisions record both people (approval_tasks.decided_by and the audit
-- row's on_behalf_of).
alter table users
    add column delegate_id    uuid references users (id),
    add column delegate_from  date,
    add column delegate_until date,
    add constraint users_delegate_not_self check (delegate_id is null or delegate_id <> id),
    add constraint users_delegate_dates check (
        (delegate_id is null and delegate_from is null and delegate_until is null)
        or (delegate_id is not null and delegate_from is not null and delegate_until is not null
            and delegate_from <= delegate_until));
create index users_delegate_idx on users (delegate_id) where delegate_id is not null;
