/** The README's Streams snippets run as written: plain JavaScript importing "sockit". */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { checkLeaks, fixturePath } from "./helpers.js";

checkLeaks();

const run = promisify(execFile);

/** What each snippet of the Streams section prints, in order. */
const EXPECTED = [
  ["HELLO 1", "", "HELLO 2", "", "half a line", "", "BYE", ""],
  ["first", "second"],
  ["HELLO, STREAMS", "true"],
  ["abcd", "ef", "0"],
  ["true"],
];

test("the Streams section's snippets run as written and print what their comments say", {
  timeout: 60_000,
}, async () => {
  const root = dirname(dirname(dirname(fixturePath("x"))));
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("\n## Streams\n"), readme.indexOf("\n## struct\n"));
  const snippets = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!);
  assert.equal(snippets.length, EXPECTED.length);
  // Inside the package, so `import "sockit"` resolves to the built package through its exports.
  const dir = join(root, "build", "readme");
  mkdirSync(dir, { recursive: true });
  for (const [i, snippet] of snippets.entries()) {
    const file = join(dir, `streams-${i}.mjs`);
    writeFileSync(file, snippet);
    const { stdout, stderr } = await run(process.execPath, [file], { timeout: 20_000 });
    assert.equal(stderr, "", `snippet ${i}`);
    assert.deepEqual(stdout.split("\n").slice(0, -1), EXPECTED[i], `snippet ${i}`);
  }
});
