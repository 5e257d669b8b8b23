import { runStandalone } from '../../shared/standalone.ts';
import { interaction } from './descriptor.ts';

// Composition root of the interaction Knative Service: the only file here with side effects.
await runStandalone(interaction);
