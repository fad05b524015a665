/**
 * A seeded bad-argument fuzz over every public function of `sockit` and `sockit/sync`: module
 * functions, constructors, and the methods of sockets (fresh, connected, listening, closed, and
 * a bound datagram socket),
 * selectors and structs. Each call gets arguments drawn from wrong types, NaN, ±Infinity, huge
 * and negative numbers, null, Symbols, BigInts, null-prototype objects, strings with NULs and
 * option objects full of them (mixed with a few valid values, to reach deeper checks). Each call
 * must return, or throw (reject) a TypeError, RangeError or sockit error, never one of the
 * runtime's own ("Cannot read properties of null"); and the process must neither crash nor be
 * left with an unhandled rejection. SOCKIT_SEED=n picks another run (the seed is in the test
 * name), SOCKIT_FUZZ_CALLS=n makes more calls per target (12 by default).
 */

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { inspect } from "node:util";
import * as asyncApi from "../../src/index.js";
import * as syncApi from "../../src/sync/index.js";
import { checkLeaks, within } from "../helpers.js";

checkLeaks();

const SEED = Number(process.env.SOCKIT_SEED ?? 1);
const CALLS_PER_TARGET = Number(process.env.SOCKIT_FUZZ_CALLS ?? 12);

/** mulberry32: small, seeded, good enough to pick arguments. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Values no call should take where a number, string, buffer or options object goes. */
function evilValues(): unknown[] {
  const nullProto = Object.create(null) as Record<string, unknown>;
  nullProto.timeout = 1;
  return [
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    1e300,
    -1,
    -(2 ** 31),
    -0,
    1.5,
    null,
    undefined,
    Symbol("evil"),
    10n,
    -1n,
    2n ** 64n,
    Object.create(null),
    nullProto,
    "a\0b",
    "\0",
    "",
    "x".repeat(10_000),
    [],
    [null],
    [Symbol("in an array")],
    ["127.0.0.1", Number.NaN],
    ["127.0.0.1", 2 ** 53],
    ["\0", 80],
    () => {},
    new Date(Number.NaN),
    new Uint16Array(2),
    new ArrayBuffer(4),
    true,
    {},
  ];
}

/** A few valid values, so that some calls get past their first check. */
const VALID: unknown[] = [
  0,
  1,
  2,
  3,
  80,
  "127.0.0.1",
  ["127.0.0.1", 0],
  Buffer.from("x"),
  "x",
  "!I",
  asyncApi.AF_INET,
  asyncApi.SOL_SOCKET,
  false,
];

/** An options object whose fields are drawn too. */
function optionsOf(pick: () => unknown, random: () => number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ["timeout", "signal", "flags", "maxBytes", "family", "backlog", "allErrors"]) {
    if (random() < 0.3) out[key] = pick();
  }
  return out;
}

/** What one fuzzed call may do: what it returned (closed afterwards) or an acceptable error. */
type Verdict = { ok: true; value: unknown } | { ok: false; why: string };

const RUNTIME_MESSAGES =
  /Cannot (read|set|convert|destructure|mix)|is not (a function|iterable|a constructor)|Invalid (array length|time value)|Maximum call stack|Do not know how to serialize/;

function judge(error: unknown, api: typeof asyncApi): string | undefined {
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const why = judge(inner, api);
      if (why !== undefined) return why;
    }
    return undefined;
  }
  if (error instanceof api.SocketError || error instanceof api.StructError) return undefined;
  if (error instanceof api.KeyError) return undefined;
  if (error instanceof TypeError || error instanceof RangeError) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_")) {
      return `a runtime argument error leaked out: ${code} ${error.message}`;
    }
    if (RUNTIME_MESSAGES.test(error.message)) {
      return `a runtime error, not sockit's own: ${error.message}`;
    }
    return undefined;
  }
  return `not a TypeError, RangeError or sockit error: ${show(error)}`;
}

/** A short rendering of arguments or an error for failure messages. */
function show(value: unknown): string {
  return inspect(value, { depth: 2, maxStringLength: 40, maxArrayLength: 10, breakLength: 200 });
}

/** Closes anything a call made (a socket, a pair, a selector). */
function release(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) release(item);
    return;
  }
  if (typeof value === "object" && value !== null && "close" in value) {
    const close = (value as { close?: unknown }).close;
    if (typeof close === "function") {
      try {
        close.call(value);
      } catch {
        // a struct or selector that was already closed
      }
    }
  }
}

/** One thing to call: `invoke(args)` on a fresh fixture, which `dispose` releases. */
interface Target {
  name: string;
  fixture(): Promise<{ invoke(args: unknown[]): unknown; dispose(): Promise<void> | void }>;
}

/** The functions and classes a module exports, by name. */
function exported(module: object): [string, (...args: unknown[]) => unknown][] {
  return Object.entries(module).filter(
    (entry): entry is [string, (...args: unknown[]) => unknown] => typeof entry[1] === "function",
  );
}

function isClass(fn: unknown): boolean {
  return typeof fn === "function" && /^class\b/.test(Function.prototype.toString.call(fn));
}

function methodsOf(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((name) => {
    if (name === "constructor") return false;
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    return typeof descriptor?.value === "function";
  });
}

