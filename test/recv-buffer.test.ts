import assert from "node:assert/strict";
import { test } from "node:test";
import { RecvBuffer } from "../src/socket/recv-buffer.js";

function filled(...parts: string[]): RecvBuffer {
  const rx = new RecvBuffer();
  for (const p of parts) rx.push(Buffer.from(p));
  return rx;
}

test("reads across chunk boundaries in order", () => {
  const rx = filled("abc", "de", "fghij");
  assert.equal(rx.length, 10);
  assert.equal(rx.read(4).toString(), "abcd");
  assert.equal(rx.read(2).toString(), "ef");
  assert.equal(rx.read(100).toString(), "ghij");
  assert.equal(rx.length, 0);
});

test("peek does not consume and readInto copies at an offset", () => {
  const rx = filled("hello", " world");
  assert.equal(rx.peek(7).toString(), "hello w");
  const target = Buffer.alloc(9, ".");
  assert.equal(rx.readInto(target, 2, 7), 7);
  assert.equal(target.toString(), "..hello w");
  assert.equal(rx.read(10).toString(), "orld");
});

test("finds delimiters that span chunks, from a resume position", () => {
  const rx = filled("ab\r", "\ncd", "\r", "\n");
  assert.equal(rx.indexOf(Buffer.from("\r\n")), 2);
  assert.equal(rx.indexOf(Buffer.from("\r\n"), 3), 6);
  assert.equal(rx.indexOf(Buffer.from("zz")), -1);
  assert.equal(rx.indexOf(Buffer.from("\n"), 4), 7);
});

test("adopt copies what is left of a borrowed chunk before its memory is reused", () => {
  const scratch = Buffer.from("0123456789");
  const rx = new RecvBuffer();
  rx.pushBorrowed(scratch.subarray(0, 6));
  assert.equal(rx.read(2).toString(), "01");
  rx.adopt();
  scratch.fill("x");
  assert.equal(rx.read(10).toString(), "2345");
});

test("a read of a borrowed chunk is a copy", () => {
  const scratch = Buffer.from("abcdef");
  const rx = new RecvBuffer();
  rx.pushBorrowed(scratch);
  const out = rx.read(6);
  rx.adopt();
  scratch.fill("x");
  assert.equal(out.toString(), "abcdef");
});

test("keeps order while the chunk queue is compacted and reused", () => {
  const rx = new RecvBuffer();
  const sent: number[] = [];
  const got: number[] = [];
  // Two bytes a chunk; reads of five bytes now and then, and a full drain every 1,000 chunks:
  // consumed slots pile up at the front past the compaction threshold while live chunks follow,
  // and the queue empties and refills in between.
  for (let i = 0; i < 5000; i++) {
    const a = (2 * i) & 0xff;
    rx.push(Uint8Array.of(a, (a + 1) & 0xff));
    sent.push(a, (a + 1) & 0xff);
    if (i % 3 === 0) got.push(...rx.read(5));
    if (i % 1000 === 999) got.push(...rx.read(rx.length));
  }
  got.push(...rx.read(rx.length));
  assert.deepEqual(got, sent);
});
