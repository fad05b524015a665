/**
 * `toDuplex()`: a `node:stream` Duplex over the socket, with backpressure end to end, the
 * shutdown and close rules, and the hand-over of the socket's data to it.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import { Readable, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import {
  SHUT_WR,
  SO_RCVBUF,
  SOL_SOCKET,
  SocketError,
  socket,
  socketpair,
  TimeoutError,
} from "../src/index.js";
import { bufferMemory, checkLeaks, isCode, sleep, tcpPair, track } from "./helpers.js";

checkLeaks();

const T = { timeout: 20_000 };

/** The byte at stream position `i` of the test pattern. */
const patternAt = (i: number): number => (i * 31 + (i >>> 16)) & 0xff;

function pattern(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = patternAt(offset + i);
  return out;
}

test("a slow consumer slows a TCP flood: the peer waits and memory stays bounded", {
  timeout: 60_000,
}, async () => {
  await using pair = await tcpPair();
  const total = 128 << 20;
  const block = 1 << 20;
  const blocks = Array.from({ length: 4 }, (_, k) => pattern(k * block, block));
  const memoryBefore = bufferMemory();
  // The peer sends as fast as it is let; `sent` counts what the kernel has taken.
  let sent = 0;
  const flooding = (async () => {
    for (let at = 0; at < total; at += block) {
      await pair.client.sendAll(blocks[(at / block) % 4]!);
      sent += block;
    }
    pair.client.shutdown(SHUT_WR);
  })();
  const duplex = pair.server.toDuplex({ readableHighWaterMark: 64 * 1024 });
  let received = 0;
  let slow = true;
  let worst = 0;
  let memoryWorst = 0;
  const sink = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      const at = received % (4 * block);
      assert.equal(chunk[0], blocks[Math.floor(at / block)]![at % block]);
      received += chunk.length;
      worst = Math.max(worst, sent - received);
      if (slow) setTimeout(callback, 2);
      else callback();
    },
  });
  const piping = pipeline(duplex, sink);
  // About a second of a consumer that takes one chunk every 2 ms: the flood must keep pace.
  const started = Date.now();
  while (Date.now() - started < 1000) {
    await sleep(50);
    memoryWorst = Math.max(memoryWorst, bufferMemory() - memoryBefore);
  }
  assert.ok(received > 0 && received < total / 2, `the consumer is slow (${received} bytes)`);
  // TCP's and the kernel's buffers, sockit's receive buffer and the streams' high-water marks:
  // far below what the peer wanted to send.
  assert.ok(worst < 24 << 20, `the peer ran ${worst} bytes ahead of the consumer`);
  assert.ok(memoryWorst < 48 << 20, `buffers grew by ${memoryWorst} bytes`);
  slow = false;
  await piping;
  await flooding;
  assert.equal(received, total);
});

test(
  "pipeline(duplex, transform, duplex) echoes; the socket closes once both sides end",
  T,
  async () => {
    await using pair = await tcpPair();
    const duplex = pair.server.toDuplex();
    // A Transform, not an async generator: iterating a Duplex with for-await destroys it when the
    // loop ends, before its writable side is done (Node's rule, for a net.Socket too).
    const upper = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        callback(null, Buffer.from(chunk.toString().toUpperCase()));
      },
    });
    const echoing = pipeline(duplex, upper, duplex);
    await pair.client.sendAll("hello, ");
    await pair.client.sendAll("world");
    pair.client.shutdown(SHUT_WR);
    const reply: Buffer[] = [];
    for (;;) {
      const data = await pair.client.recv(100);
      if (data.length === 0) break;
      reply.push(data);
    }
    await echoing;
    assert.equal(Buffer.concat(reply).toString(), "HELLO, WORLD");
    if (!duplex.destroyed) await once(duplex, "close");
    assert.equal(pair.server.closed, true);
  },
);

test(
  "ending the writable side is shutdown(SHUT_WR): the peer sees end of stream, reading goes on",
  T,
  async () => {
    await using pair = await tcpPair();
    const duplex = pair.server.toDuplex();
    duplex.end("bye");
    assert.equal((await pair.client.recvExactly(3)).toString(), "bye");
    assert.equal((await pair.client.recv(10, { timeout: 5 })).length, 0);
    await pair.client.sendAll("still here");
    pair.client.shutdown(SHUT_WR);
    const chunks: Buffer[] = [];
    for await (const chunk of duplex) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), "still here");
    if (!duplex.destroyed) await once(duplex, "close");
    assert.equal(pair.server.closed, true);
  },
);

test(
  "destroying the Duplex closes the socket; closing the socket destroys the Duplex",
  T,
  async () => {
    await using first = await tcpPair();
    const duplex = first.server.toDuplex();
    duplex.destroy();
    await once(duplex, "close");
    assert.equal(first.server.closed, true);
    assert.equal((await first.client.recv(10)).length, 0);

    await using second = await tcpPair();
    const other = second.server.toDuplex();
    const closed = once(other, "close");
    second.server.close();
    await closed;
    assert.equal(other.destroyed, true);
  },
);

