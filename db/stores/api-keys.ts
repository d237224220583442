import { and, eq, isNull } from "drizzle-orm";
import { hashApiKeySecret, newApiKey, rotatedApiKey, secretMatches, type ApiKeyScope } from "../../core/api-keys";
import type { Database } from "../database";
import { apiKeys } from "../schema";
import { withSystemScope, withTenant } from "../tenant-scope";

export interface ApiKeyView {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
  createdBy: string;
  createdAt: string;
  rotatedAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const view = (r: typeof apiKeys.$inferSelect): ApiKeyView => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes as ApiKeyScope[],
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  rotatedAt: r.rotatedAt?.toISOString() ?? null,
  lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
  revokedAt: r.revokedAt?.toISOString() ?? null,
});

/** How often a key's last-used time is written at most, per process (the time is approximate to this). */
const LAST_USED_WRITE_MS = 30_000;

/**
 * Per-school server API keys. Only the SHA-256 of each secret is stored (core/api-keys.ts says why that
 * is enough); the full key is returned once, at creation or rotation. Authentication reads the key's row
 * on every call (no cache), so a revoked or rotated key fails at once on every node.
 */
export class ApiKeyStore {
  private readonly lastWritten = new Map<string, number>();

  constructor(private readonly db: Database) {}

  async create(tenant: string, input: { name: string; scopes: ApiKeyScope[]; createdBy: string }): Promise<ApiKeyView & { key: string }> {
    const { id, key, hash } = newApiKey();
    const row = await withTenant(this.db, tenant, async (tx) => {
      const [r] = await tx.insert(apiKeys).values({ tenantId: tenant, id, name: input.name, secretHash: hash, scopes: input.scopes, createdBy: input.createdBy }).returning();
      return r as typeof apiKeys.$inferSelect;
    });
    return { ...view(row), key };
  }

  list(tenant: string): Promise<ApiKeyView[]> {
    return withTenant(this.db, tenant, async (tx) => (await tx.select().from(apiKeys).where(eq(apiKeys.tenantId, tenant)).orderBy(apiKeys.createdAt)).map(view));
  }

  /** A new secret for a live key: the old one fails from now on. Undefined when there is no live key of that id. */
  async rotate(tenant: string, id: string): Promise<(ApiKeyView & { key: string }) | undefined> {
    const { key, hash } = rotatedApiKey(id);
    const row = await withTenant(this.db, tenant, async (tx) => {
      const [r] = await tx
        .update(apiKeys)
        .set({ secretHash: hash, rotatedAt: new Date() })
        .where(and(eq(apiKeys.tenantId, tenant), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning();
      return r;
    });
    return row ? { ...view(row), key } : undefined;
  }

  /** Revokes a key (kept, for the record); false when there is no live key of that id. */
  revoke(tenant: string, id: string): Promise<boolean> {
    return withTenant(this.db, tenant, async (tx) => {
      const rows = await tx
        .update(apiKeys)
        .set({ revokedAt: new Date(), secretHash: hashApiKeySecret("revoked") })
        .where(and(eq(apiKeys.tenantId, tenant), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      return rows.length > 0;
    });
  }

  /**
   * The tenant and scopes of a presented key (id and secret), or undefined when there is no such live key
   * or the secret does not match. The key's tenant is found in the read-only `api-key-lookup` scope;
   * its last-used time is then written in the tenant's own transaction (at most every 30 s per process).
   */
  async authenticate(id: string, secret: string): Promise<{ tenant: string; id: string; scopes: ApiKeyScope[] } | undefined> {
    const [row] = await withSystemScope(this.db, "api-key-lookup", (tx) => tx.select().from(apiKeys).where(eq(apiKeys.id, id)));
    if (!row || row.revokedAt || !secretMatches(secret, row.secretHash)) return undefined;
    const now = Date.now();
    if (now - (this.lastWritten.get(id) ?? 0) >= LAST_USED_WRITE_MS) {
      this.lastWritten.set(id, now);
      if (this.lastWritten.size > 10_000) this.lastWritten.delete(this.lastWritten.keys().next().value as string);
      await withTenant(this.db, row.tenantId, (tx) => tx.update(apiKeys).set({ lastUsedAt: new Date(now) }).where(and(eq(apiKeys.tenantId, row.tenantId), eq(apiKeys.id, id))));
    }
    return { tenant: row.tenantId, id, scopes: row.scopes as ApiKeyScope[] };
  }
}
