// The hand-written tables of CPython's Lib/test/test_struct.py, ported as behaviour (Python values
// become their JavaScript counterparts). What sockit adds for JavaScript is in
// struct-values.test.ts; error messages are compared with CPython in struct-differential.test.ts.
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
const bytes = (text: string) => Buffer.from(text, "latin1");
const isStructError = (error: unknown) => error instanceof StructError;

describe("struct: CPython's test_struct tables", () => {
  test("'=' uses the byte order of this machine", () => {
    assert.equal(pack("=i", 1)[0] === 0, hostBigEndian);
  });

  test("sizes are consistent and bad calls raise StructError", () => {
    assert.throws(() => calcsize("Z"), isStructError);
    assert.equal(calcsize("i") * 3, calcsize("iii"));
    assert.equal(calcsize("cbxxxxxxhhhhiillffd?") * 3, calcsize("3c3b18x12h6i6l6f3d3?"));
    assert.throws(() => pack("iii", 3), isStructError);
    assert.throws(() => pack("i", 3, 3, 3), isStructError);
    assert.throws(() => pack("i", "foo" as never), isStructError);
    assert.throws(() => pack("P", "foo" as never), isStructError);
    assert.throws(() => unpack("d", bytes("flap")), isStructError);
    const s = pack("ii", 1, 2);
    assert.throws(() => unpack("iii", s), isStructError);
    assert.throws(() => unpack("i", s), isStructError);
  });

  test("values survive a pack and unpack in every byte order", () => {
    for (const prefix of ["", "@", "<", ">", "=", "!"]) {
      for (const format of ["xcbhilfd?", "xcBHILfd?"]) {
        const packed = pack(
          prefix + format,
          bytes("a"),
          1,
          255,
          65535,
          65536,
          12.3456,
          12.3456,
          true,
        );
        const [c, b, h, i, l, f, d, t] = unpack(prefix + format, packed);
        assert.deepEqual(c, bytes("a"));
        assert.equal(b, 1);
        assert.equal(h, 255);
        assert.equal(i, 65535);
        assert.equal(BigInt(l as number | bigint), 65536n);
        assert.equal(Math.trunc(100 * (f as number)), 1234);
        assert.equal(Math.trunc(100 * (d as number)), 1234);
        assert.equal(t, true);
      }
    }
  });

  test("the new-features table packs to the listed bytes in both byte orders", () => {
    // [format, value, big-endian bytes, little-endian bytes, does not survive a round trip]
    const table: [string, unknown, string, string, boolean][] = [
      ["c", bytes("a"), "a", "a", false],
      ["xc", bytes("a"), "\0a", "\0a", false],
      ["cx", bytes("a"), "a\0", "a\0", false],
      ["s", bytes("a"), "a", "a", false],
      ["0s", bytes("helloworld"), "", "", true],
      ["1s", bytes("helloworld"), "h", "h", true],
      ["9s", bytes("helloworld"), "helloworl", "helloworl", true],
      ["10s", bytes("helloworld"), "helloworld", "helloworld", false],
      ["11s", bytes("helloworld"), "helloworld\0", "helloworld\0", true],
      [
        "20s",
        bytes("helloworld"),
        `helloworld${"\0".repeat(10)}`,
        `helloworld${"\0".repeat(10)}`,
        true,
      ],
      ["b", 7, "\x07", "\x07", false],
      ["b", -7, "\xf9", "\xf9", false],
      ["B", 7, "\x07", "\x07", false],
      ["B", 249, "\xf9", "\xf9", false],
      ["h", 700, "\x02\xbc", "\xbc\x02", false],
      ["h", -700, "\xfdD", "D\xfd", false],
      ["H", 700, "\x02\xbc", "\xbc\x02", false],
      ["H", 0x10000 - 700, "\xfdD", "D\xfd", false],
      ["i", 70000000, "\x04,\x1d\x80", "\x80\x1d,\x04", false],
      ["i", -70000000, "\xfb\xd3\xe2\x80", "\x80\xe2\xd3\xfb", false],
      ["I", 70000000, "\x04,\x1d\x80", "\x80\x1d,\x04", false],
      ["I", 0x100000000 - 70000000, "\xfb\xd3\xe2\x80", "\x80\xe2\xd3\xfb", false],
      ["l", 70000000, "\x04,\x1d\x80", "\x80\x1d,\x04", false],
      ["l", -70000000, "\xfb\xd3\xe2\x80", "\x80\xe2\xd3\xfb", false],
      ["L", 70000000, "\x04,\x1d\x80", "\x80\x1d,\x04", false],
      ["L", 0x100000000 - 70000000, "\xfb\xd3\xe2\x80", "\x80\xe2\xd3\xfb", false],
      ["f", 2.0, "@\0\0\0", "\0\0\0@", false],
      ["d", 2.0, "@\0\0\0\0\0\0\0", "\0\0\0\0\0\0\0@", false],
      ["f", -2.0, "\xc0\0\0\0", "\0\0\0\xc0", false],
      ["d", -2.0, "\xc0\0\0\0\0\0\0\0", "\0\0\0\0\0\0\0\xc0", false],
      ["?", 0, "\0", "\0", true],
      ["?", 3, "\x01", "\x01", true],
      ["?", true, "\x01", "\x01", false],
      // Python's [] and (1,) are falsy and truthy; JavaScript's falsy stand-in is "".
      ["?", "", "\0", "\0", true],
      ["?", [1], "\x01", "\x01", true],
    ];
    for (const [format, value, big, little, asymmetric] of table) {
      const cases: [string, string][] = [
        [`>${format}`, big],
        [`!${format}`, big],
        [`<${format}`, little],
        [`=${format}`, hostBigEndian ? big : little],
      ];
      for (const [xfmt, expected] of cases) {
        const packed = pack(xfmt, value as never);
        assert.deepEqual(packed, bytes(expected), `pack(${xfmt})`);
        assert.equal(calcsize(xfmt), packed.length);
        const [back] = unpack(xfmt, packed);
        if (!asymmetric) assert.deepEqual(back, value, `unpack(${xfmt})`);
      }
    }
  });

  test("standard sizes are fixed and native sizes pair up", () => {
    const sizes: Record<string, number> = {
      b: 1,
      B: 1,
      h: 2,
      H: 2,
      i: 4,
      I: 4,
      l: 4,
      L: 4,
      q: 8,
      Q: 8,
    };
    for (const [code, size] of Object.entries(sizes)) {
      for (const order of ["=", "<", ">", "!"]) assert.equal(calcsize(order + code), size);
    }
    for (const pair of ["bB", "hH", "iI", "lL", "nN", "qQ"]) {
      for (const order of ["", "@"]) {
        assert.equal(calcsize(order + pair[0]), calcsize(order + pair[1]));
      }
    }
    assert.equal(calcsize("b"), 1);
    assert.ok(calcsize("h") >= 2);
    assert.ok(calcsize("l") >= 4);
    assert.ok(calcsize("h") <= calcsize("i") && calcsize("i") <= calcsize("l"));
    assert.ok(calcsize("q") >= 8 && calcsize("l") <= calcsize("q"));
    assert.ok(calcsize("n") >= calcsize("i") && calcsize("n") >= calcsize("P"));
  });

  test("integer codes pack every power of two edge exactly or refuse it", () => {
    const codes = "bBhHiIlLqQnN";
    for (const code of codes) {
      for (const order of ["", "@", "=", "<", ">", "!"]) {
        if ("nN".includes(code) && !["", "@"].includes(order)) continue;
        const format = order + code;
        const size = calcsize(format);
        const bits = BigInt(size * 8);
        const signed = "bhilqn".includes(code);
        const min = signed ? -(1n << (bits - 1n)) : 0n;
        const max = signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
        const little = order === "<" || (["", "@", "="].includes(order) && !hostBigEndian);
        const bases = [300n, 700000n, 2n ** 63n * 4n];
        for (let e = 0n; e < bits + 3n; e++) bases.push(1n << e);
        for (const base of bases) {
          for (const x of [-base - 1n, -base, -base + 1n, base - 1n, base, base + 1n]) {
            if (x < min || x > max) {
              assert.throws(() => pack(format, x), isStructError, `${format} ${x}`);
              continue;
            }
            const hex = BigInt.asUintN(Number(bits), x)
              .toString(16)
              .padStart(size * 2, "0");
            const expected = Buffer.from(hex, "hex");
            if (little) expected.reverse();
            const packed = pack(format, x);
            assert.deepEqual(packed, expected, `${format} ${x}`);
            assert.equal(BigInt(unpack(format, packed)[0] as number | bigint), x);
            assert.throws(
              () => unpack(format, Buffer.concat([Buffer.of(1), packed])),
              isStructError,
            );
          }
        }
        for (const bad of ["a string", () => 1, { valueOf: () => 42 }, null, 1.0 + 0.5]) {
          assert.throws(
            () => pack(format, bad as never),
            isStructError,
            `${format} ${String(bad)}`,
          );
        }
      }
    }
  });

  test("n and N exist only in native mode", () => {
    for (const code of "nN") {
      for (const order of "=<>!") {
        assert.throws(() => calcsize(order + code), isStructError);
        assert.throws(() => pack(order + code, 0), isStructError);
        assert.throws(() => unpack(order + code, Buffer.alloc(0)), isStructError);
      }
    }
  });

  test("p is a Pascal string: the length byte is capped at count - 1 and 255", () => {
    const abc = bytes("abc");
    const table: [string, Buffer, string, string][] = [
      ["p", abc, "\0", ""],
      ["1p", abc, "\0", ""],
      ["2p", abc, "\x01a", "a"],
      ["3p", abc, "\x02ab", "ab"],
      ["4p", abc, "\x03abc", "abc"],
      ["5p", abc, "\x03abc\0", "abc"],
      ["6p", abc, "\x03abc\0\0", "abc"],
      ["1000p", bytes("x".repeat(1000)), `\xff${"x".repeat(999)}`, "x".repeat(255)],
    ];
    for (const [format, input, expected, back] of table) {
      const packed = pack(format, input);
      assert.deepEqual(packed, bytes(expected));
      assert.deepEqual(unpack(format, packed), [bytes(back)]);
    }
  });

  test("f rounds without carrying into the exponent (SF bug 705836)", () => {
    for (let base = 1; base <= 32; base++) {
      let delta = 0.5;
      while (base - delta / 2 !== base) delta /= 2;
      const smaller = base - delta;
      const packed = pack("<f", smaller);
      assert.equal(unpack("<f", packed)[0], base);
      const bigPacked = pack(">f", smaller);
      assert.deepEqual(bigPacked, Buffer.from(packed).reverse());
      assert.equal(unpack(">f", bigPacked)[0], base);
    }
    const largest = (2 ** 24 - 1) * 2 ** (127 - 23);
    assert.equal(unpack(">f", pack(">f", largest))[0], largest);
    assert.throws(() => pack(">f", (2 ** 25 - 1) * 2 ** (127 - 24)), isStructError);
  });

  test("integer codes refuse floats, even integral ones (issue 1530559)", () => {
    for (const code of "bBhHiIlLqQnNP") {
      for (const order of ["", "@", "=", "<", ">", "!"]) {
        if ("nNP".includes(code) && !["", "@"].includes(order)) continue;
        assert.throws(() => pack(order + code, 1.5), isStructError);
      }
    }
    // 1.0 is the number 1 in JavaScript; an unsafe integer stands for a Python float.
    assert.throws(() => pack("P", 2 ** 60), isStructError);
  });

  test("unpackFrom reads at offsets and refuses too little data", () => {
    const data = bytes("abcd01234");
    const s = new Struct("4s");
    assert.deepEqual(s.unpackFrom(data), [bytes("abcd")]);
    assert.deepEqual(s.unpackFrom(data, 2), [bytes("cd01")]);
    assert.deepEqual(unpackFrom("4s", data, 4), [bytes("0123")]);
    for (let i = 0; i < 6; i++) assert.deepEqual(s.unpackFrom(data, i), [data.subarray(i, i + 4)]);
    for (let i = 6; i <= data.length; i++) {
      assert.throws(() => s.unpackFrom(data, i), isStructError);
      assert.throws(() => unpackFrom("4s", data, i), isStructError);
    }
  });

  test("packInto writes at an offset and refuses a buffer too small", () => {
    const text = bytes("Reykjavik rocks, eow!");
    for (const into of [
      (buffer: Uint8Array, offset: number) => new Struct("21s").packInto(buffer, offset, text),
      (buffer: Uint8Array, offset: number) => packInto("21s", buffer, offset, text),
    ]) {
      const writable = new Int8Array(100).fill(0x20);
      const view = new Uint8Array(writable.buffer);
      into(view, 0);
      assert.deepEqual(Buffer.from(view.subarray(0, 21)), text);
      into(view, 10);
      assert.deepEqual(
        Buffer.from(view.subarray(0, 31)),
        Buffer.concat([text.subarray(0, 10), text]),
      );
      const small = new Uint8Array(10);
      assert.throws(() => into(small, 0), isStructError);
      assert.throws(() => into(small, 2), isStructError);
    }
    assert.throws(() => packInto("", new Uint8Array(10), null as never), TypeError);
  });

  test("any buffer view unpacks (SF bug 1563759)", () => {
    const source = Uint8Array.of(0x12, 0x34, 0x56, 0x78);
    for (const view of [
      source,
      new DataView(source.buffer),
      source.buffer,
      new Uint16Array(source.buffer),
    ]) {
      assert.deepEqual(unpack(">I", view), [0x12345678]);
    }
  });

  test("? packs truthiness and unpacks any non-zero byte as true", () => {
    for (const prefix of ["<", ">", "!", "=", ""]) {
      const falsy = [0, "", null, undefined, false, 0n, Number.NaN];
      const truthy = [[1], "test", 5, -1, 0xffffffff + 1, 0xffffffff / 2];
      const f = unpack(
        prefix + "?".repeat(falsy.length),
        pack(prefix + "?".repeat(falsy.length), ...(falsy as never[])),
      );
      const t = unpack(
        prefix + "?".repeat(truthy.length),
        pack(prefix + "?".repeat(truthy.length), ...(truthy as never[])),
      );
      assert.deepEqual(
        f,
        falsy.map(() => false),
      );
      assert.deepEqual(
        t,
        truthy.map(() => true),
      );
      assert.equal(pack(`${prefix}?`, 1).length, 1);
    }
    for (const byte of [0x01, 0x7f, 0xff, 0x0f, 0xf0])
      assert.equal(unpack(">?", Uint8Array.of(byte))[0], true);
  });

  test("repeat counts too large to size raise StructError", () => {
    assert.throws(() => calcsize(`${2n ** 63n}b`), isStructError);
    assert.throws(() => calcsize(`${2n ** 62n - 1n}b${2n ** 62n - 1n}H`), isStructError);
  });

  test("a trailing repeat count is an error", () => {
    const store = new Uint8Array(100);
    for (const format of ["12345", "c12345", "14s42"]) {
      assert.throws(() => pack(format, bytes("x")), isStructError);
      assert.throws(() => unpack(format, bytes("x")), isStructError);
      assert.throws(() => packInto(format, store, 0, bytes("x")), isStructError);
      assert.throws(() => unpackFrom(format, store, 0), isStructError);
    }
  });

  test("packInto refuses offsets past the end, negative offsets without room and huge offsets", () => {
    assert.throws(() => packInto("b", new Uint8Array(1), 5, 1), isStructError);
    const ten = new Uint8Array(10);
    assert.throws(() => packInto("<I", ten, -2, 123), isStructError);
    assert.throws(() => packInto("<B", ten, -11, 123), isStructError);
    assert.throws(() => packInto("<I", ten, Number.MAX_SAFE_INTEGER, 1), isStructError);
  });

  test("unpack of something that is not a buffer is a TypeError, and later calls still work", () => {
    assert.throws(() => unpack("b", 0 as never), TypeError);
    assert.deepEqual(unpack("b", bytes("a")), [0x61]);
  });

  test("format keeps the string the struct was made from", () => {
    assert.equal(new Struct("=i2H").format, "=i2H");
  });

  test("embedded NUL characters are refused (issue 35714)", () => {
    for (const format of ["\0", "2\0i"]) assert.throws(() => calcsize(format), isStructError);
  });
});