test("pipe() and Readable consumers read the Duplex; writes respect 'drain'", T, async () => {
  await using pair = await tcpPair();
  const duplex = pair.server.toDuplex({ writableHighWaterMark: 1024 });
  const got: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      got.push(chunk);
      callback();
    },
  });
  duplex.pipe(sink);
  await pair.client.sendAll("piped");
  pair.client.shutdown(SHUT_WR);
  await once(sink, "finish");
  assert.equal(Buffer.concat(got).toString(), "piped");
  // The peer does not read: once the kernel's buffers are full too, 'drain' stops coming.
  const big = Buffer.alloc(1 << 20, 1);
  let written = 0;
  let drained: { promise: Promise<unknown>; settled: () => boolean } | undefined;
  while (drained === undefined && written < 256 << 20) {
    written += big.length;
    if (!duplex.write(big)) {
      const drain = track(once(duplex, "drain"));
      await sleep(100);
      if (!drain.settled()) drained = drain;
    }
  }
  assert.ok(drained !== undefined, `'drain' kept coming after ${written} bytes`);
  const reading = pair.client.recvExactly(written);
  await drained.promise;
  assert.equal((await reading).length, written);
  const source = Readable.from([Buffer.from("end")]);
  await pipeline(source, duplex);
  assert.equal((await pair.client.recvExactly(3)).toString(), "end");
});

test("many small writes leave together, in order (writev)", T, async () => {
  await using pair = await tcpPair();
  const duplex = pair.server.toDuplex();
  let batches = 0;
  const writev = duplex._writev?.bind(duplex);
  assert.ok(writev !== undefined);
  duplex._writev = (chunks, callback) => {
    batches++;
    writev(chunks, callback);
  };
  const expected: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const line = `line ${i}\n`;
    expected.push(line);
    duplex.write(line);
  }
  duplex.end();
  const received: Buffer[] = [];
  for (;;) {
    const data = await pair.client.recv(65536, { timeout: 5 });
    if (data.length === 0) break;
    received.push(data);
  }
  assert.equal(Buffer.concat(received).toString(), expected.join(""));
  assert.ok(batches > 0, "writes queued behind one in flight went out as a batch");
});

test(
  "the Duplex takes the socket over: its data calls fail with EBUSY, the rest still works",
  T,
  async () => {
    await using pair = await tcpPair();
    const earlier = pair.server.makefile("rw");
    const duplex = pair.server.toDuplex();
    assert.equal(pair.server.toDuplex(), duplex, "a second call returns the same Duplex");
    const busy = isCode(SocketError, "EBUSY");
    await assert.rejects(pair.server.recv(10), busy);
    await assert.rejects(pair.server.recvInto(Buffer.alloc(4)), busy);
    await assert.rejects(pair.server.recvExactly(1), busy);
    await assert.rejects(pair.server.recvUntil("\n"), busy);
    await assert.rejects(pair.server.send("x"), busy);
    await assert.rejects(pair.server.sendAll("x"), busy);
    assert.throws(() => pair.server.shutdown(SHUT_WR), busy);
    assert.throws(() => pair.server.makefile(), busy);
    await assert.rejects(earlier.readline(), busy, "a file made before toDuplex() is refused too");
    await assert.rejects(earlier.write("x"), busy);
    await assert.rejects(pair.server[Symbol.asyncIterator]().next(), busy);
    await assert.rejects(pair.server.readable.getReader().read(), busy);
    // What moves no data still works.
    pair.server.setsockopt(SOL_SOCKET, SO_RCVBUF, 65536);
    assert.equal(pair.server.getsockopt(SOL_SOCKET, SO_RCVBUF), 65536);
    assert.deepEqual(pair.server.getpeername(), pair.client.getsockname());
    // Nothing was lost to the refused calls.
    await pair.client.sendAll("intact");
    const [chunk] = (await once(duplex, "data")) as [Buffer];
    assert.equal(chunk.toString(), "intact");
    duplex.destroy();
  },
);

test("the Duplex waits whatever the socket's mode; a read deadline fails it", T, async () => {
  await using pair = await tcpPair();
  pair.server.setTimeout(0.01);
  const duplex = pair.server.toDuplex();
  const data = track(once(duplex, "data"));
  await sleep(60);
  assert.equal(data.settled(), false, "no TimeoutError: streams have no idle timeout");
  await pair.client.sendAll("late");
  assert.equal(((await data.promise) as [Buffer])[0].toString(), "late");
  pair.server.setReadDeadline(Date.now() + 20);
  const [error] = (await once(duplex, "error")) as [unknown];
  assert.ok(error instanceof TimeoutError);
  assert.equal(pair.server.closed, true);
});

test("toDuplex needs an open, connected socket", async () => {
  const fresh = socket();
  assert.throws(() => fresh.toDuplex(), isCode(SocketError, "ENOTCONN"));
  fresh.close();
  assert.throws(() => fresh.toDuplex(), isCode(SocketError, "EBADF"));
  const [a, b] = await socketpair();
  assert.throws(() => a.toDuplex(5 as never), TypeError);
  a.close();
  b.close();
});
