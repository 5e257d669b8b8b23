-- "I'll go" before close: a volunteer wins the runner choice outright.
create table run_volunteers (
  run_id uuid not null references runs (id) on delete cascade,
  user_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  primary key (run_id, user_id)
);

-- "I can't go" after the pick: never chosen again for that run.
create table run_declines (
  run_id uuid not null references runs (id) on delete cascade,
  user_id uuid not null references users (id),
  created_at timestamptz not null default now(),
  primary key (run_id, user_id)
);

-- When the current runner was assigned, for "longest since they last served" and for stats.
alter table runs add column runner_assigned_at timestamptz;
alter table runs add column canceled_by text;
