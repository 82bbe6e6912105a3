// kafkajs's internal Cluster, Broker and protocol objects, typed as far as Vigil uses them, and
// the two patches applied to them. Internal modules, pinned by the lockfile. Nothing is required
// at import time: an agent without Kafka targets never loads kafkajs.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface KjsBroker {
  listGroups(): Promise<{ groups: { groupId: string; protocolType: string }[] }>;
  describeGroups(args: { groupIds: string[] }): Promise<{ groups: KjsGroup[] }>;
  offsetFetch(args: {
    groupId: string;
    topics: unknown[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string; errorCode?: number }[] }[] }>;
  findGroupCoordinator(args: { groupId: string; coordinatorType: number }): Promise<{ coordinator: { nodeId: number } }>;
  listOffsets(args: {
    replicaId: number;
    isolationLevel: number;
    topics: { topic: string; partitions: { partition: number; timestamp: number }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; offset: string }[] }[] }>;
}

interface KjsGroup {
  groupId: string;
  state: string;
  protocolType: string;
  errorCode: number;
  members: { memberId: string; clientId: string; clientHost: string; memberAssignment: Buffer }[];
}

export interface KjsMetadata {
  clusterId?: string;
  controllerId?: number;
  brokers: { nodeId: number; host: string; port: number }[];
  topicMetadata: { topic: string; topicErrorCode: number; partitionMetadata: { partitionId: number; leader: number; replicas: number[]; isr: number[] }[] }[];
}

interface KjsProtocolRequest {
  request: unknown;
  response: { decode(data: unknown): Promise<unknown>; parse(data: unknown): Promise<unknown> };
}

interface KjsBrokerInstance {
  metadata(topics?: string[]): Promise<KjsMetadata>;
  lookupRequest(apiKey: number, definition: unknown): (args: { topics: string[]; allowAutoTopicCreation: boolean }) => KjsProtocolRequest;
  connectionPool: { send(request: KjsProtocolRequest): Promise<KjsMetadata> };
  disconnect(): Promise<void>;
}

export interface KjsCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  refreshMetadataIfNecessary(): Promise<void>;
  findBroker(args: { nodeId: number | string }): Promise<KjsBroker>;
  brokerPool: { metadata: KjsMetadata | null; brokers: Record<string, unknown>; createBroker: (options: unknown) => KjsBrokerInstance };
}

export type KjsLogEntry = { namespace: string; level: number; label: string; log: { message: string; [key: string]: unknown } };

/** The Metadata request as kafkajs's broker builds it; loaded with the first cluster. */
let metadataRequest: { apiKey: number; definition: unknown } | undefined;
function metadataApiOf(): { apiKey: number; definition: unknown } {
  metadataRequest ??= {
    apiKey: (require('kafkajs/src/protocol/requests/apiKeys.js') as { Metadata: number }).Metadata,
    definition: (require('kafkajs/src/protocol/requests/index.js') as { requests: { Metadata: unknown } }).requests.Metadata,
  };
  return metadataRequest;
}

/**
 * kafkajs rejects a whole Metadata answer when one partition reports an error, and a partition
 * without a leader reports LEADER_NOT_AVAILABLE: offline partitions would make the cluster look
 * unreachable. The brokers of this client's cluster keep the answer as it is (leader −1).
 */
export function tolerateOfflinePartitions(cluster: KjsCluster): void {
  const pool = cluster.brokerPool;
  const create = pool.createBroker;
  const metadataApi = metadataApiOf();
  pool.createBroker = (options) => {
    const broker = create(options);
    broker.metadata = async (topics = []) => {
      const { request, response } = broker.lookupRequest(metadataApi.apiKey, metadataApi.definition)({ topics, allowAutoTopicCreation: false });
      try {
        return await broker.connectionPool.send({ request, response: { decode: (data) => response.decode(data), parse: async (data) => data } });
      } catch (err) {
        if ((err as Error).name === 'KafkaJSConnectionClosedError') await broker.disconnect();
        throw err;
      }
    };
    return broker;
  };
}

/**
 * kafkajs schedules a pending-request check with a negative delay when nothing is throttled,
 * which Node 24 reports on stderr as TimeoutNegativeWarning (once per process). Same behaviour,
 * delay clamped at 0.
 */
export function patchNegativeTimeout(): void {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: {
      scheduleCheckPendingRequests(this: {
        throttledUntil: number;
        throttleCheckTimeoutId: NodeJS.Timeout | null;
        pending: unknown[];
        checkPendingRequests(): void;
      }): void;
    };
  };
  RequestQueue.prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests() {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0 && scheduleAt <= 0) scheduleAt = 10; // kafkajs's CHECK_PENDING_REQUESTS_INTERVAL
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      Math.max(0, scheduleAt),
    );
  };
}
