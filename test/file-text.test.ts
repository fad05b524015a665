/**
 * Text file objects: encodings, error handlers and Python's newline rules, checked against
 * CPython's io module (test/fixtures/fileio_oracle.py) on random data and call sequences.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type BinaryFile,
  type FileOptions,
  SHUT_WR,
  socketpair,
  type TextFile,
  TimeoutError,
  UnicodeDecodeError,
  UnicodeEncodeError,
} from "../src/index.js";
import { checkLeaks, isCode, pythonOracle, tcpPair } from "./helpers.js";

checkLeaks();

const T = { timeout: 60_000 };

/** The bytes a peer sent, then end of stream, read through a file of the given kind. */
interface Case {
  data: Uint8Array;
  chunks: number[];
  binary: boolean;
  encoding: string;
  errors: "strict" | "replace";
  newline: null | "" | "\n" | "\r" | "\r\n";
  ops: [name: "readline" | "read" | "readlines", arg: number][];
}

type Outcome = { ok: string | string[] } | { error: string };

const VALID = ["a", "b", "\r", "\n", "\r\n", "é", "€", "😀", "xyz"].map((t) => Buffer.from(t));
const INVALID = [[0xff], [0x80], [0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98]].map((b) =>
  Buffer.from(b),
);

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    binary: fc.boolean(),
    encoding: fc.constantFrom("utf-8", "latin-1", "ascii"),
    errors: fc.constantFrom("strict" as const, "replace" as const),
    newline: fc.constantFrom(null, "", "\n", "\r", "\r\n"),
    // Half the cases ASCII only (the tokens before "é"): text files then find lines in a
    // decoded window, and a bare readline() takes them on its quick path.
    tokens: fc.oneof(
      fc.array(fc.nat(VALID.length + INVALID.length - 1), { maxLength: 30 }),
      fc.array(fc.nat(4), { maxLength: 30 }),
    ),
    chunks: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
    ops: fc.array(
      fc.oneof(
        { weight: 2, arbitrary: fc.constant<["readline", number]>(["readline", -1]) },
        {
          weight: 3,
          arbitrary: fc.tuple(
            fc.constantFrom("readline" as const, "read" as const, "readlines" as const),
            fc.integer({ min: -1, max: 12 }),
          ),
        },
      ),
      { minLength: 1, maxLength: 8 },
    ),
  })
  .map(({ binary, encoding, errors, newline, tokens, chunks, ops }) => {
    // Invalid bytes only where CPython and sockit must agree on them: binary files and
    // errors="replace". (With "strict", CPython decodes ahead in chunks and so raises earlier
    // than sockit, which decodes what each call returns: see the dedicated test.)
    const lenient = binary || errors === "replace";
    const asciiOnly = !binary && encoding === "ascii" && errors === "strict";
    const parts = tokens
      .map((t) => (t < VALID.length ? VALID[t]! : lenient ? INVALID[t - VALID.length]! : VALID[0]!))
      .filter((b) => !asciiOnly || b.every((byte) => byte < 0x80));
    return {
      data: Buffer.concat(parts),
      chunks,
      binary,
      encoding,
      errors,
      newline: binary ? null : newline,
      ops,
    };
  });

async function sockitRun(c: Case): Promise<Outcome[]> {
  const [a, b] = await socketpair();
  try {
    await a.sendAll(c.data);
    a.shutdown(SHUT_WR);
    const options: FileOptions = c.binary
      ? {}
      : { encoding: c.encoding, errors: c.errors, newline: c.newline };
    const f = b.makefile(c.binary ? "rb" : "r", options) as BinaryFile | TextFile;
    const show = (v: Buffer | string): string => (typeof v === "string" ? v : v.toString("hex"));
    const out: Outcome[] = [];
    for (const [name, arg] of c.ops) {
      try {
        // readline(-1) is readline(): call it bare, as most code does (its quick path).
        const value: Buffer | string | (Buffer | string)[] =
          name === "readline" && arg === -1 ? await f.readline() : await f[name](arg);
        out.push({ ok: Array.isArray(value) ? value.map(show) : show(value) });
      } catch (error) {
        out.push({ error: (error as Error).name });
        break;
      }
    }
    return out;
  } finally {
    a.close();
    b.close();
  }
}

test(
  "reads return what CPython's BufferedReader and TextIOWrapper return (random data and calls)",
  T,
  async () => {
    const cases = fc.sample(caseArb, {
      numRuns: Number(process.env.CASES ?? 400),
      seed: Number(process.env.SEED ?? 20240614),
    });
    const { results } = (await pythonOracle("fileio_oracle.py", {
      cases: cases.map((c) => ({ ...c, data: Buffer.from(c.data).toString("hex") })),
    })) as { results: Outcome[][] };
    for (const [i, c] of cases.entries()) {
      const ours = await sockitRun(c);
      assert.deepEqual(
        ours,
        results[i],
        `case ${i}: ${JSON.stringify({ ...c, data: Buffer.from(c.data).toString("hex") })}`,
      );
    }
  },
);

