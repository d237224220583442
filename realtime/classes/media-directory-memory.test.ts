import { runMediaDirectoryContract } from "./media-directory.case";
import { MemoryMediaDirectory } from "./media-directory-memory";

runMediaDirectoryContract("memory", async () => {
  const d = new MemoryMediaDirectory();
  return [d, d];
});
