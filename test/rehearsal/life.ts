/**
 * The deployment rehearsal's one whole life, run on a given Node binary: everything a channel and
 * an operator do in a day, through Kong and the KafkaSource and PingSource stand-ins only, against
 * the bundles copied alone as the image holds them (./world.ts).
 */
import { randomUUID } from 'node:crypto';
import { CloudEvent, Kafka as KafkaBinding } from 'cloudevents';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registry } from '../../functions/registry.ts';
import { createProducer, headerRecord } from '../../shared/events/kafka-client.ts';
import type { EmulatedMessage } from '../../scripts/local/emulator.ts';
import { blockActionBody, slashCommandBody, viewSubmissionBody, type ModalInput } from '../support/slack-requests.ts';
import { startRehearsal, type Rehearsal } from './world.ts';

const admin = 'UREHADMIN';
const people = ['UREH1', 'UREH2', 'UREH3', 'UREH4', 'UREH5'];
const orders: ModalInput[] = [
  { drink: 'Latte', size: 'Medium' },
  { drink: 'Espresso', size: 'Small' },
  { drink: 'Cappuccino', size: 'Large', customizations: 'oat milk' },
  { drink: 'Americano', size: 'Medium' },
  { freeText: 'A large flat white, extra hot' },
];
const channel = 'CREHEARSAL1';
const otherChannel = 'CREHEARSAL2';

/** A post's metadata (every post of a run carries its run id and kind). */
function postKind(message: EmulatedMessage): string | null {
  const metadata = message.metadata as { event_payload?: { kind?: string } } | undefined;
  return metadata?.event_payload?.kind ?? null;
}

