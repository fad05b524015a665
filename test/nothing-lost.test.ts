/**
 * Property: whatever mix of reads, tiny timeouts, aborts and non-blocking misses a reader uses,
 * the bytes it gets, concatenated, are exactly the bytes the peer sent; and on a datagram
 * socket, it gets every datagram once, in order, whole or truncated to its buffer.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  AF_INET,
  BlockingIOError,
  IncompleteReadError,
  type IPv4Address,
  LimitOverrunError,
  MSG_PEEK,
  SHUT_WR,
  SOCK_DGRAM,
  type Socket,
  socket,
  TimeoutError,
} from "../src/index.js";
import { DATAGRAM_OPERATIONS } from "../src/socket/datagram-operations.js";
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

/** The per-call options of `mode`, and the timer that aborts it (clear it afterwards). */
function optionsOf(mode: Mode): {
  options: { timeout: number | null; signal?: AbortSignal };
  timer: ReturnType<typeof setTimeout> | undefined;
} {
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
  return { options, timer };
}

/** Whether a failed call failed the way a miss may (nothing consumed). */
function isMiss(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    error instanceof BlockingIOError ||
    (error instanceof Error && error.name === "AbortError")
  );
}

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

// --- datagrams -----------------------------------------------------------------------------------

type DatagramOp = {
  op: "recv" | "recvInto" | "recvFrom" | "recvFromInto";
  n: number;
  peek: boolean;
  mode: Mode;
};

const datagramOpArb: fc.Arbitrary<DatagramOp> = fc.record({
  op: fc.constantFrom(
    "recv" as const,
    "recvInto" as const,
    "recvFrom" as const,
    "recvFromInto" as const,
  ),
  n: fc.integer({ min: 0, max: 1500 }),
  peek: fc.boolean(),
  mode: modeArb,
});

const datagramArb = fc.record({
  bytes: fc.uint8Array({ minLength: 0, maxLength: 1200 }),
  pauseMs: fc.integer({ min: 0, max: 3 }),
});

/** Runs one datagram receive: what it returned, or null if it missed (timeout, abort…). */
async function runDatagramOp(sock: Socket, op: DatagramOp): Promise<Uint8Array | null> {
  const { options, timer } = optionsOf(op.mode);
  const flags = op.peek ? MSG_PEEK : 0;
  try {
    switch (op.op) {
      case "recv":
        return await sock.recv(op.n, flags, options);
      case "recvFrom":
        return (await sock.recvFrom(op.n, flags, options))[0];
      case "recvInto": {
        const buffer = new Uint8Array(op.n + 3).subarray(3);
        const n = await sock.recvInto(buffer, op.n, flags, options);
        return buffer.slice(0, n);
      }
      case "recvFromInto": {
        const buffer = new Uint8Array(op.n + 3).subarray(3);
        const [n] = await sock.recvFromInto(buffer, op.n, flags, options);
        return buffer.slice(0, n);
      }
    }
  } catch (error) {
    if (!isMiss(error)) throw error;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

test("datagram receives with random timeouts, aborts and misses get every datagram once, in order", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(datagramArb, { minLength: 1, maxLength: 25 }),
      fc.array(datagramOpArb, { minLength: 1, maxLength: 60 }),
      async (datagrams, ops) => {
        using receiver = socket(AF_INET, SOCK_DGRAM);
        using sender = socket(AF_INET, SOCK_DGRAM);
        await receiver.bind(["127.0.0.1", 0]);
        const to = receiver.getsockname() as IPv4Address;
        const writer = (async () => {
          for (const { bytes, pauseMs } of datagrams) {
            await sender.sendTo(bytes, to);
            if (pauseMs > 0) await sleep(pauseMs);
          }
        })();
        writer.catch(() => {}); // awaited below; a failed run closes the sockets under it
        let next = 0;
        let peeked = false;
        for (let i = 0; next < datagrams.length; i++) {
          // After a peek that returned, take the datagram, so every run makes progress.
          const chosen = ops[i % ops.length]!;
          const op: DatagramOp = peeked ? { ...chosen, peek: false } : chosen;
          // Blocking is safe: the datagram `next` has been or will be sent.
          const data = await runDatagramOp(receiver, op);
          if (data === null) {
            await new Promise((resolve) => setImmediate(resolve));
          } else {
            const expected = datagrams[next]!.bytes;
            // Whole, or truncated to the buffer with the rest discarded.
            assert.deepEqual(Buffer.from(data), Buffer.from(expected.subarray(0, op.n)));
            if (!op.peek) next++;
          }
          peeked = op.peek && data !== null;
          if (i > 100_000) throw new Error("reader made no progress");
        }
        await writer;
        assert.equal(receiver.dropped, 0);
        await assert.rejects(receiver.recv(1, { timeout: 0 }), BlockingIOError);
      },
    ),
    { numRuns: 100, seed: 20261126, endOnFailure: true },
  );
});

test("the datagram property covers every receiving call of the datagram operations table", () => {
  const covered: DatagramOp["op"][] = ["recv", "recvInto", "recvFrom", "recvFromInto"];
  const receiving = Object.entries(DATAGRAM_OPERATIONS)
    .filter(([, op]) => op.direction === "read")
    .map(([name]) => name);
  assert.deepEqual(receiving.sort(), covered.sort());
});
