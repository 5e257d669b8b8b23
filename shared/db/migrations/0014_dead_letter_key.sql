-- In a cluster dead letters reach this table through a KafkaSource on the dead-letter topic, which
-- delivers at least once: a redelivered dead letter must not become a second row. An event is
-- named by its source and id (CloudEvents 1.0 §id), so one consumer's failure with one event is
-- parked once while it waits for an operator. Replayed rows stay out of the key: an event that is
-- replayed and fails again is a new failure and is parked anew.

-- Rows parked twice before this key existed (the local bus could) are the same failure: keep the
-- oldest. Replaying either republished the event to every consumer, so nothing is lost.
delete from dead_letter_events later
using dead_letter_events earlier
where later.replayed_at is null
  and earlier.replayed_at is null
  and later.consumer = earlier.consumer
  and later.source = earlier.source
  and later.event_id = earlier.event_id
  and (earlier.created_at, earlier.id) < (later.created_at, later.id);

create unique index dead_letter_events_one_parked on dead_letter_events (consumer, source, event_id)
  where replayed_at is null;
