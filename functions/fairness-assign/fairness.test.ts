import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseRunner, shareHorizonRuns, type FairnessDecision, type FairnessInput, type ServedRun } from './fairness.ts';

/** A served run closed at `day` (ISO date) 09:30 UTC, or at an explicit ISO instant. */
/** Everyone in the examples joined every past run unless told otherwise, so shares follow runs served. */
const served = (runnerId: string, at: string, runId = `r-${runnerId}-${at}`, participantIds = ['ana', 'bo', 'cy', 'dee', runnerId]): ServedRun => ({
  runId,
  runnerId,
  closedAt: new Date(at.length === 10 ? `${at}T09:30:00Z` : at),
  participantIds,
});

const input = (overrides: Partial<FairnessInput>): FairnessInput => ({
  runId: 'run-1',
  participants: [],
  history: [],
  windowRuns: 5,
  horizonRuns: shareHorizonRuns,
  volunteers: [],
  repeatOptIns: [],
  excluded: [],
  away: [],
  ...overrides,
});

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** bo ran last time; ana never ran; cy ran once in the window; dee ran twice. */
const history: ServedRun[] = [served('dee', '2025-11-03'), served('cy', '2025-11-04'), served('dee', '2025-11-05'), served('bo', '2025-11-06')];

interface Example {
  name: string;
  input: Partial<FairnessInput>;
  expected: Partial<Extract<FairnessDecision, { kind: 'assigned' }>> | Partial<Extract<FairnessDecision, { kind: 'no_runner' }>>;
}

