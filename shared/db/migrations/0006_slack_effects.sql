-- Slack effects a function owes: the run message, a summary, a DM, a thread notice. Written in the
-- same transaction as the state change that makes them due, then carried out after commit and
-- retried with backoff until Slack takes them, so a Slack outage delays a post but never loses it.
create table slack_effects (
  id bigserial primary key,
  -- What to do (the executor's name) and the unit of dedupe: one pending effect per key, so many
  -- order changes in a burst coalesce into one run-message refresh.
  kind text not null,
  key text not null,
  -- Effects of one scope (a run) run one at a time, oldest first, so posts keep their order.
  scope text not null,
  payload jsonb not null,
  -- Bumped when the effect is asked for again while pending; an executor that rendered an older
  -- generation runs again instead of being marked done.
  generation integer not null default 1,
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  -- A claim: whoever set it runs the effect until then; an expired lease is free to take.
  lease_until timestamptz,
  last_error text,
  created_at timestamptz not null,
  done_at timestamptz,
  -- Given up (Slack refused it for good, or it stayed undeliverable too long): an operator can
  -- see it with `npm run dead-letters -- list` and replay it.
  parked_at timestamptz
);

create unique index slack_effects_one_pending_per_key on slack_effects (key)
  where done_at is null and parked_at is null;
create index slack_effects_pending on slack_effects (scope, id)
  where done_at is null and parked_at is null;
create index slack_effects_due on slack_effects (next_attempt_at)
  where done_at is null and parked_at is null;

-- A post whose outcome is unknown (Slack timed out or answered 5xx) is recorded before the call
-- with no ts: the next attempt looks the message up by its metadata before posting again.
alter table slack_messages alter column ts drop not null;
alter table slack_messages add column thread_ts text;
alter table slack_messages add column attempted_at timestamptz;

-- Effects replaced the after-commit step that ran under an advisory lock.
alter table processed_events drop column effects_done_at;

-- The run message becomes one more post recorded here (runs.message_ts stays its public address).
insert into slack_messages (run_id, kind, channel, ts, attempted_at)
select id, 'run_message', message_channel, message_ts, started_at
from runs
where message_ts is not null
on conflict (run_id, kind) do nothing;

-- The run-message refresh coalesces by its effect's generation now; the version is unused.
alter table runs drop column orders_version;

-- Dead letters an operator replayed stay for the record, marked, and leave the default listing.
alter table dead_letter_events add column replayed_at timestamptz;
