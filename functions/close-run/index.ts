import { runStandalone } from '../../shared/standalone.ts';
import { closeRun } from './descriptor.ts';

// Composition root of the close-run Knative Service: the only file here with side effects.
await runStandalone(closeRun);