describe("struct: iterUnpack, as CPython's UnpackIteratorTest", () => {
  test("it returns an iterable iterator and checks the length at once", () => {
    const s = new Struct(">ibcp");
    for (const data of [bytes(""), bytes("1234567")]) {
      const it = s.iterUnpack(data);
      assert.equal(typeof it.next, "function");
      assert.equal(it[Symbol.iterator](), it);
    }
    assert.throws(() => s.iterUnpack(bytes("123456")), isStructError);
    assert.throws(() => s.iterUnpack(bytes("12345678")), isStructError);
    const empty = new Struct(">");
    assert.throws(() => empty.iterUnpack(bytes("")), isStructError);
    assert.throws(() => empty.iterUnpack(bytes("12")), isStructError);
  });

  test("it yields each struct in turn and then stays done", () => {
    const data = Buffer.from(Array.from({ length: 15 }, (_, i) => i + 1));
    const it = new Struct(">IB").iterUnpack(data);
    assert.deepEqual(it.next().value, [0x01020304, 5]);
    assert.deepEqual(it.next().value, [0x06070809, 10]);
    assert.deepEqual(it.next().value, [0x0b0c0d0e, 15]);
    assert.equal(it.next().done, true);
    assert.equal(it.next().done, true);
  });

  test("it takes any buffer, and the module function works the same", () => {
    const data = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
    assert.deepEqual(
      [...new Struct(">IB").iterUnpack(new DataView(data.buffer))],
      [
        [0x01020304, 5],
        [0x06070809, 10],
      ],
    );
    assert.deepEqual(
      [...iterUnpack(">IB", data)],
      [
        [0x01020304, 5],
        [0x06070809, 10],
      ],
    );
  });
});

