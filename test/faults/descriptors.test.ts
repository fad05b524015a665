/**
 * Descriptor exhaustion: a listener in a child process whose `ulimit -n` runs out raises
 * `EMFILE` from `accept` (a waiting one within about 250 ms), stays usable, and serves again
 * once descriptors are free, in both flavours (emfile-child.ts is the child).
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { socket } from "../../src/index.js";
import { checkLeaks, within } from "../helpers.js";

checkLeaks();

const CHILD = fileURLToPath(new URL("./emfile-child.js", import.meta.url));

/** The child under `ulimit -n 256`, its JSON lines one by one. */
function start(mode: "async" | "sync"): {
  child: ChildProcess;
  next: () => Promise<Record<string, unknown>>;
  stderr: () => string;
} {
  const child = spawn(
    "sh",
    ["-c", 'ulimit -n 256 && exec "$0" "$@"', process.execPath, CHILD, mode],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  return {
    child,
    next: async () => {
      const { value, done } = await within(lines.next(), 10_000);
      if (done === true) assert.fail(`the child ended early:\n${stderr}`);
      return JSON.parse(value as string) as Record<string, unknown>;
    },
    stderr: () => stderr,
  };
}

async function connectAndSend(port: number, text: string): Promise<void> {
  await using client = socket();
  await client.connect(["127.0.0.1", port], { timeout: 5 });
  await client.sendAll(text);
  // Wait until the child has read it (it closes then): recv returns end of stream or a reset.
  await client.recv(1, { timeout: 10 }).catch(() => {});
}

test("accept raises EMFILE while descriptors are exhausted, then serves again", {
  timeout: 30_000,
}, async () => {
  const { child, next, stderr } = start("async");
  try {
    const { port } = (await next()) as { port: number };
    assert.deepEqual(await next(), { step: "exhausted" });
    // Connect while the child has no descriptor: libuv accepts and drops the connection.
    const dropped = socket();
    await dropped.connect(["127.0.0.1", port], { timeout: 5 });
    dropped.close();
    child.stdin!.write("go\n");
    const waiting = (await next()) as { waiting: string; ms: number };
    assert.equal(waiting.waiting, "SocketError EMFILE", "a waiting accept hears of it");
    assert.ok(waiting.ms < 5000, `the waiting accept took ${waiting.ms} ms to hear of it`);
    assert.deepEqual(await next(), { nonblocking: "SocketError EMFILE" });
    assert.deepEqual(await next(), { timed: "SocketError EMFILE" });
    assert.deepEqual(await next(), { freedNonblocking: "BlockingIOError EAGAIN" });
    assert.deepEqual(await next(), { step: "freed" });
    await connectAndSend(port, "hello");
    assert.deepEqual(await next(), { accepted: "hello" });
    const [code] = (await within(once(child, "exit"), 10_000)) as [number | null];
    assert.equal(code, 0, stderr());
  } finally {
    child.kill("SIGKILL");
  }
});

test("a synchronous accept raises EMFILE too, and serves once descriptors are free", {
  timeout: 30_000,
}, async () => {
  const { child, next, stderr } = start("sync");
  try {
    const { port } = (await next()) as { port: number };
    assert.deepEqual(await next(), { blocking: "SocketError EMFILE" });
    assert.deepEqual(await next(), { nonblocking: "SocketError EMFILE" });
    assert.deepEqual(await next(), { freedNonblocking: "BlockingIOError EAGAIN" });
    assert.deepEqual(await next(), { step: "freed" });
    await connectAndSend(port, "hello");
    assert.deepEqual(await next(), { accepted: "hello" });
    const [code] = (await within(once(child, "exit"), 10_000)) as [number | null];
    assert.equal(code, 0, stderr());
  } finally {
    child.kill("SIGKILL");
  }
});
