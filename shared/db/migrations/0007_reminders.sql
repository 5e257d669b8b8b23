-- Reminders, last call and scheduled close (reminder-due).

-- When ordering closes by itself (`/coffee 10:30 Lobby closes 10:15`); null: only by hand.
alter table runs add column closes_at timestamptz;
create index runs_scheduled_close on runs (closes_at) where status = 'open' and closes_at is not null;

-- Who a reminder is for (the runner it was scheduled for; null for a last call in the thread).
alter table reminders add column recipient_slack_user_id text;
-- A runner who changes gets a new reminder while the old one stays, canceled, for the record:
-- one pending runner reminder per run, and one last call per run ever.
alter table reminders drop constraint reminders_run_id_kind_key;
create unique index reminders_one_pending_runner on reminders (run_id)
  where kind = 'runner' and sent_at is null and canceled_at is null;
create unique index reminders_one_last_call on reminders (run_id) where kind = 'last_call';

-- Null means "the deployment's default" (REMINDER_OFFSET_MINUTES, LAST_CALL_MINUTES) until a
-- channel admin sets its own.
alter table channels alter column reminder_offset_minutes drop not null;
alter table channels alter column reminder_offset_minutes drop default;
update channels set reminder_offset_minutes = null where reminder_offset_minutes = 5;
alter table channels add column last_call_minutes integer check (last_call_minutes between 1 and 60);
-- Last call is on unless a channel turns it off (nobody could have turned it off before now).
alter table channels alter column last_call_enabled set default true;
update channels set last_call_enabled = true;
