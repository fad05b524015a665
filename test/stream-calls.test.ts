/**
 * The stream transport's calls, tried once each on a real connection (a Stream over loopback
 * and a plain net.Socket peer): what each returns, what it leaves behind when it is not ready,
 * and the order data → pending error → end of stream.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { describe, test } from "node:test";
import { ConnectionResetError, IncompleteReadError, LimitOverrunError } from "../src/index.js";
import { NOT_READY } from "../src/socket/operation.js";
import { Stream } from "../src/socket/stream.js";
import * as calls from "../src/socket/stream-calls.js";
import { NO_SINK, type TransportSink } from "../src/socket/transport.js";
import { checkLeaks, isCode, within } from "./helpers.js";

checkLeaks();

/** A sink that resolves `changed()` at the next readiness report. */
function waitingSink(): TransportSink & { changed(): Promise<void> } {
  let wake = (): void => {};
  return {
    readableChanged: () => wake(),
    writableChanged: () => wake(),
    changed: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
}

/** A Stream connected to a plain net.Socket peer, both closed by `await using`. */
async function streamPair(): Promise<
  { stream: Stream; peer: net.Socket; sink: ReturnType<typeof waitingSink> } & AsyncDisposable
> {
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  const sink = waitingSink();
  const stream = Stream.connect(
    { kind: "ip", host: "127.0.0.1", port, scopeId: 0 },
    undefined,
    4,
    sink,
  );
  const [[peer]] = await Promise.all([
    once(server, "connection") as Promise<[net.Socket]>,
    once(stream.socket, "connect"),
  ]);
  server.close();
  return {
    stream,
    peer,
    sink,
    async [Symbol.asyncDispose]() {
      stream.close(false);
      peer.destroy();
      await once(server, "close");
    },
  };
}

/** Waits until the stream has buffered at least `n` bytes. */
async function buffered(pair: Awaited<ReturnType<typeof streamPair>>, n: number): Promise<void> {
  while (pair.stream.rx.length < n) await within(pair.sink.changed(), 5000);
}

describe("receiving calls", () => {
  test("are NOT_READY with nothing buffered, and consume nothing", async () => {
    await using pair = await streamPair();
    assert.equal(calls.recv(pair.stream, 10, false, "recv"), NOT_READY);
    assert.equal(calls.recvInto(pair.stream, new Uint8Array(4), 4, "recvInto"), NOT_READY);
    assert.equal(calls.recvExactly(pair.stream, 1, "recvExactly"), NOT_READY);
    assert.equal(
      calls.recvUntil(pair.stream, Buffer.from("\n"), 100, { next: 0 }, "recvUntil"),
      NOT_READY,
    );
  });

  test("recvExactly and recvUntil take nothing until they can take it all", async () => {
    await using pair = await streamPair();
    pair.peer.write("abc");
    await buffered(pair, 3);
    assert.equal(calls.recvExactly(pair.stream, 4, "recvExactly"), NOT_READY);
    const scan = { next: 0 };
    assert.equal(
      calls.recvUntil(pair.stream, Buffer.from("\n"), 100, scan, "recvUntil"),
      NOT_READY,
    );
    assert.equal(scan.next, 3, "the next search starts after the bytes already searched");
    assert.equal(pair.stream.rx.length, 3);
    pair.peer.write("d\n");
    await buffered(pair, 5);
    // Another read takes bytes from the front while recvUntil waits: its position follows.
    assert.equal(calls.recvExactly(pair.stream, 4, "recvExactly")?.toString(), "abcd");
    assert.equal(
      calls.recvUntil(pair.stream, Buffer.from("\n"), 100, scan, "recvUntil")?.toString(),
      "\n",
    );
  });

  test("recvUntil past maxBytes is LimitOverrunError and consumes nothing", async () => {
    await using pair = await streamPair();
    pair.peer.write("0123456789");
    await buffered(pair, 10);
    assert.throws(
      () => calls.recvUntil(pair.stream, Buffer.from("\n"), 5, { next: 0 }, "recvUntil"),
      LimitOverrunError,
    );
    assert.equal(pair.stream.rx.length, 10);
  });

  test("a peek copies and leaves the bytes; a read takes them", async () => {
    await using pair = await streamPair();
    pair.peer.write("hello");
    await buffered(pair, 5);
    assert.equal(calls.recv(pair.stream, 3, true, "recv").toString(), "hel");
    assert.equal(calls.recv(pair.stream, 10, false, "recv").toString(), "hello");
  });

  test("see the data first, then end of stream, then end of stream again", async () => {
    await using pair = await streamPair();
    pair.peer.end("last");
    while (!pair.stream.eof) await within(pair.sink.changed(), 5000);
    assert.throws(() => calls.recvExactly(pair.stream, 5, "recvExactly"), IncompleteReadError);
    assert.equal((calls.recv(pair.stream, 10, false, "recv") as Buffer).length, 0);
    assert.equal(calls.recvInto(pair.stream, new Uint8Array(4), 4, "recvInto"), 0);
  });

  test("see the data first, then the pending error once, then end of stream", async () => {
    await using pair = await streamPair();
    pair.peer.write("data");
    await buffered(pair, 4);
    // The transport error as Node reports it (a real reset may arrive as end of stream when
    // libuv reads it together with data; the fault suite covers real resets).
    pair.stream.socket.destroy(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }));
    while (pair.stream.pending === null) await within(pair.sink.changed(), 5000);
    assert.equal(calls.recv(pair.stream, 10, false, "recv").toString(), "data");
    assert.throws(
      () => calls.recv(pair.stream, 10, false, "recv"),
      isCode(ConnectionResetError, "ECONNRESET"),
    );
    assert.equal((calls.recv(pair.stream, 10, false, "recv") as Buffer).length, 0);
  });
});

