import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
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

test("any mix of pushes, discards and reads keeps the bytes, length and consumed count right", () => {
  // A model: the bytes pushed, and how many were taken from the front. Discards of a few bytes
  // stay inside the head chunk (the short path) and longer ones cross chunk ends.
  const step = fc.oneof(
    fc.record({ push: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
    fc.record({ discard: fc.nat({ max: 20 }) }),
    fc.record({ read: fc.nat({ max: 20 }) }),
  );
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const rx = new RecvBuffer();
      const model: number[] = [];
      let taken = 0;
      for (const s of steps) {
        if ("push" in s) {
          rx.push(Uint8Array.from(s.push));
          model.push(...s.push);
        } else {
          const n = "discard" in s ? s.discard : s.read;
          const expected = model.slice(taken, taken + n);
          if ("discard" in s) rx.discard(n);
          else assert.deepEqual([...rx.read(n)], expected);
          taken += expected.length;
        }
        assert.equal(rx.length, model.length - taken);
        assert.equal(rx.consumed, taken);
        // The head chunk's view starts at the next unread byte.
        const head = [...rx.first()];
        assert.deepEqual(head, model.slice(taken, taken + head.length));
        assert.equal(head.length > 0, rx.length > 0);
      }
      assert.deepEqual([...rx.read(rx.length)], model.slice(taken));
    }),
    { numRuns: 2000 },
  );
});

test("readChunk takes the first chunk as it came: a view of owned memory, a copy of borrowed", () => {
  const rx = filled("abc", "defg");
  rx.discard(1);
  const first = rx.readChunk(100);
  assert.equal(first.toString(), "bc");
  assert.equal(rx.readChunk(2).toString(), "de");
  assert.equal(rx.readChunk(100).toString(), "fg");
  assert.equal(rx.readChunk(100).length, 0);
  const scratch = Buffer.from("borrowed");
  rx.pushBorrowed(scratch.subarray(0, 8));
  const copy = rx.readChunk(100);
  scratch.fill(0x2e);
  assert.equal(copy.toString(), "borrowed");
});

test("decode, at and segments read ranges across chunks without consuming", () => {
  const rx = filled("héllo", " wo", "rld");
  const length = rx.length;
  assert.equal(rx.decode("utf8", 0, length), "héllo world");
  assert.equal(rx.decode("utf8", 1, 3), "é");
  assert.equal(rx.decode("latin1", 7, 10), "wor");
  assert.equal(rx.decode("utf8", 4, 4), "");
  assert.equal(String.fromCharCode(rx.at(7)), "w");
  const seen: string[] = [];
  rx.segments(5, 11, (chunk, from, to) => {
    seen.push(Buffer.from(chunk.subarray(from, to)).toString());
  });
  assert.deepEqual(seen, ["o", " wo", "rl"]);
  const stopped: string[] = [];
  rx.segments(0, length, (chunk, from, to) => {
    stopped.push(Buffer.from(chunk.subarray(from, to)).toString());
    return false;
  });
  assert.equal(stopped.length, 1);
  assert.equal(rx.length, length, "nothing was consumed");
  assert.equal(Buffer.from(rx.first()).toString(), "héllo");
  rx.discard(7);
  assert.equal(rx.consumed, 7);
  assert.equal(rx.read(100).toString(), "world");
});

test("a transferable borrowed chunk taken whole is handed over, not copied", () => {
  /** Memory of its own (small Buffers share Node's pool, which would hide a copy). */
  const unpooled = (text: string): Buffer => {
    const out = Buffer.allocUnsafeSlow(text.length);
    out.write(text, "latin1");
    return out;
  };
  const rx = new RecvBuffer();
  const own = unpooled("abcdef");
  rx.pushBorrowed(own, true);
  const out = rx.read(6);
  assert.equal(out.buffer, own.buffer, "the same memory");
  assert.equal(rx.takeTransferred(), true);
  assert.equal(rx.takeTransferred(), false);
  // A part of it is copied: the rest of the chunk stays borrowed.
  const next = unpooled("ghijkl");
  rx.pushBorrowed(next, true);
  const part = rx.read(2);
  assert.notEqual(part.buffer, next.buffer);
  assert.equal(part.toString(), "gh");
  assert.equal(rx.takeTransferred(), false);
  assert.equal(rx.borrowedLeft, 4);
  rx.keep();
  assert.equal(rx.borrowedLeft, 0);
  const kept = rx.read(4);
  assert.equal(kept.buffer, next.buffer, "kept in place: no copy");
  assert.equal(kept.toString(), "ijkl");
  // The scratch (not transferable) is always copied.
  const scratch = unpooled("mnop");
  rx.pushBorrowed(scratch);
  assert.notEqual(rx.read(4).buffer, scratch.buffer);
  assert.equal(rx.takeTransferred(), false);
});
