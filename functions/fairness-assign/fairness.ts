import { createHash } from 'node:crypto';
import { mention } from '../../shared/slack/text.ts';

/** A past run of the channel that was closed or completed with a runner (canceled runs are never passed in). */
export interface ServedRun {
  runId: string;
  runnerId: string;
  closedAt: Date;
  /** Slack user ids of everyone with an active order in that run, the runner included: who attended it. */
  participantIds: readonly string[];
}

/**
 * H, the longer horizon the share tiebreak looks at: the channel's last this-many served runs. Long
 * enough that someone who joins one run in four has attended about a dozen of them.
 */
export const shareHorizonRuns = 50;

/** Everything the fairness rule looks at. Pure data: the rule does no I/O and reads no clock. */
export interface FairnessInput {
  /** The run being assigned; seeds the stable tiebreak. */
  runId: string;
  /** Slack user ids of people with an active order (duplicates and order are ignored). */
  participants: readonly string[];
  /** The channel's past served runs, in any order; may be longer than the window. */
  history: readonly ServedRun[];
  /** N: runs served are counted among the channel's last N served runs (values below 1 count as 1). */
  windowRuns: number;
  /**
   * H: runs served ÷ runs attended is counted among the channel's last H served runs (values below
   * the window count as the window). Callers pass `shareHorizonRuns`.
   */
  horizonRuns: number;
  /**
   * People who pressed "I'll go" before close, in click order. The first who can go runs, whether
   * or not they ordered: volunteering is offering to carry everyone's orders.
   */
  volunteers: readonly string[];
  /** Participants who opted in to run again even if they ran last time. */
  repeatOptIns: readonly string[];
  /** People who pressed "I can't go" for this run; never picked. */
  excluded: readonly string[];
  /**
   * People away from this channel's runs (`/coffee away`) when the runner is chosen: passed over,
   * and named as skipped, unless they pressed "I'll go" (volunteering is asking for this run).
   * Nobody is picked when everyone who can go is away: away is also how people opt out for good.
   */
  away: readonly string[];
}

/** One candidate's standing under the rule, as shown in `ranking`. */
export interface CandidateScore {
  userId: string;
  /** Runs this person served among the last `windowRuns` served runs. */
  servedInWindow: number;
  /** Runs this person served among the last `horizonRuns` served runs. */
  servedInHorizon: number;
  /** Runs this person had an active order in among the last `horizonRuns` served runs. */
  attendedInHorizon: number;
  /** When this person last served, over all of the history; null if never. */
  lastServedAt: Date | null;
  /** Whether this person ran the most recent served run. */
  ranLastTime: boolean;
  /** Hex sha256 of `${runId}:${userId}`; the smallest wins a full tie. */
  tiebreak: string;
}

/**
 * Why nobody was picked: nobody ordered, everyone who ordered said they can't go, or everyone who
 * could go is away.
 */
export type NoRunnerReason = 'no_participants' | 'everyone_excluded' | 'everyone_away';

/**
 * Why the runner was picked: `volunteer` (first candidate to press "I'll go"), `only_candidate`
 * (nobody else could go, the previous runner included), `previous_runner_skipped` (everyone else
 * who could go ran last time and didn't opt in), or the criterion that separated the winner from
 * the runner-up: `fewest_served`, `lowest_share`, `longest_since` or `tiebreak`.
 */
export type AssignedRule = 'volunteer' | 'fewest_served' | 'lowest_share' | 'longest_since' | 'tiebreak' | 'only_candidate' | 'previous_runner_skipped';

/** The outcome of the fairness rule, with a Slack mrkdwn explanation for the channel. */
export type FairnessDecision =
  | {
      kind: 'assigned';
      runnerId: string;
      rule: AssignedRule;
      /** Everyone who could be picked, in rule order (a skipped previous runner last), the runner first; nobody away. */
      ranking: CandidateScore[];
      /** Participants passed over because they are away, sorted by id. */
      skippedAway: string[];
      explanation: string;
    }
  | { kind: 'no_runner'; reason: NoRunnerReason; explanation: string };

