/**
 * The wait policy on its own, without sockets: a target whose readiness the test controls, an
 * operation that counts its tries, and a fake clock. Covers the order of the start checks in
 * every pair, the three modes, deadlines moved while a call waits, the hooks, and options
 * checked before anything is registered.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { pendingExpiries } from "../src/core/clock.js";
import { BlockingIOError, SocketError, TimeoutError } from "../src/index.js";
import { NOT_READY, type Operation } from "../src/socket/operation.js";
import { PollDesc, run } from "../src/socket/policy.js";
import { checkLeaks, isCode, track, useFakeClock } from "./helpers.js";

checkLeaks();

/** A target with a value that an attempt takes when it is there. */
class Box extends PollDesc {
  value: string | undefined;
  tries = 0;
  override describe(): string {
    return "the box";
  }
  put(value: string): void {
    this.value = value;
    this.wake("read");
  }
}

interface Hooks {
  failed: unknown[];
  gaveUp: number;
  settled: number;
}

/** An operation that takes the box's value (consuming it only when it succeeds). */
function take(
  hooks: Hooks = { failed: [], gaveUp: 0, settled: 0 },
): Operation<Box, [options?: unknown], string, string> & { hooks: Hooks } {
  return {
    hooks,
    name: "take",
    direction: "read",
    prepare: () => "arg",
    options: (options) => options,
    attempt: (box) => {
      box.tries++;
      const value = box.value;
      if (value === undefined) return NOT_READY;
      box.value = undefined;
      return value;
    },
    notReadyCode: () => "EAGAIN",
    failed: (error) => hooks.failed.push(error),
    gaveUp: () => hooks.gaveUp++,
    settled: () => hooks.settled++,
  };
}

const ABORTED = new Error("aborted on purpose");

function aborted(): AbortSignal {
  const controller = new AbortController();
  controller.abort(ABORTED);
  return controller.signal;
}

describe("the start checks", () => {
  // SPEC's order: closed, then an aborted signal, then a passed deadline, then the try.
  const conditions = {
    closed: (box: Box) => {
      box.closed = true;
    },
    aborted: () => {},
    pastDeadline: (box: Box) => box.setDirectionDeadline("read", 0, "test"),
  } as const;
  const expected = {
    closed: isCode(SocketError, "EBADF"),
    aborted: (error: unknown) => error === ABORTED,
    pastDeadline: isCode(TimeoutError, "ETIMEDOUT"),
  } as const;
  const names = Object.keys(conditions) as (keyof typeof conditions)[];
  for (const [i, first] of names.entries()) {
    for (const second of names.slice(i + 1)) {
      test(`with ${first} and ${second}, ${first} wins and nothing is tried`, async () => {
        const box = new Box();
        box.value = "ready";
        conditions[first](box);
        conditions[second](box);
        const signal = first === "aborted" || second === "aborted" ? aborted() : undefined;
        await assert.rejects(run(box, take(), { signal }), expected[first]);
        assert.equal(box.tries, 0);
        assert.equal(box.value, "ready");
      });
    }
  }

  test("with all three, closed wins", async () => {
    const box = new Box();
    box.closed = true;
    box.setDirectionDeadline("read", 0, "test");
    await assert.rejects(run(box, take(), { signal: aborted() }), isCode(SocketError, "EBADF"));
  });

  test("a passed deadline fails even when the value is ready (Go's rule)", async () => {
    const box = new Box();
    box.value = "ready";
    box.setDirectionDeadline("read", new Date(0), "test");
    await assert.rejects(run(box, take()), TimeoutError);
    assert.equal(box.value, "ready");
  });
});

describe("the modes", () => {
  test("non-blocking: a value that is ready is returned, a miss fails at once", async () => {
    const box = new Box();
    box.timeout = 0;
    await assert.rejects(run(box, take()), isCode(BlockingIOError, "EAGAIN"));
    box.value = "now";
    assert.equal(await run(box, take()), "now");
  });

  test("a miss is a whole BlockingIOError without stack frames, and leaves stack traces on", async () => {
    const box = new Box();
    box.timeout = 0;
    const limit = Error.stackTraceLimit;
    const error = await run(box, take()).then(
      () => assert.fail("a miss must reject"),
      (reason: unknown) => reason,
    );
    assert.ok(error instanceof BlockingIOError && error instanceof Error);
    assert.equal(Object.prototype.toString.call(error), "[object Error]");
    assert.deepEqual(
      [error.name, error.code, error.errno, error.op, error.address],
      ["BlockingIOError", "EAGAIN", 11, "take", "the box"],
    );
    assert.equal(error.stack, `BlockingIOError: ${error.message}`);
    assert.equal(Error.stackTraceLimit, limit);
    assert.ok(new Error("later").stack?.includes("\n    at "), "later errors have frames");
  });

  test("a miss nobody handles is still an unhandled rejection", () => {
    // In a child process: node:test counts an unhandled rejection as a failure of the test.
    const index = new URL("../src/index.js", import.meta.url).href;
    const script = `import { socketpair } from ${JSON.stringify(index)};
      const [a, b] = await socketpair();
      a.setBlocking(false);
      a.recv(1);`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    assert.equal(child.status, 1);
    assert.match(child.stderr, /BlockingIOError/);
  });

  test("blocking: waits for a wake-up and tries again, consuming only on success", async () => {
    const box = new Box();
    const call = track(run(box, take()));
    box.wake("read"); // nothing there: the call keeps waiting
    await Promise.resolve();
    assert.equal(call.settled(), false);
    box.put("later");
    assert.equal(await call.promise, "later");
    assert.equal(box.waiting, false);
  });

  test("timeout: fails at the timeout, never before, and consumes nothing", async () => {
    using clock = useFakeClock();
    const box = new Box();
    box.timeout = 0.5;
    const call = track(run(box, take()));
    clock.advance(499);
    await Promise.resolve();
    assert.equal(call.settled(), false);
    clock.advance(1);
    await assert.rejects(call.promise, TimeoutError);
    assert.equal(pendingExpiries(), 0);
    assert.equal(box.waiting, false);
  });

  test("a per-call timeout overrides the target's mode", async () => {
    const box = new Box();
    await assert.rejects(run(box, take(), { timeout: 0 }), BlockingIOError);
  });
});

