// sockit's struct against CPython's: every case runs through both, in one python3 process
// (test/fixtures/struct_oracle.py), and must give the same bytes, sizes, values and failures,
// with CPython 3.11's messages. Reproduce a failure with STRUCT_SEED=<seed>; widen the search
// with STRUCT_FORMATS=<count>.
import * as assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { before, describe, test } from "node:test";
import {
  type Arg,
  bigintItems,
  describeCase,
  difference,
  type OracleCase,
  type Outcome,
  pythonAvailable,
  runPython,
  runSockit,
} from "./fixtures/struct-oracle.js";
import { casesFor, Random, randomFormat } from "./fixtures/struct-random.js";
import { checkLeaks } from "./helpers.js";

checkLeaks();

const SEED = Number(process.env.STRUCT_SEED ?? 20240611);
const FORMATS = Number(process.env.STRUCT_FORMATS ?? 2500);

interface Entry {
  readonly group: string;
  readonly case: OracleCase;
}

const int = (value: unknown): Arg => ({ value, target: "integer" });
const float = (value: unknown): Arg => ({ value, target: "float" });
const other = (value: unknown): Arg => ({ value, target: "other" });

const ORDERS = ["", "@", "=", "<", ">", "!"];

function integerCases(): Entry[] {
  const values: unknown[] = [
    1.5,
    1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 60,
    "7",
    null,
    true,
    -0,
  ];
  for (const bits of [7, 8, 15, 16, 31, 32, 52, 53, 63, 64, 70]) {
    for (const delta of [-1n, 0n, 1n]) {
      const edge = (1n << BigInt(bits)) + delta;
      values.push(edge, -edge);
      if (edge <= BigInt(Number.MAX_SAFE_INTEGER)) values.push(Number(edge), -Number(edge));
    }
  }
  const entries: Entry[] = [];
  for (const order of ORDERS) {
    for (const code of "bBhHiIlLqQnNP") {
      if ("nNP".includes(code) && order !== "" && order !== "@") continue;
      for (const value of values) {
        entries.push({
          group: "integer",
          case: { op: "pack", fmt: order + code, args: [int(value)] },
        });
      }
    }
  }
  return entries;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
u64[0] = 0xfff8000000000000n;
const NEGATIVE_NAN = f64[0] as number;

function floatCases(): Entry[] {
  const values: unknown[] = [
    0,
    -0,
    Number.NaN,
    NEGATIVE_NAN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1,
    -2,
    65504,
    65519,
    65519.99,
    65520,
    -65520,
    65536,
    1e300,
    -1e300,
    2 ** -24,
    2 ** -25,
    2 ** -25 + 2 ** -35,
    2 ** -26,
    2 ** -14 - 2 ** -24,
    2 ** -14 - 2 ** -25 - 2 ** -65,
    2 ** -14 - 2 ** -25,
    2 ** -14,
    1 + 2 ** -11 + 2 ** -16,
    1 + 2 ** -11,
    1 + 2 ** -12,
    0x1ffdffffff * 2 ** -26,
    0.333251953125,
    3.4028234663852886e38,
    3.4028235677973362e38,
    3.4028235677973366e38,
    2 ** 128,
    1.401298464324817e-45,
    7.006492321624085e-46,
    5e-324,
    Number.MAX_VALUE,
    5n,
    65519n,
    65520n,
    10n ** 39n,
    2n ** 128n - 2n ** 103n - 1n,
    2n ** 1024n,
    2n ** 1024n - 2n ** 970n - 1n,
    true,
    "1.0",
    null,
    Uint8Array.of(1),
  ];
  const entries: Entry[] = [];
  for (const order of ORDERS) {
    for (const code of "efd") {
      for (const value of values) {
        entries.push({
          group: "float",
          case: { op: "pack", fmt: order + code, args: [float(value)] },
        });
      }
    }
  }
  return entries;
}

const FORMATS_TO_CHECK = [
  "",
  " ",
  "@",
  "<",
  "3",
  "12345",
  "3 i",
  "i 3",
  "<<",
  "i\0",
  "\0",
  "2\0i",
  "\u00e9",
  "Z",
  "c12345",
  "14s42",
  "=n",
  "<N",
  ">P",
  "!n",
  " <i",
  "i ",
  "b0i",
  "bi",
  "0p",
  "0px",
  "B0ph",
  "3xP",
  "c?e",
  "ce",
  "cf",
  "cd",
  "cq",
  "cn",
  "c?",
  "4i 3s",
  "\t\n\u000b\f\ri",
  "i\u001c",
  "99999999999999999999x",
  "9223372036854775808x",
  "4611686018427387904h",
  "2305843009213693952q",
  "@ 2i",
  "=bi",
  "!bi",
  "xcbhilfd?",
  "xcBHILfd?",
  "cbxxxxxxhhhhiillffd?",
  "3c3b18x12h6i6l6f3d3?",
  "0s0p0c0i",
  "b0l",
  "100000x",
  "100000000000i",
];

function formatCases(): Entry[] {
  return FORMATS_TO_CHECK.flatMap((fmt) => [
    { group: "format", case: { op: "calcsize", fmt } as OracleCase },
    { group: "format", case: { op: "pack", fmt, args: [] } as OracleCase },
    { group: "format", case: { op: "unpack", fmt, data: "" } as OracleCase },
  ]);
}

function bytesCases(): Entry[] {
  const x = (n: number) => Buffer.alloc(n, 0x78);
  const cases: OracleCase[] = [
    { op: "pack", fmt: "0px", args: [other(x(3))] },
    { op: "pack", fmt: "x0p", args: [other(x(3))] },
    { op: "pack", fmt: "B0pxH", args: [int(1), other(x(0)), int(2)] },
    { op: "unpack", fmt: "0pB", data: "05" },
    { op: "iter_unpack", fmt: "0pB", data: "" },
    { op: "iter_unpack", fmt: "0pB", data: "0505" },
    { op: "pack_into", fmt: "0p", data: "11223344", offset: 1, args: [other(x(2))] },
    { op: "pack_into", fmt: "0p", data: "11223344", offset: 4, args: [other(x(2))] },
    { op: "pack_into", fmt: "0p", data: "11223344", offset: -1, args: [other(x(2))] },
    { op: "pack", fmt: "c", args: [other("a")] },
    { op: "pack", fmt: "c", args: [other(x(2))] },
    { op: "pack", fmt: "s", args: [other("a")] },
    { op: "pack", fmt: "p", args: [other(5)] },
  ];
  for (const count of [0, 1, 2, 3, 4, 5, 6, 16, 17, 255, 256, 257, 1000]) {
    for (const length of [0, 1, count - 1, count, count + 1, 300, 1000]) {
      if (length < 0) continue;
      cases.push({ op: "pack", fmt: `${count}p`, args: [other(x(length))] });
      cases.push({ op: "pack", fmt: `${count}s`, args: [other(x(length))] });
    }
    const data = Buffer.alloc(count, 0xff).toString("hex");
    cases.push({ op: "unpack", fmt: `${count}p`, data }, { op: "unpack", fmt: `${count}s`, data });
  }
  return cases.map((c) => ({ group: "bytes", case: c }));
}

function bufferCases(): Entry[] {
  const ten = "00112233445566778899";
  const cases: OracleCase[] = [
    {
      op: "pack_into",
      fmt: "bxbb",
      data: "1111111111111111",
      offset: 1,
      args: [int(1), int(2), int(1000)],
    },
    {
      op: "pack_into",
      fmt: ">I2sq",
      data: ten.repeat(2),
      offset: 0,
      args: [int(1), other(Uint8Array.of(1)), int("x")],
    },
    { op: "pack_into", fmt: "b", data: "00", offset: 5, args: [int(1)] },
    { op: "pack_into", fmt: "<I", data: ten, offset: -2, args: [int(123)] },
    { op: "pack_into", fmt: "<B", data: ten, offset: -11, args: [int(123)] },
    { op: "pack_into", fmt: "4i", data: ten, offset: -20, args: [int(1), int(2), int(3), int(4)] },
    { op: "pack_into", fmt: "i", data: ten, offset: 0, args: [] },
    { op: "pack_into", fmt: "", data: ten, offset: 10, args: [] },
    { op: "pack_into", fmt: "", data: ten, offset: 11, args: [] },
    { op: "pack_into", fmt: "", data: ten, offset: -11, args: [] },
    { op: "unpack_from", fmt: "i", data: ten, offset: 8 },
    { op: "unpack_from", fmt: "i", data: ten, offset: -3 },
    { op: "unpack_from", fmt: "i", data: ten, offset: -4 },
    { op: "unpack_from", fmt: "i", data: ten, offset: -11 },
    { op: "unpack_from", fmt: "4i", data: ten, offset: -20 },
    { op: "unpack_from", fmt: "i", data: ten, offset: 11 },
    { op: "unpack_from", fmt: "", data: ten, offset: 10 },
    { op: "unpack", fmt: "i", data: "000000" },
    { op: "iter_unpack", fmt: "i", data: ten },
    { op: "iter_unpack", fmt: "0i", data: ten },
    { op: "iter_unpack", fmt: ">IB", data: "0102030405060708090a0b0c0d0e0f" },
  ];
  // CPython's `>q`/`>Q` write the low bytes of an out-of-range value before failing.
  for (const fmt of [">q", "!Q", "<q", "<Q", "=q", "@Q", ">bq", "<qq"]) {
    for (const value of [
      2n ** 63n,
      2n ** 64n - 1n,
      2n ** 64n + 5n,
      -(2n ** 63n) - 1n,
      -(2n ** 70n) - 3n,
      -1n,
    ]) {
      const args = fmt.length === 3 ? [int(1), int(value)] : [int(value)];
      cases.push({ op: "pack_into", fmt, data: "11".repeat(12), offset: 1, args });
    }
  }
  for (let offset = -12; offset <= 12; offset++) {
    cases.push({
      op: "unpack_from",
      fmt: "4s",
      data: Buffer.from("abcd01234").toString("hex"),
      offset,
    });
    cases.push({ op: "pack_into", fmt: "<h", data: ten, offset, args: [int(-2)] });
  }
  return cases.map((c) => ({ group: "buffers", case: c }));
}

function randomCases(seed: number): Entry[] {
  const r = new Random(seed);
  const entries: Entry[] = [];
  for (let i = 0; i < FORMATS; i++) {
    const format = randomFormat(r);
    for (const c of casesFor(r, format, sizeOf(format.fmt)))
      entries.push({ group: `random ${c.op}`, case: c });
  }
  return entries;
}

// Sizes for generating buffers only; the calcsize cases check them against CPython.
function sizeOf(fmt: string): number {
  const outcome = runSockit({ op: "calcsize", fmt });
  return outcome.ok ? (outcome.value as number) : -1;
}

const available = pythonAvailable();

describe("struct compared with CPython", {
  skip: available ? false : "python3 is not installed",
}, () => {
  const entries: Entry[] = [
    { group: "setup", case: { op: "calcsize", fmt: "@l" } },
    ...integerCases(),
    ...floatCases(),
    ...formatCases(),
    ...bytesCases(),
    ...bufferCases(),
    ...randomCases(SEED),
  ];
  let theirs: Outcome[] = [];
  let compareMessages = true;
  let nativeLongSize = 8;

  before(async () => {
    const reply = await runPython(entries.map((e) => e.case));
    theirs = reply.results;
    compareMessages = reply.version[0] === 3 && reply.version[1] === 11;
    const first = theirs[0];
    if (first?.ok) nativeLongSize = first.value as number;
  });

  function check(group: string): void {
    const problems: string[] = [];
    let count = 0;
    entries.forEach((entry, i) => {
      if (entry.group !== group) return;
      count++;
      const expected = theirs[i];
      assert.ok(expected, "CPython returned a result for every case");
      const c = entry.case;
      const reads = c.op === "unpack" || c.op === "unpack_from" || c.op === "iter_unpack";
      const bigints = reads && expected.ok ? bigintItems(c.fmt, nativeLongSize) : [];
      const problem = difference(c, runSockit(c), expected, bigints, compareMessages);
      if (problem !== undefined && problems.length < 10) {
        problems.push(`${describeCase(c)}: ${problem}`);
      }
    });
    assert.ok(count > 0, `the group ${group} has cases`);
    assert.deepEqual(problems, [], `differences from CPython (STRUCT_SEED=${SEED})`);
  }

  test("integer codes accept and refuse the same values with the same messages", () =>
    check("integer"));
  test("float codes round, overflow and fail as CPython does", () => check("float"));
  test("format strings parse, size and fail as CPython does", () => check("format"));
  test("c, s and p fields pad, truncate and cap like CPython, 0p quirk included", () =>
    check("bytes"));
  test("offsets and buffer sizes are checked as CPython checks them", () => check("buffers"));
  for (const op of ["calcsize", "pack", "unpack", "pack_into", "unpack_from", "iter_unpack"]) {
    test(`random formats give the same ${op} results as CPython`, () => check(`random ${op}`));
  }
});
