import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  htonl,
  htons,
  inetAton,
  inetNtoa,
  inetNtop,
  inetPton,
  ntohl,
  ntohs,
  SocketError,
} from "../src/index.js";
import { isDottedQuad, parseInetAton } from "../src/net/inet.js";
import { checkLeaks, pythonOracle } from "./helpers.js";

checkLeaks();

// --- the differential harness ------------------------------------------------------------------

/** What one call did: its value (packed bytes as hex) or its error class and errno name. */
type Outcome = { ok: string | number } | { err: string; errno?: string | null };

type Key =
  | "aton"
  | "pton4"
  | "pton6"
  | "ntoa"
  | "ntop4"
  | "ntop6"
  | "htons"
  | "ntohs"
  | "htonl"
  | "ntohl"
  | "pton_family"
  | "ntop_family";

type Cases = { [K in Key]: (string | number)[] };

/** A small seeded generator, so a failing input can be reproduced from the seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seed = Number(process.env.SOCKIT_TEST_SEED ?? Date.now() % 2 ** 31);
const random = prng(seed);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
const hex = (bytes: number[]): string => Buffer.from(bytes).toString("hex");
const randomBytes = (n: number): number[] => Array.from({ length: n }, () => int(256));

function randomString(alphabet: string, maxLength: number): string {
  return Array.from({ length: int(maxLength + 1) }, () => pick([...alphabet])).join("");
}

/** Replaces, inserts or deletes one character: near-misses of valid addresses. */
function mutate(text: string, alphabet: string): string {
  const at = int(text.length + 1);
  const ch = pick([...alphabet]);
  switch (int(3)) {
    case 0:
      return text.slice(0, at) + ch + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + ch + text.slice(at);
    default:
      return text.slice(0, at) + text.slice(at + 1);
  }
}

/** 8 words with many zero runs, so `::` placement and the IPv4 forms get exercised. */
function randomWords(): number[] {
  switch (int(4)) {
    case 0:
      return [0, 0, 0, 0, 0, 0xffff, int(65536), int(65536)];
    case 1:
      return [0, 0, 0, 0, 0, 0, int(4) === 0 ? 0 : int(65536), int(4) === 0 ? int(3) : int(65536)];
    default:
      return Array.from({ length: 8 }, () =>
        random() < 0.5 ? 0 : random() < 0.3 ? int(256) : int(65536),
      );
  }
}

const wordBytes = (words: number[]): number[] => words.flatMap((w) => [w >> 8, w & 0xff]);

/** An IPv6 text for `words` in one of several spellings (full, upper case, compressed, IPv4 tail). */
function spellIPv6(words: number[]): string {
  const groups = words.map((w) =>
    int(3) === 0 ? w.toString(16).padStart(4, "0") : w.toString(16),
  );
  if (int(4) === 0) {
    const b = wordBytes(words.slice(6));
    groups.splice(6, 2, b.join("."));
  }
  let text = groups.join(":");
  if (int(2) === 0) {
    const start = int(8);
    const length = 1 + int(8 - start);
    const zeros = words.slice(start, start + length).every((w) => w === 0);
    if (zeros && !(groups.length === 7 && start + length > 6)) {
      text = `${groups.slice(0, start).join(":")}::${groups.slice(start + length).join(":")}`;
    }
  }
  return int(3) === 0 ? text.toUpperCase() : text;
}

