/**
 * Whether a value from outside (a button, private_metadata, an operator's argument, an event's
 * subject) can be a UUID at all: Postgres's canonical 8-4-4-4-12 hex form. Anything else is refused
 * before it reaches a uuid column (where Postgres would raise `invalid input syntax for type uuid`).
 */
export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
