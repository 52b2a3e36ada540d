-- Stored mail no longer holds working secrets (issue 10, item 3): a link's
-- token is kept in the body as '[token-withheld]' and, sealed with a key
-- derived from SECRET_KEY (AES-256-GCM, nonce first), in this column, for
-- delivery to put back. Null for mail without a token.
alter table outbox add column sealed_token bytea;

-- Mail queued before this version holds its tokens in clear. Mask them:
-- a message still unsent goes out with a masked link (its recipient asks
-- again), which is better than live reset, invitation and approval links
-- in every backup and on the Outbox page.
update outbox
   set body_text = regexp_replace(body_text,
         '(/password-reset/|/invitation/|[?&]token=)[A-Za-z0-9_-]+', '\1[token-withheld]', 'g'),
       body_html = regexp_replace(body_html,
         '(/password-reset/|/invitation/|[?&](amp;)?token=)[A-Za-z0-9_-]+', '\1[token-withheld]', 'g')
 where template in ('invitation', 'password_reset', 'approval.pending');
