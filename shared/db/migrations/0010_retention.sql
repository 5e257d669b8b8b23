-- Retention and channel reset (admin): runs are deleted with everything that hangs off them, and
-- the bookkeeping tables are trimmed, in batches of 1000. These indexes make each batch a few index
-- lookups; without them every deleted run would scan whole tables.
--
-- Plain (not concurrent) builds: migrations run in one transaction. On a large deployment this
-- blocks writes to these tables for the seconds a build takes, once, at upgrade.

-- A run's orders and reminders, whatever their state: the existing indexes on run_id are partial
-- (active orders, pending reminders), and both the explicit deletes and the foreign keys' cascade
-- look rows up by run_id.
create index orders_run on orders (run_id);
create index reminders_run on reminders (run_id);

-- A run's Slack effects (scope = run id), done and parked ones included.
create index slack_effects_scope on slack_effects (scope);

-- The windows the daily tick trims: published outbox rows, dedupe rows, finished effects.
create index outbox_published on outbox (published_at) where published_at is not null;
create index processed_events_processed on processed_events (processed_at);
create index slack_effects_done on slack_effects (done_at) where done_at is not null;