/** Every target of one flavour. */
function targets(flavour: "async" | "sync"): Target[] {
  const api = (flavour === "async" ? asyncApi : syncApi) as unknown as typeof asyncApi;
  const list: Target[] = [];
  const plain = <T>(value: T) => Promise.resolve(value);
  for (const [name, fn] of exported(api)) {
    if (isClass(fn)) {
      list.push({
        name: `new ${name}`,
        fixture: () =>
          plain({
            invoke: (args: unknown[]) => Reflect.construct(fn, args),
            dispose: () => {},
          }),
      });
    } else {
      list.push({
        name: `${name}()`,
        fixture: () => plain({ invoke: (args: unknown[]) => fn(...args), dispose: () => {} }),
      });
    }
  }

  // Sockets in each state; each call gets a fresh one.
  const states: Record<string, () => Promise<{ sock: asyncApi.Socket; others: unknown[] }>> = {
    fresh: async () => ({ sock: api.socket(), others: [] }),
    connected: async () => {
      const [a, b] = await api.socketpair(api.AF_INET);
      return { sock: a, others: [b] };
    },
    listening: async () => ({ sock: await api.createServer(["127.0.0.1", 0]), others: [] }),
    closed: async () => {
      const sock = api.socket();
      sock.close();
      return { sock, others: [] };
    },
  };
  if (flavour === "async") {
    // A bound datagram socket (sockit/sync has stream sockets only).
    states.datagram = async () => {
      const sock = api.socket(api.AF_INET, api.SOCK_DGRAM);
      await sock.bind(["127.0.0.1", 0]);
      return { sock, others: [] };
    };
  }
  for (const [state, make] of Object.entries(states)) {
    for (const method of methodsOf(api.Socket.prototype)) {
      list.push({
        name: `${state} socket.${method}()`,
        fixture: async () => {
          const { sock, others } = await make();
          return {
            invoke: (args) =>
              (sock as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
            dispose: () => release([sock, ...others]),
          };
        },
      });
    }
  }
  for (const method of methodsOf(api.DefaultSelector.prototype)) {
    list.push({
      name: `selector.${method}()`,
      fixture: async () => {
        const [a, b] = await api.socketpair(api.AF_INET);
        const sel = new api.DefaultSelector();
        // Registered for writing too, so a select of either flavour answers at once.
        sel.register(a, api.EVENT_READ | api.EVENT_WRITE);
        return {
          invoke: (args) =>
            (sel as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
          dispose: () => release([sel, a, b]),
        };
      },
    });
  }
  for (const method of methodsOf(api.Struct.prototype)) {
    list.push({
      name: `struct.${method}()`,
      fixture: () => {
        const struct = new api.Struct("!IH");
        return plain({
          invoke: (args: unknown[]) =>
            (struct as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!(...args),
          dispose: () => {},
        });
      },
    });
  }
  return list;
}

/** Calls `invoke`, letting a waiting call wait 50 ms (then it is a valid call that waits). */
async function run(
  invoke: () => unknown,
  api: typeof asyncApi,
): Promise<Verdict | { pending: Promise<Verdict> }> {
  let value: unknown;
  try {
    value = invoke();
  } catch (error) {
    const why = judge(error, api);
    return why === undefined ? { ok: true, value: undefined } : { ok: false, why };
  }
  if (!(value instanceof Promise)) return { ok: true, value };
  const settled = value.then(
    (v): Verdict => ({ ok: true, value: v }),
    (error: unknown): Verdict => {
      const why = judge(error, api);
      return why === undefined ? { ok: true, value: undefined } : { ok: false, why };
    },
  );
  const timer = new Promise<"waiting">((resolve) => setTimeout(resolve, 50, "waiting"));
  const first = await Promise.race([settled, timer]);
  return first === "waiting" ? { pending: settled } : first;
}

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown): void => {
  unhandled.push(reason);
};

before(() => {
  process.on("unhandledRejection", onUnhandled);
});
after(() => {
  process.off("unhandledRejection", onUnhandled);
});

for (const flavour of ["async", "sync"] as const) {
  describe(`bad arguments to every public function of sockit${flavour === "sync" ? "/sync" : ""}`, {
    timeout: 120_000,
  }, () => {
    test(`are refused with TypeError, RangeError or a sockit error (seed ${SEED})`, async () => {
      const api = (flavour === "async" ? asyncApi : syncApi) as unknown as typeof asyncApi;
      const random = generator(SEED + (flavour === "sync" ? 1 : 0));
      const evil = evilValues();
      // Blocking calls of the synchronous flavour must not wait for ever: a short default
      // timeout, and no option that would make a call block (null, or a huge timeout).
      const pool =
        flavour === "sync"
          ? evil.filter((v) => v !== null && v !== 1e300 && v !== 2 ** 53 && v !== 1.5)
          : evil;
      const pick = (): unknown => {
        const r = random();
        if (r < 0.2) return VALID[Math.floor(random() * VALID.length)];
        if (r < 0.3) return optionsOf(() => pool[Math.floor(random() * pool.length)], random);
        return pool[Math.floor(random() * pool.length)];
      };
      const failures: string[] = [];
      const list = targets(flavour);
      assert.ok(list.length > 60, `only ${list.length} targets`);
      unhandled = [];
      try {
        api.setDefaultTimeout(0.05);
        for (const target of list) {
          for (let i = 0; i < CALLS_PER_TARGET; i++) {
            const args = Array.from({ length: Math.floor(random() * 5) }, pick);
            const fixture = await target.fixture();
            const outcome = await run(() => fixture.invoke(args), api);
            await fixture.dispose();
            api.setDefaultTimeout(0.05);
            let verdict: Verdict;
            if ("pending" in outcome) {
              // A valid call that waits: closing its socket settles it.
              verdict = await within(outcome.pending, 5000).catch(
                (): Verdict => ({ ok: false, why: "still waiting 5 s after its socket closed" }),
              );
            } else verdict = outcome;
            if (verdict.ok) release(verdict.value);
            else failures.push(`${target.name} with ${show(args)}: ${verdict.why}`);
          }
        }
      } finally {
        api.setDefaultTimeout(null);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(failures, [], `seed ${SEED}`);
      assert.deepEqual(unhandled, [], `unhandled rejections (seed ${SEED})`);
    });
  });
}
