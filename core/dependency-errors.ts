/**
 * Recognises the failures of a dependency that is down, restarting or slow (PostgreSQL, Redis, Kafka, the
 * network to them) among thrown values, so that they reach clients as a temporary code (5001 / 5002) the
 * SDK retries, and 5000 stays for our own bugs. core/errors.ts `toAppError` is the one place that uses it:
 * the socket ack error mapping, the REST error handler and the media RPC replies all go through it.
 *
 * Guarantees: pure (no imports of the clients: errors are recognised by their fields, names and messages
 * as pg 8, ioredis 5, kafkajs 2 and the Socket.IO adapters throw them); looks through `cause` chains
 * (drizzle's DrizzleQueryError, kafkajs' KafkaJSNumberOfRetriesExceeded), `AggregateError.errors` (Node's
 * happy-eyeballs connect) and ioredis' `lastNodeError`, at most 8 levels deep; an error it does not know
 * is not a dependency failure (undefined), so a real bug is never hidden as temporary.
 */

/** `unavailable`: the dependency refused or dropped the request (5001); `timeout`: it did not answer in time (5002). */
export type DependencyFailureKind = "unavailable" | "timeout";

export type Dependency = "database" | "redis" | "kafka" | "network";

export interface DependencyFailure {
  kind: DependencyFailureKind;
  dependency: Dependency;
  /** What was recognised (an SQLSTATE, an error name, a message prefix), for logs and tests. */
  reason: string;
}

const MAX_DEPTH = 8;

/** PostgreSQL SQLSTATEs where a retry later may succeed (class 08 is matched as a whole). */
const PG_UNAVAILABLE = new Map<string, string>([
  ["57P01", "admin_shutdown"],
  ["57P02", "crash_shutdown"],
  ["57P03", "cannot_connect_now"],
  ["53300", "too_many_connections"],
  ["53000", "insufficient_resources"],
  ["40001", "serialization_failure"],
  ["40P01", "deadlock_detected"],
]);
const PG_TIMEOUT = new Map<string, string>([["57014", "query_canceled"]]);

/** Messages of pg / pg-pool for a connection that failed, was lost or could not be had in time. */
const PG_MESSAGES: ReadonlyArray<[string, DependencyFailureKind]> = [
  ["timeout exceeded when trying to connect", "timeout"],
  ["Connection terminated due to connection timeout", "timeout"],
  ["Connection terminated", "unavailable"],
  ["Client has encountered a connection error and is not queryable", "unavailable"],
  ["Cannot use a pool after calling end on the pool", "unavailable"],
];

/** Redis error replies (first word) that mean the cluster is failing over, resharding or loading. */
const REDIS_REPLIES = new Set(["CLUSTERDOWN", "TRYAGAIN", "LOADING", "MASTERDOWN", "READONLY", "MOVED", "ASK", "NOREPLICAS", "BUSY"]);

/** Messages of ioredis and the Socket.IO adapters (prefixes). */
const REDIS_MESSAGES: ReadonlyArray<[string, DependencyFailureKind]> = [
  ["Connection is closed", "unavailable"],
  ["Command timed out", "timeout"],
  ["Socket timeout", "timeout"],
  ["connect ETIMEDOUT", "timeout"],
  ["Too many Cluster redirections", "unavailable"],
  ["None of startup nodes is available", "unavailable"],
  ["Cluster is disconnected", "unavailable"],
  ["Cluster is disconnecting", "unavailable"],
  ["Cluster isn't ready", "unavailable"],
  ["Stream isn't writeable", "unavailable"],
  ["Node is disconnected", "unavailable"],
  ["Ready check failed", "unavailable"],
  ["Failed to refresh slots cache", "unavailable"],
  ["timeout reached", "timeout"],
];

const REDIS_NAMES = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError"]);

/** kafkajs errors that are about reaching the cluster, whatever their `retriable` says. */
const KAFKA_TIMEOUT_NAMES = new Set(["KafkaJSRequestTimeoutError", "KafkaJSLockTimeout", "KafkaJSTimeout"]);
const KAFKA_UNAVAILABLE_NAMES = new Set(["KafkaJSConnectionError", "KafkaJSConnectionClosedError", "KafkaJSBrokerNotFound", "KafkaJSNoBrokerAvailableError", "KafkaJSNumberOfRetriesExceeded"]);

