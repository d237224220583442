/** `npm run build`: bundles the production entry points into dist/ (see ./production.ts). */
import { relative } from "node:path";
import { buildProduction, distPathOf, productionEntries, repoRoot } from "./production";

const started = performance.now();
buildProduction();
const outputs = productionEntries.map((e) => relative(repoRoot, distPathOf(e))).join(", ");
console.log(`built ${outputs} in ${Math.round(performance.now() - started)} ms`);
