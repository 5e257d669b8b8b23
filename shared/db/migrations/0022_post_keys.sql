-- A post's record is keyed by an opaque post key (`PostKey`, shared/effects/slack-posts.ts) with
-- when it may be deleted, like an idempotency record. A run's posts (`run:<run id>:<kind>`) keep
-- their run id and go with the run (expires_at null). A post that belongs to no run has no run id
-- and expires on its own; the retention tick deletes it then.
alter table slack_messages add column post_key text;
alter table slack_messages add column expires_at timestamptz;
alter table slack_messages drop constraint slack_messages_pkey;
alter table slack_messages alter column run_id drop not null;

update slack_messages set post_key = 'run:' || run_id || ':' || kind where kind <> 'reset_notice';

-- Reset notices took a made-up run id (a uuid v5 of their event id) that no run has, so nothing
-- ever deleted them. Their new keys name the event, which that id cannot give back: they keep the
-- old id in their key and expire 45 days after their post (PROCESSED_EVENTS_RETENTION_DAYS' default).
update slack_messages
set post_key = 'reset_notice:' || run_id,
  expires_at = coalesce(attempted_at, created_at) + interval '45 days',
  run_id = null
where kind = 'reset_notice';

alter table slack_messages alter column post_key set not null;
alter table slack_messages add primary key (post_key);
create index slack_messages_run on slack_messages (run_id) where run_id is not null;
create index slack_messages_expiry on slack_messages (expires_at) where expires_at is not null;
