import { runSliceContract } from "./slice.case";
import { startEmbeddedDeployment } from "./support/nodes";

runSliceContract("embedded (PGlite, in-memory bus, one process)", startEmbeddedDeployment);
