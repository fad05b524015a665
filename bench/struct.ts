// Struct.pack / Struct.unpack throughput: sockit against the npm package python-struct and
// against CPython's struct.Struct (timed with timeit in one python3 subprocess).
//
//   node build/bench/struct.js            progress on stderr, a Markdown table on stdout
//   node build/bench/struct.js --json     the same figures as JSON
//   options: --repeat N (runs per figure, default 7), --seconds S (length of a run, default 0.2)
//
// Every figure is the median ops/s of the runs; the runs of sockit, python-struct and CPython are
// interleaved round by round. Both sides call the method of a prebuilt struct
// object with the values spread from a prebuilt array (`s.pack(...values)` / `s.pack(*values)`).
import { Buffer } from "node:buffer";
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Struct } from "../src/struct/index.js";

interface PythonStruct {
  pack(format: string, values: unknown[]): Buffer;
  unpack(format: string, data: Buffer): unknown[];
}
interface LongModule {
  fromString(text: string, unsigned: boolean): unknown;
}

const require = createRequire(import.meta.url);
const pythonStruct = require("python-struct") as PythonStruct;
const Long = require("long") as LongModule;

interface Case {
  readonly name: string;
  readonly format: string;
  /** Values for sockit and CPython. */
  readonly values: readonly (number | bigint | Uint8Array)[];
  /** The same values in python-struct's types (strings for `s`, Long for `Q`). */
  readonly peerValues: readonly unknown[];
}

const bytes100 = Buffer.alloc(100, 0x61);
const CASES: readonly Case[] = [
  {
    name: "!IHHQd",
    format: "!IHHQd",
    values: [0xdeadbeef, 513, 65535, 1234567890123n, 1234.5678],
    peerValues: [0xdeadbeef, 513, 65535, Long.fromString("1234567890123", true), 1234.5678],
  },
  { name: "<100s", format: "<100s", values: [bytes100], peerValues: ["a".repeat(100)] },
  {
    name: "I 2s f",
    format: "I 2s f",
    values: [7, Buffer.from("ab"), 1.25],
    peerValues: [7, "ab", 1.25],
  },
];

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number`);
  return value;
}

const REPEAT = Math.floor(option("--repeat", 7));
const SECONDS = option("--seconds", 0.2);
const JSON_OUTPUT = process.argv.includes("--json");

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

let sink = 0;

type Run = () => { length: number };
type Loop = (run: Run, n: number) => number;

let compiled = 0;

/**
 * `new Function(...params, body)` whose source is unique to this call. V8 caches what
 * `new Function` compiles by its source text, and closures of one cached source share one
 * feedback vector: without the numbered comment, every subject's loop would share the type
 * feedback of one, and so would every format's caller.
 */
function compileOwn(params: readonly string[], body: string): (...args: unknown[]) => unknown {
  compiled++;
  return new Function(...params, `${body}\n// compiled function ${compiled}`) as (
    ...args: unknown[]
  ) => unknown;
}

/**
 * A timing loop of its own for each subject: V8 shares type feedback between closures made from
 * one function literal, so a shared loop would make every call site polymorphic and hide how fast
 * each implementation is in a program's own monomorphic hot loop (timeit also compiles a loop per
 * statement).
 */
function newLoop(): Loop {
  return compileOwn(
    ["run", "n"],
    // Results are kept (briefly) so that no compiler can optimise their allocation away.
    "const keep = new Array(16);\nlet sink = 0;\n" +
      "for (let i = 0; i < n; i++) {\nconst r = run();\nkeep[i & 15] = r;\nsink ^= r.length;\n}\n" +
      "return sink;",
  ) as Loop;
}

interface Timed {
  readonly run: Run;
  readonly loop: Loop;
  n: number;
}

function timed(run: Run): Timed {
  return { run, loop: newLoop(), n: 1 };
}

type MakeRun = (target: unknown, arg: unknown) => Run;

/**
 * `() => target.method(arg)` (or `(...arg)`) as a function literal of its own, for the same
 * reason: one shared arrow would see every format's struct at its one call site.
 */
function caller(method: "pack" | "unpack", spread: "spread" | "plain"): MakeRun {
  const call = spread === "spread" ? `target.${method}(...arg)` : `target.${method}(arg)`;
  return compileOwn(["target", "arg"], `return () => ${call};`) as MakeRun;
}

function peerCaller(method: "pack" | "unpack"): (format: string, arg: unknown) => Run {
  return compileOwn(["peer", "format", "arg"], `return () => peer.${method}(format, arg);`).bind(
    null,
    pythonStruct,
  ) as (format: string, arg: unknown) => Run;
}

/** Sets how many calls take about SECONDS (warming the code up on the way). */
function calibrate(subject: Timed): void {
  let n = 1000;
  for (;;) {
    const start = process.hrtime.bigint();
    sink ^= subject.loop(subject.run, n);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    if (elapsed > 0.1) {
      subject.n = Math.max(1, Math.round((n * SECONDS) / elapsed));
      return;
    }
    n *= 4;
  }
}

/** ops/s of one run. */
function rate(subject: Timed): number {
  const start = process.hrtime.bigint();
  sink ^= subject.loop(subject.run, subject.n);
  return subject.n / (Number(process.hrtime.bigint() - start) / 1e9);
}

type Tagged = { t: "int" | "float"; v: string } | { t: "bytes"; v: string };

