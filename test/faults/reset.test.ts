/**
 * A peer that resets the connection (SO_LINGER 0) while we read, write, sit idle with data
 * waiting (less and more than SO_RCVBUF) or wait in select: the data that reached us comes
 * first, then ConnectionResetError, never a clean end of stream; the error comes from the next
 * call, never as an event.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  BrokenPipeError,
  ConnectionResetError,
  DefaultSelector,
  EVENT_READ,
  SO_RCVBUF,
  SOL_SOCKET,
  type Socket,
  TimeoutError,
} from "../../src/index.js";
import * as sync from "../../src/sync/index.js";
import { checkLeaks, within } from "../helpers.js";
import { byteAt, type Ending, pairOf, pattern, readToEnd, reset } from "./peers.js";

checkLeaks();

/** Per test: a regression that hangs fails here, with the test's name. */
const LIMIT = { timeout: 15_000 };

/**
 * Sends `size` bytes of the pattern from `from` until they are all accepted or the buffers on
 * the way are full (a send that waits 200 ms); returns how many were accepted.
 */
async function fill(from: Socket, size: number): Promise<number> {
  try {
    await from.sendAll(pattern(0, size), { timeout: 0.2 });
    return size;
  } catch (error) {
    assert.ok(error instanceof TimeoutError, `sendAll failed with ${String(error)}`);
    return (error as TimeoutError & { bytesSent: number }).bytesSent;
  }
}

function assertReset(ending: Ending, atMost: number): void {
  assert.ok(
    ending.end instanceof ConnectionResetError,
    `after ${ending.bytes} bytes the stream ended with ${String(ending.end)}, not a reset`,
  );
  assert.equal((ending.end as ConnectionResetError).code, "ECONNRESET");
  assert.ok(ending.bytes <= atMost, `read ${ending.bytes} bytes, more than the ${atMost} sent`);
}

describe("a peer resets while we sit idle with data waiting", LIMIT, () => {
  // 140,000 and 1 MiB are more than SO_RCVBUF: reading from the kernel is paused when the RST
  // comes, and libuv < 1.52 reads the last data and the RST in one wake-up.
  for (const size of [1, 50_000, 140_000, 1 << 20]) {
    test(`${size} bytes sent, then a reset: the data that arrived, then ConnectionResetError`, async () => {
      await using pair = await pairOf("tcp");
      const accepted = await fill(pair.client, size);
      await new Promise((resolve) => setTimeout(resolve, 50));
      reset(pair.client);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const ending = await within(readToEnd(pair.server), 10_000);
      assertReset(ending, accepted);
      if (size < pair.server.getsockopt(SOL_SOCKET, SO_RCVBUF)!) assert.equal(ending.bytes, size);
      assert.equal((await pair.server.recv(10)).length, 0, "after the reset: end of stream");
    });
  }

  test("a reset while the event loop is busy is still raised after the data", async () => {
    await using pair = await pairOf("tcp");
    await pair.client.sendAll(pattern(0, 1000));
    // The data and the RST arrive while nothing runs, so they are seen in one wake-up.
    reset(pair.client);
    const until = performance.now() + 100;
    while (performance.now() < until) {
      // busy
    }
    assertReset(await within(readToEnd(pair.server), 10_000), 1000);
  });

  test("on a Unix socket, a peer that closes with unread data resets: the data, then the error", async () => {
    await using pair = await pairOf("unix");
    // The peer leaves what we send unread (more than its buffers hold), so its close resets.
    await fill(pair.server, 1 << 20);
    const accepted = await fill(pair.client, 140_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    pair.client.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const ending = await within(readToEnd(pair.server), 10_000);
    assertReset(ending, accepted);
    // A Unix socket drops nothing in flight: everything its kernel took arrives.
    if (accepted === 140_000) assert.equal(ending.bytes, accepted);
  });

  test("a synchronous socket raises the reset after the data too", async () => {
    const server = sync.createServer(["127.0.0.1", 0]);
    const client = sync.createConnection(server.getsockname() as [string, number]);
    const [conn] = server.accept();
    server.close();
    try {
      let accepted = 1 << 20;
      try {
        client.sendAll(pattern(0, accepted), { timeout: 0.2 });
      } catch (error) {
        assert.ok(error instanceof TimeoutError);
        accepted = (error as TimeoutError & { bytesSent: number }).bytesSent;
      }
      client.setsockopt(SOL_SOCKET, sync.SO_LINGER, 0);
      client.close();
      let bytes = 0;
      let end: unknown;
      for (;;) {
        try {
          const chunk = conn.recv(65536, { timeout: 5 });
          if (chunk.length === 0) break;
          for (let i = 0; i < chunk.length; i++) assert.equal(chunk[i], byteAt(bytes + i));
          bytes += chunk.length;
        } catch (error) {
          end = error;
          break;
        }
      }
      assert.ok(end instanceof ConnectionResetError, `ended with ${String(end)} after ${bytes}`);
      assert.ok(bytes <= accepted);
    } finally {
      client.close();
      conn.close();
    }
  });
});

describe("a peer resets while a call waits", LIMIT, () => {
  test("a waiting recv raises ConnectionResetError, then reads see end of stream", async () => {
    await using pair = await pairOf("tcp");
    const waiting = pair.server.recv(100);
    reset(pair.client);
    await assert.rejects(within(waiting, 5000), ConnectionResetError);
    assert.equal((await pair.server.recv(100)).length, 0);
  });

  test("a waiting recvExactly gets the reset after the bytes that came", async () => {
    await using pair = await pairOf("tcp");
    const waiting = pair.server.recvExactly(1000);
    await pair.client.sendAll(pattern(0, 10));
    reset(pair.client);
    await assert.rejects(within(waiting, 5000), ConnectionResetError);
  });

  test("a sendAll waiting on a full buffer fails with the reset and says how much was accepted", async () => {
    await using pair = await pairOf("tcp");
    const size = 32 << 20;
    const sending = pair.client.sendAll(pattern(0, size));
    await new Promise((resolve) => setTimeout(resolve, 100));
    reset(pair.server);
    const error = await within(
      sending.then(
        () => assert.fail("sendAll succeeded although the peer reset"),
        (e: unknown) => e,
      ),
      5000,
    );
    assert.ok(
      error instanceof ConnectionResetError || error instanceof BrokenPipeError,
      `sendAll failed with ${String(error)}`,
    );
    const { bytesSent } = error as { bytesSent?: unknown };
    assert.ok(typeof bytesSent === "number" && bytesSent > 0 && bytesSent <= size);
  });

  test("a waiting select reports the socket readable, and recv raises the reset", async () => {
    await using pair = await pairOf("tcp");
    using sel = new DefaultSelector();
    sel.register(pair.server, EVENT_READ);
    const selecting = sel.select(null);
    reset(pair.client);
    const ready = await within(selecting, 5000);
    assert.deepEqual(
      ready.map(([key, mask]) => [key.fileobj, mask]),
      [[pair.server, EVENT_READ]],
    );
    await assert.rejects(pair.server.recv(10), ConnectionResetError);
  });
});
