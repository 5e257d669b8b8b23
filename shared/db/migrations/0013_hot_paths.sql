-- Indexes for the queries on hot and per-run paths, so they stay fast as history grows, and the
-- time-zone cache of `/coffee`.

-- The fairness history (servedHistory): a channel's served runs, newest first. Without it the
-- query read every run of the channel and joined each to its runner before keeping 500 (41 ms at
-- 10,000 runs in one channel of 100,000); with it, about 3 ms there.
create index runs_channel_served on runs (channel_id, closed_at desc)
  where status in ('closed', 'completed') and closed_at is not null;

-- A person's orders (their usuals in the order modal, forget-me): orders are otherwise indexed
-- by run only.
create index orders_user on orders (user_id, run_id) where status = 'active';

-- When `users.time_zone` was last read from Slack's users.info; `/coffee` uses the stored zone
-- and refreshes it in the background once it is older than a day. Null: never read, so the first
-- command waits for users.info.
alter table users add column time_zone_checked_at timestamptz;
