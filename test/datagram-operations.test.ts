/**
 * The datagram entries of the operations table, through the public API: the three modes and
 * per-call options on datagram calls (timeouts tested with already-expired deadlines, the fake
 * clock, and real time with a strict lower bound), nothing lost to a timeout or an abort, the
 * argument checks, the flags, and EOPNOTSUPP across socket types.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  type IPv4Address,
  MSG_PEEK,
  MSG_TRUNC,
  SOCK_DGRAM,
  type Socket,
  SocketError,
  socket,
  TimeoutError,
} from "../src/index.js";
import { checkLeaks, isCode, tcpPair, track, useFakeClock, within } from "./helpers.js";

checkLeaks();

/** A bound receiver and a sender on loopback, closed by `using`. */
async function udpPair(): Promise<{ rx: Socket; tx: Socket; to: IPv4Address } & Disposable> {
  const rx = socket(AF_INET, SOCK_DGRAM);
  const tx = socket(AF_INET, SOCK_DGRAM);
  await rx.bind(["127.0.0.1", 0]);
  await tx.bind(["127.0.0.1", 0]);
  return {
    rx,
    tx,
    to: rx.getsockname() as IPv4Address,
    [Symbol.dispose]() {
      rx.close();
      tx.close();
    },
  };
}

/** Waits until the receiver has `n` datagrams queued (peeking never consumes). */
async function queued(rx: Socket): Promise<void> {
  await rx.recv(0, MSG_PEEK, { timeout: 5 });
}

describe("the three modes", () => {
  test("blocking: recvFrom waits for a datagram", { timeout: 10_000 }, async () => {
    using pair = await udpPair();
    const waiting = track(pair.rx.recvFrom(100));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(waiting.settled(), false);
    await pair.tx.sendTo("late", pair.to);
    const [data] = await within(waiting.promise, 5000);
    assert.equal(data.toString(), "late");
  });

  test("non-blocking: fails at once with BlockingIOError EAGAIN, and returns what is ready", async () => {
    using pair = await udpPair();
    pair.rx.setBlocking(false);
    await assert.rejects(pair.rx.recvFrom(100), isCode(BlockingIOError, "EAGAIN"));
    await assert.rejects(pair.rx.recvFromInto(Buffer.alloc(4)), isCode(BlockingIOError, "EAGAIN"));
    await assert.rejects(pair.rx.recv(4), isCode(BlockingIOError, "EAGAIN"));
    await assert.rejects(pair.rx.recvInto(Buffer.alloc(4)), isCode(BlockingIOError, "EAGAIN"));
    await pair.tx.sendTo("ready", pair.to);
    pair.rx.setBlocking(true);
    await queued(pair.rx);
    pair.rx.setBlocking(false);
    assert.equal((await pair.rx.recv(100)).toString(), "ready");
  });

  test("a deadline that has passed is TimeoutError even with a datagram ready, which stays", async () => {
    using pair = await udpPair();
    await pair.tx.sendTo("kept", pair.to);
    await queued(pair.rx);
    pair.rx.setReadDeadline(Date.now() - 1);
    await assert.rejects(pair.rx.recvFrom(100), TimeoutError);
    await assert.rejects(pair.rx.recvFromInto(Buffer.alloc(10)), TimeoutError);
    pair.rx.setReadDeadline(null);
    assert.equal((await pair.rx.recv(100)).toString(), "kept");
    pair.tx.setWriteDeadline(Date.now() - 1);
    await assert.rejects(pair.tx.sendTo("x", pair.to), TimeoutError);
  });

  test("timeout: fails at the timeout and not before (fake clock); nothing is consumed", async () => {
    using pair = await udpPair();
    {
      using clock = useFakeClock();
      pair.rx.setTimeout(0.5);
      const call = track(pair.rx.recvFrom(100));
      clock.advance(499);
      await Promise.resolve();
      assert.equal(call.settled(), false);
      clock.advance(1);
      await assert.rejects(call.promise, isCode(TimeoutError, "ETIMEDOUT"));
    }
    await pair.tx.sendTo("after the timeout", pair.to);
    pair.rx.setTimeout(5);
    assert.equal((await pair.rx.recv(100)).toString(), "after the timeout");
  });

  test("a deadline set while recvFrom waits ends it then (fake clock)", async () => {
    using pair = await udpPair();
    using clock = useFakeClock();
    const call = track(pair.rx.recvFromInto(Buffer.alloc(10)));
    pair.rx.setReadDeadline(clock.wall + 100);
    clock.advance(99);
    await Promise.resolve();
    assert.equal(call.settled(), false);
    clock.advance(1);
    await assert.rejects(call.promise, TimeoutError);
  });

  test("real time: a 50 ms timeout never fires early", { timeout: 10_000 }, async () => {
    using pair = await udpPair();
    const started = performance.now();
    await assert.rejects(pair.rx.recvFrom(100, { timeout: 0.05 }), TimeoutError);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 50, `fired after ${elapsed} ms`);
    assert.ok(elapsed < 2000, `fired after ${elapsed} ms`);
  });
});

