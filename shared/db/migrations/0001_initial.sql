-- CoffeeBuddy initial schema. Forward only: never edit a migration that has shipped; add a new one.

create table users (
  id uuid primary key default gen_random_uuid(),
  slack_user_id text not null unique,
  slack_team_id text not null,
  display_name text,
  time_zone text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table channels (
  id uuid primary key default gen_random_uuid(),
  slack_channel_id text not null unique,
  slack_team_id text not null,
  name text,
  enabled boolean not null default true,
  reminders_enabled boolean not null default true,
  reminder_offset_minutes integer not null default 5
    check (reminder_offset_minutes between 0 and 120),
  last_call_enabled boolean not null default false,
  fairness_window_runs integer not null default 5
    check (fairness_window_runs between 1 and 100),
  data_retention_days integer not null default 90
    check (data_retention_days between 1 and 3650),
  admin_slack_user_ids text[] not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table runs (
  id uuid primary key default gen_random_uuid(),
  channel_id uuid not null references channels (id) on delete cascade,
  initiator_id uuid not null references users (id),
  runner_id uuid references users (id),
  status text not null default 'open'
    check (status in ('open', 'closed', 'completed', 'canceled', 'failed')),
  pickup_at timestamptz,
  note text not null default '',
  time_zone text not null,
  message_channel text,
  message_ts text,
  summary_ts text,
  runner_dm_channel text,
  runner_dm_ts text,
  runner_reason text,
  failure_reason text,
  started_at timestamptz not null default now(),
  close_requested_at timestamptz,
  closed_at timestamptz,
  completed_at timestamptz,
  canceled_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One open run per channel keeps "/coffee close" and the buttons unambiguous.
create unique index runs_one_open_per_channel on runs (channel_id) where status = 'open';
create index runs_channel_started on runs (channel_id, started_at desc);

create table orders (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null references runs (id) on delete cascade,
  user_id uuid not null references users (id),
  drink text,
  size text,
  customizations text,
  free_text text,
  status text not null default 'active' check (status in ('active', 'withdrawn')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (drink is not null or free_text is not null)
);

-- The database, not the application, guarantees one active order per user per run.
create unique index orders_one_active_per_user_per_run on orders (run_id, user_id) where status = 'active';

create table user_preferences (
  user_id uuid not null references users (id) on delete cascade,
  channel_id uuid not null references channels (id) on delete cascade,
  last_order jsonb not null,
  usual_counts jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (user_id, channel_id)
);

create table reminders (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null references runs (id) on delete cascade,
  kind text not null check (kind in ('runner', 'last_call')),
  due_at timestamptz not null,
  sent_at timestamptz,
  canceled_at timestamptz,
  created_at timestamptz not null default now(),
  unique (run_id, kind)
);

create index reminders_due on reminders (due_at) where sent_at is null and canceled_at is null;

create table channel_admin_actions (
  id uuid primary key default gen_random_uuid(),
  channel_id uuid references channels (id) on delete set null,
  slack_channel_id text not null,
  actor_slack_user_id text not null,
  action text not null,
  changes jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);

-- Runs served per person per channel: what the fairness rule and /coffee stats read.
create view runner_stats as
select
  r.channel_id,
  r.runner_id as user_id,
  count(*) as runs_served,
  max(r.closed_at) as last_served_at
from runs r
where r.runner_id is not null
  and r.status in ('closed', 'completed')
group by r.channel_id, r.runner_id;

-- A consumer records each CloudEvent id it handled in the same transaction as its effects.
create table processed_events (
  consumer text not null,
  event_id text not null,
  processed_at timestamptz not null default now(),
  primary key (consumer, event_id)
);

-- Events are written here with the state change and published after commit.
create table outbox (
  id uuid primary key default gen_random_uuid(),
  event_id text not null unique,
  type text not null,
  source text not null,
  subject text,
  partition_key text not null,
  data jsonb not null,
  extensions jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  published_at timestamptz,
  attempts integer not null default 0,
  last_error text
);

create index outbox_pending on outbox (created_at) where published_at is null;

-- Deliveries that failed for good, parked for an operator to inspect and replay.
create table dead_letter_events (
  id uuid primary key default gen_random_uuid(),
  consumer text not null,
  event_id text not null,
  type text not null,
  source text not null,
  subject text,
  attributes jsonb not null,
  data jsonb,
  status_code integer,
  error text not null,
  attempts integer not null,
  created_at timestamptz not null default now()
);