/**
 * Choose the runner for a run by the transparent fairness rule: first volunteer; else pass over
 * everyone away, skip last time's runner (unless they opted in or nobody else can go) and take the
 * fewest runs served in the window, then the lowest share (runs served ÷ runs attended over the
 * longer horizon, so people who join rarely serve as often per run as regulars), then longest since
 * last served, then the smallest sha256 of `${runId}:${userId}`. Deterministic: the same input in any order gives the same decision.
 */
export function chooseRunner(input: FairnessInput): FairnessDecision {
  const participants = [...new Set(input.participants)];
  if (participants.length === 0) {
    return { kind: 'no_runner', reason: 'no_participants', explanation: 'No orders, nobody needs to go.' };
  }
  const excluded = new Set(input.excluded);
  // A volunteer without an order goes too: they offered to carry the others' orders.
  const candidates = [...new Set([...participants, ...input.volunteers])].filter((id) => !excluded.has(id));
  if (candidates.length === 0) {
    return { kind: 'no_runner', reason: 'everyone_excluded', explanation: "Everyone who ordered said they can't go." };
  }
  const volunteerId = input.volunteers.find((id) => candidates.includes(id));
  const away = new Set(input.away);
  // Volunteering is asking for this run: a volunteer is never passed over as away.
  const skippedAway = candidates.filter((id) => away.has(id) && !input.volunteers.includes(id)).sort(compareText);
  const available = candidates.filter((id) => !skippedAway.includes(id));
  if (available.length === 0) {
    const who = listOf(skippedAway.map(mention));
    const explanation =
      candidates.length < participants.length
        ? `Nobody who ordered can go: ${who} ${skippedAway.length === 1 ? 'is' : 'are'} away from runs here and the others said they can't go.`
        : `Everyone who ordered is away from runs here: ${who}.`;
    return { kind: 'no_runner', reason: 'everyone_away', explanation };
  }

  const history = newestFirst(input.history);
  const window = Math.min(history.length, windowSize(input.windowRuns));
  const horizon = Math.min(history.length, Math.max(window, windowSize(input.horizonRuns)));
  const scores = scoreCandidates(input.runId, available, history, { window, horizon }).sort(compareScores);
  const previous = scores.find((score) => score.ranLastTime);
  const skipped = previous !== undefined && scores.length > 1 && !input.repeatOptIns.includes(previous.userId) ? previous : undefined;
  const pool = scores.filter((score) => score !== skipped);
  const ranking = skipped ? [...pool, skipped] : pool;

  const volunteer = ranking.find((score) => score.userId === volunteerId);
  if (volunteer) {
    // Volunteering wins outright, away or not, so nobody was passed over.
    const explained = { winner: volunteer, runnerUp: undefined, skipped: undefined, skippedAway: [], window, horizon };
    return assigned('volunteer', explained, [volunteer, ...ranking.filter((score) => score !== volunteer)]);
  }
  const [winner, runnerUp] = pool;
  if (!winner) throw new Error('unreachable: the pool always keeps at least one candidate');
  const rule = runnerUp ? separatingRule(winner, runnerUp) : skipped ? 'previous_runner_skipped' : 'only_candidate';
  return assigned(rule, { winner, runnerUp, skipped, skippedAway, window, horizon }, ranking);
}

function assigned(rule: AssignedRule, explained: Explained, ranking: CandidateScore[]): FairnessDecision {
  const { winner, skippedAway } = explained;
  return { kind: 'assigned', runnerId: winner.userId, rule, ranking, skippedAway, explanation: explain(rule, explained) };
}

function windowSize(windowRuns: number): number {
  return Number.isFinite(windowRuns) ? Math.max(1, Math.floor(windowRuns)) : 1;
}

