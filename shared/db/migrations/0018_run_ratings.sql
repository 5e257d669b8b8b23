-- "How was this run?" becomes a rating from 1 (poor) to 5 (great), so the SPEC's satisfaction
-- target (an average of at least 4.2 out of 5) can be measured. Still one changeable answer per
-- participant per run, deleted with the run (retention, channel reset) and with the person
-- (`/coffee forget-me`).
--
-- Existing answers are kept as the ends of the new scale: 👍 becomes 5 and 👎 becomes 1. A thumb
-- was a yes/no verdict, and the ends are what a yes and a no meant on a scale that had no middle;
-- dropping them would lose every past answer, and guessing a middle value would invent one.
alter table run_feedback add column rating smallint;

update run_feedback set rating = case answer when 'up' then 5 else 1 end;

alter table run_feedback
  alter column rating set not null,
  add constraint run_feedback_rating_range check (rating between 1 and 5),
  drop column answer;