function buildCases(): Cases {
  const atonFixed = [
    "127.0.0.1",
    "127.1",
    "0x7f.1",
    "1.2.3.4.5",
    "256.1.1.1",
    "255.255.255.255",
    "0",
    "0x",
    "0x.1.2.3",
    "0X7F000001",
    "017700000001",
    "1.2.3.4 junk",
    "1.2.3.4\t",
    "1.2.3.4\n",
    "1.2.3.4\v",
    "1.2.3.4\f",
    "1.2.3.4\r",
    "1.2.3.4 é",
    "1.2.3.4\u00a0",
    " 1.2.3.4",
    "",
    ".",
    "1.",
    ".1",
    "1..2",
    "08",
    "0.0.0.08",
    "09.1",
    "4294967295",
    "4294967296",
    "0xffffffff",
    "0x100000000",
    "1.0xffffff",
    "1.0x1000000",
    "1.2.65535",
    "1.2.65536",
    "1.2.3.256",
    "1.2.3.0xff",
    "0377.0377.0377.0377",
    "0400.1.1.1",
    "1 2",
    "99999999999999999999999",
    "0x00000000000000000000001",
    "000000000000000000000000001",
    "1e3",
    "-1",
    "+1",
    "1.-1",
    "1.+1",
    "١.٢.٣.٤",
    "1.2.3.4/24",
    "a.b.c.d",
    "0xG",
    "0x1g",
    "1.2.3.4x",
  ];
  const atonRandom = Array.from({ length: 400 }, () =>
    randomString("0123456789012345678901234567890123456789xXaAfFgG...... \t", 18),
  );
  const dotted = (): string => randomBytes(4).join(".");
  const pton4Fixed = [
    "1.2.3.4",
    "0.0.0.0",
    "255.255.255.255",
    "256.0.0.0",
    "01.2.3.4",
    "1.2.3.04",
    "00.0.0.0",
    "1.2.3",
    "127.1",
    "1.2.3.4.5",
    "1.2.3.4 ",
    " 1.2.3.4",
    "1..2.3",
    "",
    "0x1.2.3.4",
    "1.2.3.-4",
    "1.2.3.+4",
    "1.2.3.4.",
    "1000.2.3.4",
  ];
  const pton4Random = [
    ...Array.from({ length: 100 }, dotted),
    ...Array.from({ length: 200 }, () => mutate(dotted(), "0123456789.x ")),
    ...Array.from({ length: 100 }, () => randomString("0123456789.", 16)),
  ];
  const pton6Fixed = [
    "::",
    "::1",
    "1::",
    "::ffff:1.2.3.4",
    "::1.2.3.4",
    "::ffff:0.0.0.0",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1::2::3",
    ":::",
    "1:::2",
    ":1::",
    "1::2:",
    ":",
    "1",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    "1:2:3:4:5::1.2.3.4",
    "1:2:3:4:5:6::1.2.3.4",
    "::01.2.3.4",
    "::1.2.3",
    "::1.2.3.4.5",
    "1.2.3.4::",
    "::ffff:256.1.1.1",
    "::ffff:1.2.3.04",
    "::ffff:1.2.3.4:5",
    "::1.2.3.4:5",
    "12345::",
    "0:0:0:0:0:0:0:0",
    "0000:0000:0000:0000:0000:0000:0000:0001",
    "00001::",
    "FE80::1",
    "fe80::1%lo",
    "fe80::1%1",
    "::g",
    "",
    "[::1]",
    " ::1",
    "::1 ",
    "1.2.3.4",
  ];
  const pton6Random = Array.from({ length: 500 }, () => {
    const text = spellIPv6(randomWords());
    return int(3) === 0 ? mutate(text, "0123456789abcdefABCDEFg:.") : text;
  });
  const ntop6 = [
    ...Array.from({ length: 400 }, () => hex(wordBytes(randomWords()))),
    ...Array.from({ length: 100 }, () => hex(randomBytes(16))),
    hex(new Array<number>(16).fill(0)),
    hex([...new Array<number>(15).fill(0), 1]),
    hex([...new Array<number>(15).fill(0), 2]),
    hex([...new Array<number>(12).fill(0), 0, 1, 0, 0]),
    hex([...new Array<number>(10).fill(0), 0xff, 0xff, 0, 0, 0, 0]),
    hex([...new Array<number>(10).fill(0), 0xff, 0xfe, 1, 2, 3, 4]),
    hex([0, 1, ...new Array<number>(14).fill(0)]),
    hex([0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3]),
    hex([0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4]),
    "",
    hex(randomBytes(4)),
    hex(randomBytes(15)),
    hex(randomBytes(17)),
  ];
  const shortOrLong = ["", hex(randomBytes(3)), hex(randomBytes(5)), hex(randomBytes(16))];
  const fourBytes = Array.from({ length: 50 }, () => hex(randomBytes(4)));
  const u16 = [0, 1, 0xff, 0x100, 0x1234, 0xfffe, 0xffff, 0x10000, -1, 2 ** 31, 2 ** 53 - 1];
  const u32 = [0, 1, 0x12345678, 0x80000000, 0xffffffff, 2 ** 32, -1, 2 ** 53 - 1];
  return {
    aton: [...atonFixed, ...atonRandom],
    pton4: [...pton4Fixed, ...pton4Random],
    pton6: [...pton6Fixed, ...pton6Random],
    ntoa: [...fourBytes, ...shortOrLong],
    ntop4: [...fourBytes, ...shortOrLong],
    ntop6,
    htons: [...u16, ...Array.from({ length: 50 }, () => int(65536))],
    ntohs: [...u16, ...Array.from({ length: 50 }, () => int(65536))],
    htonl: [...u32, ...Array.from({ length: 50 }, () => int(2 ** 32))],
    ntohl: [...u32, ...Array.from({ length: 50 }, () => int(2 ** 32))],
    pton_family: [AF_INET, AF_INET6, 0, AF_UNIX, 99, -1],
    ntop_family: [AF_INET, AF_INET6, 0, AF_UNIX, 99, -1],
  };
}

