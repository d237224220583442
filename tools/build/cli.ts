/** `npm run build`: bundles the production entry points and the browser pages into dist/ (see ./production.ts). */
import { join, relative } from "node:path";
import { buildProduction, distPathOf, productionEntries, repoRoot } from "./production";
import { webPages } from "./web";

const started = performance.now();
buildProduction();
const outputs = productionEntries.map((e) => relative(repoRoot, distPathOf(e)));
const pages = webPages(join(repoRoot, "web")).map((p) => `dist/web/${p}`);
console.log(`built ${[...outputs, ...pages].join(", ")} in ${Math.round(performance.now() - started)} ms`);