/** Code-unit order, independent of the locale (localeCompare is not). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most recent first; equal times fall back to ids so the input order never matters. */
function newestFirst(history: readonly ServedRun[]): ServedRun[] {
  return [...history].sort((a, b) => b.closedAt.getTime() - a.closedAt.getTime() || compareText(b.runId, a.runId) || compareText(b.runnerId, a.runnerId));
}

function scoreCandidates(
  runId: string,
  candidates: readonly string[],
  newest: readonly ServedRun[],
  { window, horizon }: { window: number; horizon: number },
): CandidateScore[] {
  const served = new Map<string, number>();
  const servedLong = new Map<string, number>();
  const attended = new Map<string, number>();
  const lastServed = new Map<string, Date>();
  const add = (counts: Map<string, number>, id: string) => counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [index, run] of newest.entries()) {
    if (index < window) add(served, run.runnerId);
    if (index < horizon) {
      add(servedLong, run.runnerId);
      // The runner attended even if their order was withdrawn later; count each person once a run.
      for (const id of new Set([...run.participantIds, run.runnerId])) add(attended, id);
    }
    if (!lastServed.has(run.runnerId)) lastServed.set(run.runnerId, run.closedAt);
  }
  const previousRunner = newest[0]?.runnerId;
  return candidates.map((userId) => {
    const last = lastServed.get(userId);
    return {
      userId,
      servedInWindow: served.get(userId) ?? 0,
      servedInHorizon: servedLong.get(userId) ?? 0,
      attendedInHorizon: attended.get(userId) ?? 0,
      lastServedAt: last ? new Date(last.getTime()) : null,
      ranLastTime: userId === previousRunner,
      tiebreak: createHash('sha256').update(`${runId}:${userId}`).digest('hex'),
    };
  });
}

/** Never served sorts first; otherwise the earlier last run first. */
function compareLastServed(a: CandidateScore, b: CandidateScore): number {
  if (a.lastServedAt === null || b.lastServedAt === null) {
    return (a.lastServedAt === null ? 0 : 1) - (b.lastServedAt === null ? 0 : 1);
  }
  return a.lastServedAt.getTime() - b.lastServedAt.getTime();
}

/**
 * Lower share first: runs served ÷ (runs attended + 1) over the horizon, compared exactly by
 * cross-multiplying. The +1 counts this run, which everyone here attends, so a newcomer's share is
 * 0 and is never a division by zero.
 */
function compareShare(a: CandidateScore, b: CandidateScore): number {
  return a.servedInHorizon * (b.attendedInHorizon + 1) - b.servedInHorizon * (a.attendedInHorizon + 1);
}

function compareScores(a: CandidateScore, b: CandidateScore): number {
  return (
    a.servedInWindow - b.servedInWindow ||
    compareShare(a, b) ||
    compareLastServed(a, b) ||
    compareText(a.tiebreak, b.tiebreak) ||
    compareText(a.userId, b.userId)
  );
}

function separatingRule(winner: CandidateScore, runnerUp: CandidateScore): AssignedRule {
  if (winner.servedInWindow !== runnerUp.servedInWindow) return 'fewest_served';
  if (compareShare(winner, runnerUp) !== 0) return 'lowest_share';
  if (compareLastServed(winner, runnerUp) !== 0) return 'longest_since';
  return 'tiebreak';
}

interface Explained {
  winner: CandidateScore;
  runnerUp: CandidateScore | undefined;
  skipped: CandidateScore | undefined;
  /** Away participants passed over (none when a volunteer won: nobody was passed over then). */
  skippedAway: string[];
  window: number;
  horizon: number;
}

/** At most this many names in a list; a 40-person run still fits Slack's 3,000-character context text. */
const maxListed = 10;