/** Runs one sockit call and records what it did. */
function outcome(call: () => Uint8Array | string | number): Outcome {
  try {
    const value = call();
    return { ok: value instanceof Uint8Array ? Buffer.from(value).toString("hex") : value };
  } catch (error) {
    if (error instanceof SocketError) return { err: "SocketError", errno: error.code };
    if (error instanceof RangeError) return { err: "RangeError" };
    if (error instanceof TypeError) return { err: "TypeError" };
    throw error;
  }
}

/**
 * CPython's outcome in sockit's terms: `OSError` is `SocketError` (an illegal address string has
 * no errno in CPython; sockit's code is `EINVAL`), `ValueError`/`OverflowError` are `RangeError`.
 */
function expected(answer: Outcome, options: { osErrorIs?: string } = {}): Outcome {
  if ("ok" in answer) return answer;
  switch (answer.err) {
    case "OSError":
      if (options.osErrorIs !== undefined) return { err: options.osErrorIs };
      return { err: "SocketError", errno: answer.errno ?? "EINVAL" };
    case "ValueError":
    case "OverflowError":
      return { err: "RangeError" };
    default:
      return { err: answer.err };
  }
}

const cases = buildCases();
let answers: Record<Key, Outcome[]>;

/** Compares sockit with CPython for every input of `key`; reports every mismatch at once. */
function agree(
  key: Key,
  call: (input: string | number) => Uint8Array | string | number,
  options: { osErrorIs?: string } = {},
): void {
  const inputs = cases[key];
  assert.equal(answers[key].length, inputs.length);
  const mismatches = inputs.flatMap((input, i) => {
    const want = expected(answers[key][i]!, options);
    const got = outcome(() => call(input));
    return JSON.stringify(got) === JSON.stringify(want)
      ? []
      : [{ input, cpython: want, sockit: got }];
  });
  assert.deepEqual(mismatches, [], `seed ${seed} (set SOCKIT_TEST_SEED to replay)`);
}

const bytes = (input: string | number): Buffer => Buffer.from(String(input), "hex");
const text = (input: string | number): string => String(input);
const num = (input: string | number): number => Number(input);

