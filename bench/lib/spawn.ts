/**
 * Starting peer processes: pinned to CPU 0 with `taskset -c 0` when it exists (both peers then
 * share one core, so a benchmark measures the CPU cost of both sides), with the open-files limit
 * raised by the spawning shell, and talking to the benchmark script over Node's IPC channel.
 * Also: how busy that CPU is with other work, so runs can wait for a quiet moment.
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type BenchName,
  type ControlMessage,
  type ImplName,
  isPeerMessage,
  type PeerMessage,
  type Role,
} from "./protocol.js";

/** The open-files limit the spawning shell asks for. */
export const WANTED_NOFILE = 65536;

/** How peers are started on this machine. */
export interface Environment {
  /** True when `taskset -c 0` works; otherwise peers run unpinned. */
  pinned: boolean;
  /** The open-files limit peers get (after the shell raised it as far as allowed). */
  nofile: number;
  notes: string[];
}

let cached: Environment | undefined;
let cpu = 0;

/** The CPU peers are pinned to (default 0). */
export function pinnedCpu(): number {
  return cpu;
}

/** Pins peers to another CPU (`--cpu N`). */
export function setPinnedCpu(n: number): void {
  cpu = n;
  cached = undefined;
}

const RAISE_NOFILE = `ulimit -n ${WANTED_NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null`;

/** Detects `taskset` and the open-files limit peers will have. */
export function environment(): Environment {
  if (cached !== undefined) return cached;
  const notes: string[] = [];
  const pinned = spawnSync("taskset", ["-c", String(cpu), "true"]).status === 0;
  if (!pinned) notes.push("taskset not available: peers are NOT pinned to one CPU");
  const limit = spawnSync("sh", ["-c", `${RAISE_NOFILE}; ulimit -n`], { encoding: "utf8" });
  const text = (limit.stdout ?? "").trim();
  const nofile = text === "unlimited" ? Number.POSITIVE_INFINITY : Number(text) || 1024;
  if (nofile < WANTED_NOFILE)
    notes.push(`open-files limit is ${nofile} (hard limit; wanted ${WANTED_NOFILE})`);
  cached = { pinned, nofile, notes };
  return cached;
}

/** Options of {@link startPeer}. */
export interface PeerOptions {
  impl: ImplName;
  role: Role;
  bench: BenchName;
  params: object;
  port?: number;
  /** Extra `node` flags, e.g. `--cpu-prof`. */
  nodeArgs?: readonly string[];
}

/** A running peer process. */
export class Peer {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #inbox: PeerMessage[] = [];
  #wake: (() => void) | undefined;
  #exit: { code: number | null; signal: string | null } | undefined;
  readonly #exited: Promise<void>;
  #stderr = "";

  constructor(options: PeerOptions) {
    this.name = `${options.impl} ${options.role}`;
    const script = fileURLToPath(new URL(`../peers/${options.impl}.js`, import.meta.url));
    const argv = [
      process.execPath,
      "--expose-gc",
      ...(options.nodeArgs ?? []),
      script,
      options.role,
      options.bench,
      JSON.stringify(options.params),
      String(options.port ?? 0),
    ];
    const command = environment().pinned ? ["taskset", "-c", String(cpu), ...argv] : argv;
    this.#child = spawn("sh", ["-c", `${RAISE_NOFILE}; exec "$@"`, "sh", ...command], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    this.#child.stdout?.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    this.#child.stderr?.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4000);
      process.stderr.write(chunk);
    });
    this.#child.on("message", (message: unknown) => {
      if (!isPeerMessage(message)) return;
      this.#inbox.push(message);
      this.#wake?.();
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on("exit", (code, signal) => {
        this.#exit = { code, signal };
        this.#wake?.();
        resolve();
      });
    });
  }

  /** Waits for the next message of `type`; rejects if the peer fails or exits first. */
  async next<T extends PeerMessage["type"]>(
    type: T,
    timeoutMs = 30 * 60 * 1000,
  ): Promise<Extract<PeerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.type === type || m.type === "failed");
      if (i >= 0) {
        const [message] = this.#inbox.splice(i, 1);
        if (message?.type === "failed") throw new Error(`${this.name} failed: ${message.message}`);
        return message as Extract<PeerMessage, { type: T }>;
      }
      if (this.#exit !== undefined) {
        const { code, signal } = this.#exit;
        throw new Error(
          `${this.name} exited (${signal ?? code}) before sending ${type}\n${this.#stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Sends a control message. */
  send(message: ControlMessage): void {
    if (this.#child.connected) this.#child.send(message);
  }

  /** Waits for the process to exit (killing it after `graceMs`). */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#exit !== undefined) return;
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** Kills the process (and, through `exec`, the node inside the shell). */
  kill(): void {
    if (this.#exit === undefined) this.#child.kill("SIGKILL");
  }
}

/** Starts a peer. */
export function startPeer(options: PeerOptions): Peer {
  return new Peer(options);
}

function cpuTimes(n: number): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8")
      .split("\n")
      .find((l) => l.startsWith(`cpu${n} `));
    if (line === undefined) return null;
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

/** Fraction (0..1) of the pinned CPU used by anything over `ms`; null where /proc/stat is missing. */
export async function cpuBusy(ms = 250): Promise<number | null> {
  const before = cpuTimes(cpu);
  if (before === null) return null;
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes(cpu);
  if (after === null || after.total === before.total) return null;
  return (after.busy - before.busy) / (after.total - before.total);
}
