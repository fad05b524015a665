/**
 * Test helpers: the leak check every test file installs, loopback servers, CPython peers.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { heldCalls, setClock } from "../src/core/clock.js";
import { type Address, AF_INET, createServer, type Socket, socket } from "../src/index.js";
import { openHandles } from "../src/socket/open-handles.js";
import { FakeClock } from "./fake-clock.js";

const baseline = countResources();

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo())
    counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

function leaked(): string[] {
  const out: string[] = [];
  for (const [name, n] of countResources()) {
    const extra = n - (baseline.get(name) ?? 0);
    if (extra > 0 && name !== "FSReqCallback") out.push(`${extra} × ${name}`);
  }
  // sockit's sockets and servers are unref'd, so the runtime's list above does not show them.
  const open = openHandles();
  if (open.stream > 0) out.push(`${open.stream} × sockit connection`);
  if (open.listener > 0) out.push(`${open.listener} × sockit listener`);
  if (open.datagram > 0) out.push(`${open.datagram} × sockit datagram socket`);
  if (heldCalls() > 0) out.push(`${heldCalls()} × sockit call still waiting`);
  return out;
}

/** Whether the suite runs on Bun (`bun test`), whose node: modules differ in a few places. */
export const ON_BUN = typeof process.versions.bun === "string";

/** Whether the suite runs on Deno (`deno test`), whose node: modules differ in a few places. */
export const ON_DENO = typeof process.versions.deno === "string";

/**
 * Why a test that passes a socket to another thread by its descriptor cannot run here, or false:
 * Bun's BroadcastChannel cannot be read without an event loop, so a worker cannot join the
 * helper of the thread that started it, and Deno exposes no descriptors (README, Runtimes).
 */
export const NO_SOCKET_PASSING: string | false = ON_BUN
  ? "threads cannot share sockets on Bun"
  : ON_DENO
    ? "Deno exposes no descriptors, so a socket cannot be passed to another thread by fileno"
    : false;

/**
 * Memory the process holds outside V8's heap objects: `arrayBuffers` (Buffer contents) where the
 * runtime reports it; on Bun, which reports 0 there, the resident set size.
 */
export function bufferMemory(): number {
  const usage = process.memoryUsage();
  return ON_BUN ? usage.rss : usage.arrayBuffers;
}

/** Tracks whether a promise has settled, without consuming its outcome. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  return { promise, settled: () => settled };
}

/**
 * Fails the file if it leaves sockets, servers, waiting calls, child processes or timers behind
 * (sockit's own sockets and servers are counted by src/socket/open-handles.ts).
 */
export function checkLeaks(): void {
  after(async () => {
    for (let i = 0; i < 100 && leaked().length > 0; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      // A ref'd timer: it keeps the process alive until the check is done (sockit's sockets
      // do not), and it has fired before the next look.
      if (i > 20) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const left = leaked();
    // A call left waiting holds the process alive: end it soon after the failure is reported,
    // so the file fails now with this list instead of hanging until the runner's timeout.
    if (left.length > 0) setTimeout(() => process.exit(1), 1000).unref();
    assert.deepEqual(left, [], "the test file leaked handles or timers");
  });
}

/** A connected pair over TCP loopback: `[client, server]`, closed by `using`. */
export async function tcpPair(
  family = AF_INET,
): Promise<{ client: Socket; server: Socket; [Symbol.asyncDispose](): Promise<void> }> {
  const listener = await createServer([family === AF_INET ? "127.0.0.1" : "::1", 0], { family });
  try {
    const client = socket(family);
    const accepting = listener.accept();
    await client.connect(listener.getsockname() as Address as [string, number]);
    const [server] = await accepting;
    return {
      client,
      server,
      async [Symbol.asyncDispose]() {
        client.close();
        server.close();
      },
    };
  } finally {
    listener.close();
  }
}

/** Checks that `a` and `b` are connected to each other: "ping" one way, "pong" back. */
export async function roundTrip(a: Socket, b: Socket): Promise<void> {
  await a.sendAll("ping");
  assert.equal(String(await b.recvExactly(4)), "ping");
  await b.sendAll("pong");
  assert.equal(String(await a.recvExactly(4)), "pong");
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A running peer process (a python3 script or a Node.js program). */
export interface PythonPeer {
  child: ChildProcess;
  /** The first line the script printed (e.g. its port). */
  firstLine: Promise<string>;
  /** Waits for the process to exit and returns its stdout. */
  done(): Promise<{ code: number | null; stdout: string; stderr: string }>;
  kill(): void;
}

/** Runs `python3 -c script args…`. */
export function python(script: string, args: string[] = [], input?: Uint8Array): PythonPeer {
  return peer("python3", ["-u", "-c", script, ...args], input);
}

/** Runs `command args…` as a peer: stdout collected as latin1, its first line awaitable. */
export function peer(command: string, args: string[], input?: Uint8Array): PythonPeer {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("latin1");
  child.stderr.setEncoding("utf8");
  let resolveFirst: (line: string) => void = () => {};
  const firstLine = new Promise<string>((resolve) => {
    resolveFirst = resolve;
  });
  child.stdout.on("data", (chunk: string) => {
    stdout += chunk;
    const nl = stdout.indexOf("\n");
    if (nl >= 0) resolveFirst(stdout.slice(0, nl));
  });
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
  });
  if (input !== undefined) child.stdin.end(input);
  const exited = once(child, "exit") as Promise<[number | null]>;
  return {
    child,
    firstLine,
    async done() {
      const [code] = await exited;
      return { code, stdout, stderr };
    },
    kill() {
      child.kill("SIGKILL");
    },
  };
}

/** Absolute path of `test/fixtures/<name>`, wherever the compiled tests run from. */
export function fixturePath(name: string): string {
  // The package root is the nearest directory above this file with a package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "test", "fixtures", name);
    dir = dirname(dir);
  }
  throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
}

/** Runs the python3 script `test/fixtures/<name>` (see {@link python}). */
export function pythonFixture(name: string, args: string[] = [], input?: Uint8Array): PythonPeer {
  return python(readFileSync(fixturePath(name), "utf8"), args, input);
}

/**
 * Runs a fixture that reads one JSON document on stdin and writes one on stdout (an oracle:
 * CPython's answers for a batch of inputs), and returns the parsed answer.
 */
export async function pythonOracle(name: string, input: unknown): Promise<unknown> {
  const peer = pythonFixture(name, [], Buffer.from(JSON.stringify(input), "utf8"));
  const { code, stdout, stderr } = await peer.done();
  assert.equal(code, 0, `python3 ${name} failed:\n${stderr}`);
  return JSON.parse(stdout) as unknown;
}

/** Makes sockit run on a {@link FakeClock} until disposed: `using clock = useFakeClock()`. */
export function useFakeClock(): FakeClock & Disposable {
  const clock = new FakeClock();
  setClock(clock);
  return Object.assign(clock, { [Symbol.dispose]: () => setClock(undefined) });
}

/** Resolves in the event loop's check phase: pending microtasks and ready I/O callbacks run first. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Fails with a clear error instead of hanging when `promise` does not settle within `ms`. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An `assert.throws`/`assert.rejects` validator: an instance of `Class` with this `code`. */
export function isCode(
  Class: abstract new (...args: never[]) => Error,
  code: string,
): (error: unknown) => true {
  return (error: unknown) => {
    assert.ok(error instanceof Class, `expected ${Class.name}, got ${String(error)}`);
    assert.equal((error as Error & { code?: unknown }).code, code);
    return true;
  };
}
