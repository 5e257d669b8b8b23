-- Retention of personal data (functions/admin/queries.ts deletePersonalData): a person is deleted
-- once nothing refers to them. These indexes let that check look each reference up instead of
-- reading whole tables for every candidate (runs grow by thousands a day in a large workspace).
create index if not exists runs_initiator on runs (initiator_id);
create index if not exists runs_runner on runs (runner_id);
create index if not exists away_periods_user on away_periods (user_id);
create index if not exists run_volunteers_user on run_volunteers (user_id);
create index if not exists run_declines_user on run_declines (user_id);
create index if not exists run_feedback_user on run_feedback (user_id);
create index if not exists orders_by_user on orders (user_id);