function tag(value: number | bigint | Uint8Array): Tagged {
  if (value instanceof Uint8Array) return { t: "bytes", v: Buffer.from(value).toString("hex") };
  if (typeof value === "bigint" || Number.isInteger(value)) return { t: "int", v: String(value) };
  return { t: "float", v: String(value) };
}

/** CPython's side: a python3 process that times one run per request. */
class CPython {
  readonly #child: ChildProcessByStdio<Writable, Readable, null>;
  readonly #lines: AsyncIterator<string>;

  private constructor(child: ChildProcessByStdio<Writable, Readable, null>) {
    this.#child = child;
    this.#lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  static async start(): Promise<{ python: CPython; version: string } | undefined> {
    const script = fileURLToPath(new URL("../../bench/fixtures/struct_bench.py", import.meta.url));
    const child = spawn("python3", [script], { stdio: ["pipe", "pipe", "inherit"] });
    const failed = new Promise<undefined>((resolve) => child.on("error", () => resolve(undefined)));
    const python = new CPython(child);
    const setup = {
      seconds: SECONDS,
      cases: CASES.map((c) => ({ name: c.name, format: c.format, values: c.values.map(tag) })),
    };
    const ready = python
      .#request(setup)
      .then((reply) => ({ python, version: String(reply.version) }));
    return Promise.race([ready, failed]);
  }

  async #request(message: object): Promise<Record<string, unknown>> {
    this.#child.stdin.write(`${JSON.stringify(message)}\n`);
    const next = await this.#lines.next();
    if (next.done === true) throw new Error("the CPython timer exited");
    return JSON.parse(next.value);
  }

  async rate(name: string, direction: "pack" | "unpack"): Promise<number> {
    return Number((await this.#request({ name, direction })).ops);
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.on("close", resolve));
    this.#child.stdin.end();
    await exited;
  }
}

interface Row {
  format: string;
  direction: "pack" | "unpack";
  sockit: number;
  pythonStruct: number;
  cpython: number | null;
}

function progress(text: string): void {
  process.stderr.write(`${text}\n`);
}

interface Subject {
  readonly format: string;
  readonly direction: "pack" | "unpack";
  readonly sockit: Timed;
  readonly peer: Timed;
  readonly runs: { sockit: number[]; peer: number[]; cpython: number[] };
}

function subjects(): Subject[] {
  const out: Subject[] = [];
  for (const c of CASES) {
    const struct = new Struct(c.format);
    const values = [...c.values];
    const peerValues = [...c.peerValues];
    const packed = struct.pack(...values);
    const peerPacked = pythonStruct.pack(c.format, peerValues);
    if (!packed.equals(peerPacked)) throw new Error(`python-struct packs ${c.format} differently`);
    const runs = () => ({ sockit: [], peer: [], cpython: [] });
    out.push(
      {
        format: c.name,
        direction: "pack",
        sockit: timed(caller("pack", "spread")(struct, values)),
        peer: timed(peerCaller("pack")(c.format, peerValues)),
        runs: runs(),
      },
      {
        format: c.name,
        direction: "unpack",
        sockit: timed(caller("unpack", "plain")(struct, packed)),
        peer: timed(peerCaller("unpack")(c.format, peerPacked)),
        runs: runs(),
      },
    );
  }
  return out;
}

async function main(): Promise<void> {
  const started = await CPython.start();
  if (started === undefined) progress("python3 not found: no CPython figures");
  const all = subjects();
  for (const subject of all) {
    progress(`calibrating ${subject.format} ${subject.direction}`);
    calibrate(subject.sockit);
    calibrate(subject.peer);
  }
  // Rounds interleave the three implementations, so load from elsewhere hits them alike.
  for (let round = 1; round <= REPEAT; round++) {
    progress(`round ${round}/${REPEAT}`);
    for (const subject of all) {
      subject.runs.sockit.push(rate(subject.sockit));
      subject.runs.peer.push(rate(subject.peer));
      if (started)
        subject.runs.cpython.push(await started.python.rate(subject.format, subject.direction));
    }
  }
  await started?.python.close();

  const rows: Row[] = all.map((s) => ({
    format: s.format,
    direction: s.direction,
    sockit: median(s.runs.sockit),
    pythonStruct: median(s.runs.peer),
    cpython: s.runs.cpython.length > 0 ? median(s.runs.cpython) : null,
  }));
  const environment = {
    node: process.version,
    python: started?.version ?? "python3 not available",
    repeat: REPEAT,
    seconds: SECONDS,
  };
  if (JSON_OUTPUT) {
    const runs = all.map((s) => ({ format: s.format, direction: s.direction, ...s.runs }));
    process.stdout.write(`${JSON.stringify({ environment, rows, runs }, null, 2)}\n`);
    return;
  }
  const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
  const ratio = (a: number, b: number | null) => (b === null ? "n/a" : `${(a / b).toFixed(1)}x`);
  const lines = [
    `Node ${environment.node}, ${environment.python}; ops/s, median of ${REPEAT} interleaved runs of ~${SECONDS}s.`,
    "",
    "| format | direction | sockit | python-struct | CPython | sockit / python-struct | sockit / CPython |",
    "|---|---|--:|--:|--:|--:|--:|",
    ...rows.map(
      (r) =>
        `| \`${r.format}\` | ${r.direction} | ${fmt(r.sockit)} | ${fmt(r.pythonStruct)} | ` +
        `${r.cpython === null ? "n/a" : fmt(r.cpython)} | ${ratio(r.sockit, r.pythonStruct)} | ` +
        `${ratio(r.sockit, r.cpython)} |`,
    ),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  if (sink === 0.5) progress("");
}

await main();
