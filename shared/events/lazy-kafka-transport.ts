import type { Logger } from '../logging.ts';
import type { KafkaConnection } from './kafka-settings.ts';
import type { EventTransport } from './transport.ts';

/**
 * The Kafka transport of a bundle, with kafkajs (about 266 KiB, its own chunk of the bundle)
 * loaded on first use rather than at start: a function that never publishes, or publishes only
 * after its first request, does not pay for parsing it on the cold-start path. `warm` loads it
 * (without connecting) while the server starts, so the first publish does not wait for it either.
 */
export function createLazyKafkaTransport(options: {
  connection: KafkaConnection;
  topicPrefix: string;
  log: Logger;
}): EventTransport & { warm(): Promise<void> } {
  let loaded: Promise<EventTransport> | null = null;
  const load = () =>
    (loaded ??= Promise.all([import('./kafka-client.ts'), import('./kafka-transport.ts')]).then(([client, transport]) =>
      transport.createKafkaTransport({
        kafka: client.createKafkaClient({ ...options.connection, log: options.log }),
        topicPrefix: options.topicPrefix,
        log: options.log,
      }),
    ));
  return {
    send: async (events) => (await load()).send(events),
    ready: async () => (await load()).ready(),
    close: async () => {
      if (loaded) await (await loaded).close();
    },
    warm: async () => {
      await load();
    },
  };
}
