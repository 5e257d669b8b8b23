import { createHash } from 'node:crypto';

/**
 * A name-based (version 5, SHA-1) UUID: the same name in the same namespace gives the same UUID
 * every time (RFC 9562 §5.5). It lets a post that belongs to no run take a stable key in
 * `slack_messages`, whose key is a uuid.
 */
export function uuidV5(name: string, namespace: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  // Version 5 in the high nibble of octet 6, the RFC variant (10xx) in octet 8.
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
