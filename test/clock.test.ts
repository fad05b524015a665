import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { cancel, MAX_TIMER_MS, pendingExpiries, schedule, setClock } from "../src/core/clock.js";
import { TimeoutError } from "../src/index.js";
import { FakeClock } from "./fake-clock.js";
import { checkLeaks, tcpPair } from "./helpers.js";

checkLeaks();

afterEach(() => setClock(undefined));

/** Settles to "pending" if `promise` has not settled after the microtask queue drains. */
async function state(promise: Promise<unknown>): Promise<"pending" | "fulfilled" | "rejected"> {
  const marker = Symbol("pending");
  const result = await Promise.race([
    promise.then(
      () => "fulfilled" as const,
      () => "rejected" as const,
    ),
    new Promise<typeof marker>((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return result === marker ? "pending" : result;
}

test("expiries fire in order and never before their time", () => {
  const clock = new FakeClock();
  setClock(clock);
  const fired: string[] = [];
  schedule(clock.now() + 30, () => fired.push("b"));
  schedule(clock.now() + 10, () => fired.push("a"));
  const dropped = schedule(clock.now() + 20, () => fired.push("never"));
  cancel(dropped);
  clock.advance(9);
  assert.deepEqual(fired, []);
  clock.advance(1);
  assert.deepEqual(fired, ["a"]);
  clock.advance(100);
  assert.deepEqual(fired, ["a", "b"]);
  assert.equal(pendingExpiries(), 0);
});

test("many waits with the same timeout share one runtime timer", () => {
  const clock = new FakeClock();
  setClock(clock);
  for (let i = 0; i < 1000; i++) {
    const entry = schedule(clock.now() + 5000, () => {});
    clock.advance(1);
    cancel(entry);
  }
  assert.ok(clock.delays.length <= 2, `armed ${clock.delays.length} timers`);
});

test("a timer that fires early is re-armed for the rest", () => {
  const clock = new FakeClock();
  setClock(clock);
  let fired = false;
  clock.fireEarlyOnce = 3;
  schedule(clock.now() + 10, () => {
    fired = true;
  });
  clock.advance(7);
  assert.equal(fired, false);
  assert.equal(clock.armed, 1);
  clock.advance(2);
  assert.equal(fired, false);
  clock.advance(1);
  assert.equal(fired, true);
});

test("a recv timeout longer than 24.8 days fires at the right time, not early", async () => {
  await using pair = await tcpPair();
  const clock = new FakeClock();
  setClock(clock);
  const days30 = 30 * 24 * 3600;
  const waiting = pair.server.recv(1, { timeout: days30 });
  clock.advance(MAX_TIMER_MS);
  assert.equal(await state(waiting), "pending");
  assert.ok(clock.delays.every((ms) => ms <= MAX_TIMER_MS));
  clock.advance(days30 * 1000 - MAX_TIMER_MS - 1);
  assert.equal(await state(waiting), "pending");
  clock.advance(1);
  await assert.rejects(waiting, TimeoutError);
});

test("a deadline far in the future is honoured through the fake wall clock", async () => {
  await using pair = await tcpPair();
  const clock = new FakeClock();
  setClock(clock);
  pair.server.setReadDeadline(clock.wall + 40 * 24 * 3600 * 1000);
  const waiting = pair.server.recvExactly(1);
  clock.advance(40 * 24 * 3600 * 1000 - 1);
  assert.equal(await state(waiting), "pending");
  clock.advance(1);
  await assert.rejects(waiting, TimeoutError);
});

test("a process waits for a socket call's timeout and for a select timeout before it exits", async () => {
  const { execFile } = await import("node:child_process");
  const index = new URL("../src/index.js", import.meta.url).href;
  const script = `
    import { socketpair, DefaultSelector, TimeoutError } from ${JSON.stringify(index)};
    const [a, b] = await socketpair();
    const start = performance.now();
    await a.recv(1, { timeout: 0.2 }).catch((e) => console.log(e instanceof TimeoutError ? "timeout" : "other"));
    a.close(); b.close();
    const selector = new DefaultSelector();
    console.log((await selector.select(0.2)).length);
    console.log(performance.now() - start >= 400 ? "waited" : "early");
  `;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], (error, out) =>
      error ? reject(error) : resolve(out),
    );
  });
  assert.deepEqual(stdout.trim().split("\n"), ["timeout", "0", "waited"]);
});
