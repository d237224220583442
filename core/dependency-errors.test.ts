import { DrizzleQueryError } from "drizzle-orm/errors";
import { ReplyError } from "ioredis";
import ClusterAllFailedError from "ioredis/built/errors/ClusterAllFailedError";
import MaxRetriesPerRequestError from "ioredis/built/errors/MaxRetriesPerRequestError";
import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from "kafkajs";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { classifyDependencyError } from "./dependency-errors";
import { AppError, ErrorCode, toAppError } from "./errors";

/** pg's DatabaseError as the server's ErrorResponse makes it (severity + SQLSTATE). */
function pgError(code: string, message: string): Error {
  const e = new pg.DatabaseError(message, message.length, "error");
  e.severity = "FATAL";
  e.code = code;
  return e;
}

/** Node's socket error shape (`connect ECONNREFUSED 127.0.0.1:5432`). */
function socketError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -111, syscall: "connect", address: "127.0.0.1", port: 5432 });
}

/** kafkajs' protocol error as it builds it from a broker's error code (kafkajs/src/protocol/error.js). */
function kafkaProtocolError(message: string, type: string, code: number, retriable: boolean): Error {
  return new KafkaJSProtocolError(Object.assign(new Error(message), { type, code, retriable }));
}

describe("classifyDependencyError: PostgreSQL (pg 8, pg-pool 3)", () => {
  it.each([
    ["57P01", "terminating connection due to administrator command"],
    ["57P02", "terminating connection due to crash of another server process"],
    ["57P03", "the database system is shutting down"],
    ["08006", "connection failure"],
    ["08001", "could not connect"],
    ["53300", "sorry, too many clients already"],
    ["40001", "could not serialize access due to concurrent update"],
  ])("SQLSTATE %s is unavailable", (code, message) => {
    expect(classifyDependencyError(pgError(code, message))).toMatchObject({ kind: "unavailable", dependency: "database" });
  });

  it("SQLSTATE 57014 (statement timeout) is a timeout", () => {
    expect(classifyDependencyError(pgError("57014", "canceling statement due to statement timeout"))).toMatchObject({ kind: "timeout", dependency: "database" });
  });

  it("other SQLSTATEs are bugs, not dependency failures", () => {
    expect(classifyDependencyError(pgError("23505", "duplicate key value violates unique constraint"))).toBeUndefined();
    expect(classifyDependencyError(pgError("42P01", 'relation "x" does not exist'))).toBeUndefined();
  });

  it("the pool's connect timeout and a lost connection", () => {
    expect(classifyDependencyError(new Error("timeout exceeded when trying to connect"))).toMatchObject({ kind: "timeout", dependency: "database" });
    expect(classifyDependencyError(new Error("Connection terminated due to connection timeout"))).toMatchObject({ kind: "timeout", dependency: "database" });
    expect(classifyDependencyError(new Error("Connection terminated unexpectedly"))).toMatchObject({ kind: "unavailable", dependency: "database" });
  });

  it("connection refused, also inside Node's AggregateError (happy eyeballs)", () => {
    expect(classifyDependencyError(socketError("ECONNREFUSED"))).toMatchObject({ kind: "unavailable", reason: "ECONNREFUSED" });
    const aggregate = Object.assign(new AggregateError([socketError("ECONNREFUSED"), socketError("ECONNREFUSED")]), { code: "ECONNREFUSED" });
    expect(classifyDependencyError(aggregate)).toMatchObject({ kind: "unavailable" });
    expect(classifyDependencyError(new AggregateError([new Error("x"), socketError("ETIMEDOUT")]))).toMatchObject({ kind: "timeout" });
  });

  it("through drizzle's DrizzleQueryError (the cause chain)", () => {
    const wrapped = new DrizzleQueryError("select 1", [], pgError("57P01", "terminating connection due to administrator command"));
    expect(classifyDependencyError(wrapped)).toMatchObject({ kind: "unavailable", dependency: "database", reason: "SQLSTATE 57P01 admin_shutdown" });
    expect(classifyDependencyError(new DrizzleQueryError("select 1", [], new Error("timeout exceeded when trying to connect")))).toMatchObject({ kind: "timeout" });
    expect(classifyDependencyError(new DrizzleQueryError("select 1", [], new TypeError("x is undefined")))).toBeUndefined();
  });
});

