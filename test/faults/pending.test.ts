/**
 * Close and abort during every kind of pending call: each waiting call of the operations table
 * (and `select`) rejects at once, with `EBADF` after `close()` and with the signal's reason after
 * an abort; after an abort the socket still works and nothing was lost or sent twice, which
 * `bytesSent` must say exactly.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BlockingIOError,
  createServer,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  type Socket,
  SocketError,
  socket,
  TimeoutError,
} from "../../src/index.js";
import { OPERATIONS } from "../../src/socket/operations.js";
import { checkLeaks, isCode, pythonFixture, within } from "../helpers.js";
import { checkPattern, pairOf, pattern, readToEnd } from "./peers.js";

checkLeaks();

const LIMIT = { timeout: 20_000 };

/** A port where connecting hangs: a CPython listener with a full backlog drops the SYNs. */
async function blackhole(): Promise<{ port: number } & AsyncDisposable> {
  const peer = pythonFixture("loopback_ports.py", ["blackhole@127.0.0.1"]);
  const { port } = JSON.parse(await within(peer.firstLine, 10_000)) as { port: number };
  return {
    port,
    async [Symbol.asyncDispose]() {
      peer.child.stdin?.end();
      await peer.done();
    },
  };
}

/** Fills the buffers between `from` and a peer that does not read; returns the bytes accepted. */
async function fillBuffers(from: Socket): Promise<number> {
  const error = await from.sendAll(pattern(0, 16 << 20), { timeout: 0.2 }).then(
    () => assert.fail("16 MiB went through a peer that does not read"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof TimeoutError);
  return (error as TimeoutError & { bytesSent: number }).bytesSent;
}

/** A waiting call of each kind: starts it on a fresh setup, and says how to finish the check. */
interface Pending {
  /** Starts the call so that it waits; `signal` is passed to it. */
  start(signal: AbortSignal | undefined): Promise<unknown>;
  /** The socket the call waits on. */
  sock: Socket;
  /** After an abort: shows that the socket still works and nothing was lost. */
  afterAbort(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const RECEIVERS: Record<
  string,
  (sock: Socket, signal: AbortSignal | undefined) => Promise<unknown>
> = {
  recv: (sock, signal) => sock.recv(100, { signal }),
  recvInto: (sock, signal) => sock.recvInto(Buffer.alloc(100), { signal }),
  recvExactly: (sock, signal) => sock.recvExactly(100, { signal }),
  recvUntil: (sock, signal) => sock.recvUntil("\n", { signal }),
};

const KINDS: Record<string, () => Promise<Pending>> = {
  async accept() {
    const server = await createServer(["127.0.0.1", 0]);
    return {
      sock: server,
      start: (signal) => server.accept({ signal }),
      async afterAbort() {
        await using client = socket();
        await client.connect(server.getsockname() as [string, number]);
        const [conn] = await within(server.accept(), 5000);
        conn.close();
      },
      async [Symbol.asyncDispose]() {
        server.close();
      },
    };
  },

  async connect() {
    const held = await blackhole();
    const sock = socket();
    return {
      sock,
      start: (signal) => sock.connect(["127.0.0.1", held.port], { signal }),
      async afterAbort() {
        // The attempt was cancelled: the socket can connect again (elsewhere).
        await using server = await createServer(["127.0.0.1", 0]);
        await sock.connect(server.getsockname() as [string, number], { timeout: 5 });
      },
      async [Symbol.asyncDispose]() {
        sock.close();
        await held[Symbol.asyncDispose]();
      },
    };
  },

  ...Object.fromEntries(
    Object.entries(RECEIVERS).map(([name, receive]) => [
      name,
      async (): Promise<Pending> => {
        const pair = await pairOf("tcp");
        return {
          sock: pair.server,
          start: (signal) => receive(pair.server, signal),
          async afterAbort() {
            // Nothing was consumed: everything sent afterwards arrives whole, in order.
            await pair.client.sendAll(pattern(0, 1000));
            pair.client.shutdown(1);
            const ending = await within(readToEnd(pair.server), 5000);
            assert.deepEqual(ending, { bytes: 1000, end: "eof" });
          },
          [Symbol.asyncDispose]: () => pair[Symbol.asyncDispose](),
        };
      },
    ]),
  ),

  async send() {
    const pair = await pairOf("tcp");
    const accepted = await fillBuffers(pair.client);
    return {
      sock: pair.client,
      start: (signal) => pair.client.send(pattern(accepted, 1000), { signal }),
      async afterAbort() {
        // The aborted send accepted nothing: the stream goes on from `accepted`.
        const reading = readToEnd(pair.server);
        await pair.client.sendAll(pattern(accepted, 1000));
        pair.client.shutdown(1);
        assert.deepEqual(await within(reading, 10_000), { bytes: accepted + 1000, end: "eof" });
      },
      [Symbol.asyncDispose]: () => pair[Symbol.asyncDispose](),
    };
  },

  async sendAll() {
    const pair = await pairOf("tcp");
    const size = 16 << 20;
    let failure: unknown;
    return {
      sock: pair.client,
      start: (signal) =>
        pair.client.sendAll(pattern(0, size), { signal }).catch((error: unknown) => {
          failure = error;
          throw error;
        }),
      async afterAbort() {
        // Resuming from bytesSent completes the stream exactly: one byte off shows.
        const { bytesSent } = failure as { bytesSent: number };
        assert.ok(bytesSent > 0 && bytesSent <= size, `bytesSent ${bytesSent}`);
        const reading = readToEnd(pair.server);
        await pair.client.sendAll(pattern(bytesSent, size - bytesSent));
        pair.client.shutdown(1);
        assert.deepEqual(await within(reading, 10_000), { bytes: size, end: "eof" });
      },
      [Symbol.asyncDispose]: () => pair[Symbol.asyncDispose](),
    };
  },
};

describe("close() during a pending call rejects it with EBADF", LIMIT, () => {
  test("the list covers every waiting call of the operations table", () => {
    const waiting = Object.keys(OPERATIONS).filter((name) => name !== "bind" && name !== "listen");
    assert.deepEqual(Object.keys(KINDS).sort(), waiting.sort());
  });

  for (const [name, make] of Object.entries(KINDS)) {
    test(name, async () => {
      await using pending = await make();
      const call = pending.start(undefined);
      await new Promise((resolve) => setTimeout(resolve, 20));
      pending.sock.close();
      await assert.rejects(within(call, 1000), isCode(SocketError, "EBADF"));
    });
  }

  test("select, when its selector is closed", async () => {
    await using pair = await pairOf("tcp");
    const sel = new DefaultSelector();
    sel.register(pair.server, EVENT_READ);
    const call = sel.select(null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    sel.close();
    await assert.rejects(within(call, 1000), isCode(SocketError, "EBADF"));
  });

  test("select, when a registered socket is closed: it is reported ready", async () => {
    await using pair = await pairOf("tcp");
    using sel = new DefaultSelector();
    sel.register(pair.server, EVENT_READ);
    const call = sel.select(null);
    await new Promise((resolve) => setTimeout(resolve, 20));
    pair.server.close();
    const ready = await within(call, 1000);
    assert.deepEqual(
      ready.map(([key]) => key.fileobj),
      [pair.server],
    );
    await assert.rejects(pair.server.recv(1), isCode(SocketError, "EBADF"));
  });
});

describe(
  "an abort during a pending call rejects it with the reason and loses nothing",
  LIMIT,
  () => {
    for (const [name, make] of Object.entries(KINDS)) {
      test(name, async () => {
        await using pending = await make();
        const controller = new AbortController();
        const reason = new Error(`stop ${name}`);
        const call = pending.start(controller.signal);
        await new Promise((resolve) => setTimeout(resolve, 20));
        controller.abort(reason);
        await assert.rejects(within(call, 1000), (error) => error === reason);
        await pending.afterAbort();
      });
    }

    test("select", async () => {
      await using pair = await pairOf("tcp");
      using sel = new DefaultSelector();
      sel.register(pair.server, EVENT_READ);
      const controller = new AbortController();
      const call = sel.select(null, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
      await assert.rejects(within(call, 1000), (error: Error) => error.name === "AbortError");
      // The selector still works.
      sel.modify(pair.server, EVENT_READ | EVENT_WRITE);
      assert.equal((await sel.select(1)).length, 1);
    });
  },
);

describe("bytesSent is exact", LIMIT, () => {
  for (const size of [100_000, 8 << 20]) {
    test(`a sendAll of ${size} bytes cut by a timeout, then the rest: the peer gets the stream`, async () => {
      await using pair = await pairOf("tcp");
      const data = pattern(0, size);
      let sent = size;
      // Nobody reads yet, so a large send stops part way.
      await pair.client.sendAll(data, { timeout: 0.1 }).catch((error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        sent = (error as TimeoutError & { bytesSent: number }).bytesSent;
      });
      const reading = readToEnd(pair.server);
      await pair.client.sendAll(data.subarray(sent));
      pair.client.shutdown(1);
      assert.deepEqual(await within(reading, 10_000), { bytes: size, end: "eof" });
    });
  }

  test("a non-blocking sendAll says how much it took, and the rest completes the stream", async () => {
    await using pair = await pairOf("tcp");
    // More than the kernel's buffers hold. (All of it may be accepted and the call still fail:
    // accepted bytes may wait in the send buffer, and a non-blocking sendAll cannot wait.)
    const size = 16 << 20;
    pair.client.setBlocking(false);
    const error = await pair.client.sendAll(pattern(0, size)).catch((e: unknown) => e);
    assert.ok(error instanceof BlockingIOError, String(error));
    const { bytesSent } = error as BlockingIOError & { bytesSent: number };
    assert.ok(bytesSent > 0 && bytesSent <= size, `bytesSent ${bytesSent}`);
    pair.client.setBlocking(true);
    const received: Buffer[] = [];
    const reading = (async () => {
      for (;;) {
        const chunk = await pair.server.recv(65536);
        if (chunk.length === 0) return;
        received.push(chunk);
      }
    })();
    await pair.client.sendAll(pattern(bytesSent, size - bytesSent));
    pair.client.shutdown(1);
    await within(reading, 10_000);
    const all = Buffer.concat(received);
    assert.equal(all.length, size);
    checkPattern(all, 0);
  });
});