/** "a", "a and b", "a, b and c"; past `maxListed`, "a, b, … and 7 others". */
function listOf(items: readonly string[]): string {
  const shown = items.length > maxListed ? [...items.slice(0, maxListed - 1), `${items.length - maxListed + 1} others`] : [...items];
  const last = shown.pop();
  return shown.length === 0 ? (last ?? '') : `${shown.join(', ')} and ${last}`;
}

function ran(score: CandidateScore, window: number): string {
  return window === 0 ? 'no runs here yet' : `${score.servedInWindow} of the last ${window} run${window === 1 ? '' : 's'}`;
}

/** `YYYY-MM-DD` (UTC, zone-free); with the time when both dates fall on the same day. */
function day(at: Date, other: Date | null): string {
  const iso = at.toISOString();
  return other && other.toISOString().slice(0, 10) === iso.slice(0, 10) ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : iso.slice(0, 10);
}

function sinceText(winner: CandidateScore, runnerUp: CandidateScore): string {
  const w = mention(winner.userId);
  const theirs = runnerUp.lastServedAt;
  if (theirs === null) return `${w} went longest ago`; // unreachable: never-served sorts first
  if (winner.lastServedAt === null) return `${w} has never run here (${mention(runnerUp.userId)} last ran ${day(theirs, null)})`;
  return `${w} went longest ago (${day(winner.lastServedAt, theirs)} vs ${day(theirs, winner.lastServedAt)})`;
}

/** "<@a> ran 1 of the 6 runs they joined of the last 20, a smaller share than <@b> (2 of 7)". */
function shareText(winner: CandidateScore, runnerUp: CandidateScore, horizon: number): string {
  const joined = (score: CandidateScore) => `${score.servedInHorizon} of ${score.attendedInHorizon}`;
  return (
    `${mention(winner.userId)} ran ${joined(winner)} run${winner.attendedInHorizon === 1 ? '' : 's'} they joined of the last ${horizon}, ` +
    `a smaller share than ${mention(runnerUp.userId)} (${joined(runnerUp)})`
  );
}

function explain(rule: AssignedRule, { winner, runnerUp, skipped, skippedAway, window, horizon }: Explained): string {
  const w = mention(winner.userId);
  const head = `${w}: ${ran(winner, window)}`;
  const awayNote =
    skippedAway.length === 0 ? '' : ` ${listOf(skippedAway.map(mention))} ${skippedAway.length === 1 ? 'is away, so was' : 'are away, so were'} skipped.`;
  const skipNote = `${skipped ? ` ${mention(skipped.userId)} ran last time, so was skipped.` : ''}${awayNote}`;
  switch (rule) {
    case 'volunteer':
      return `${w} volunteered (${ran(winner, window)}).`;
    case 'only_candidate':
      return `${head}; ${winner.ranLastTime ? 'ran last time, but is the only one who can go' : 'the only one who can go'}.${skipNote}`;
    case 'previous_runner_skipped':
      return `${head}.${skipNote}`;
  }
  if (!runnerUp) return `${head}.${skipNote}`;
  const r = mention(runnerUp.userId);
  switch (rule) {
    case 'fewest_served':
      return `${head}, the fewest (next: ${r} with ${runnerUp.servedInWindow}).${skipNote}`;
    case 'lowest_share':
      return `${head}, tied with ${r}; ${shareText(winner, runnerUp, horizon)}.${skipNote}`;
    case 'longest_since':
      return `${head}, tied with ${r}; ${sinceText(winner, runnerUp)}.${skipNote}`;
    case 'tiebreak': {
      const last = winner.lastServedAt === null ? 'neither has run here' : `both last ran ${day(winner.lastServedAt, winner.lastServedAt)}`;
      return window === 0
        ? `No runs here yet, so a draw picked ${w} over ${r} (fixed for this run: anyone can check it).${skipNote}`
        : `${head}, tied with ${r}, and ${last}; picked by a draw (fixed for this run: anyone can check it).${skipNote}`;
    }
  }
}
