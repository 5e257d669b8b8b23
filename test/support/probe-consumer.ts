import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import type { CoffeeEvent } from '../../shared/events/cloud-event.ts';
import { defineFunction, type FunctionName } from '../../shared/function.ts';

/** How the probe answers its next delivery: done, 503 (retry) or 400 (poison). */
export type ProbeAnswer = 'ok' | 'retry' | 'poison';

/**
 * A consumer of run.created for delivery tests, registered under a real function's name. It
 * records every delivery that reaches its handler and applies its "effect" (a row-touching
 * statement in the consumer's transaction) only when answering ok.
 */
export function createProbeConsumer(name: FunctionName) {
  const received: CoffeeEvent[] = [];
  const effects: string[] = [];
  const script: ProbeAnswer[] = [];
  const descriptor = defineFunction({
    name,
    description: 'delivery probe',
    config: z.object({}),
    usesSlack: false,
    routes: [],
    publishes: [],
    consumes: {
      'com.coffeebuddy.run.created': async (event, tx) => {
        received.push(event);
        const answer = script.shift() ?? 'ok';
        if (answer === 'retry') throw new AppError('upstream', 'not yet');
        if (answer === 'poison') throw new AppError('validation', 'cannot use this event');
        await tx`select 1`;
        effects.push(event.id);
      },
    },
  });
  return {
    descriptor,
    received,
    effects,
    script,
    reset() {
      received.length = 0;
      effects.length = 0;
      script.length = 0;
    },
  };
}
