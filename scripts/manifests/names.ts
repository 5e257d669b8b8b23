/**
 * Names and facts derived from a function's descriptor, in one place so the KService, its
 * sources, Kong and the tests agree on them.
 */
import { audienceFor as runtimeAudienceFor } from '../../shared/auth/event-auth.ts';
import type { EventType } from '../../shared/events/catalog.ts';
import { topicKeyFor, topicName } from '../../shared/events/topics.ts';
import type { AnyFunction } from '../../shared/function.ts';
import type { ManifestOptions } from './options.ts';

/** Labels every generated object carries (`kubectl get all -l app.kubernetes.io/part-of=coffeebuddy`). */
export const partOf = { 'app.kubernetes.io/part-of': 'coffeebuddy' } as const;

/**
 * Labels of the objects that belong to one function; `app: coffeebuddy` as well, which dashboards
 * and `kubectl get pods -l app=coffeebuddy` outside the Kubernetes recommended labels look for.
 */
export function functionLabels(fn: AnyFunction): Record<string, string> {
  return { app: 'coffeebuddy', ...partOf, 'app.kubernetes.io/name': fn.name, 'app.kubernetes.io/component': 'function' };
}

/**
 * The OIDC audience a function's internal endpoints (`/events/<name>`, `/sweep`) accept, as the
 * runtime computes it when `AUTH_AUDIENCE` is unset: Knative's sources request a token for it
 * (`spec.sink.audience`) and the KService sets `AUTH_AUDIENCE` to it.
 */
export function audienceFor(fn: AnyFunction): string {
  return runtimeAudienceFor(fn.name, {});
}

/** The Kafka consumer group of a function's KafkaSource (the local dispatcher uses the same). */
export function consumerGroupFor(fn: AnyFunction): string {
  return `coffeebuddy-${fn.name}`;
}

/** The ServiceAccount a function's pods run as (Vault's Kubernetes auth role binds to it). */
export function serviceAccountFor(fn: AnyFunction): string {
  return `coffeebuddy-${fn.name}`;
}

/** The KService's cluster-local host name (`<name>.<namespace>.svc.<domain>`). */
export function clusterLocalHost(fn: AnyFunction, options: ManifestOptions): string {
  return `${fn.name}.${options.namespace}.svc.${options.clusterDomain}`;
}

/** Event types the function consumes, in declaration order. */
export function consumedTypes(fn: AnyFunction): EventType[] {
  return Object.keys(fn.consumes) as EventType[];
}

/** The topics a function's KafkaSource must read: those its consumed types are published to. */
export function topicsFor(fn: AnyFunction, prefix: string): string[] {
  return [...new Set(consumedTypes(fn).map((type) => topicName(topicKeyFor(type), prefix)))].sort();
}

/** Functions that take Slack's HTTP requests: they must answer within 3 s, so they never scale to zero. */
export function servesSlack(fn: AnyFunction): boolean {
  return fn.routes.length > 0;
}

/**
 * Whether the function has work a sweep catches up on: outbox rows to publish (it publishes) or
 * Slack effects to retry (its own, or its events' effects).
 */
export function needsSweep(fn: AnyFunction): boolean {
  const eventEffects = Object.values(fn.consumes).some((consumer) => typeof consumer === 'object' && consumer?.effect !== undefined);
  return fn.publishes.length > 0 || Object.keys(fn.effects ?? {}).length > 0 || eventEffects;
}
