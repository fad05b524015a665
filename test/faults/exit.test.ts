/**
 * When a process may end (exit-child.ts is the script): as in Python, sockets left open do not
 * keep it alive, a call that waits does, and data accepted for sending is never lost at exit.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createServer } from "../../src/index.js";
import { checkLeaks, within } from "../helpers.js";
import { child, readToEnd } from "./peers.js";

checkLeaks();

/** How long an idle script may take to end (a Node.js start is about 50 ms). */
const PROMPT_MS = 3000;

describe("a script ends", { timeout: 20_000 }, () => {
  for (const scenario of ["left-open", "left-open-sync", "udp-left-open"]) {
    test(`with sockets and listeners left open (${scenario})`, async () => {
      using script = child("exit-child", [scenario]);
      assert.deepEqual(await script.next(), { done: true });
      const { code, ms } = await script.exit(PROMPT_MS);
      assert.equal(code, 0, script.stderr());
      assert.ok(ms < PROMPT_MS, `took ${ms} ms`);
    });
  }

  test("after a recv's timeout, not before it and not never", async () => {
    using script = child("exit-child", ["recv-timeout"]);
    const { error, ms } = (await script.next()) as { error: string; ms: number };
    assert.equal(error, "TimeoutError");
    assert.ok(ms >= 299, `the timeout fired after ${ms} ms`);
    assert.equal((await script.exit(PROMPT_MS)).code, 0, script.stderr());
  });
});

describe("a call that waits keeps the script alive until it is done", { timeout: 20_000 }, () => {
  test("accept", async () => {
    using script = child("exit-child", ["accept"]);
    const { port } = (await script.next()) as { port: number };
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(script.process.exitCode, null, "the script ended while accept waited");
    const { socket } = await import("../../src/index.js");
    await using client = socket();
    await client.connect(["127.0.0.1", port]);
    assert.deepEqual(await script.next(), { accepted: true });
    assert.equal((await script.exit(PROMPT_MS)).code, 0, script.stderr());
  });

  test("a datagram socket's recvFrom", async () => {
    using script = child("exit-child", ["udp-recvfrom"]);
    const { port } = (await script.next()) as { port: number };
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(script.process.exitCode, null, "the script ended while recvFrom waited");
    const { AF_INET, SOCK_DGRAM, socket } = await import("../../src/index.js");
    using sender = socket(AF_INET, SOCK_DGRAM) as ReturnType<typeof socket> & Disposable;
    await sender.sendTo("hello", ["127.0.0.1", port]);
    assert.deepEqual(await script.next(), { received: "hello" });
    assert.equal((await script.exit(PROMPT_MS)).code, 0, script.stderr());
  });

  for (const scenario of ["recv", "select"]) {
    test(scenario, async () => {
      await using server = await createServer(["127.0.0.1", 0]);
      const [, port] = server.getsockname() as [string, number];
      using script = child("exit-child", [scenario, String(port)]);
      const [conn] = await server.accept({ timeout: 10 });
      await using _conn = conn;
      assert.deepEqual(await script.next(), { connected: true });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(script.process.exitCode, null, `the script ended while ${scenario} waited`);
      await conn.sendAll("hello");
      assert.deepEqual(
        await script.next(),
        scenario === "recv" ? { received: "hello" } : { ready: 1 },
      );
      assert.equal((await script.exit(PROMPT_MS)).code, 0, script.stderr());
    });
  }
});

describe("data accepted for sending reaches the peer although the script ends", {
  timeout: 30_000,
}, () => {
  for (const scenario of ["queued-at-exit", "unawaited-send"]) {
    test(scenario, async () => {
      await using server = await createServer(["127.0.0.1", 0]);
      const [, port] = server.getsockname() as [string, number];
      using script = child("exit-child", [scenario, String(port)]);
      const [conn] = await server.accept({ timeout: 10 });
      await using _conn = conn;
      // Read only once the script has sent (or queued) and is ending.
      const { sent } = (await script.next()) as { sent: number };
      const ending = await within(readToEnd(conn), 10_000);
      assert.equal(ending.end, "eof");
      assert.equal(ending.bytes, sent, "bytes received, against bytes accepted");
      assert.equal((await script.exit()).code, 0, script.stderr());
    });
  }
});
