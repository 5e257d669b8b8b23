-- A run still open when its pickup time passes gets one nudge in its thread (the initiator is asked
-- to close or cancel it), recorded like a last call: one per run, ever, whichever tick sends it.
alter table reminders drop constraint reminders_kind_check;
alter table reminders add constraint reminders_kind_check check (kind in ('runner', 'last_call', 'pickup_passed'));
create unique index reminders_one_pickup_passed on reminders (run_id) where kind = 'pickup_passed';
