import type { AnyFunction, FunctionName } from '../shared/function.ts';
import { admin } from './admin/descriptor.ts';
import { closeRun } from './close-run/descriptor.ts';
import { fairnessAssign } from './fairness-assign/descriptor.ts';
import { interaction } from './interaction/descriptor.ts';
import { reminderDue } from './reminder-due/descriptor.ts';
import { slashCommand } from './slash-command/descriptor.ts';

/** Every function, in one place: the local runner, the bundler and the Knative YAML read this. */
export const registry: readonly AnyFunction[] = [slashCommand, interaction, closeRun, fairnessAssign, reminderDue, admin];

/** Look a function up by name. */
export function findFunction(name: string): AnyFunction | undefined {
  return registry.find((fn) => fn.name === (name as FunctionName));
}
