/** `npm run db:migrate`: applies db/migrations to DATABASE_URL (or the embedded PGlite under DATA_DIR). */
import { openDatabase } from "../db/database";

const url = process.env.DATABASE_URL || undefined;
const database = await openDatabase(url ? { url } : { dataDir: `${process.env.DATA_DIR || "./data"}/pglite` });
await database.migrate();
console.log(`migrations applied to ${database.kind === "postgres" ? "PostgreSQL" : "PGlite"}`);
await database.close();
