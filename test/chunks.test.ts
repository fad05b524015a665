/**
 * `for await (const chunk of sock)`: received data as it comes, each step a `recv` under the
 * socket's mode, and leaving the loop loses nothing.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { BlockingIOError, SHUT_WR, socketpair, TimeoutError } from "../src/index.js";
import { checkLeaks, isCode, sleep, tcpPair } from "./helpers.js";

checkLeaks();

const T = { timeout: 10_000 };

test("iterating a socket yields the received data until end of stream", T, async () => {
  await using pair = await tcpPair();
  const sent = Buffer.alloc(3 << 20);
  for (let i = 0; i < sent.length; i++) sent[i] = (i * 7) & 0xff;
  const sending = pair.client.sendAll(sent).then(() => pair.client.shutdown(SHUT_WR));
  const chunks: Buffer[] = [];
  for await (const chunk of pair.server) {
    assert.ok(chunk.length > 0);
    chunks.push(chunk);
  }
  await sending;
  assert.ok(Buffer.concat(chunks).equals(sent));
  assert.ok(chunks.length > 1, "the data comes in pieces, as it arrives");
});

test("leaving the loop early leaves the socket open with the rest still in it", T, async () => {
  const [a, b] = await socketpair();
  try {
    await a.sendAll("first");
    for await (const chunk of b) {
      assert.equal(chunk.toString(), "first");
      break;
    }
    await a.sendAll("second");
    a.shutdown(SHUT_WR);
    assert.equal(b.closed, false);
    assert.equal((await b.recvExactly(6)).toString(), "second");
    for await (const chunk of b) assert.fail(`nothing is left, got ${chunk.toString()}`);
  } finally {
    a.close();
    b.close();
  }
});

test("a timeout ends the loop with TimeoutError and consumes nothing", T, async () => {
  const [a, b] = await socketpair();
  try {
    b.setTimeout(0.03);
    const got: string[] = [];
    await a.sendAll("one");
    await assert.rejects(
      (async () => {
        for await (const chunk of b) got.push(chunk.toString());
      })(),
      isCode(TimeoutError, "ETIMEDOUT"),
    );
    assert.deepEqual(got, ["one"]);
    await a.sendAll("two");
    a.shutdown(SHUT_WR);
    for await (const chunk of b) got.push(chunk.toString());
    assert.deepEqual(got, ["one", "two"]);
  } finally {
    a.close();
    b.close();
  }
});

test("on a non-blocking socket each step that finds nothing fails at once", T, async () => {
  const [a, b] = await socketpair();
  try {
    b.setBlocking(false);
    const iterator = b[Symbol.asyncIterator]();
    await assert.rejects(iterator.next(), isCode(BlockingIOError, "EAGAIN"));
    await a.sendAll("x");
    await sleep(10);
    const again = b[Symbol.asyncIterator]();
    assert.equal((await again.next()).value?.toString(), "x");
  } finally {
    a.close();
    b.close();
  }
});
