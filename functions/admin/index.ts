import { runStandalone } from '../../shared/standalone.ts';
import { admin } from './descriptor.ts';

// Composition root of the admin Knative Service: the only file here with side effects.
await runStandalone(admin);
