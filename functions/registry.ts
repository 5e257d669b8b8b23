import type { AnyFunction } from '../shared/function.ts';
import { admin } from './admin/descriptor.ts';
import { closeRun } from './close-run/descriptor.ts';
import { fairnessAssign } from './fairness-assign/descriptor.ts';
import { interaction } from './interaction/descriptor.ts';
import { reminderDue } from './reminder-due/descriptor.ts';
import { slashCommand } from './slash-command/descriptor.ts';

/** Every function, in one place: the local runner, the bundler and the tests derive their wiring from this. */
export const registry = [slashCommand, interaction, closeRun, fairnessAssign, reminderDue, admin] as const satisfies readonly AnyFunction[];
