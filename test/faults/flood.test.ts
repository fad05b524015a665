/**
 * A 1 GiB flood into a socket nobody reads: TCP flow control holds the sender back, so memory
 * stays bounded by the receive buffer; then every byte is read and checked, in order.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "../../src/index.js";
import { checkLeaks, within } from "../helpers.js";
import { child, pattern } from "./peers.js";

checkLeaks();

const BLOCK_BYTES = 1 << 20;
const BLOCKS = 1024;

test("1 GiB into a socket nobody reads: memory stays bounded, then every byte is read", {
  timeout: 60_000,
}, async () => {
  await using server = await createServer(["127.0.0.1", 0]);
  const [, port] = server.getsockname() as [string, number];
  const block = pattern(0, BLOCK_BYTES);
  const before = process.memoryUsage();
  using flood = child("flood-child", [String(port), String(BLOCKS)]);
  const [conn] = await server.accept({ timeout: 10 });
  await using _conn = conn;

  // Nobody reads for a while: the sender fills every buffer on the way and stops.
  await new Promise((resolve) => setTimeout(resolve, 750));
  const during = process.memoryUsage();
  const grew = (during.arrayBuffers - before.arrayBuffers) / 2 ** 20;
  const rssGrew = (during.rss - before.rss) / 2 ** 20;
  assert.ok(grew < 8, `buffers grew by ${grew.toFixed(1)} MiB while nobody read`);
  assert.ok(rssGrew < 64, `RSS grew by ${rssGrew.toFixed(1)} MiB while nobody read`);

  const buffer = Buffer.allocUnsafe(256 * 1024);
  let total = 0;
  const reading = (async () => {
    for (;;) {
      const n = await conn.recvInto(buffer);
      if (n === 0) return;
      // Compare with the block at this stream position (in at most two pieces).
      for (let done = 0; done < n; ) {
        const at = (total + done) % BLOCK_BYTES;
        const piece = Math.min(n - done, BLOCK_BYTES - at);
        if (buffer.compare(block, at, at + piece, done, done + piece) !== 0) {
          assert.fail(`the bytes at stream position ${total + done} are wrong`);
        }
        done += piece;
      }
      total += n;
    }
  })();
  await within(reading, 50_000);
  assert.equal(total, BLOCK_BYTES * BLOCKS);
  conn.close();
  assert.equal((await flood.exit()).code, 0, flood.stderr());
});
