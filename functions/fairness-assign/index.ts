import { runStandalone } from '../../shared/standalone.ts';
import { fairnessAssign } from './descriptor.ts';

// Composition root of the fairness-assign Knative Service: the only file here with side effects.
await runStandalone(fairnessAssign);