describe("per-call options", () => {
  test("timeout 0 and a signal override the socket's mode; an abort rejects with its reason", async () => {
    using pair = await udpPair();
    await assert.rejects(pair.rx.recvFrom(100, { timeout: 0 }), BlockingIOError);
    const controller = new AbortController();
    const call = pair.rx.recvFrom(100, { signal: controller.signal });
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(call, (error) => error === reason);
    await assert.rejects(
      pair.rx.recvFrom(100, { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
  });

  test("a timed-out or aborted receive loses no datagram", { timeout: 10_000 }, async () => {
    using pair = await udpPair();
    for (let i = 0; i < 20; i++) {
      const controller = new AbortController();
      const calls = [
        pair.rx.recvFrom(100, { timeout: 0.001 }),
        pair.rx.recvFromInto(Buffer.alloc(100), { signal: controller.signal }),
        pair.rx.recv(100, { timeout: 0 }),
      ];
      controller.abort();
      await Promise.allSettled(calls);
    }
    await pair.tx.sendTo("one", pair.to);
    await pair.tx.sendTo("two", pair.to);
    assert.equal((await pair.rx.recv(100, { timeout: 5 })).toString(), "one");
    assert.equal((await pair.rx.recv(100, { timeout: 5 })).toString(), "two");
  });

  test("sendTo takes its options after the address, with or without flags", async () => {
    using pair = await udpPair();
    assert.equal(await pair.tx.sendTo("a", pair.to, { timeout: 1 }), 1);
    assert.equal(await pair.tx.sendTo("bc", 0, pair.to, { timeout: 1 }), 2);
    assert.equal((await pair.rx.recv(10, { timeout: 5 })).toString(), "a");
    assert.equal((await pair.rx.recv(10, { timeout: 5 })).toString(), "bc");
  });
});

describe("arguments and flags", () => {
  test("MSG_PEEK and MSG_TRUNC are accepted positionally or in the options", async () => {
    using pair = await udpPair();
    await pair.tx.sendTo("0123456789", pair.to);
    const buffer = Buffer.alloc(4);
    assert.deepEqual(await pair.rx.recvFromInto(buffer, 4, MSG_PEEK | MSG_TRUNC, { timeout: 5 }), [
      10,
      pair.tx.getsockname(),
    ]);
    assert.equal(await pair.rx.recvInto(buffer, { flags: MSG_TRUNC }), 10);
    assert.equal(buffer.toString(), "0123");
  });

  test("unsupported flags are EOPNOTSUPP; flags that are not integers are TypeError", async () => {
    using pair = await udpPair();
    await assert.rejects(pair.rx.recvFrom(10, MSG_TRUNC), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(pair.rx.recv(10, 0x40), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(pair.rx.recvInto(Buffer.alloc(1), 1, 1.5), TypeError);
    await assert.rejects(pair.tx.sendTo("x", 0x40, pair.to), isCode(SocketError, "EOPNOTSUPP"));
  });

  test("bad sizes, buffers and data are TypeError or RangeError", async () => {
    using pair = await udpPair();
    await assert.rejects(pair.rx.recvFrom(-1), RangeError);
    await assert.rejects(pair.rx.recvFrom("10" as never), TypeError);
    await assert.rejects(pair.rx.recvFromInto([1, 2] as never), TypeError);
    await assert.rejects(pair.rx.recvFromInto(Buffer.alloc(4), 5), RangeError);
    await assert.rejects(pair.tx.sendTo(42 as never, pair.to), TypeError);
    await assert.rejects(pair.tx.sendTo("x", { host: "127.0.0.1" } as never), TypeError);
    // A host name with a NUL character, as CPython: TypeError (no resolver sees it).
    await assert.rejects(pair.tx.sendTo("x", ["a\0b", 9]), TypeError);
    await assert.rejects(pair.tx.connect(["\0", 9]), TypeError);
    const fresh = socket(AF_INET, SOCK_DGRAM);
    try {
      await assert.rejects(fresh.bind(["\0", 0]), TypeError);
    } finally {
      fresh.close();
    }
  });
});

describe("calls of the other socket type", () => {
  test("stream-only calls on a datagram socket are EOPNOTSUPP", async () => {
    using pair = await udpPair();
    const sock = pair.rx;
    await assert.rejects(sock.listen(), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.accept(), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.sendAll("x"), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.recvExactly(1), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.recvUntil("\n"), isCode(SocketError, "EOPNOTSUPP"));
  });

  test("the stream adapters refuse a datagram socket with EOPNOTSUPP", async () => {
    using pair = await udpPair();
    const sock = pair.rx;
    assert.throws(() => sock.makefile("r"), isCode(SocketError, "EOPNOTSUPP"));
    assert.throws(() => sock.makefile("wb"), isCode(SocketError, "EOPNOTSUPP"));
    assert.throws(() => sock.toDuplex(), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.readable.getReader().read(), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(
      sock.writable.getWriter().write(new Uint8Array(1)),
      isCode(SocketError, "EOPNOTSUPP"),
    );
    await assert.rejects(sock[Symbol.asyncIterator]().next(), isCode(SocketError, "EOPNOTSUPP"));
  });

  test("datagram-only calls on a stream socket are EOPNOTSUPP", async () => {
    await using pair = await tcpPair();
    const sock = pair.client;
    await assert.rejects(sock.sendTo("x", ["127.0.0.1", 9]), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.recvFrom(1), isCode(SocketError, "EOPNOTSUPP"));
    await assert.rejects(sock.recvFromInto(Buffer.alloc(1)), isCode(SocketError, "EOPNOTSUPP"));
    const unix = socket(AF_UNIX);
    try {
      await assert.rejects(unix.sendTo("x", "/tmp/nowhere"), isCode(SocketError, "EOPNOTSUPP"));
    } finally {
      unix.close();
    }
  });

  test("AF_UNIX datagram sockets are EPROTONOSUPPORT; a type that is not a number is TypeError", () => {
    assert.throws(() => socket(AF_UNIX, SOCK_DGRAM), isCode(SocketError, "EPROTONOSUPPORT"));
    assert.throws(() => socket(AF_INET, 3), isCode(SocketError, "EPROTONOSUPPORT"));
    assert.throws(() => socket(AF_INET, "dgram" as never), TypeError);
    const sock = socket(AF_INET6, SOCK_DGRAM);
    assert.equal(sock.type, SOCK_DGRAM);
    assert.equal(sock.family, AF_INET6);
    sock.close();
  });

  test("a closed socket is EBADF before anything else", async () => {
    const sock = socket(AF_INET, SOCK_DGRAM);
    sock.close();
    await assert.rejects(sock.listen(), isCode(SocketError, "EBADF"));
    await assert.rejects(
      sock.sendTo(Buffer.alloc(70_000), ["127.0.0.1", 9]),
      isCode(SocketError, "EBADF"),
    );
  });
});