describe("struct: half precision, as CPython's test_half_float", () => {
  test("exact values round-trip through e in both byte orders", () => {
    const table: [string, number][] = [
      ["003c", 1.0],
      ["00c0", -2.0],
      ["ff7b", 65504.0],
      ["0004", 2 ** -14],
      ["0100", 2 ** -24],
      ["0000", 0.0],
      ["0080", -0.0],
      ["007c", Number.POSITIVE_INFINITY],
      ["00fc", Number.NEGATIVE_INFINITY],
      ["5535", 0.333251953125],
    ];
    for (const [hex, value] of table) {
      const le = Buffer.from(hex, "hex");
      const be = Buffer.from(le).reverse();
      assert.ok(Object.is(unpack("<e", le)[0], value));
      assert.deepEqual(pack("<e", value), le);
      assert.ok(Object.is(unpack(">e", be)[0], value));
      assert.deepEqual(pack(">e", value), be);
      assert.deepEqual(pack("e", value), hostBigEndian ? be : le);
    }
  });

  test("NaN patterns unpack as NaN and NaN packs as a quiet NaN", () => {
    for (const hex of ["01fc", "00fe", "ffff", "017c", "007e", "ff7f"]) {
      const le = Buffer.from(hex, "hex");
      assert.ok(Number.isNaN(unpack("<e", le)[0]));
      assert.ok(Number.isNaN(unpack(">e", Buffer.from(le).reverse())[0]));
    }
    assert.equal((pack("<e", Number.NaN)[1] as number) & 0x7e, 0x7e);
    assert.equal((pack("<e", -Number.NaN)[1] as number) & 0x7e, 0x7e);
  });

  test("values round to the nearest half, ties to even", () => {
    const table: [string, number][] = [
      ["0001", 2 ** -25 + 2 ** -35],
      ["0000", 2 ** -25],
      ["0000", 2 ** -26],
      ["03ff", 2 ** -14 - 2 ** -24],
      ["03ff", 2 ** -14 - 2 ** -25 - 2 ** -65],
      ["0400", 2 ** -14 - 2 ** -25],
      ["0400", 2 ** -14],
      ["3c01", 1.0 + 2 ** -11 + 2 ** -16],
      ["3c00", 1.0 + 2 ** -11],
      ["3c00", 1.0 + 2 ** -12],
      ["7bff", 65504],
      ["7bff", 65519],
      ["8001", -(2 ** -25) - 2 ** -35],
      ["8000", -(2 ** -25)],
      ["8000", -(2 ** -26)],
      ["bc01", -1.0 - 2 ** -11 - 2 ** -16],
      ["bc00", -1.0 - 2 ** -11],
      ["bc00", -1.0 - 2 ** -12],
      ["fbff", -65519],
      // Would be 0x6800 if rounded through float32 first (double rounding).
      ["67ff", 0x1ffdffffff * 2 ** -26],
    ];
    for (const [hex, value] of table)
      assert.equal(pack(">e", value).toString("hex"), hex, `${value}`);
  });

  test("values that round to infinity raise", () => {
    for (const order of [">", "<"]) {
      for (const value of [65520.0, 65536.0, 1e300, -65520.0, -65536.0, -1e300]) {
        assert.throws(() => pack(`${order}e`, value), isStructError);
      }
    }
  });
});