describe("classifyDependencyError: Redis (ioredis 5, Socket.IO adapters)", () => {
  it.each(["CLUSTERDOWN The cluster is down", "TRYAGAIN Multiple keys request during rehashing of slot", "MOVED 3999 127.0.0.1:6381", "LOADING Redis is loading the dataset in memory", "READONLY You can't write against a read only replica."])(
    "error reply %s is unavailable",
    (message) => {
      expect(classifyDependencyError(new ReplyError(message))).toMatchObject({ kind: "unavailable", dependency: "redis" });
    },
  );

  it("a script error reply is a bug", () => {
    expect(classifyDependencyError(new ReplyError("ERR Error running script (call to f_1): user_script:1: attempt to compare nil with number"))).toBeUndefined();
    expect(classifyDependencyError(new ReplyError("WRONGTYPE Operation against a key holding the wrong kind of value"))).toBeUndefined();
  });

  it("ClusterAllFailedError, MaxRetriesPerRequestError, a closed connection, a command timeout", () => {
    expect(classifyDependencyError(new ClusterAllFailedError("Failed to refresh slots cache.", new Error("x")))).toMatchObject({ kind: "unavailable", dependency: "redis", reason: "ClusterAllFailedError" });
    expect(classifyDependencyError(new MaxRetriesPerRequestError(3))).toMatchObject({ kind: "unavailable", dependency: "redis" });
    expect(classifyDependencyError(new Error("Connection is closed."))).toMatchObject({ kind: "unavailable", dependency: "redis" });
    expect(classifyDependencyError(new Error("Command timed out"))).toMatchObject({ kind: "timeout", dependency: "redis" });
    expect(classifyDependencyError(new Error("Too many Cluster redirections. Last error: ReplyError: MOVED 12 127.0.0.1:1"))).toMatchObject({ kind: "unavailable" });
    expect(classifyDependencyError(new Error("timeout reached while waiting for fetchSockets response"))).toMatchObject({ kind: "timeout", dependency: "redis" });
  });
});

describe("classifyDependencyError: Kafka (kafkajs 2)", () => {
  it("connection errors, request timeouts and retriable protocol errors", () => {
    expect(classifyDependencyError(new KafkaJSConnectionError("Connection error: connect ECONNREFUSED 127.0.0.1:9092"))).toMatchObject({ kind: "unavailable", dependency: "kafka" });
    expect(classifyDependencyError(new KafkaJSRequestTimeoutError("Request Produce(key: 0, version: 7) timed out"))).toMatchObject({ kind: "timeout", dependency: "kafka" });
    const leaderNotAvailable = kafkaProtocolError("There is no leader for this topic-partition as we are in the middle of a leadership election", "LEADER_NOT_AVAILABLE", 5, true);
    expect(classifyDependencyError(leaderNotAvailable)).toMatchObject({ kind: "unavailable", dependency: "kafka" });
    expect(classifyDependencyError(new KafkaJSNumberOfRetriesExceeded(leaderNotAvailable, { retryCount: 5, retryTime: 3000 }))).toMatchObject({ kind: "unavailable", dependency: "kafka" });
  });

  it("a non-retriable Kafka error (a configuration bug) is not temporary", () => {
    const tooLarge = kafkaProtocolError("The request included a message larger than the max message size the server will accept", "MESSAGE_TOO_LARGE", 10, false);
    expect(classifyDependencyError(tooLarge)).toBeUndefined();
    expect(classifyDependencyError(new KafkaJSNonRetriableError("bad config"))).toBeUndefined();
  });
});

describe("toAppError: the one mapping of the socket acks and the REST handler", () => {
  it("a dependency failure becomes a temporary 5001 or 5002 with the cause kept", () => {
    const refused = socketError("ECONNREFUSED");
    const unavailable = toAppError(new DrizzleQueryError("select 1", [], refused));
    expect(unavailable).toMatchObject({ code: ErrorCode.Unavailable, temporary: true });
    expect(unavailable.toBody()).toEqual({ code: ErrorCode.Unavailable, message: "network unavailable: retry", temporary: true });
    expect(toAppError(new Error("timeout exceeded when trying to connect")).toBody()).toEqual({ code: ErrorCode.Timeout, message: "database did not answer in time: retry", temporary: true });
    expect(toAppError(new ReplyError("CLUSTERDOWN The cluster is down")).cause).toBeInstanceOf(ReplyError);
  });

  it("a bug stays 5000 and not temporary; an AppError passes through", () => {
    expect(toAppError(new TypeError("cannot read properties of undefined")).toBody()).toEqual({ code: ErrorCode.Internal, message: "internal error" });
    expect(toAppError("a string")).toMatchObject({ code: ErrorCode.Internal, temporary: false });
    const own = new AppError(ErrorCode.NotInRoom, "join first");
    expect(toAppError(own)).toBe(own);
  });
});