const examples: Example[] = [
  {
    name: 'nobody ordered',
    input: { participants: [], history },
    expected: { kind: 'no_runner', reason: 'no_participants', explanation: 'No orders, nobody needs to go.' },
  },
  {
    name: "everyone who ordered can't go",
    input: { participants: ['ana', 'bo', 'ana'], excluded: ['ana', 'bo'], history },
    expected: { kind: 'no_runner', reason: 'everyone_excluded', explanation: "Everyone who ordered said they can't go." },
  },
  {
    name: 'a volunteer wins outright, even after running last time and serving the most',
    input: { participants: ['ana', 'bo', 'cy'], volunteers: ['bo'], history },
    expected: { kind: 'assigned', runnerId: 'bo', rule: 'volunteer', explanation: '<@bo> volunteered (1 of the last 4 runs).' },
  },
  {
    name: "the first volunteer who can go wins; whoever said they can't go is passed over",
    input: { participants: ['ana', 'bo', 'cy', 'dee'], volunteers: ['cy', 'dee', 'ana'], excluded: ['cy'], history },
    expected: { kind: 'assigned', runnerId: 'dee', rule: 'volunteer', explanation: '<@dee> volunteered (2 of the last 4 runs).' },
  },
  {
    name: "a volunteer who didn't order still goes: they offered to carry the others' orders",
    input: { participants: ['ana', 'bo'], volunteers: ['zed', 'bo'], history },
    expected: { kind: 'assigned', runnerId: 'zed', rule: 'volunteer', explanation: '<@zed> volunteered (0 of the last 4 runs).' },
  },
  {
    name: "a volunteer without an order is the runner when everyone who ordered is away or said they can't go",
    input: { participants: ['ana', 'bo'], volunteers: ['zed'], away: ['ana'], excluded: ['bo'], history },
    expected: { kind: 'assigned', runnerId: 'zed', rule: 'volunteer', explanation: '<@zed> volunteered (0 of the last 4 runs).' },
  },
  {
    name: 'nobody needs to go when nobody ordered, even with a volunteer',
    input: { participants: [], volunteers: ['zed'], history },
    expected: { kind: 'no_runner', reason: 'no_participants', explanation: 'No orders, nobody needs to go.' },
  },
  {
    name: 'fewest served in the window wins, and the skipped previous runner is named',
    input: { participants: ['bo', 'cy', 'dee'], history },
    expected: {
      kind: 'assigned',
      runnerId: 'cy',
      rule: 'fewest_served',
      explanation: '<@cy>: 1 of the last 4 runs, the fewest (next: <@dee> with 2). <@bo> ran last time, so was skipped.',
    },
  },
  {
    name: 'never served beats any date when the counts and shares tie',
    input: { participants: ['ana', 'cy', 'dee'], history, windowRuns: 2, horizonRuns: 2 },
    expected: {
      kind: 'assigned',
      runnerId: 'ana',
      rule: 'longest_since',
      explanation: '<@ana>: 0 of the last 2 runs, tied with <@cy>; <@ana> has never run here (<@cy> last ran 2025-11-04).',
    },
  },
  {
    name: 'the earlier last run wins when the counts tie, counting history beyond the window',
    input: { participants: ['cy', 'dee'], history: [...history, served('ana', '2025-11-07')], windowRuns: 1, horizonRuns: 1 },
    expected: {
      kind: 'assigned',
      runnerId: 'cy',
      rule: 'longest_since',
      explanation: '<@cy>: 0 of the last 1 run, tied with <@dee>; <@cy> went longest ago (2025-11-04 vs 2025-11-05).',
    },
  },
  {
    name: 'the smaller share of runs served per run joined beats going longest ago when the counts tie',
    input: { participants: ['cy', 'eve'], history: [served('eve', '2025-11-01', 'r-eve', ['eve', 'cy', 'dee']), ...history], windowRuns: 1 },
    expected: {
      kind: 'assigned',
      runnerId: 'cy',
      rule: 'lowest_share',
      explanation: '<@cy>: 0 of the last 1 run, tied with <@eve>; <@cy> ran 1 of 5 runs they joined of the last 5, a smaller share than <@eve> (1 of 1).',
    },
  },
  {
    name: 'the time is shown when both last ran on the same day',
    input: {
      participants: ['ana', 'bo'],
      history: [served('ana', '2025-11-03T14:30:00Z'), served('bo', '2025-11-03T09:30:00Z'), served('cy', '2025-11-04')],
    },
    expected: {
      runnerId: 'bo',
      rule: 'longest_since',
      explanation: '<@bo>: 1 of the last 3 runs, tied with <@ana>; <@bo> went longest ago (2025-11-03 09:30 UTC vs 2025-11-03 14:30 UTC).',
    },
  },
  {
    name: 'only the previous runner can go',
    input: { participants: ['bo', 'cy'], excluded: ['cy'], history },
    expected: {
      kind: 'assigned',
      runnerId: 'bo',
      rule: 'only_candidate',
      explanation: '<@bo>: 1 of the last 4 runs; ran last time, but is the only one who can go.',
    },
  },
  {
    name: 'a lone candidate',
    input: { participants: ['dee', 'dee'], history },
    expected: { kind: 'assigned', runnerId: 'dee', rule: 'only_candidate', explanation: '<@dee>: 2 of the last 4 runs; the only one who can go.' },
  },
  {
    name: 'a lone candidate before any run',
    input: { participants: ['ana'] },
    expected: { kind: 'assigned', runnerId: 'ana', rule: 'only_candidate', explanation: '<@ana>: no runs here yet; the only one who can go.' },
  },
  {
    name: 'the previous runner would be fairest but is skipped, leaving one person',
    input: { participants: ['bo', 'dee'], history },
    expected: {
      kind: 'assigned',
      runnerId: 'dee',
      rule: 'previous_runner_skipped',
      explanation: '<@dee>: 2 of the last 4 runs. <@bo> ran last time, so was skipped.',
    },
  },
  {
    name: 'a previous runner who opted in to run again is ranked normally',
    input: { participants: ['bo', 'dee'], repeatOptIns: ['bo'], history },
    expected: { kind: 'assigned', runnerId: 'bo', rule: 'fewest_served', explanation: '<@bo>: 1 of the last 4 runs, the fewest (next: <@dee> with 2).' },
  },
  {
    name: 'only the last N served runs count; older runs do not',
    input: {
      participants: ['ana', 'cy'],
      history: [served('ana', '2025-10-01'), served('ana', '2025-10-02'), served('ana', '2025-10-03'), served('cy', '2025-10-04'), served('dee', '2025-10-05')],
      windowRuns: 2,
    },
    expected: { runnerId: 'ana', rule: 'fewest_served', explanation: '<@ana>: 0 of the last 2 runs, the fewest (next: <@cy> with 1).' },
  },
  {
    name: 'someone away is passed over though fairest, and the explanation says so',
    input: { participants: ['ana', 'cy', 'dee'], away: ['ana'], history },
    expected: {
      kind: 'assigned',
      runnerId: 'cy',
      rule: 'fewest_served',
      skippedAway: ['ana'],
      explanation: '<@cy>: 1 of the last 4 runs, the fewest (next: <@dee> with 2). <@ana> is away, so was skipped.',
    },
  },
  {
    name: 'the previous runner and two away people skipped, named in one explanation',
    input: { participants: ['ana', 'bo', 'cy', 'dee', 'eve'], away: ['eve', 'ana', 'zed'], history },
    expected: {
      runnerId: 'cy',
      skippedAway: ['ana', 'eve'],
      explanation:
        '<@cy>: 1 of the last 4 runs, the fewest (next: <@dee> with 2). <@bo> ran last time, so was skipped. <@ana> and <@eve> are away, so were skipped.',
    },
  },
  {
    name: 'the only one left when the others are away',
    input: { participants: ['ana', 'cy', 'dee'], away: ['ana', 'cy'], history },
    expected: {
      runnerId: 'dee',
      rule: 'only_candidate',
      explanation: '<@dee>: 2 of the last 4 runs; the only one who can go. <@ana> and <@cy> are away, so were skipped.',
    },
  },
  {
    name: 'last time’s runner runs again rather than someone away',
    input: { participants: ['ana', 'bo'], away: ['ana'], history },
    expected: {
      runnerId: 'bo',
      rule: 'only_candidate',
      explanation: '<@bo>: 1 of the last 4 runs; ran last time, but is the only one who can go. <@ana> is away, so was skipped.',
    },
  },
  {
    name: 'an away volunteer still wins: volunteering is asking for this run',
    input: { participants: ['ana', 'cy'], volunteers: ['cy'], away: ['cy'], history },
    expected: { kind: 'assigned', runnerId: 'cy', rule: 'volunteer', skippedAway: [], explanation: '<@cy> volunteered (1 of the last 4 runs).' },
  },
  {
    name: 'everyone who ordered is away: nobody is picked',
    input: { participants: ['cy', 'ana'], away: ['ana', 'cy'], history },
    expected: { kind: 'no_runner', reason: 'everyone_away', explanation: 'Everyone who ordered is away from runs here: <@ana> and <@cy>.' },
  },
  {
    name: "everyone who ordered is away or can't go",
    input: { participants: ['bo', 'cy'], excluded: ['bo'], away: ['cy', 'bo'], history },
    expected: {
      kind: 'no_runner',
      reason: 'everyone_away',
      explanation: "Nobody who ordered can go: <@cy> is away from runs here and the others said they can't go.",
    },
  },
];

