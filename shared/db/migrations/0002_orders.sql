-- Bumped with every order change, so whoever refreshes the run message can tell whether what it
-- rendered is still the latest state.
alter table runs add column orders_version integer not null default 0;

-- A user's usuals are derived from their orders (edits replace, withdrawals drop out), so a
-- stored tally that could drift from them is not kept.
alter table user_preferences drop column usual_counts;
