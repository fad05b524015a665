/**
 * A peer that stops (SIGSTOP) in the middle of a transfer: a `sendAll` with a timeout fails
 * with `TimeoutError` and says in `bytesSent` how much it accepted; after SIGCONT, sending the
 * rest from there delivers the whole stream, checksummed by the peer.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer, TimeoutError } from "../../src/index.js";
import { checkLeaks, within } from "../helpers.js";
import { child, pattern, sha256 } from "./peers.js";

checkLeaks();

test("a stopped peer: sendAll times out with bytesSent, and after SIGCONT the rest arrives", {
  timeout: 30_000,
}, async () => {
  await using server = await createServer(["127.0.0.1", 0]);
  const [, port] = server.getsockname() as [string, number];
  using peer = child("sink-child", [String(port)]);
  const [conn] = await server.accept({ timeout: 10 });
  await using _conn = conn;
  assert.deepEqual(await peer.next(), { connected: true });

  const size = 32 << 20;
  const data = pattern(0, size);
  // Some data flows first, then the peer stops reading: the kernel's buffers fill up.
  await conn.sendAll(data.subarray(0, 1 << 20));
  peer.process.kill("SIGSTOP");
  const started = performance.now();
  const error = await within(
    conn.sendAll(data.subarray(1 << 20), { timeout: 0.5 }).then(
      () => assert.fail("32 MiB went into a stopped peer"),
      (e: unknown) => e,
    ),
    5000,
  );
  const elapsed = performance.now() - started;
  assert.ok(error instanceof TimeoutError, `sendAll failed with ${String(error)}`);
  assert.ok(elapsed >= 499, `the timeout fired after ${elapsed} ms`);
  const { bytesSent } = error as TimeoutError & { bytesSent: number };
  assert.ok(bytesSent >= 0 && bytesSent < size - (1 << 20), `bytesSent ${bytesSent}`);

  peer.process.kill("SIGCONT");
  await conn.sendAll(data.subarray((1 << 20) + bytesSent), { timeout: 20 });
  conn.shutdown(1);
  assert.deepEqual(await peer.next(), { bytes: size, sha256: sha256(data), patternOk: true });
  assert.equal((await peer.exit()).code, 0, peer.stderr());
});