describe('chooseRunner: examples', () => {
  it.each(examples)('$name', ({ input: overrides, expected }) => {
    expect(chooseRunner(input(overrides))).toMatchObject(expected);
  });

  it('breaks full ties by the smallest sha256 of runId:userId, which varies by run', () => {
    const people = ['ana', 'bo', 'cy', 'dee', 'eve'];
    const winners = new Set<string>();
    for (const runId of ['run-a', 'run-b', 'run-c', 'run-d', 'run-e', 'run-f']) {
      const expected = [...people].sort((a, b) => (sha(`${runId}:${a}`) < sha(`${runId}:${b}`) ? -1 : 1));
      const decision = chooseRunner(input({ runId, participants: people }));
      expect(decision).toMatchObject({ kind: 'assigned', runnerId: expected[0], rule: 'tiebreak' });
      if (decision.kind !== 'assigned') continue;
      expect(decision.ranking.map((s) => s.userId)).toEqual(expected);
      expect(decision.ranking[0]!.tiebreak).toBe(sha(`${runId}:${expected[0]}`));
      expect(decision.explanation).toBe(
        `No runs here yet, so a draw picked <@${expected[0]}> over <@${expected[1]}> (fixed for this run: anyone can check it).`,
      );
      winners.add(decision.runnerId);
    }
    expect(winners.size).toBeGreaterThan(1);
  });

  it('explains a tiebreak between people who last ran at the same moment', () => {
    const at = '2025-11-03T09:30:00Z';
    const decision = chooseRunner(
      input({ runId: 'run-x', participants: ['ana', 'bo'], history: [served('ana', at, 'r1'), served('bo', at, 'r2'), served('cy', '2025-11-04')] }),
    );
    const [first, second] = sha('run-x:ana') < sha('run-x:bo') ? ['ana', 'bo'] : ['bo', 'ana'];
    expect(decision).toMatchObject({
      runnerId: first,
      rule: 'tiebreak',
      explanation: `<@${first}>: 1 of the last 3 runs, tied with <@${second}>, and both last ran 2025-11-03 09:30 UTC; picked by a draw (fixed for this run: anyone can check it).`,
    });
  });

  it('ranks every candidate in rule order, the skipped previous runner last, with their scores', () => {
    const decision = chooseRunner(input({ participants: ['bo', 'dee', 'ana', 'cy', 'zed'], excluded: ['zed'], history }));
    expect(decision.kind === 'assigned' && decision.ranking).toEqual([
      { userId: 'ana', servedInWindow: 0, servedInHorizon: 0, attendedInHorizon: 4, lastServedAt: null, ranLastTime: false, tiebreak: sha('run-1:ana') },
      {
        userId: 'cy',
        servedInWindow: 1,
        servedInHorizon: 1,
        attendedInHorizon: 4,
        lastServedAt: new Date('2025-11-04T09:30:00Z'),
        ranLastTime: false,
        tiebreak: sha('run-1:cy'),
      },
      {
        userId: 'dee',
        servedInWindow: 2,
        servedInHorizon: 2,
        attendedInHorizon: 4,
        lastServedAt: new Date('2025-11-05T09:30:00Z'),
        ranLastTime: false,
        tiebreak: sha('run-1:dee'),
      },
      {
        userId: 'bo',
        servedInWindow: 1,
        servedInHorizon: 1,
        attendedInHorizon: 4,
        lastServedAt: new Date('2025-11-06T09:30:00Z'),
        ranLastTime: true,
        tiebreak: sha('run-1:bo'),
      },
    ]);
    expect(decision).toMatchObject({
      rule: 'fewest_served',
      explanation: '<@ana>: 0 of the last 4 runs, the fewest (next: <@cy> with 1). <@bo> ran last time, so was skipped.',
    });
  });

  it('puts the volunteer first and everyone else in rule order', () => {
    const decision = chooseRunner(input({ participants: ['ana', 'bo', 'cy', 'dee'], volunteers: ['dee'], history }));
    expect(decision.kind === 'assigned' && decision.ranking.map((s) => s.userId)).toEqual(['dee', 'ana', 'cy', 'bo']);
  });

  it('names at most ten people skipped as away', () => {
    const crowd = Array.from({ length: 13 }, (_, i) => `U${String(i + 10)}`);
    const decision = chooseRunner(input({ participants: ['ana', ...crowd], away: crowd }));
    expect(decision).toMatchObject({ runnerId: 'ana', skippedAway: crowd });
    expect(decision.explanation).toBe(
      `<@ana>: no runs here yet; the only one who can go. ${crowd
        .slice(0, 9)
        .map((id) => `<@${id}>`)
        .join(', ')} and 4 others are away, so were skipped.`,
    );
  });

  it('treats a window below 1 as 1 and does not alias the history dates', () => {
    const decision = chooseRunner(input({ participants: ['cy', 'dee'], history, windowRuns: 0 }));
    expect(decision).toMatchObject({ runnerId: 'cy', explanation: expect.stringContaining('0 of the last 1 run,') });
    if (decision.kind === 'assigned') expect(decision.ranking[0]!.lastServedAt).not.toBe(history[1]!.closedAt);
  });
});

