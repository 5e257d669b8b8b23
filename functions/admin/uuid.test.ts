import { describe, expect, it } from 'vitest';
import { uuidV5 } from './uuid.ts';

const dnsNamespace = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('uuidV5', () => {
  it('matches the reference value (Python uuid.uuid5(NAMESPACE_DNS, "www.example.com"))', () => {
    expect(uuidV5('www.example.com', dnsNamespace)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('is stable for a name and differs between names and namespaces', () => {
    const other = '871a1c4e-50a3-4ed1-b969-9739c73cae3b';
    expect(uuidV5('event-1', other)).toBe(uuidV5('event-1', other));
    expect(uuidV5('event-1', other)).not.toBe(uuidV5('event-2', other));
    expect(uuidV5('event-1', other)).not.toBe(uuidV5('event-1', dnsNamespace));
    expect(uuidV5('event-1', other)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
