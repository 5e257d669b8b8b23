-- "How was this run?": one answer per participant per completed run, changeable (the row is
-- overwritten). Deleted with the run (retention, channel reset) and with the user.
create table run_feedback (
  run_id uuid not null references runs (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  answer text not null check (answer in ('up', 'down')),
  answered_at timestamptz not null,
  primary key (run_id, user_id)
);
