-- Away / opt out (`/coffee away`, `/coffee back`): someone away from a channel's runs can still
-- order there but is not picked as its runner. Per channel, because people belong to several
-- channels' runs (one floor's, one team's) and may step out of one only. One row per person and
-- channel: `/coffee away` again replaces it, `/coffee back` deletes it, `/coffee forget-me` too.
create table away_periods (
  user_id uuid not null references users (id) on delete cascade,
  channel_id uuid not null references channels (id) on delete cascade,
  -- The first instant they can be picked again; null: until they say `/coffee back`. A row whose
  -- instant has passed means nothing any more (it is not deleted when it passes).
  away_until timestamptz,
  -- Both written from the function's clock, like every time the functions compare against.
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Channel first: the fairness query asks "who of this run's participants is away in its channel".
  primary key (channel_id, user_id)
);
