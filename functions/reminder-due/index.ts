import { runStandalone } from '../../shared/standalone.ts';
import { reminderDue } from './descriptor.ts';

// Composition root of the reminder-due Knative Service: the only file here with side effects.
await runStandalone(reminderDue);
