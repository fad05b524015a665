/**
 * Run by descriptors.test.ts under a low `ulimit -n`: a listener whose process runs out of
 * descriptors. It reports each step as one JSON line on stdout and waits for a line on stdin
 * where the parent has to act (connect to it). Usage: node emfile-child.js async|sync
 */

import { closeSync, openSync } from "node:fs";
import { createInterface } from "node:readline";
import * as asyncApi from "../../src/index.js";
import * as syncApi from "../../src/sync/index.js";

const input = createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();

function report(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Waits for the parent's go-ahead (one line on stdin). */
async function parent(): Promise<void> {
  await lines.next();
}

/** What a call raised: its class and code, or "ok". */
function outcome(error: unknown): string {
  if (error === undefined) return "ok";
  const { name, code } = error as { name?: unknown; code?: unknown };
  return `${String(name)} ${String(code)}`;
}

/** Opens /dev/null until the process has no descriptor left; returns them. */
function exhaust(): number[] {
  const held: number[] = [];
  for (;;) {
    try {
      held.push(openSync("/dev/null", "r"));
    } catch (error) {
      if ((error as { code?: unknown }).code !== "EMFILE") throw error;
      return held;
    }
  }
}

async function asyncMode(): Promise<void> {
  const server = await asyncApi.createServer(["127.0.0.1", 0]);
  report({ port: (server.getsockname() as [string, number])[1] });
  // A blocking accept already waiting when the descriptors run out.
  const started = performance.now();
  const waiting = server.accept().then(
    () => "ok",
    (error: unknown) => outcome(error),
  );
  const held = exhaust();
  report({ step: "exhausted" });
  // The parent connected meanwhile and closed: libuv (Node.js) drops that connection, Bun leaves
  // it in the kernel's backlog (as CPython would).
  await parent();
  const waited = await waiting;
  report({ waiting: waited, ms: Math.round(performance.now() - started) });
  server.setBlocking(false);
  report({ nonblocking: await server.accept().then(() => "ok", outcome) });
  server.setTimeout(5);
  report({ timed: await server.accept().then(() => "ok", outcome) });
  for (const fd of held.splice(0, 16)) closeSync(fd);
  server.setBlocking(false);
  report({ freedNonblocking: await server.accept().then(() => "ok", outcome) });
  server.setBlocking(true);
  report({ step: "freed" });
  let [conn] = await server.accept({ timeout: 10 });
  let first = await conn.recvExactly(5).catch((error: unknown) => outcome(error));
  if (typeof first === "string") {
    // A connection that ended before 5 bytes: the one made during the exhaustion, if it was kept.
    report({ queued: first });
    conn.close();
    [conn] = await server.accept({ timeout: 10 });
    first = await conn.recvExactly(5);
  }
  report({ accepted: first.toString() });
  conn.close();
  // A new accept that waits looks at the table at once, not at the next 250 ms recheck: an
  // accept that waited briefly with descriptors to spare (the table was looked at, the recheck
  // is 250 ms away), then the descriptors run out, then a new accept.
  await server.accept({ timeout: 0.02 }).catch(() => {});
  const again = exhaust();
  const freshStart = performance.now();
  const fresh = await server.accept().then(() => "ok", outcome);
  report({ fresh, ms: Math.round(performance.now() - freshStart) });
  for (const fd of again) closeSync(fd);
  server.close();
  for (const fd of held) closeSync(fd);
}

function syncMode(): Promise<void> {
  const server = syncApi.createServer(["127.0.0.1", 0]);
  report({ port: (server.getsockname() as [string, number])[1] });
  const held = exhaust();
  const tryAccept = (): string => {
    try {
      server.accept();
      return "ok";
    } catch (error) {
      return outcome(error);
    }
  };
  report({ blocking: tryAccept() });
  server.setBlocking(false);
  report({ nonblocking: tryAccept() });
  for (const fd of held.splice(0, 16)) closeSync(fd);
  report({ freedNonblocking: tryAccept() });
  server.setBlocking(true);
  report({ step: "freed" });
  const [conn] = server.accept({ timeout: 10 });
  report({ accepted: conn.recvExactly(5).toString() });
  conn.close();
  server.close();
  for (const fd of held) closeSync(fd);
  return Promise.resolve();
}

await (process.argv[2] === "sync" ? syncMode() : asyncMode());
// close(), not lines.return(): Bun keeps the process alive after a return() not awaited
// followed by stdin.destroy().
input.close();
process.stdin.destroy();
