import type { CoffeeEvent } from './cloud-event.ts';

/**
 * Where published events go: Kafka in production, the in-process bus under `npm start`, an array
 * in unit tests. `send` resolves only once the transport has accepted every event (Kafka: acked).
 */
export interface EventTransport {
  send(events: CoffeeEvent[]): Promise<void>;
  /** Whether the transport can currently accept events (for `/health/ready`). */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
