import { runStandalone } from '../../shared/standalone.ts';
import { slashCommand } from './descriptor.ts';

// Composition root of the slash-command Knative Service: the only file here with side effects.
await runStandalone(slashCommand);
