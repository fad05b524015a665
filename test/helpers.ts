/**
 * Test helpers: the leak check every test file installs, loopback servers, CPython peers.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after } from "node:test";
import { type Address, AF_INET, createServer, type Socket, socket } from "../src/index.js";

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
  return out;
}

/** Fails the file if it leaves sockets, servers, child processes or timers behind. */
export function checkLeaks(): void {
  after(async () => {
    for (let i = 0; i < 100 && leaked().length > 0; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (i > 20) await new Promise((resolve) => setTimeout(resolve, 10).unref());
    }
    assert.deepEqual(leaked(), [], "the test file leaked handles or timers");
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

/** Resolves after `ms` without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A running python3 script; `lines()` yields its stdout lines. */
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
  const child = spawn("python3", ["-u", "-c", script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
  });
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
