-- Every message a consumer posted for a run, recorded the moment Slack accepted it and committed
-- on its own (not with the consumer's transaction), so a retry after a later failure edits the
-- message instead of posting it again. No foreign key: writing here must never wait on the run
-- row the consumer holds locked.
create table slack_messages (
  run_id uuid not null,
  kind text not null,
  channel text not null,
  ts text not null,
  created_at timestamptz not null default now(),
  primary key (run_id, kind)
);

-- Superseded by slack_messages.
alter table runs drop column summary_ts;
alter table runs drop column runner_dm_channel;
alter table runs drop column runner_dm_ts;

-- When a consumer's after-commit effects (its Slack posts) finished for an event: a redelivery
-- before then finishes them, one after then changes nothing.
alter table processed_events add column effects_done_at timestamptz;