test(
  "with universal newlines a trailing \\r waits for the next byte, as CPython's decoder holds it back",
  T,
  async () => {
    await using pair = await tcpPair();
    pair.server.setTimeout(0.03);
    const universal = pair.server.makefile("r");
    await pair.client.sendAll("abc\r");
    await assert.rejects(universal.readline(), isCode(TimeoutError, "ETIMEDOUT"));
    await pair.client.sendAll("\ndef\r");
    assert.equal(await universal.readline(), "abc\n");
    await assert.rejects(universal.readline(), isCode(TimeoutError, "ETIMEDOUT"));
    await pair.client.sendAll("x");
    assert.equal(await universal.readline(), "def\n");
    const crOnly = pair.server.makefile("r", { newline: "\r" });
    await pair.client.sendAll("\r");
    assert.equal(await crOnly.readline(), "x\r", "newline='\\r' needs no look-ahead");
  },
);

test("newline translation on write: '\\n' becomes the newline given", T, async () => {
  await using pair = await tcpPair();
  const crlf = pair.server.makefile("w", { newline: "\r\n" });
  const plain = pair.server.makefile("w", { newline: "" });
  await crlf.write("a\nb\n");
  await crlf.flush();
  await plain.write("c\r\n");
  await plain.flush();
  assert.equal((await pair.client.recvExactly(9)).toString(), "a\r\nb\r\nc\r\n");
});

test("sizes count characters as Python does: an emoji is one", T, async () => {
  const [a, b] = await socketpair();
  try {
    await a.sendAll("😀é\n😀😀x");
    a.shutdown(SHUT_WR);
    const f = b.makefile("r");
    assert.equal(await f.read(2), "😀é");
    assert.equal(await f.readline(1), "\n");
    assert.equal(await f.readline(2), "😀😀");
    assert.equal(await f.read(), "x");
    const w = a.makefile("w");
    assert.equal(await w.write("😀é"), 2);
  } finally {
    a.close();
    b.close();
  }
});

test(
  "undecodable bytes fail the call with UnicodeDecodeError and stay in the socket",
  T,
  async () => {
    const [a, b] = await socketpair();
    try {
      await a.sendAll(Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0x0a, 0x61, 0x0a]));
      a.shutdown(SHUT_WR);
      const f = b.makefile("r");
      assert.equal(await f.readline(), "ok\n");
      await assert.rejects(f.readline(), isCode(UnicodeDecodeError, "EILSEQ"));
      await assert.rejects(f.readlines(), isCode(UnicodeDecodeError, "EILSEQ"));
      const raw = b.makefile("rb");
      assert.deepEqual([...(await raw.readline())], [0xff, 0x0a]);
      assert.equal(await f.readline(), "a\n");
    } finally {
      a.close();
      b.close();
    }
  },
);

test("errors: 'replace' decodes and encodes what the encoding cannot, as Python", T, async () => {
  const [a, b] = await socketpair();
  try {
    const ascii = a.makefile("w", { encoding: "US-ASCII", errors: "replace" });
    await ascii.write("né😀\n");
    await ascii.flush();
    await a.sendAll(Buffer.from([0x62, 0xe9, 0x0a]));
    const reader = b.makefile("r", { encoding: "ascii", errors: "replace" });
    assert.equal(await reader.readline(), "n??\n");
    assert.equal(await reader.readline(), "b\uFFFD\n");
    assert.equal(reader.encoding, "ascii");
    assert.equal(reader.errors, "replace");
  } finally {
    a.close();
    b.close();
  }
});

test(
  "text the encoding cannot represent fails the write with UnicodeEncodeError, taking nothing",
  T,
  async () => {
    const [a, b] = await socketpair();
    try {
      const ascii = a.makefile("w", { encoding: "ascii" });
      await assert.rejects(ascii.write("é"), isCode(UnicodeEncodeError, "EILSEQ"));
      const utf8 = a.makefile("w");
      await assert.rejects(utf8.write("lone \ud800"), isCode(UnicodeEncodeError, "EILSEQ"));
      const latin1 = a.makefile("w", { encoding: "ISO-8859-1" });
      await latin1.write("é\n");
      await latin1.flush();
      await utf8.write("ok\n");
      await utf8.flush();
      assert.deepEqual([...(await b.recvExactly(5))], [0xe9, 0x0a, 0x6f, 0x6b, 0x0a]);
    } finally {
      a.close();
      b.close();
    }
  },
);

test("encodings go by any of Python's names", () => {
  const names: [string, string][] = [
    ["UTF-8", "utf-8"],
    ["utf8", "utf-8"],
    ["U8", "utf-8"],
    ["latin_1", "latin-1"],
    ["ISO-8859-1", "latin-1"],
    ["L1", "latin-1"],
    ["us-ascii", "ascii"],
    ["646", "ascii"],
  ];
  return (async () => {
    const [a, b] = await socketpair();
    try {
      for (const [name, canonical] of names) {
        assert.equal(a.makefile("r", { encoding: name }).encoding, canonical, name);
      }
      assert.equal(a.makefile().encoding, "utf-8");
      assert.equal(b.makefile("r", { encoding: null }).encoding, "utf-8");
    } finally {
      a.close();
      b.close();
    }
  })();
});
