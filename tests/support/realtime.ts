import { randomUUID } from "node:crypto";
import type { Role } from "../../core/auth";
import { connectClient, emitWithAck, type TestClient } from "./clients";
import { mintToken, type Deployment } from "./nodes";

/** Fresh tenant names per test, so tests share a deployment without seeing each other. */
export const freshTenant = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

/** Connects stock socket.io-clients to chosen nodes of a deployment and closes them all at the end. */
export function clientPool(deployment: () => Deployment) {
  const open: TestClient[] = [];
  return {
    async connect(node: number, tenant: string, user: string, role: Role = "student", ttlSeconds?: number): Promise<TestClient> {
      const nodes = deployment().nodes;
      const url = (nodes[node % nodes.length] ?? nodes[0])?.url as string;
      const client = await connectClient(url, await mintToken(tenant, user, role, ttlSeconds));
      open.push(client);
      return client;
    },
    track(client: TestClient): TestClient {
      open.push(client);
      return client;
    },
    closeAll(): void {
      for (const c of open.splice(0)) c.close();
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export type Ack = Record<string, unknown> & { error?: { code: number } };

/** Emits an event and returns its ack as a plain record (errors included). */
export async function ack(client: TestClient, event: string, payload: unknown): Promise<Ack> {
  return (await emitWithAck(client, event, payload)) as Ack;
}