const everyone = ['U1', 'U2', 'U3', 'U4', 'U5', 'U6', 'U7'];

/**
 * Random inputs over a small crowd (3 people, so runners repeat and the previous runner is often
 * the fairest by the counts) or a larger one. `sameMinute` lets runs close at the same instant.
 */
function inputs({ sameMinute }: { sameMinute: boolean }): fc.Arbitrary<FairnessInput> {
  return fc.constantFrom(everyone.slice(0, 3), everyone).chain((pool) => {
    const user = fc.constantFrom(...pool);
    const row = fc.record({
      minute: fc.integer({ min: 0, max: sameMinute ? 5 : 100_000 }),
      runnerId: fc.constantFrom(...pool, 'UGONE'),
      participantIds: fc.subarray([...pool, 'UGONE']),
    });
    const rows = sameMinute ? fc.array(row, { maxLength: 25 }) : fc.uniqueArray(row, { selector: (r) => r.minute, maxLength: 25 });
    return fc.record({
      runId: fc.string({ minLength: 1, maxLength: 12 }),
      participants: fc.array(user, { maxLength: 10 }),
      history: rows.map((rs) =>
        rs.map(
          (r, i): ServedRun => ({
            runId: `r${i}`,
            runnerId: r.runnerId,
            closedAt: new Date(Date.UTC(2025, 0, 1) + r.minute * 60_000),
            participantIds: r.participantIds,
          }),
        ),
      ),
      windowRuns: fc.integer({ min: 1, max: 12 }),
      horizonRuns: fc.integer({ min: 0, max: 30 }),
      volunteers: fc.oneof(fc.constant([]), fc.array(fc.constantFrom(...pool, 'UOUT'), { maxLength: 3 })),
      repeatOptIns: fc.oneof(fc.constant([]), fc.subarray(pool)),
      excluded: fc.oneof(fc.constant([]), fc.array(user, { maxLength: 4 })),
      away: fc.oneof(fc.constant([]), fc.array(fc.constantFrom(...pool, 'UOUT'), { maxLength: 5 })),
    });
  });
}
const inputArb = inputs({ sameMinute: false });

