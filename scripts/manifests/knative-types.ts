/**
 * The shapes of the Knative objects generated here, typed with the Kubernetes pod types of
 * `kubernetes-models`. Only what the generator writes; the CRDs' own schemas (test/fixtures/crds)
 * are the authority the manifests test checks against.
 */
import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';

/** Object metadata as generated (always named and namespaced). */
export interface Metadata {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A duck-typed destination (`sink`, `deadLetterSink`): an Addressable, a path on it, the token audience. */
export interface Destination {
  ref: { apiVersion: string; kind: string; name: string };
  uri?: string;
  audience?: string;
}

/** serving.knative.dev/v1 Service. */
export interface KService {
  apiVersion: 'serving.knative.dev/v1';
  kind: 'Service';
  metadata: Metadata;
  spec: {
    template: {
      metadata: { labels: Record<string, string>; annotations: Record<string, string> };
      spec: IIoK8sApiCoreV1PodSpec & { containerConcurrency: number; timeoutSeconds: number };
    };
  };
}

/** sources.knative.dev/v1 PingSource. */
export interface PingSource {
  apiVersion: 'sources.knative.dev/v1';
  kind: 'PingSource';
  metadata: Metadata;
  spec: { schedule: string; timezone: string; contentType: string; data: string; sink: Destination };
}