describe("inet helpers agree with CPython", () => {
  before(async () => {
    answers = (await pythonOracle("inet_oracle.py", cases)) as Record<Key, Outcome[]>;
  });

  test("inetAton parses what C's inet_aton parses, quirks included", () => {
    agree("aton", (s) => inetAton(text(s)));
  });

  test("inetPton(AF_INET) accepts only strict dotted quads", () => {
    agree("pton4", (s) => inetPton(AF_INET, text(s)));
  });

  test("inetPton(AF_INET6) accepts the same texts as CPython, embedded IPv4 and :: included", () => {
    agree("pton6", (s) => inetPton(AF_INET6, text(s)));
  });

  test("inetNtoa formats 4 bytes and refuses other lengths", () => {
    // CPython raises OSError for a wrong length here; sockit raises RangeError, as for inetNtop.
    agree("ntoa", (h) => inetNtoa(bytes(h)), { osErrorIs: "RangeError" });
  });

  test("inetNtop(AF_INET) formats 4 bytes and refuses other lengths", () => {
    agree("ntop4", (h) => inetNtop(AF_INET, bytes(h)));
  });

  test("inetNtop(AF_INET6) compresses zero runs and prints IPv4 tails as glibc does", () => {
    agree("ntop6", (h) => inetNtop(AF_INET6, bytes(h)));
  });

  test("htons and ntohs swap 16-bit values and refuse values out of range", () => {
    agree("htons", (n) => htons(num(n)));
    agree("ntohs", (n) => ntohs(num(n)));
  });

  test("htonl and ntohl swap 32-bit values and refuse values out of range", () => {
    agree("htonl", (n) => htonl(num(n)));
    agree("ntohl", (n) => ntohl(num(n)));
  });

  test("an unknown family is EAFNOSUPPORT for inetPton and a RangeError for inetNtop", () => {
    agree("pton_family", (f) => inetPton(num(f), "1.2.3.4"));
    agree("ntop_family", (f) => inetNtop(num(f), Buffer.from([1, 2, 3, 4])));
  });
});