/** Node socket errors (`err.code`). */
const NETWORK_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);
const NETWORK_TIMEOUT = new Set(["ETIMEDOUT", "ESOCKETTIMEDOUT"]);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  severity?: unknown;
  retriable?: unknown;
  cause?: unknown;
  errors?: unknown;
  lastNodeError?: unknown;
}

function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === "object" && value !== null ? (value as ErrorLike) : undefined;
}

function startsWithAny(message: string, table: ReadonlyArray<[string, DependencyFailureKind]>): [string, DependencyFailureKind] | undefined {
  return table.find(([prefix]) => message.startsWith(prefix));
}

/** One error object, without looking at what it wraps. */
function classifyOne(e: ErrorLike): DependencyFailure | undefined {
  const name = typeof e.name === "string" ? e.name : "";
  const message = typeof e.message === "string" ? e.message : "";
  const code = typeof e.code === "string" ? e.code : undefined;

  // pg's DatabaseError: a five-character SQLSTATE with a severity
  if (code !== undefined && code.length === 5 && typeof e.severity === "string") {
    if (code.startsWith("08")) return { kind: "unavailable", dependency: "database", reason: `SQLSTATE ${code}` };
    const unavailable = PG_UNAVAILABLE.get(code);
    if (unavailable) return { kind: "unavailable", dependency: "database", reason: `SQLSTATE ${code} ${unavailable}` };
    const timeout = PG_TIMEOUT.get(code);
    if (timeout) return { kind: "timeout", dependency: "database", reason: `SQLSTATE ${code} ${timeout}` };
    return undefined;
  }
  const pg = startsWithAny(message, PG_MESSAGES);
  if (pg) return { kind: pg[1], dependency: "database", reason: pg[0] };

  if (REDIS_NAMES.has(name)) return { kind: "unavailable", dependency: "redis", reason: name };
  if (name === "ReplyError") {
    const first = message.split(" ", 1)[0] ?? "";
    if (REDIS_REPLIES.has(first)) return { kind: first === "BUSY" ? "timeout" : "unavailable", dependency: "redis", reason: first };
  }
  const redis = startsWithAny(message, REDIS_MESSAGES);
  if (redis) return { kind: redis[1], dependency: "redis", reason: redis[0] };

  if (name.startsWith("KafkaJS")) {
    if (KAFKA_TIMEOUT_NAMES.has(name)) return { kind: "timeout", dependency: "kafka", reason: name };
    if (KAFKA_UNAVAILABLE_NAMES.has(name) || e.retriable === true) return { kind: "unavailable", dependency: "kafka", reason: name };
  }

  if (code !== undefined && NETWORK_UNAVAILABLE.has(code)) return { kind: "unavailable", dependency: "network", reason: code };
  if (code !== undefined && NETWORK_TIMEOUT.has(code)) return { kind: "timeout", dependency: "network", reason: code };
  return undefined;
}

/**
 * The dependency failure `err` is or wraps, or undefined when it is none (a bug, a refusal of ours).
 * The outermost recognised error wins, except that a bare socket error (ECONNREFUSED, ETIMEDOUT…) gives way
 * to a client's error found inside or around it, which names the dependency.
 */
export function classifyDependencyError(err: unknown): DependencyFailure | undefined {
  const seen = new Set<object>();
  let found: DependencyFailure | undefined;
  const visit = (value: unknown, depth: number): void => {
    const e = asErrorLike(value);
    if (!e || depth > MAX_DEPTH || seen.has(e) || (found && found.dependency !== "network")) return;
    seen.add(e);
    const here = classifyOne(e);
    if (here && (!found || here.dependency !== "network")) found = here;
    if (found && found.dependency !== "network") return;
    visit(e.cause, depth + 1);
    visit(e.lastNodeError, depth + 1);
    if (Array.isArray(e.errors)) for (const inner of e.errors as unknown[]) visit(inner, depth + 1);
  };
  visit(err, 0);
  return found;
}
