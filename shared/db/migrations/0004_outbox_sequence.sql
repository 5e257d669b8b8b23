-- Publish in exactly the order events were written: timestamps can tie (and come from an injected
-- clock), a sequence cannot. Key order within a channel depends on it.
alter table outbox add column seq bigint generated always as identity;
create index outbox_pending_seq on outbox (seq) where published_at is null;
drop index outbox_pending;
