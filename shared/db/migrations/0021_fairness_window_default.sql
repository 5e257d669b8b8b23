-- Null means "the deployment's default" (FAIRNESS_WINDOW_RUNS) until a channel admin sets its
-- own, as reminder offsets and last call already are (0007).
alter table channels alter column fairness_window_runs drop not null;
alter table channels alter column fairness_window_runs drop default;
-- A channel at 5 has the old default: `/coffee admin window 5` and the settings form store 5 only
-- when it is a change (5 already there is "nothing to change", and saving the form unchanged
-- writes what was there), and every change is in the admin log. So a 5 an admin chose has an
-- entry whose window went to 5; those channels keep theirs. (An entry older than the audit
-- retention is gone: such a channel follows the default from now on.)
update channels c set fairness_window_runs = null
where c.fairness_window_runs = 5
  and not exists (
    select 1 from channel_admin_actions a
    where (a.channel_id = c.id or a.slack_channel_id = c.slack_channel_id)
      and a.changes -> 'fairnessWindowRuns' ->> 'to' = '5'
  );
