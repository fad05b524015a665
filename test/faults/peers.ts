/**
 * What the fault tests share: connected pairs of either family, payloads whose every byte tells
 * where it belongs, and a reader that says how a stream ended.
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  AF_INET,
  AF_UNIX,
  SO_LINGER,
  SOL_SOCKET,
  type Socket,
  socketpair,
} from "../../src/index.js";
import { tcpPair, within } from "../helpers.js";

/** A connected pair, closed by `await using`. */
export interface Pair {
  client: Socket;
  server: Socket;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A connected TCP (loopback) or AF_UNIX pair. */
export async function pairOf(family: "tcp" | "unix"): Promise<Pair> {
  if (family === "tcp") return tcpPair(AF_INET);
  const [client, server] = await socketpair(AF_UNIX);
  return {
    client,
    server,
    async [Symbol.asyncDispose]() {
      client.close();
      server.close();
    },
  };
}

/**
 * `size` bytes of a stream that starts at byte `offset`. Each byte depends on its position, with
 * no short period, so a byte lost, doubled or moved shows as a mismatch (see
 * {@link checkPattern}), and so does resuming a send one byte off.
 */
export function pattern(offset: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = byteAt(offset + i);
  return out;
}

/** The byte the pattern has at stream position `i`. */
export function byteAt(i: number): number {
  // Mixes the position so neighbouring bytes differ and no short period repeats.
  return (Math.imul(i ^ (i >>> 8) ^ (i >>> 16), 0x9e3779b1) >>> 24) & 0xff;
}

/** Asserts that `data` is the pattern from stream position `offset`. */
export function checkPattern(data: Uint8Array, offset: number): void {
  for (let i = 0; i < data.length; i++) {
    if (data[i] !== byteAt(offset + i)) {
      assert.fail(`byte ${offset + i} of the stream is ${data[i]}, expected ${byteAt(offset + i)}`);
    }
  }
}

/** Hex SHA-256 of `data`. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** How a stream ended for a reader: the bytes it got, then end of stream or an error. */
export interface Ending {
  bytes: number;
  end: "eof" | Error;
}

/** Reads with `recv` until end of stream or an error; checks every byte against the pattern. */
export async function readToEnd(sock: Socket, from = 0): Promise<Ending> {
  let bytes = 0;
  for (;;) {
    let chunk: Buffer;
    try {
      chunk = await sock.recv(65536);
    } catch (error) {
      return { bytes, end: error as Error };
    }
    if (chunk.length === 0) return { bytes, end: "eof" };
    checkPattern(chunk, from + bytes);
    bytes += chunk.length;
  }
}

/** Resets the connection from `sock`'s side (SO_LINGER 0, then close): the peer gets a RST. */
export function reset(sock: Socket): void {
  sock.setsockopt(SOL_SOCKET, SO_LINGER, 0);
  sock.close();
}

/** A Node.js child running one of the scripts next to this file, read line by line. */
export interface Child {
  readonly process: ChildProcess;
  /** The next line it printed, parsed as JSON (fails if it ends first or takes over 10 s). */
  next(): Promise<unknown>;
  /** Sends one line to its standard input. */
  say(line: string): void;
  /** Waits for it to exit: its status and how long it ran, ms. */
  exit(limitMs?: number): Promise<{ code: number | null; signal: string | null; ms: number }>;
  stderr(): string;
  [Symbol.dispose](): void;
}

/**
 * Starts `node <script>.js args…` from this folder; `ulimit` lowers its descriptor limit,
 * `netns` runs it in that network namespace (`ip netns exec`).
 */
export function child(
  script: string,
  args: string[],
  options: { ulimit?: number; netns?: string } = {},
): Child {
  const path = fileURLToPath(new URL(`./${script}.js`, import.meta.url));
  let command = [process.execPath, path, ...args];
  if (options.ulimit !== undefined) {
    command = ["sh", "-c", `ulimit -n ${options.ulimit} && exec "$0" "$@"`, ...command];
  }
  if (options.netns !== undefined) command = ["ip", "netns", "exec", options.netns, ...command];
  const started = performance.now();
  const proc = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(proc, "exit") as Promise<[number | null, string | null]>;
  const lines = createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();
  return {
    process: proc,
    async next() {
      const { value, done } = await within(lines.next(), 10_000);
      if (done === true) assert.fail(`the child ${script} ended early:\n${stderr}`);
      return JSON.parse(value as string) as unknown;
    },
    say(line) {
      proc.stdin!.write(`${line}\n`);
    },
    async exit(limitMs = 10_000) {
      const [code, signal] = await within(exited, limitMs);
      return { code, signal, ms: performance.now() - started };
    },
    stderr: () => stderr,
    [Symbol.dispose]() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    },
  };
}