describe("inet helpers", () => {
  test("isDottedQuad holds exactly for the text inet_aton reads as written", () => {
    /** inet_aton's value of `text` written back as a.b.c.d, or undefined if it is illegal. */
    const normal = (text: string): string | undefined => {
      const value = parseInetAton(text, { exact: true });
      return value === undefined ? undefined : inetNtoa(inetAton(text));
    };
    for (const text of ["0.0.0.0", "127.0.0.1", "10.20.30.40", "255.255.255.255", "1.2.3.4"]) {
      assert.equal(isDottedQuad(text), true, text);
      assert.equal(normal(text), text);
    }
    for (const text of [
      "127.1",
      "010.0.0.1",
      "00.0.0.0",
      "0x7f.0.0.1",
      "256.0.0.1",
      "1.2.3.4.",
      ".1.2.3.4",
      "1..2.3",
      "1.2.3",
      "1.2.3.4.5",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1.2.3.1000",
      "::1",
      "",
    ]) {
      assert.equal(isDottedQuad(text), false, JSON.stringify(text));
    }
    // Every text it accepts is its own normal form; every normal form is accepted.
    const chars = fc.constantFrom(..."0123456789.x ");
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 17 }), (text) => {
        if (isDottedQuad(text)) assert.equal(normal(text), text);
        else assert.notEqual(normal(text), text);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const text = inetNtoa(Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]));
        assert.equal(isDottedQuad(text), true, text);
      }),
    );
  });

  test("round-trip every address through inetPton and inetNtop", () => {
    for (const address of ["::", "::1", "2001:db8::8:800:200c:417a", "::ffff:10.0.0.1", "1::"]) {
      assert.equal(inetNtop(AF_INET6, inetPton(AF_INET6, address)), address);
    }
    for (const address of ["0.0.0.0", "10.1.2.3", "255.255.255.255"]) {
      assert.equal(inetNtop(AF_INET, inetPton(AF_INET, address)), address);
      assert.equal(inetNtoa(inetAton(address)), address);
    }
  });

  test("return Buffers of 4 and 16 bytes", () => {
    assert.ok(Buffer.isBuffer(inetAton("127.1")));
    assert.deepEqual([...inetAton("127.1")], [127, 0, 0, 1]);
    assert.equal(inetPton(AF_INET6, "::1").length, 16);
    assert.equal(inetPton(AF_INET, "1.2.3.4").length, 4);
  });

  test("read packed bytes from any Uint8Array view, honouring its byteOffset", () => {
    const backing = new Uint8Array([9, 9, 10, 0, 0, 1, 9]);
    assert.equal(inetNtoa(backing.subarray(2, 6)), "10.0.0.1");
    assert.equal(inetNtop(AF_INET, backing.subarray(2, 6)), "10.0.0.1");
    const six = new Uint8Array(20);
    six[19] = 1;
    assert.equal(inetNtop(AF_INET6, six.subarray(4)), "::1");
  });

  test("htons and htonl are their own inverses", () => {
    for (const x of [0, 1, 0x1234, 0xffff]) assert.equal(ntohs(htons(x)), x);
    for (const x of [0, 1, 0x12345678, 0xffffffff]) assert.equal(ntohl(htonl(x)), x);
    assert.equal(htonl(0xffffffff), 0xffffffff);
  });

  test("refuse wrong argument types with TypeError", () => {
    const wrong: [string, () => unknown][] = [
      ["inetAton(number)", () => inetAton(0x7f000001 as unknown as string)],
      ["inetAton(Buffer)", () => inetAton(Buffer.from("1.2.3.4") as unknown as string)],
      ["inetPton(AF_INET, number)", () => inetPton(AF_INET, 1 as unknown as string)],
      ["inetPton(string family)", () => inetPton("2" as unknown as number, "1.2.3.4")],
      ["inetPton(fractional family)", () => inetPton(2.5, "1.2.3.4")],
      ["inetNtoa(string)", () => inetNtoa("abcd" as unknown as Uint8Array)],
      ["inetNtoa(array)", () => inetNtoa([1, 2, 3, 4] as unknown as Uint8Array)],
      ["inetNtop(AF_INET, string)", () => inetNtop(AF_INET, "abcd" as unknown as Uint8Array)],
      ["inetNtop(null family)", () => inetNtop(null as unknown as number, Buffer.alloc(4))],
      ["htons(string)", () => htons("1" as unknown as number)],
      ["htons(1.5)", () => htons(1.5)],
      ["htons(NaN)", () => htons(Number.NaN)],
      ["htonl(bigint)", () => htonl(1n as unknown as number)],
      ["ntohl(null)", () => ntohl(null as unknown as number)],
      ["ntohs(Infinity)", () => ntohs(Number.POSITIVE_INFINITY)],
    ];
    for (const [name, call] of wrong) assert.throws(call, TypeError, name);
  });

  test("refuse values out of range with RangeError", () => {
    assert.throws(() => htons(-1), RangeError);
    assert.throws(() => htons(0x10000), RangeError);
    assert.throws(() => ntohs(0x10000), RangeError);
    assert.throws(() => htonl(2 ** 32), RangeError);
    assert.throws(() => ntohl(-1), RangeError);
    assert.throws(() => inetNtoa(Buffer.alloc(5)), RangeError);
    assert.throws(() => inetNtop(AF_INET, Buffer.alloc(16)), RangeError);
    assert.throws(() => inetNtop(AF_INET6, Buffer.alloc(4)), RangeError);
  });

  test("refuse illegal address strings with SocketError EINVAL", () => {
    for (const call of [
      () => inetAton("256.1.1.1"),
      () => inetPton(AF_INET, "127.1"),
      () => inetPton(AF_INET6, "1::2::3"),
    ]) {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof SocketError);
        assert.equal(error.code, "EINVAL");
        return true;
      });
    }
  });

  test("refuse an unsupported family in inetPton with SocketError EAFNOSUPPORT", () => {
    assert.throws(
      () => inetPton(AF_UNIX, "1.2.3.4"),
      (error: unknown) => error instanceof SocketError && error.code === "EAFNOSUPPORT",
    );
  });
});
