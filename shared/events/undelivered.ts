import type { CoffeeEvent } from './cloud-event.ts';

/** An event that could not be delivered, handed to whoever parks it for operators. */
export interface DeadLetter {
  consumer: string;
  event: CoffeeEvent;
  statusCode: number | null;
  error: string;
  attempts: number;
}

/** An undeliverable event as parked: what it was, whose delivery failed and why. */
export interface ParkedEvent {
  consumer: string;
  eventId: string;
  type: string;
  source: string;
  subject: string | null;
  /** Every attribute but data, extensions included, as delivered. */
  attributes: Record<string, unknown>;
  /** The data as JSON (null: none). */
  data: unknown;
  statusCode: number | null;
  error: string;
  attempts: number;
}