export function rehearseDeployment(label: string, node: () => string): void {
  describe(`deployment rehearsal on ${label}: the copied bundles, wired by the generated manifests`, () => {
    let world: Rehearsal;

    beforeAll(async () => {
      const kafka = inject('kafkaSasl');
      if (!kafka)
        throw new Error(
          'the rehearsal needs the test broker SCRAM-over-TLS listener (test/global-setup.ts starts one unless KAFKA_BROKERS is reused without KAFKA_SASL_*)',
        );
      world = await startRehearsal({
        node: node(),
        kafka,
        users: { [admin]: { name: 'ana', is_admin: true, tz: 'Europe/London' }, ...Object.fromEntries(people.map((id) => [id, { tz: 'Europe/Berlin' }])) },
        // The PingSources' minutes last a second: reminders are checked every second, sweeps every 1–5 s.
        msPerMinute: 1_000,
      });
    }, 120_000);
    afterAll(async () => {
      await world?.close();
    });

    const command = async (user: string, inChannel: string, text: string) => {
      const answer = await world.postSlack(
        '/slack/commands',
        slashCommandBody({ trigger: world.slack, text, userId: user, channelId: inChannel, responseUrl: world.slack.responseUrl() }),
      );
      expect(answer.status).toBe(200);
      return answer.body ? ((JSON.parse(answer.body) as { text?: string }).text ?? '') : '';
    };
    const click = async (user: string, inChannel: string, actionId: string, value: string) => {
      const answer = await world.postSlack(
        '/slack/interactions',
        blockActionBody({ trigger: world.slack, userId: user, channelId: inChannel, actionId, value, responseUrl: world.slack.responseUrl() }),
      );
      expect(answer.status).toBe(200);
    };
    const posts = (inChannel?: string) => world.slack.messages(inChannel);
    const postOf = (kind: string, inChannel?: string) => posts(inChannel).find((message) => postKind(message) === kind);

    it('runs a whole day: scheduled close, fair pick, reminder, done, feedback, admin, reset, retention and a dead letter', async () => {
      // An admin sets the reminder offset so the runner's reminder is due as soon as they are picked.
      expect(await command(admin, channel, 'admin offset 20')).toContain('20 min before pickup');

      // A run with a pickup time and a scheduled close in a minute (so its last call is due at once).
      expect(await command(admin, channel, 'in 15m Lobby closes in 1m')).toBe('');
      const [run] = await world.sql<
        { id: string }[]
      >`select r.id from runs r join channels c on c.id = r.channel_id where c.slack_channel_id = ${channel} and r.status = 'open'`;
      expect(run).toBeDefined();
      const runId = run!.id;
      await expect.poll(() => postOf('run_message', channel)?.text, { timeout: 10_000 }).toBeTruthy();

      // Five orders through the modal (the modal opened by a click, submitted as Slack would).
      for (const [i, user] of people.entries()) {
        const opened = world.slack.callsTo('views.open').length;
        await click(user, channel, 'order.open', runId);
        expect(world.slack.callsTo('views.open')).toHaveLength(opened + 1);
        const view = world.slack.callsTo('views.open').at(-1)!.args.view as { private_metadata: string };
        const answer = await world.postSlack(
          '/slack/interactions',
          viewSubmissionBody({ trigger: world.slack, userId: user, privateMetadata: view.private_metadata, input: orders[i]! }),
        );
        expect(answer).toEqual({ status: 200, body: '' });
      }
      const [{ count: ordered } = { count: 0 }] = await world.sql<{ count: number }[]>`select count(*)::int as count from orders where run_id = ${runId}`;
      expect(ordered).toBe(5);

      // Meanwhile, in another channel: disable and enable, and a confirmed reset (the admin function).
      expect(await command(admin, otherChannel, 'admin disable')).toMatch(/disabled|Disabled|off/);
      expect(await command(admin, otherChannel, 'in 10m')).toMatch(/disabled/i);
      expect(await command(admin, otherChannel, 'admin enable')).toMatch(/enabled|Enabled|on/);
      await command(admin, otherChannel, 'admin reset');
      await click(admin, otherChannel, 'admin.reset_confirm', new Date(Date.now() + 5 * 60_000).toISOString());
      await expect.poll(() => postOf('reset_notice', otherChannel)?.text ?? '', { timeout: 20_000 }).toContain('was reset by');
      const audited = await world.sql<{ action: string }[]>`
        select action from channel_admin_actions where slack_channel_id = ${otherChannel} order by created_at`;
      expect(audited.map((row) => row.action)).toEqual(expect.arrayContaining(['disable', 'enable']));

      // A poison event on the run topic: close-run refuses it (4xx) and its KafkaSource parks it on the dead-letter topic.
      const poison = new CloudEvent({
        id: randomUUID(),
        type: 'com.coffeebuddy.run.close_requested',
        source: '/rehearsal/poison',
        subject: `run/${runId}`,
        datacontenttype: 'application/json',
        data: { runId: 'not-a-run' },
      });
      const producer = createProducer(world.kafka);
      await producer.connect();
      const record = KafkaBinding.binary(poison);
      await producer.send({
        topic: world.topic('coffeebuddy.run.events'),
        acks: -1,
        messages: [
          { key: channel, value: typeof record.value === 'string' ? record.value : JSON.stringify(record.value), headers: headerRecord(record.headers) },
        ],
      });
      await producer.disconnect();

      // The daily retention job, fired now.
      expect((await world.pingSources.get('admin-retention')!.fire()).kind).toBe('delivered');

      // The last call, then the scheduled close: the fair pick, the summary and the runner's DM.
      await expect.poll(() => postOf('last_call', channel)?.text ?? '', { timeout: 20_000 }).toContain('Last call');
      await expect.poll(() => postOf('summary', channel)?.text ?? '', { timeout: 90_000, interval: 500 }).toMatch(/.+/);
      const [closed] = await world.sql<{ status: string; runner: string | null }[]>`
        select r.status, u.slack_user_id as runner from runs r left join users u on u.id = r.runner_id where r.id = ${runId}`;
      expect(closed!.status).toBe('closed');
      const runner = closed!.runner!;
      expect(people).toContain(runner);
      const dm = `D${runner}`;
      await expect.poll(() => postOf(`runner_dm:${runner}`)?.text ?? '', { timeout: 20_000 }).toMatch(/.+/);
      // The reminder is due at once (pickup is closer than the offset).
      await expect.poll(() => posts().some((message) => postKind(message)?.startsWith('reminder:')), { timeout: 20_000 }).toBe(true);

      // The runner marks it done; the thread asks how it was; someone answers.
      await click(runner, dm, 'runner.done', runId);
      await expect
        .poll(async () => (await world.sql<{ status: string }[]>`select status from runs where id = ${runId}`)[0]?.status, { timeout: 20_000 })
        .toBe('completed');
      await expect.poll(() => postOf('feedback_prompt', channel)?.text ?? '', { timeout: 20_000 }).toMatch(/.+/);
      await click(people.find((id) => id !== runner)!, channel, 'rating.5', runId);
      await expect
        .poll(async () => (await world.sql<{ count: number }[]>`select count(*)::int as count from run_feedback where run_id = ${runId}`)[0]?.count, {
          timeout: 10_000,
        })
        .toBe(1);

      // The poison event was dead-lettered by close-run's source, not taken.
      await expect
        .poll(() => world.deliveries.some((delivery) => delivery.eventId === poison.id && delivery.source === 'close-run' && delivery.status === 400), {
          timeout: 20_000,
        })
        .toBe(true);

      // The operator sees it with the image's own tool, parked by admin from the dead-letter topic, and replays it.
      const parked = async () => world.sql<{ id: string; consumer: string; statusCode: number }[]>`
        select id, consumer, status_code as "statusCode" from dead_letter_events where event_id = ${poison.id} and replayed_at is null`;
      await expect.poll(async () => (await parked()).map((row) => [row.consumer, row.statusCode]), { timeout: 20_000 }).toEqual([['close-run', 400]]);
      const [letter] = await parked();
      const tool = (args: string) =>
        world.runInImage(['sh', '-c', `export DATABASE_URL="$(cat "$DATABASE_URL_FILE")" && node dist/tools/dead-letters.mjs ${args}`]);
      const listed = await tool('list');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^${letter!.id}\tevent\tcom.coffeebuddy.run.close_requested\tclose-run\t`, 'm'));
      const replayed = await tool(`replay ${letter!.id}`);
      expect(replayed.stdout).toContain('1 replayed');
      // Published again, refused again by close-run, and parked again for the operator.
      await expect
        .poll(
          () => world.deliveries.filter((delivery) => delivery.eventId === poison.id && delivery.source === 'close-run' && delivery.status === 400).length,
          {
            timeout: 30_000,
          },
        )
        .toBe(2);
      await expect.poll(async () => (await parked()).length, { timeout: 20_000 }).toBe(1);

      // Let every source drain what the life wrote before the checks below.
      await expect
        .poll(async () => (await world.sql<{ count: number }[]>`select count(*)::int as count from outbox where published_at is null`)[0]?.count, {
          timeout: 20_000,
        })
        .toBe(0);

      // Each Slack effect exactly once: no two posts of one run and kind in one channel.
      const seen = posts()
        .filter((message) => postKind(message) !== null)
        .map((message) => `${message.channel} ${(message.metadata as { event_payload: { run_id: string } }).event_payload.run_id} ${postKind(message)}`);
      expect(seen.length).toBeGreaterThan(6);
      expect(seen).toEqual([...new Set(seen)]);

      // Every event written was consumed by each function the registry says consumes it, through its own KafkaSource.
      // (The poison event, replayed through the outbox, is the one no function takes.)
      const written = await world.sql<{ eventId: string; type: string }[]>`select event_id as "eventId", type from outbox where event_id <> ${poison.id}`;
      expect(written.length).toBeGreaterThan(5);
      for (const { eventId, type } of written) {
        const consumers = registry.filter((fn) => Object.hasOwn(fn.consumes, type)).map((fn) => fn.name);
        await expect
          .poll(
            () =>
              world.deliveries
                .filter((delivery) => delivery.eventId === eventId && delivery.status === 200 && delivery.outcome !== 'ignored')
                .map((delivery) => delivery.source)
                .sort(),
            { timeout: 10_000 },
          )
          .toEqual(consumers.sort());
      }

      // No bundle answered 5xx, to Kong or to a source; no pod logged an error.
      expect(world.kong.answers.filter((answer) => answer.status >= 500)).toEqual([]);
      expect(world.deliveries.filter((delivery) => delivery.status !== null && delivery.status >= 500)).toEqual([]);
      expect(
        world.printed.filter((line) => line.entry?.level === 'error' || line.entry?.level === 'fatal' || (line.stream === 'stderr' && !line.entry)),
      ).toEqual([]);
    }, 180_000);
  });
}
