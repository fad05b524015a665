/**
 * Property: whatever mix of reads, tiny timeouts, aborts and non-blocking misses a reader uses,
 * the bytes it gets, concatenated, are exactly the bytes the peer sent.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  BlockingIOError,
  IncompleteReadError,
  LimitOverrunError,
  SHUT_WR,
  type Socket,
  TimeoutError,
} from "../src/index.js";
import { OPERATIONS } from "../src/socket/operations.js";
import { checkLeaks, sleep, tcpPair } from "./helpers.js";

checkLeaks();

type Mode =
  | { kind: "blocking" }
  | { kind: "nonblocking" }
  | { kind: "timeout"; seconds: number }
  | { kind: "abort"; ms: number };

type Op =
  | { op: "recv"; n: number; mode: Mode }
  | { op: "recvInto"; n: number; mode: Mode }
  | { op: "recvExactly"; n: number; mode: Mode }
  | { op: "recvUntil"; maxBytes: number; mode: Mode };

const DELIMITER = 0x0a;

const modeArb: fc.Arbitrary<Mode> = fc.oneof(
  fc.constant<Mode>({ kind: "nonblocking" }),
  fc
    .double({ min: 0.0005, max: 0.004, noNaN: true })
    .map((seconds): Mode => ({ kind: "timeout", seconds })),
  fc.integer({ min: 0, max: 3 }).map((ms): Mode => ({ kind: "abort", ms })),
  fc.constant<Mode>({ kind: "blocking" }),
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant("recv" as const),
    n: fc.integer({ min: 1, max: 3000 }),
    mode: modeArb,
  }),
  fc.record({
    op: fc.constant("recvInto" as const),
    n: fc.integer({ min: 1, max: 3000 }),
    mode: modeArb,
  }),
  fc.record({
    op: fc.constant("recvExactly" as const),
    n: fc.integer({ min: 1, max: 3000 }),
    mode: modeArb,
  }),
  fc.record({
    op: fc.constant("recvUntil" as const),
    maxBytes: fc.integer({ min: 1, max: 3000 }),
    mode: modeArb,
  }),
);

const chunkArb = fc.record({
  bytes: fc.uint8Array({ minLength: 1, maxLength: 2500 }),
  pauseMs: fc.integer({ min: 0, max: 3 }),
});

/** Runs one read; returns the bytes it consumed (possibly none). */
async function runOp(sock: Socket, op: Op, blockingAllowed: boolean): Promise<Uint8Array> {
  const mode: Mode =
    op.mode.kind === "blocking" && !blockingAllowed ? { kind: "nonblocking" } : op.mode;
  const controller = new AbortController();
  const options =
    mode.kind === "nonblocking"
      ? { timeout: 0 }
      : mode.kind === "timeout"
        ? { timeout: mode.seconds }
        : mode.kind === "abort"
          ? { timeout: null, signal: controller.signal }
          : { timeout: null };
  const timer = mode.kind === "abort" ? setTimeout(() => controller.abort(), mode.ms) : undefined;
  try {
    switch (op.op) {
      case "recv":
        return await sock.recv(op.n, options);
      case "recvInto": {
        const buffer = new Uint8Array(op.n + 3).subarray(3);
        const n = await sock.recvInto(buffer, op.n, options);
        return buffer.slice(0, n);
      }
      case "recvExactly":
        return await sock.recvExactly(op.n, options);
      case "recvUntil":
        return await sock.recvUntil(Uint8Array.of(DELIMITER), {
          ...options,
          maxBytes: op.maxBytes,
        });
    }
  } catch (error) {
    if (error instanceof IncompleteReadError) return error.partial;
    const expected =
      error instanceof TimeoutError ||
      error instanceof BlockingIOError ||
      error instanceof LimitOverrunError ||
      (error instanceof Error && error.name === "AbortError");
    if (!expected) throw error;
    return new Uint8Array(0);
  } finally {
    clearTimeout(timer);
  }
}

test("reads with random timeouts, aborts and non-blocking misses lose no byte", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(chunkArb, { minLength: 1, maxLength: 25 }),
      fc.array(opArb, { minLength: 1, maxLength: 60 }),
      async (chunks, ops) => {
        await using pair = await tcpPair();
        const { client, server } = pair;
        const sent = Buffer.concat(chunks.map((c) => c.bytes));
        let writerDone = false;
        const writer = (async () => {
          for (const { bytes, pauseMs } of chunks) {
            await client.sendAll(bytes);
            if (pauseMs > 0) await sleep(pauseMs);
          }
          client.shutdown(SHUT_WR);
          writerDone = true;
        })();
        const received: Uint8Array[] = [];
        let total = 0;
        let ended = false;
        for (let i = 0; !ended; i++) {
          const op = ops[i % ops.length]!;
          // Blocking reads are safe once everything was sent (end of stream will come).
          const bytes = await runOp(server, op, writerDone);
          received.push(bytes);
          total += bytes.length;
          // A miss resolves without I/O; let the event loop deliver data before trying again.
          if (bytes.length === 0) await new Promise((resolve) => setImmediate(resolve));
          if (writerDone && total >= sent.length) {
            const rest = await server.recv(1, { timeout: 5 });
            ended = rest.length === 0;
            received.push(rest);
          }
          if (i > 100_000) throw new Error("reader made no progress");
        }
        await writer;
        assert.ok(Buffer.concat(received).equals(sent));
      },
    ),
    { numRuns: 100, seed: 20261126, endOnFailure: true },
  );
});

test("the property covers every receiving call of the operations table", () => {
  // A receiving operation added to the table must be added to `Op` above, or this fails.
  const covered: Op["op"][] = ["recv", "recvInto", "recvExactly", "recvUntil"];
  const receiving = Object.entries(OPERATIONS)
    .filter(([, op]) => op.direction === "read" && op !== OPERATIONS.accept)
    .map(([name]) => name);
  assert.deepEqual(receiving.sort(), covered.sort());
});
