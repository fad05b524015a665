/**
 * `sock.readable` / `sock.writable`: WHATWG streams over the socket, as Deno's `Conn`.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { SHUT_WR, SocketError, socketpair, TimeoutError } from "../src/index.js";
import { checkLeaks, isCode, sleep, tcpPair, track } from "./helpers.js";

checkLeaks();

const T = { timeout: 10_000 };

test("a BYOB reader receives straight into the caller's buffer, at its offset", T, async () => {
  const [a, b] = await socketpair();
  try {
    await a.sendAll("abcdef");
    const reader = b.readable.getReader({ mode: "byob" });
    const memory = new ArrayBuffer(16);
    const { value, done } = await reader.read(new Uint8Array(memory, 4, 8));
    assert.equal(done, false);
    assert.equal(memory.byteLength, 0, "the caller's memory was handed to the stream");
    assert.ok(value !== undefined);
    assert.equal(value.buffer.byteLength, 16, "and came back with the data in it");
    assert.equal(value.byteOffset, 4);
    assert.equal(Buffer.from(value).toString(), "abcdef");
    a.shutdown(SHUT_WR);
    const end = await reader.read(new Uint8Array(8));
    assert.equal(end.done, true);
    assert.equal(end.value?.byteLength, 0);
  } finally {
    a.close();
    b.close();
  }
});

test("a default reader gets the chunks as they came, then done", T, async () => {
  await using pair = await tcpPair();
  const sent = Buffer.alloc(1 << 20, 9);
  const sending = pair.client.sendAll(sent).then(() => pair.client.shutdown(SHUT_WR));
  const chunks: Uint8Array[] = [];
  for await (const chunk of pair.server.readable) chunks.push(chunk);
  await sending;
  assert.ok(Buffer.concat(chunks).equals(sent));
  assert.equal(pair.server.closed, false, "end of stream closes nothing");
});

test("readable.pipeTo(writable) echoes; closing the writable sends FIN", T, async () => {
  await using pair = await tcpPair();
  const echoing = pair.server.readable.pipeTo(pair.server.writable);
  await pair.client.sendAll("ping ");
  await pair.client.sendAll("pong");
  pair.client.shutdown(SHUT_WR);
  const reply: Buffer[] = [];
  for (;;) {
    const data = await pair.client.recv(100);
    if (data.length === 0) break;
    reply.push(data);
  }
  await echoing;
  assert.equal(Buffer.concat(reply).toString(), "ping pong");
  assert.equal(pair.server.closed, false);
});

test(
  "the readable buffers nothing: unread bytes stay in the socket for its own calls",
  T,
  async () => {
    await using pair = await tcpPair();
    const reader = pair.server.readable.getReader();
    await pair.client.sendAll("one");
    assert.equal(Buffer.from((await reader.read()).value!).toString(), "one");
    await pair.client.sendAll("two");
    await sleep(20);
    assert.equal((await pair.server.recv(10, { timeout: 5 })).toString(), "two");
    const next = track(reader.read());
    await sleep(20);
    assert.equal(next.settled(), false);
    await pair.client.sendAll("three");
    assert.equal(Buffer.from((await next.promise).value!).toString(), "three");
  },
);

test(
  "a write completes once the socket accepted it; the writable waits while the peer does not read",
  T,
  async () => {
    await using pair = await tcpPair();
    const writer = pair.server.writable.getWriter();
    const big = new Uint8Array(1 << 20);
    let written = 0;
    let stuck: { promise: Promise<void>; settled: () => boolean } | undefined;
    while (stuck === undefined && written < 256 << 20) {
      const write = track(writer.write(big));
      await sleep(written === 0 ? 20 : 5);
      written += big.length;
      if (!write.settled()) stuck = write;
    }
    assert.ok(stuck !== undefined, "a write waits once the buffers are full");
    const reading = pair.client.recvExactly(written);
    await stuck.promise;
    assert.equal((await reading).length, written);
    await writer.close();
    assert.equal((await pair.client.recv(10, { timeout: 5 })).length, 0, "close() sent FIN");
  },
);

test("cancelling the readable or aborting the writable closes the socket", T, async () => {
  await using first = await tcpPair();
  await first.client.sendAll("x");
  for await (const _chunk of first.server.readable) break;
  assert.equal(first.server.closed, true, "leaving a for-await cancels the stream");

  await using second = await tcpPair();
  await second.server.writable.abort(new Error("gave up"));
  assert.equal(second.server.closed, true);
});

test("web streams wait whatever the socket's mode; deadlines and close fail them", T, async () => {
  await using pair = await tcpPair();
  pair.server.setBlocking(false);
  const reader = pair.server.readable.getReader();
  const reading = track(reader.read());
  await sleep(20);
  assert.equal(reading.settled(), false, "no BlockingIOError in a stream");
  pair.server.setReadDeadline(Date.now());
  await assert.rejects(reading.promise, isCode(TimeoutError, "ETIMEDOUT"));
  const [a, b] = await socketpair();
  const writer = b.writable.getWriter();
  b.close();
  await assert.rejects(writer.write(new Uint8Array(1)), isCode(SocketError, "EBADF"));
  a.close();
});