describe("sending calls", () => {
  test("send copies at most the room in the send buffer", async () => {
    await using pair = await streamPair();
    pair.stream.sndbuf = 10;
    pair.peer.pause();
    const data = Buffer.from("0123456789abcdef");
    const n = calls.send(pair.stream, data, "send");
    assert.ok(typeof n === "number" && n >= 1 && n <= 10);
    data.fill(0); // the caller may reuse its buffer at once
  });

  test("sendAll counts exactly the bytes it handed over, distinct bytes arriving in order", async () => {
    await using pair = await streamPair();
    pair.stream.sndbuf = 1000;
    pair.peer.pause();
    const data = Buffer.alloc(5 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
    const state = { data, sent: 0, lastWrite: 0 };
    assert.equal(calls.sendAll(pair.stream, state, "sendAll"), NOT_READY);
    const accepted = state.sent;
    assert.ok(accepted > 0 && accepted < data.length);
    pair.stream.close(false); // flushes what was accepted, nothing more
    const received: Buffer[] = [];
    pair.peer.on("data", (chunk: Buffer) => received.push(chunk));
    pair.peer.resume();
    await once(pair.peer, "end");
    const all = Buffer.concat(received);
    assert.equal(all.length, accepted);
    assert.ok(all.equals(data.subarray(0, accepted)));
  });

  test("send and sendAll after SHUT_WR are EPIPE", async () => {
    await using pair = await streamPair();
    pair.stream.shutdownWrite();
    assert.throws(() => calls.send(pair.stream, Buffer.from("x"), "send"), { code: "EPIPE" });
    assert.throws(
      () => calls.sendAll(pair.stream, { data: Buffer.from("x"), sent: 0, lastWrite: 0 }, "x"),
      { code: "EPIPE" },
    );
  });
});

test("every call is NOT_READY while the stream is still connecting", () => {
  // A connection to a port nobody listens on, tried at once before the kernel answers.
  const stream = Stream.connect(
    { kind: "ip", host: "127.0.0.1", port: 9, scopeId: 0 },
    undefined,
    4,
    NO_SINK,
  );
  try {
    assert.equal(stream.state, "connecting");
    assert.equal(calls.recv(stream, 1, false, "recv"), NOT_READY);
    assert.equal(calls.send(stream, Buffer.from("x"), "send"), NOT_READY);
    assert.equal(
      calls.sendAll(stream, { data: Buffer.from("x"), sent: 0, lastWrite: 0 }, "x"),
      NOT_READY,
    );
  } finally {
    stream.close(false);
  }
});

test("non-blocking misses of recvExactly and recvUntil leave no demand on the receive buffer", async () => {
  const { tcpPair } = await import("./helpers.js");
  const { descriptorOf } = await import("../src/socket/socket.js");
  await using pair = await tcpPair();
  pair.server.setBlocking(false);
  for (let i = 0; i < 50; i++) {
    await assert.rejects(pair.server.recvExactly(1_000_000), { code: "EAGAIN" });
    await assert.rejects(pair.server.recvUntil("\n", { maxBytes: 1_000_000 }), { code: "EAGAIN" });
  }
  const stream = descriptorOf(pair.server).openStream()!;
  assert.equal(stream.demandCount, 0);
});
