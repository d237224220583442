import calculateSlot from "cluster-key-slot";
import { isCluster, type RedisClient } from "./redis-client";
import { WindowBatcher } from "./window-batcher";

type Command = { name: "get"; args: [string] } | { name: "eval"; args: [string, number, ...Array<string | number>] };
type Answer = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Errors that say a cluster command was not run where it was sent (slot moved, failover under way): sent again on its own, ioredis follows it. */
const NOT_RUN_HERE = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

/**
 * Single-key commands of the connect path (a revocation GET, a presence script) asked within one window
 * (2 ms) go to Redis as one pipeline: one socket write and one round trip for a connect storm's worth of
 * sockets, instead of a write per command (the command connection does not auto-pipeline:
 * app/redis-connections.ts). Each command keeps its own answer or error, in order.
 *
 * On a Redis Cluster a pipeline must stay on the slots of one server, so a window's commands are grouped by
 * the servers of their key's slot (as ioredis' auto-pipelining groups them): one pipeline per primary.
 * Before, each went alone there, a socket write per command (9.4 % of a survivor's profile in a 10,000-client
 * node kill). A command without a key goes alone. When the slot map changed between grouping and sending (a
 * failover), the pipeline is refused as a whole and its commands go alone; a command answered MOVED, ASK,
 * TRYAGAIN or CLUSTERDOWN was not run and goes again alone, where ioredis follows the cluster as it does for
 * any single command.
 */
export class RedisWindow {
  private readonly batcher: WindowBatcher<Command, Answer>;

  constructor(
    private readonly redis: RedisClient,
    windowMs = 2,
  ) {
    this.batcher = new WindowBatcher<Command, Answer>((_key, commands) => this.pipelined(commands), windowMs);
  }

  private async pipelined(commands: Command[]): Promise<Answer[]> {
    const pipeline = this.redis.pipeline();
    for (const c of commands) {
      if (c.name === "get") pipeline.get(c.args[0]);
      else pipeline.eval(...c.args);
    }
    const cluster = isCluster(this.redis);
    const results = cluster ? await pipeline.exec().catch(() => undefined) : await pipeline.exec();
    if (results === undefined) return Promise.all(commands.map((c) => this.alone(c)));
    return Promise.all(
      commands.map(async (c, i): Promise<Answer> => {
        const [error, value] = results?.[i] ?? [new Error("no answer from the pipeline"), undefined];
        if (!error) return { ok: true, value };
        return cluster && error instanceof Error && NOT_RUN_HERE.test(error.message) ? this.alone(c) : { ok: false, error };
      }),
    );
  }

  private alone(c: Command): Promise<Answer> {
    const sent = c.name === "get" ? this.redis.get(c.args[0]) : this.redis.eval(...c.args);
    return sent.then(
      (value): Answer => ({ ok: true, value }),
      (error: unknown): Answer => ({ ok: false, error }),
    );
  }

  /** The batch a command joins: one for a single server; on a cluster, the servers of its key's slot (none: it goes alone). */
  private groupOf(command: Command): string | undefined {
    if (!isCluster(this.redis)) return "";
    const key = command.name === "get" ? command.args[0] : command.args[1] > 0 ? command.args[2] : undefined;
    if (typeof key !== "string") return undefined;
    return this.redis.slots[calculateSlot(key)]?.join(",");
  }

  private async send(command: Command): Promise<unknown> {
    const group = this.groupOf(command);
    const answer = group === undefined ? await this.alone(command) : await this.batcher.add(group, command);
    if (!answer.ok) throw answer.error;
    return answer.value;
  }

  get(key: string): Promise<string | null> {
    return this.send({ name: "get", args: [key] }) as Promise<string | null>;
  }

  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown> {
    return this.send({ name: "eval", args: [script, numKeys, ...args] });
  }
}
