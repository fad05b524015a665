// What sockit's struct adds for JavaScript: which values come back as bigints, numbers, booleans
// and Buffers, what pack accepts, typed-array views and offsets, laziness, and the examples the
// TSDoc comments promise.
import * as assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import {
  calcsize,
  iterUnpack,
  pack,
  packInto,
  Struct,
  StructError,
  unpack,
  unpackFrom,
} from "../src/struct/index.js";
import { checkLeaks } from "./helpers.js";

checkLeaks();

const hostBigEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;
const isStructError = (error: unknown) => error instanceof StructError;

describe("struct: JavaScript values", () => {
  test("q Q n N P and 8-byte l L unpack as bigints, the other integers as numbers", () => {
    const longIsBig = calcsize("@l") === 8;
    const [b, h, i, l, q, Q, n, N, P] = unpack(
      "@bhilqQnNP",
      pack("@bhilqQnNP", 1, 2, 3, 4, 5, 6, 7, 8, 9),
    );
    assert.deepEqual([b, h, i], [1, 2, 3]);
    assert.equal(l, longIsBig ? 4n : 4);
    assert.deepEqual([q, Q, n, N, P], [5n, 6n, 7n, 8n, 9n]);
    assert.deepEqual(unpack("<lL", pack("<lL", -1, 1)), [-1, 1]);
  });

  test("64-bit codes take a bigint or a safe-integer number, nothing less exact", () => {
    assert.deepEqual(pack(">Q", 2n ** 64n - 1n), Buffer.alloc(8, 0xff));
    assert.deepEqual(pack(">q", -(2 ** 53) + 1), pack(">q", -(2n ** 53n) + 1n));
    assert.throws(() => pack(">q", 2 ** 53), isStructError);
    assert.throws(() => pack(">Q", 2n ** 64n), isStructError);
    assert.deepEqual(pack("<i", true), pack("<i", 1));
  });

  test("c, s and p take only Uint8Arrays and unpack as new Buffers", () => {
    for (const format of ["c", "3s", "3p"]) {
      assert.throws(() => pack(format, "a" as never), isStructError);
      assert.throws(() => pack(format, [97] as never), isStructError);
    }
    const source = Buffer.from("xabcx");
    const [word] = unpackFrom("3s", source, 1);
    assert.ok(Buffer.isBuffer(word));
    source.fill(0);
    assert.deepEqual(word, Buffer.from("abc"), "the result does not share memory with the input");
    assert.deepEqual(pack("2s", new Uint8Array([1, 2, 3]).subarray(1)), Buffer.of(2, 3));
  });

  test("the Buffers c, s and p unpack to are plain Buffers that share no bytes", () => {
    const source = Buffer.alloc(100, 0x61);
    const long = new Struct("<100s");
    const expected = [
      Buffer.alloc(100, 0x61),
      Buffer.from("a"),
      Buffer.from("bc"),
      Buffer.from("ef"),
    ];
    const results: Buffer[] = [];
    // Enough results to cross from one pool of result memory to the next.
    for (let i = 0; i < 2000; i++) {
      const [bytes] = long.unpack(source) as [Buffer];
      results.push(bytes, ...(unpack("<c2s3p", Buffer.from("abc\x02ef")) as Buffer[]));
    }
    source.fill(0x62);
    for (const [i, bytes] of results.entries()) {
      assert.equal(Object.getPrototypeOf(bytes), Buffer.prototype);
      assert.equal(bytes.byteOffset % 8, 0, "aligned as Buffer.allocUnsafe aligns");
      assert.deepStrictEqual(bytes, expected[i % 4]);
    }
    // Writing to every result leaves the others as they were.
    for (const bytes of results) bytes.fill(0xff);
    const last = results[results.length - 4] as Buffer;
    last.fill(0);
    assert.deepEqual(results[results.length - 8], Buffer.alloc(100, 0xff));
    assert.deepEqual(results[results.length - 3], Buffer.of(0xff));
    assert.deepEqual(unpack("0s", Buffer.alloc(0)), [Buffer.alloc(0)]);
    assert.deepEqual(unpack("5000s", Buffer.alloc(5000, 7)), [Buffer.alloc(5000, 7)]);
  });

  test("results of every size, across many pools, never share bytes", () => {
    // Sizes around the 8-byte alignment and around the largest size cut from a pool (16 KiB).
    const sizes = [1, 7, 8, 9, 100, 16383, 16384, 16385, 40000];
    const results: { bytes: Buffer; fill: number }[] = [];
    for (let round = 0; round < 12; round++) {
      for (const size of sizes) {
        const fill = results.length % 251;
        const [bytes] = unpack(`${size}s`, Buffer.alloc(size, fill)) as [Buffer];
        results.push({ bytes, fill });
      }
    }
    for (const { bytes, fill } of results) {
      assert.ok(bytes.every((byte) => byte === fill));
    }
  });

  test("formats with many float and 64-bit items unpack each item from its own bytes", () => {
    for (const repeat of [1, 15, 16, 17]) {
      const format = `<${"dQqf".repeat(repeat)}`;
      const values = Array.from({ length: repeat }, (_, i) => [
        i + 0.5,
        2n ** 63n + BigInt(i),
        -BigInt(i) - 2n ** 40n,
        i / 4,
      ]).flat();
      const struct = new Struct(format);
      const bytes = struct.pack(...values);
      assert.deepEqual(struct.unpack(bytes), values, format);
      const shifted = Buffer.concat([Buffer.alloc(3), bytes]);
      assert.deepEqual(struct.unpackFrom(shifted, 3), values, format);
    }
  });

  test("views are read and written at their own byteOffset", () => {
    const backing = new Uint8Array(16);
    const view = backing.subarray(4, 12);
    packInto(">HH", view, 2, 0x0102, 0x0304);
    assert.deepEqual([...backing.subarray(4, 12)], [0, 0, 1, 2, 3, 4, 0, 0]);
    assert.deepEqual(unpackFrom(">H", view, -6), [0x0102]);
    assert.deepEqual(unpack(">I", new DataView(backing.buffer, 6, 4)), [0x01020304]);
    assert.deepEqual([...iterUnpack(">H", view.subarray(2, 6))], [[0x0102], [0x0304]]);
  });

  test("packInto zeroes the struct first and keeps the values written before a failure", () => {
    const buffer = Buffer.alloc(8, 0x11);
    assert.throws(() => packInto("bxbb", buffer, 1, 1, 2, 1000), isStructError);
    assert.equal(buffer.toString("hex"), "1101000200111111");
  });

  test("native f turns a huge float into infinity while standard f raises, as CPython", () => {
    assert.equal(unpack("@f", pack("@f", 1e300))[0], Number.POSITIVE_INFINITY);
    assert.throws(() => pack("<f", 1e300), isStructError);
  });

  test("iterUnpack reads the buffer as it goes", () => {
    const data = new Uint8Array(4);
    const rows = iterUnpack(">H", data);
    data[3] = 7;
    assert.deepEqual([...rows], [[0], [7]]);
  });

  test("a struct's pack and unpack work without their object", () => {
    const { pack: packPoint, unpack: unpackPoint } = new Struct("<hh");
    assert.deepEqual(unpackPoint(packPoint(-1, 2)), [-1, 2]);
  });

  test("pack and unpack report wrong counts and sizes as StructError", () => {
    const s = new Struct("<2h");
    assert.throws(() => s.pack(1), isStructError);
    assert.throws(() => s.unpack(Buffer.alloc(3)), isStructError);
    assert.throws(() => s.packInto(Buffer.alloc(4), 0, 1), isStructError);
    assert.throws(() => new Struct(5 as never), TypeError);
  });

  test("packInto reports missing arguments as CPython and wrong JavaScript types as Type/RangeError", () => {
    const into = packInto as (...args: unknown[]) => void;
    assert.throws(() => into("i"), isStructError);
    assert.throws(() => into("i", Buffer.alloc(4)), isStructError);
    assert.throws(() => into("i", Buffer.alloc(4), 0), isStructError);
    assert.throws(() => into("i", "text", 0, 1), TypeError);
    assert.throws(() => into("i", Buffer.alloc(4), 1.5, 1), TypeError);
    assert.throws(() => into("i", Buffer.alloc(4), 2n ** 70n, 1), RangeError);
    into("i", Buffer.alloc(4), 0n, 1);
  });

  test("formats with thousands of items or megabytes of padding work", () => {
    const values = Array.from({ length: 5000 }, (_, i) => i - 2500);
    const s = new Struct(">5000h");
    assert.deepEqual(s.unpack(s.pack(...values)), values);
    assert.equal(pack("1000000x").length, 1_000_000);
    assert.throws(() => pack("100000000000i"), isStructError);
  });

  test("the module functions keep working past the size of their format cache", () => {
    for (let i = 0; i < 250; i++) assert.equal(calcsize(`${i}x`), i);
    assert.deepEqual(unpack("<H", pack("<H", 513)), [513]);
  });
});

