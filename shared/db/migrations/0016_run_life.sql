-- A run's life on record (`/coffee history`, a run's details): who started it, who closed it (or
-- that its schedule did), who was picked as runner (again after "I can't go"), who marked it done,
-- who canceled it. Kept with the run, deleted with it (retention, channel reset), unlike the
-- outbox's events, which go after 7 days.

-- Who asked for the close; null for a scheduled close (reminder-due) and for runs closed before this.
alter table runs add column close_requested_by text;

create table run_life (
  id bigint generated always as identity primary key,
  run_id uuid not null references runs (id) on delete cascade,
  what text not null check (what in ('started', 'closed', 'picked', 'completed', 'canceled', 'failed')),
  -- Who did it (or was picked), as a Slack id; null when nobody did (a scheduled close). Like
  -- `runs.canceled_by`, `/coffee forget-me` replaces it with the person's tombstone id.
  slack_user_id text,
  at timestamptz not null
);

create index run_life_run on run_life (run_id, at, id);
-- forget-me looks a person up here.
create index run_life_user on run_life (slack_user_id);

-- Written by the database as the run row changes, so every function that moves a run along
-- (slash-command, interaction, close-run, fairness-assign, reminder-due) records it in the same
-- transaction, with the times those functions wrote (their clock, not the database's).
create function record_run_life() returns trigger language plpgsql as $$
begin
  if tg_op = 'INSERT' then
    insert into run_life (run_id, what, slack_user_id, at)
    select new.id, 'started', u.slack_user_id, new.started_at from users u where u.id = new.initiator_id;
    return null;
  end if;
  if new.status = 'closed' and old.status = 'open' then
    insert into run_life (run_id, what, slack_user_id, at)
    values (new.id, 'closed', new.close_requested_by, coalesce(new.closed_at, new.updated_at));
  end if;
  if new.runner_id is not null and new.runner_id is distinct from old.runner_id then
    insert into run_life (run_id, what, slack_user_id, at)
    select new.id, 'picked', u.slack_user_id, coalesce(new.runner_assigned_at, new.updated_at) from users u where u.id = new.runner_id;
  end if;
  if new.status = 'completed' and old.status <> 'completed' then
    insert into run_life (run_id, what, slack_user_id, at)
    select new.id, 'completed', u.slack_user_id, coalesce(new.completed_at, new.updated_at) from users u where u.id = new.runner_id;
  end if;
  if new.status = 'canceled' and old.status <> 'canceled' then
    insert into run_life (run_id, what, slack_user_id, at)
    values (new.id, 'canceled', new.canceled_by, coalesce(new.canceled_at, new.updated_at));
  end if;
  if new.status = 'failed' and old.status <> 'failed' then
    insert into run_life (run_id, what, slack_user_id, at) values (new.id, 'failed', null, new.updated_at);
  end if;
  return null;
end
$$;

create trigger runs_life after insert or update of status, runner_id on runs
  for each row execute function record_run_life();
