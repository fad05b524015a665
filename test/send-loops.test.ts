/**
 * Loops of `sendAll` and of `send` to a peer that reads everything, over chunk sizes that are
 * powers of two and not, below and above SO_SNDBUF and around the 16 KiB copy threshold. A
 * chunk size that fills the send buffer exactly once lost the wake-up of the next call.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { SO_SNDBUF, SOL_SOCKET, type Socket } from "../src/index.js";
import { checkLeaks, tcpPair } from "./helpers.js";

checkLeaks();

const SIZES = [
  7, 1000, 1024, 2048, 4096, 8192, 10000, 16383, 16384, 16385, 32768, 65536, 100000, 131072, 131073,
  262144,
];

/** At least this much per case: more than the send buffer and the kernel's buffers hold. */
const TOTAL = 768 * 1024;

/** A payload whose bytes differ along the stream, so loss or reordering shows. */
function pattern(offset: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (offset + i) % 251;
  return out;
}

/** Reads until end of stream and checks every byte against the pattern. */
async function readAll(sock: Socket): Promise<number> {
  const buffer = Buffer.allocUnsafe(65536);
  let total = 0;
  for (;;) {
    const n = await sock.recvInto(buffer);
    if (n === 0) return total;
    for (let i = 0; i < n; i++) {
      if (buffer[i] !== (total + i) % 251) assert.fail(`byte ${total + i} is wrong`);
    }
    total += n;
  }
}

async function sendLoop(
  how: "sendAll" | "send",
  size: number,
  sndbuf: number | undefined,
): Promise<void> {
  await using pair = await tcpPair();
  if (sndbuf !== undefined) pair.client.setsockopt(SOL_SOCKET, SO_SNDBUF, sndbuf);
  const chunks = Math.max(2, Math.ceil(TOTAL / size));
  const reading = readAll(pair.server);
  let offset = 0;
  for (let c = 0; c < chunks; c++) {
    const chunk = pattern(offset, size);
    if (how === "sendAll") {
      await pair.client.sendAll(chunk);
    } else {
      for (let sent = 0; sent < size; ) sent += await pair.client.send(chunk.subarray(sent));
    }
    offset += size;
  }
  pair.client.shutdown(1);
  assert.equal(await reading, offset);
}

for (const how of ["sendAll", "send"] as const) {
  describe(`a loop of ${how} to a peer that reads everything`, () => {
    for (const size of SIZES) {
      test(`finishes with ${size}-byte chunks`, { timeout: 20_000 }, () =>
        sendLoop(how, size, undefined),
      );
    }
    for (const size of SIZES.filter((s) => s >= 1000)) {
      test(`finishes with ${size}-byte chunks and SO_SNDBUF ${size}`, { timeout: 20_000 }, () =>
        sendLoop(how, size, size),
      );
    }
  });
}
