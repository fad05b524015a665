/**
 * The receive queue of datagram sockets on its own: order, the bound in bytes (with the
 * per-datagram overhead), dropping and counting, and growing the ring without losing order.
 */

import assert from "node:assert/strict";
import type { RemoteInfo } from "node:dgram";
import { test } from "node:test";
import { DATAGRAM_OVERHEAD, DatagramQueue } from "../src/socket/datagram-queue.js";
import { checkLeaks } from "./helpers.js";

checkLeaks();

function from(port: number): RemoteInfo {
  return { address: "127.0.0.1", family: "IPv4", port, size: 0 };
}

test("datagrams come out whole, oldest first, each with its sender", () => {
  const queue = new DatagramQueue(1 << 20);
  queue.push(Buffer.from("one"), from(1));
  queue.push(Buffer.from("two"), from(2));
  assert.equal(queue.length, 2);
  assert.equal(queue.data.toString(), "one");
  assert.equal(queue.from.port, 1);
  queue.shift();
  assert.equal(queue.data.toString(), "two");
  assert.equal(queue.from.port, 2);
  queue.shift();
  assert.equal(queue.length, 0);
  assert.equal(queue.bytes, 0);
});

test("keeps order while the ring grows and wraps around", () => {
  const queue = new DatagramQueue(1 << 30);
  let next = 0;
  let expected = 0;
  // Interleave pushes and shifts so the head moves before each growth.
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < round + 3; i++) queue.push(Buffer.from([next & 0xff]), from(next++));
    for (let i = 0; i < round + 1; i++) {
      assert.equal(queue.from.port, expected++);
      queue.shift();
    }
  }
  while (queue.length > 0) {
    assert.equal(queue.from.port, expected++);
    queue.shift();
  }
  assert.equal(expected, next);
});

test("is bounded in bytes, each datagram charged its length plus the overhead", () => {
  const size = 100;
  const queue = new DatagramQueue(3 * (size + DATAGRAM_OVERHEAD));
  for (let i = 0; i < 5; i++) queue.push(Buffer.alloc(size), from(i));
  assert.equal(queue.length, 3);
  assert.equal(queue.dropped, 2);
  assert.equal(queue.bytes, 3 * (size + DATAGRAM_OVERHEAD));
  // The ones kept are the oldest: the kernel drops the datagrams that arrive to a full queue.
  assert.equal(queue.from.port, 0);
});

test("empty datagrams count too, so they cannot pile up without bound", () => {
  const queue = new DatagramQueue(10 * DATAGRAM_OVERHEAD);
  for (let i = 0; i < 100; i++) queue.push(Buffer.alloc(0), from(i));
  assert.equal(queue.length, 10);
  assert.equal(queue.dropped, 90);
});

test("a datagram larger than the bound is still kept when the queue is empty", () => {
  const queue = new DatagramQueue(1000);
  assert.equal(queue.push(Buffer.alloc(5000), from(1)), true);
  assert.equal(queue.push(Buffer.alloc(1), from(2)), false);
  queue.shift();
  assert.equal(queue.push(Buffer.alloc(1), from(3)), true);
  assert.equal(queue.dropped, 1);
});

test("room made by a receive is used again; clear drops all without counting", () => {
  const queue = new DatagramQueue(2 * (10 + DATAGRAM_OVERHEAD));
  queue.push(Buffer.alloc(10), from(1));
  queue.push(Buffer.alloc(10), from(2));
  assert.equal(queue.push(Buffer.alloc(10), from(3)), false);
  queue.shift();
  assert.equal(queue.push(Buffer.alloc(10), from(4)), true);
  queue.clear();
  assert.equal(queue.length, 0);
  assert.equal(queue.bytes, 0);
  assert.equal(queue.dropped, 1);
});
