import { describe, expect, it } from 'vitest';
import { topicDeclarations } from '../../shared/events/topics.ts';
import { adminConfig, minProcessedEventsRetentionDays } from './schema.ts';

describe('adminConfig', () => {
  it('defaults: outbox 7 days, dedupe rows 45, audit 365, personal data 90 (SPEC)', () => {
    expect(adminConfig.parse({})).toEqual({
      OUTBOX_RETENTION_DAYS: 7,
      PROCESSED_EVENTS_RETENTION_DAYS: 45,
      AUDIT_RETENTION_DAYS: 365,
      PERSONAL_DATA_RETENTION_DAYS: 90,
    });
  });

  it('keeps dedupe rows longer than Kafka can deliver an event again (longest topic retention plus a 7-day segment)', () => {
    const longestTopicDays = Math.max(...topicDeclarations.map((topic) => topic.retentionMs)) / (24 * 3600 * 1000);
    expect(minProcessedEventsRetentionDays).toBeGreaterThan(longestTopicDays + 7);
    expect(adminConfig.parse({}).PROCESSED_EVENTS_RETENTION_DAYS).toBeGreaterThanOrEqual(minProcessedEventsRetentionDays);
    const refused = adminConfig.safeParse({ PROCESSED_EVENTS_RETENTION_DAYS: '30' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toContain(`at least ${minProcessedEventsRetentionDays}`);
  });
});
