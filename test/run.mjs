// Runs the compiled test suite (build/test/**/*.test.js) with node:test.
// `npm test` compiles first (see "pretest"); pass file name filters as arguments to run a subset.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(
  import.meta.dirname ?? new URL(".", import.meta.url).pathname,
  "..",
  "build",
  "test",
);
const filters = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.name.endsWith(".test.js") ? [path] : [];
  });
}

const files = walk(root)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
// test/reporter.mjs: the spec reporter, with known limits (failing todo tests) shown as such.
const reporter = pathToFileURL(
  join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "reporter.mjs"),
).href;
const result = spawnSync(
  process.execPath,
  ["--test", `--test-reporter=${reporter}`, "--test-timeout=30000", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
