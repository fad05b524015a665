/**
 * Descriptor exhaustion: a listener in a child process whose `ulimit -n` runs out raises
 * `EMFILE` from `accept` (a new one at once, one already waiting within about 250 ms), stays
 * usable, and serves again
 * once descriptors are free, in both flavours (emfile-child.ts is the child).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { socket } from "../../src/index.js";
import { checkLeaks, ON_BUN } from "../helpers.js";
import { child } from "./peers.js";

checkLeaks();

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
  using peer = child("emfile-child", ["async"], { ulimit: 256 });
  const { port } = (await peer.next()) as { port: number };
  assert.deepEqual(await peer.next(), { step: "exhausted" });
  // Connect while the child has no descriptor: libuv accepts and drops the connection; Bun
  // leaves it in the kernel's backlog, to be accepted (ended) once descriptors are free.
  const dropped = socket();
  await dropped.connect(["127.0.0.1", port], { timeout: 5 });
  dropped.close();
  peer.say("go");
  const waiting = (await peer.next()) as { waiting: string; ms: number };
  assert.equal(waiting.waiting, "SocketError EMFILE", "a waiting accept hears of it");
  assert.ok(waiting.ms < 5000, `the waiting accept took ${waiting.ms} ms to hear of it`);
  assert.deepEqual(await peer.next(), { nonblocking: "SocketError EMFILE" });
  assert.deepEqual(await peer.next(), { timed: "SocketError EMFILE" });
  assert.deepEqual(await peer.next(), { freedNonblocking: "BlockingIOError EAGAIN" });
  assert.deepEqual(await peer.next(), { step: "freed" });
  await connectAndSend(port, "hello");
  if (ON_BUN) assert.deepEqual(await peer.next(), { queued: "IncompleteReadError EOF" });
  assert.deepEqual(await peer.next(), { accepted: "hello" });
  const fresh = (await peer.next()) as { fresh: string; ms: number };
  assert.equal(fresh.fresh, "SocketError EMFILE", "a new accept that waits hears of it");
  // At once; waiting for the 250 ms recheck would take over 200 ms.
  assert.ok(fresh.ms < 150, `the new accept took ${fresh.ms} ms to hear of it`);
  assert.equal((await peer.exit()).code, 0, peer.stderr());
});

test("a synchronous accept raises EMFILE too, and serves once descriptors are free", {
  timeout: 30_000,
}, async () => {
  using peer = child("emfile-child", ["sync"], { ulimit: 256 });
  const { port } = (await peer.next()) as { port: number };
  assert.deepEqual(await peer.next(), { blocking: "SocketError EMFILE" });
  assert.deepEqual(await peer.next(), { nonblocking: "SocketError EMFILE" });
  assert.deepEqual(await peer.next(), { freedNonblocking: "BlockingIOError EAGAIN" });
  assert.deepEqual(await peer.next(), { step: "freed" });
  await connectAndSend(port, "hello");
  assert.deepEqual(await peer.next(), { accepted: "hello" });
  assert.equal((await peer.exit()).code, 0, peer.stderr());
});