/** Who ordered or volunteered (when anyone ordered) and didn't say they can't go. */
const candidatesOf = (i: FairnessInput) =>
  i.participants.length === 0 ? [] : [...new Set([...i.participants, ...i.volunteers])].filter((id) => !i.excluded.includes(id));
const firstVolunteerOf = (i: FairnessInput) => i.volunteers.find((id) => candidatesOf(i).includes(id));
/** The candidates the rule may pick: everyone not away, and volunteers even if away. */
const availableOf = (i: FairnessInput) => candidatesOf(i).filter((id) => !i.away.includes(id) || i.volunteers.includes(id));
const previousRunnerOf = (i: FairnessInput) => [...i.history].sort((a, b) => b.closedAt.getTime() - a.closedAt.getTime())[0]?.runnerId ?? null;
const permutation = <T>(items: readonly T[]) => fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });

describe('chooseRunner: properties', () => {
  it('returns a candidate whenever there is one, ranking exactly the candidates, else says why not', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const decision = chooseRunner(i);
        const candidates = availableOf(i);
        if (candidates.length === 0) {
          const reason = i.participants.length === 0 ? 'no_participants' : candidatesOf(i).length === 0 ? 'everyone_excluded' : 'everyone_away';
          expect(decision).toMatchObject({ kind: 'no_runner', reason });
          return;
        }
        if (decision.kind !== 'assigned') throw new Error('expected a runner');
        expect(candidates).toContain(decision.runnerId);
        // Someone who didn't order only runs by volunteering.
        if (!i.participants.includes(decision.runnerId)) expect(decision).toMatchObject({ rule: 'volunteer', runnerId: firstVolunteerOf(i) });
        expect(i.excluded).not.toContain(decision.runnerId);
        expect(decision.ranking[0]!.userId).toBe(decision.runnerId);
        expect(decision.ranking.map((s) => s.userId).sort()).toEqual([...candidates].sort());
        expect(decision.explanation).toContain(`<@${decision.runnerId}>`);
      }),
    );
  });

  it('is deterministic, whatever the order of participants, history, exclusions and opt-ins', () => {
    const shuffled = fc.oneof(inputArb, inputs({ sameMinute: true })).chain((i) =>
      fc.tuple(
        fc.constant(i),
        fc.record({
          participants: permutation(i.participants),
          history: permutation(i.history),
          excluded: permutation(i.excluded),
          repeatOptIns: permutation(i.repeatOptIns),
          away: permutation(i.away),
        }),
      ),
    );
    fc.assert(
      fc.property(shuffled, ([i, reordered]) => {
        const decision = chooseRunner(i);
        expect(chooseRunner(i)).toEqual(decision);
        expect(chooseRunner({ ...i, ...reordered })).toEqual(decision);
      }),
    );
  });

  it('never picks the previous runner while someone else can go, unless they volunteered or opted in', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const decision = chooseRunner(i);
        const previous = previousRunnerOf(i);
        if (decision.kind !== 'assigned' || decision.runnerId !== previous || availableOf(i).length === 1) return;
        expect(i.volunteers.includes(previous) || i.repeatOptIns.includes(previous)).toBe(true);
      }),
    );
  });

  it('the first volunteer who can go always wins', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const candidates = candidatesOf(i);
        const first = i.volunteers.find((id) => candidates.includes(id));
        const decision = chooseRunner(i);
        if (first === undefined) expect(decision.kind === 'assigned' && decision.rule).not.toBe('volunteer');
        else expect(decision).toMatchObject({ kind: 'assigned', runnerId: first, rule: 'volunteer' });
      }),
    );
  });

  it('never picks someone away while someone not away can go, unless they were the first to volunteer; and says who was skipped', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const decision = chooseRunner(i);
        const candidates = candidatesOf(i);
        const present = candidates.filter((id) => !i.away.includes(id));
        if (decision.kind === 'no_runner') {
          if (candidates.length > 0) expect(present).toEqual([]);
          return;
        }
        if (i.away.includes(decision.runnerId)) expect(decision).toMatchObject({ rule: 'volunteer', runnerId: firstVolunteerOf(i) });
        else expect(present).toContain(decision.runnerId);
        if (decision.rule === 'volunteer') return;
        const skipped = candidates.filter((id) => i.away.includes(id)).sort();
        expect(decision.skippedAway).toEqual(skipped);
        for (const id of skipped) expect(decision.explanation).toContain(`<@${id}>`);
        if (skipped.length > 0) expect(decision.explanation).toMatch(/away, so (was|were) skipped\.$/);
      }),
    );
  });

  it('being away from runs one has not ordered in changes nothing', () => {
    const extra = inputArb.chain((i) => fc.tuple(fc.constant(i), fc.array(fc.constantFrom('UOUT', 'UGONE', 'UELSE'), { minLength: 1, maxLength: 3 })));
    fc.assert(
      fc.property(extra, ([i, outsiders]) => {
        const elsewhere = outsiders.filter((id) => !i.participants.includes(id));
        expect(chooseRunner({ ...i, away: [...i.away, ...elsewhere] })).toEqual(chooseRunner(i));
      }),
    );
  });

  it('without a volunteer, nobody eligible served fewer in the window than the runner', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const decision = chooseRunner({ ...i, volunteers: [] });
        if (decision.kind !== 'assigned') return;
        const winner = decision.ranking[0]!;
        const eligible = decision.ranking.filter((s) => !s.ranLastTime || decision.rule === 'only_candidate' || i.repeatOptIns.includes(s.userId));
        for (const s of eligible) expect(s.servedInWindow).toBeGreaterThanOrEqual(winner.servedInWindow);
        // Among those tied on the window, nobody has a smaller share of runs served per run joined (+1 for this run).
        const share = (s: { servedInHorizon: number; attendedInHorizon: number }) => s.servedInHorizon / (s.attendedInHorizon + 1);
        for (const s of eligible.filter((e) => e.servedInWindow === winner.servedInWindow)) expect(share(s)).toBeGreaterThanOrEqual(share(winner));
        const window = Math.min(i.history.length, i.windowRuns);
        if (window > 0) expect(decision.explanation).toMatch(new RegExp(`of the last ${window} runs?\\b`));
      }),
    );
  });
});