describe("struct: the documented examples", () => {
  test("each TSDoc example gives what its comment says", () => {
    assert.deepEqual(pack("!IHH", 1, 2, 3), Buffer.from("0000000100020003", "hex"));
    assert.deepEqual(unpack("!IHH", pack("!IHH", 1, 2, 3)), [1, 2, 3]);
    const record = new Struct("<IHd");
    assert.equal(record.size, 14);
    assert.deepEqual(record.unpack(record.pack(7, 300, 2.5)), [7, 300, 2.5]);
    assert.deepEqual(
      new Struct(">hq").pack(-2, 1n << 40n),
      Buffer.from("fffe0000010000000000", "hex"),
    );
    const buffer = new Uint8Array(8);
    new Struct("<H").packInto(buffer, 2, 0xabcd);
    assert.deepEqual([...buffer], [0, 0, 0xcd, 0xab, 0, 0, 0, 0]);
    assert.deepEqual(new Struct("<?3s").unpack(Buffer.from([1, 97, 98, 99])), [
      true,
      Buffer.from("abc"),
    ]);
    assert.deepEqual(new Struct(">H").unpackFrom(Buffer.from([9, 1, 2, 9]), 1), [258]);
    assert.deepEqual(
      [...new Struct(">BB").iterUnpack(Buffer.from([1, 2, 3, 4]))],
      [
        [1, 2],
        [3, 4],
      ],
    );
    assert.deepEqual(pack("<hH?", -1, 65535, true), Buffer.from("ffffffff01", "hex"));
    assert.deepEqual(unpack(">Qe", Buffer.from("00000000000000ff3c00", "hex")), [255n, 1]);
    assert.equal(calcsize("=bi"), 5);
    const frame = Buffer.alloc(6);
    packInto(">I", frame, 2, 0xdeadbeef);
    assert.equal(frame.toString("hex"), "0000deadbeef");
    assert.deepEqual(unpackFrom("<H", Uint8Array.of(0, 0, 1, 2), -2), [513]);
    assert.deepEqual(
      pack(">Qe2s?", 2n ** 63n, 0.5, Buffer.from("hi"), true),
      Buffer.from("80000000000000003800686901", "hex"),
    );
    assert.deepEqual(unpack("<I", new DataView(new ArrayBuffer(8), 4, 4)), [0]);
    assert.deepEqual(unpack("<q?3s", pack("<q?3s", 1n, true, Buffer.from("abc"))), [
      1n,
      true,
      Buffer.from("abc"),
    ]);
    assert.deepEqual(
      [...iterUnpack("<hh", Int16Array.of(1, 2, 3, 4))],
      hostBigEndian
        ? []
        : [
            [1, 2],
            [3, 4],
          ],
    );
    try {
      pack(">H", 70000);
      assert.fail("pack should have thrown");
    } catch (error) {
      assert.ok(error instanceof StructError);
      assert.equal(error.code, "ESTRUCT");
      assert.equal(error.name, "StructError");
    }
  });
});
