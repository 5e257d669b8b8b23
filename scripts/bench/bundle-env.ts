/**
 * What the benches that start the shipped bundles share: the signing secret they sign requests
 * with, the environment a bundle runs in outside a cluster (real Postgres, the Slack emulator, no
 * token issuer, events left in the outbox: no broker), and how figures are printed.
 */
export const benchSigningSecret = 'bench-signing-secret';

/** A bundle's environment on `port`, against the database at `databaseUrl` and the emulator at `slackUrl`. */
export function bundleEnv(args: { port: number; databaseUrl: string; slackUrl: string }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    PORT: String(args.port),
    DATABASE_URL: args.databaseUrl,
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_API_URL: args.slackUrl,
    SLACK_SIGNING_SECRET: benchSigningSecret,
    AUTH_DISABLED: 'true',
    // Nothing to publish to: run.created and order.placed wait in the outbox.
    EVENTS_OUTBOX_ONLY: 'true',
  };
}

/** The p-th percentile of ascending `sorted`. */
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Milliseconds as the benches print them. */
export const ms = (n: number) => `${n.toFixed(1)} ms`;
