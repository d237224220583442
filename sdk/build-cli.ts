/** `npm run build` in sdk/: builds sdk/dist (see ./build.ts). */
import { relative } from "node:path";
import { buildSdk } from "./build";

const started = performance.now();
const out = await buildSdk();
console.log(`built ${[out.browser, out.classBrowser, out.node, out.classNode, out.types].map((p) => relative(process.cwd(), p)).join(", ")} in ${Math.round(performance.now() - started)} ms`);
