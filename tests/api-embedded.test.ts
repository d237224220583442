import { runApiContract } from "./api.case";
import { startEmbeddedDeployment } from "./support/nodes";

runApiContract("embedded (PGlite, in-memory bus)", startEmbeddedDeployment);
