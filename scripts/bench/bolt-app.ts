/**
 * The bench's baseline (scripts/bench.ts): the minimal Slack Bolt app a team would write instead
 * of CoffeeBuddy's `/coffee` start. Bolt's own HTTP receiver with signature verification, one
 * `/coffee` handler that inserts one row with `postgres`, posts the run message through the same
 * Slack emulator and acks. Bundled and run as its own process, like a CoffeeBuddy bundle.
 */
import bolt from '@slack/bolt';
import postgres from 'postgres';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const sql = postgres(env('DATABASE_URL'));
const app = new bolt.App({
  token: env('SLACK_BOT_TOKEN'),
  signingSecret: env('SLACK_SIGNING_SECRET'),
  endpoints: '/slack/commands',
  clientOptions: { slackApiUrl: env('SLACK_API_URL') },
  logLevel: bolt.LogLevel.WARN,
});

app.command('/coffee', async ({ command, ack, client }) => {
  await sql`
    insert into bench_bolt_runs (slack_channel_id, slack_user_id, note)
    values (${command.channel_id}, ${command.user_id}, ${command.text})
  `;
  await client.chat.postMessage({ channel: command.channel_id, text: `:coffee: <@${command.user_id}> started a coffee run: ${command.text}` });
  await ack();
});

await app.start(Number(env('PORT')));
