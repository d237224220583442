import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Buckets of request-scale latencies, seconds: 1 ms to 10 s. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One Prometheus registry per process, served at GET /metrics. */
export function createMetrics(nodeId: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return {
    registry,
    workerEvents: new Counter({
      name: "interlinked_worker_events_total",
      help: "Bus events handled by workers, by stream and outcome (stored, dead_lettered).",
      labelNames: ["stream", "outcome"] as const,
      registers: [registry],
    }),
    ackedLost: new Counter({
      name: "interlinked_acked_records_lost_total",
      help: "Records that an edge had acked (socket ack, REST 202) and a worker then dead-lettered: each one is a defect to fix and replay (npm run dlq).",
      labelNames: ["stream"] as const,
      registers: [registry],
    }),
    workerBatchSeconds: new Histogram({
      name: "interlinked_worker_batch_seconds",
      help: "Time to write one batch of bus events to the database.",
      labelNames: ["stream"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    workerRetries: new Counter({
      name: "interlinked_worker_retries_total",
      help: "Retried database writes after retriable errors.",
      labelNames: ["stream"] as const,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: "interlinked_consumer_lag",
      help: "Records in the topic not yet committed by the consumer group.",
      labelNames: ["group", "topic"] as const,
      registers: [registry],
    }),
    apiRequestSeconds: new Histogram({
      name: "interlinked_api_request_duration_seconds",
      help: "REST request latency (first byte of the request to the response), by method, route and status.",
      labelNames: ["method", "route", "status"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    realtimeAckSeconds: new Histogram({
      name: "interlinked_realtime_ack_duration_seconds",
      help: "Time from receiving a client event to its ack (or error), by event.",
      labelNames: ["event"] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    deliverySeconds: new Histogram({
      name: "interlinked_delivery_duration_seconds",
      help: "End-to-end latency of an event: accepted by the realtime tier or the API (its `at`) to stored by a worker, by stream.",
      labelNames: ["stream"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    apiRequests: new Counter({
      name: "interlinked_api_requests_total",
      help: "REST requests by route and status.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    realtimeConnections: new Gauge({
      name: "interlinked_realtime_connections",
      help: "Open Socket.IO connections on this node, by tenant.",
      labelNames: ["tenant"] as const,
      registers: [registry],
    }),
    realtimeEventsIn: new Counter({
      name: "interlinked_realtime_events_in_total",
      help: "Client events handled, by event and outcome (ok or the error code).",
      labelNames: ["event", "outcome"] as const,
      registers: [registry],
    }),
    realtimeEventsOut: new Counter({
      name: "interlinked_realtime_events_out_total",
      help: "Events this node emitted (a broadcast counts once), by event.",
      labelNames: ["event"] as const,
      registers: [registry],
    }),
    quotaRefusals: new Counter({
      name: "interlinked_quota_refusals_total",
      help: "Refusals by per-tenant and per-socket quotas.",
      labelNames: ["quota"] as const,
      registers: [registry],
    }),
    recovery: new Counter({
      name: "interlinked_recovery_total",
      help: "Recovery requests on (re)join, by stream kind and result (hit = recovered, miss = not).",
      labelNames: ["kind", "result"] as const,
      registers: [registry],
    }),
    slowConsumers: new Counter({
      name: "interlinked_slow_consumer_disconnects_total",
      help: "Sockets disconnected because their send buffer stayed over the bound.",
      registers: [registry],
    }),
    handshakesRefusedBusy: new Counter({
      name: "interlinked_handshakes_refused_busy_total",
      help: "Engine.IO handshakes refused because the node was behind on setting up connections (CONNECT_SETUP_LIMIT_MS, MAX_PENDING_CONNECTS); the client retries after its backoff.",
      registers: [registry],
    }),
    nodeOverloaded: new Gauge({
      name: "interlinked_node_overloaded",
      help: "1 while this node refuses messages with 5005 because its event loop is behind (OVERLOAD_LAG_MS).",
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: "interlinked_webhook_attempts_total",
      help: "Webhook delivery attempts by outcome (delivered, retry, dead, refused_address).",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
    webhookAttemptSeconds: new Histogram({
      name: "interlinked_webhook_attempt_seconds",
      help: "Time of one webhook delivery attempt, request to response.",
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    apiRateLimited: new Counter({
      name: "interlinked_api_rate_limited_total",
      help: "REST requests refused by the per-tenant rate limit.",
      labelNames: ["tenant"] as const,
      registers: [registry],
    }),
    notificationDeliveries: new Counter({
      name: "interlinked_notification_deliveries_total",
      help: "Outbound notification delivery attempts by channel and outcome (delivered, retried, deferred by the mail rate, dead).",
      labelNames: ["channel", "outcome"] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
