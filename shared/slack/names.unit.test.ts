import { describe, expect, it } from 'vitest';
import { membersNamed } from './names.ts';

const chloe = { id: 'U1', handle: 'chloe.m', displayName: 'chloé', realName: 'Chloé Martin' };
const chloeB = { id: 'U2', handle: 'chloe', displayName: '', realName: 'Chloe Brun' };
const ana = { id: 'U3', handle: 'ana', displayName: 'Ana', realName: 'Ana Lima' };

describe('who a typed @name means', () => {
  it('matches username, display name or full name, ignoring case and the @', () => {
    expect(membersNamed([chloe, ana], '@ANA').map((m) => m.id)).toEqual(['U3']);
    expect(membersNamed([chloe, ana], 'chloe.m').map((m) => m.id)).toEqual(['U1']);
    expect(membersNamed([chloe, ana], '@chloé martin').map((m) => m.id)).toEqual(['U1']);
  });

  it('prefers an exact spelling to one that ignores accents, and uses the latter only when nothing else matches', () => {
    expect(membersNamed([chloe, chloeB], '@chloe').map((m) => m.id)).toEqual(['U2']);
    expect(membersNamed([chloe, chloeB], '@chloé').map((m) => m.id)).toEqual(['U1']);
    expect(membersNamed([chloe, ana], '@chloe').map((m) => m.id)).toEqual(['U1']);
  });

  it('finds nobody for an empty name or an empty display name', () => {
    expect(membersNamed([chloe, chloeB], '@')).toEqual([]);
    expect(membersNamed([chloeB], '')).toEqual([]);
  });
});