describe("deadlines and waiting calls", () => {
  test("a deadline set in the future while a call waits ends it then", async () => {
    using clock = useFakeClock();
    const box = new Box();
    const call = track(run(box, take()));
    box.setDirectionDeadline("read", clock.wall + 100, "test");
    clock.advance(99);
    await Promise.resolve();
    assert.equal(call.settled(), false);
    clock.advance(1);
    await assert.rejects(call.promise, TimeoutError);
  });

  test("a deadline moved later on a waiting call fires at the new time", async () => {
    using clock = useFakeClock();
    const box = new Box();
    box.setDirectionDeadline("read", clock.wall + 100, "test");
    const call = track(run(box, take()));
    box.setDirectionDeadline("read", clock.wall + 300, "test");
    clock.advance(150);
    await Promise.resolve();
    assert.equal(call.settled(), false);
    clock.advance(150);
    await assert.rejects(call.promise, TimeoutError);
  });

  test("a deadline moved earlier on a waiting call fires at the new time", async () => {
    using clock = useFakeClock();
    const box = new Box();
    box.setDirectionDeadline("read", clock.wall + 300, "test");
    const call = track(run(box, take()));
    box.setDirectionDeadline("read", clock.wall + 100, "test");
    clock.advance(100);
    await assert.rejects(call.promise, TimeoutError);
  });

  test("a deadline removed from a waiting call leaves it waiting with no timer", async () => {
    using clock = useFakeClock();
    const box = new Box();
    box.setDirectionDeadline("read", clock.wall + 100, "test");
    const call = track(run(box, take()));
    box.setDirectionDeadline("read", null, "test");
    assert.equal(pendingExpiries(), 0);
    clock.advance(1000);
    await Promise.resolve();
    assert.equal(call.settled(), false);
    box.put("done");
    assert.equal(await call.promise, "done");
  });

  test("the earlier of the timeout and the deadline ends the call", async () => {
    using clock = useFakeClock();
    const box = new Box();
    box.setDirectionDeadline("read", clock.wall + 1000, "test");
    const call = track(run(box, take(), { timeout: 0.2 }));
    clock.advance(200);
    await assert.rejects(call.promise, TimeoutError);
  });

  test("a deadline of one direction leaves the other alone", async () => {
    const box = new Box();
    box.setDirectionDeadline("write", 0, "test");
    box.value = "read";
    assert.equal(await run(box, take()), "read");
  });
});

describe("the hooks", () => {
  test("an abort gives up the call, and failed and settled hear of it", async () => {
    const box = new Box();
    const op = take();
    const controller = new AbortController();
    const call = run(box, op, { signal: controller.signal });
    controller.abort(ABORTED);
    await assert.rejects(call, (error) => error === ABORTED);
    assert.deepEqual(op.hooks, { failed: [ABORTED], gaveUp: 1, settled: 1 });
  });

  test("a failure before waiting is heard by failed only", async () => {
    const box = new Box();
    box.closed = true;
    const op = take();
    await assert.rejects(run(box, op), SocketError);
    assert.equal(op.hooks.failed.length, 1);
    assert.equal(op.hooks.gaveUp + op.hooks.settled, 0);
  });

  test("closing the target fails a waiting call with EBADF, not as giving up", async () => {
    const box = new Box();
    const op = take();
    const call = run(box, op);
    box.closed = true;
    box.wake("read");
    await assert.rejects(call, isCode(SocketError, "EBADF"));
    assert.deepEqual([op.hooks.gaveUp, op.hooks.settled], [0, 1]);
  });
});

describe("bad options", () => {
  const bad: [string, unknown, new (...args: never[]) => Error][] = [
    ["a signal that is not an AbortSignal", { timeout: 0.1, signal: {} }, TypeError],
    ["a string signal", { signal: "x" }, TypeError],
    ["a negative timeout", { timeout: -1 }, RangeError],
    ["a NaN timeout", { timeout: Number.NaN }, RangeError],
    ["a string timeout", { timeout: "1" }, TypeError],
    ["a null options object", null, TypeError],
    ["a number for options", 5, TypeError],
  ];
  for (const [what, options, Class] of bad) {
    test(`${what} is refused before anything is registered`, async () => {
      using clock = useFakeClock();
      const box = new Box();
      await assert.rejects(run(box, take(), options), Class);
      assert.equal(box.tries, 0);
      assert.equal(box.waiting, false);
      assert.equal(pendingExpiries(), 0);
      clock.advance(1000); // nothing left to fire
      box.put("later");
      assert.equal(box.value, "later");
    });
  }
});
