/** What every scenario of `sockit demo` is, and the helpers they share. */

import { createServer, type Socket, socket } from "../../index.js";
import type { Narrator } from "../terminal.js";

/** One scenario of the demo. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  run(say: Narrator): Promise<void>;
}

/** A connected pair on loopback, closed by `await using`. */
export async function loopbackPair(): Promise<{ a: Socket; b: Socket } & AsyncDisposable> {
  await using server = await createServer(["127.0.0.1", 0]);
  const a = socket();
  const accepting = server.accept();
  await a.connect(server.getsockname() as [string, number]);
  const [b] = await accepting;
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      a.close();
      b.close();
    },
  };
}

/** Resolves after `ms` milliseconds. */
export const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** An error as the narration shows it: its class and code. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return `${error.name}${code === undefined ? "" : ` (${code})`}`;
  }
  return String(error);
}

/** Bytes in a mebibyte. */
export const MiB = 1024 * 1024;

/** A peer's `[host, port]` as Python prints the tuple. */
export function showPeer(address: unknown): string {
  const [host, port] = address as [string, number];
  return `('${host}', ${port})`;
}
