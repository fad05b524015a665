import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Clock, pendingExpiries, setClock, type TimerHandle } from "../src/core/clock.js";
import {
  type Address,
  BlockingIOError,
  ConnectionResetError,
  createServer,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  KeyError,
  type SelectorKey,
  SHUT_WR,
  SO_ERROR,
  SO_LINGER,
  SO_RCVBUF,
  SO_SNDBUF,
  SOL_SOCKET,
  type Socket,
  SocketError,
  socket,
  socketpair,
} from "../src/index.js";
import { READINESS, type Readiness } from "../src/selectors/readiness.js";
import { checkLeaks, ON_BUN, type PythonPeer, peer, python, tcpPair, track } from "./helpers.js";

checkLeaks();

/** Two connected sockets, closed by `await using`. */
async function pair(): Promise<{ rd: Socket; wr: Socket; [Symbol.asyncDispose](): Promise<void> }> {
  const [rd, wr] = await socketpair();
  return {
    rd,
    wr,
    async [Symbol.asyncDispose]() {
      rd.close();
      wr.close();
    },
  };
}

/** The ready list as `[fileobj, events]` pairs, easier to compare. */
function summary<F>(ready: [SelectorKey<F>, number][]): [F, number][] {
  return ready.map(([key, events]) => [key.fileobj, events]);
}

/** Lets queued callbacks and I/O run. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function isCode(code: string) {
  return (error: unknown) => error instanceof SocketError && error.code === code;
}

describe("registering", () => {
  test("returns a frozen key with the socket, its fd, the events and the data", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ, "data");
    assert.equal(key.fileobj, p.rd);
    assert.equal(key.fd, p.rd.fileno());
    assert.ok(key.fd >= 0);
    assert.equal(key.events, EVENT_READ);
    assert.equal(key.data, "data");
    assert.ok(Object.isFrozen(key));
    assert.equal(sel.register(p.wr, EVENT_WRITE).data, undefined);
  });

  test("refuses events that are empty or outside EVENT_READ | EVENT_WRITE with RangeError", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    // 2 ** 32 and 2 ** 53 have no bits a 32-bit mask test sees; -1 has them all.
    for (const events of [0, 4, 999999, -1, -2, 2 ** 32, 2 ** 32 + 1, 2 ** 53]) {
      assert.throws(() => sel.register(p.rd, events), RangeError);
    }
    assert.throws(() => sel.register(p.rd, 1.5), TypeError);
    assert.throws(() => sel.register(p.rd, "1" as unknown as number), TypeError);
    assert.equal(sel.getMap().size, 0);
  });

  test("refuses things that are not sockets with TypeError", () => {
    using sel = new DefaultSelector();
    assert.throws(() => sel.register(3 as unknown as Socket, EVENT_READ), TypeError);
    assert.throws(() => sel.register({} as Socket, EVENT_READ), TypeError);
  });

  test("refuses a socket registered twice with KeyError", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    assert.throws(() => sel.register(p.rd, EVENT_READ), KeyError);
    assert.throws(() => sel.register(p.rd, EVENT_WRITE), KeyError);
  });

  test("refuses a closed socket with EBADF", () => {
    using sel = new DefaultSelector();
    const sock = socket();
    sock.close();
    assert.throws(() => sel.register(sock, EVENT_READ), isCode("EBADF"));
  });
});

describe("unregistering", () => {
  test("returns the key and refuses a second unregister with KeyError", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ, 42);
    assert.equal(sel.unregister(p.rd), key);
    assert.throws(() => sel.unregister(p.rd), KeyError);
    assert.throws(() => sel.unregister(p.wr), KeyError);
    assert.throws(() => sel.getKey(p.rd), KeyError);
  });

  test("works after the socket was closed", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    sel.register(p.wr, EVENT_WRITE);
    p.rd.close();
    p.wr.close();
    sel.unregister(p.rd);
    sel.unregister(p.wr);
    assert.equal(sel.getMap().size, 0);
  });

  test("stops reporting the socket, even to a select that is already waiting", async () => {
    await using p = await pair();
    await using q = await pair();
    using sel = new DefaultSelector();
    using witness = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    witness.register(p.rd, EVENT_READ);
    const waiting = sel.select(5);
    const state = track(waiting);
    sel.unregister(p.rd);
    await p.wr.sendAll("x");
    assert.deepEqual(summary(await witness.select(5)), [[p.rd, EVENT_READ]]);
    await turn();
    assert.equal(state.settled(), false);
    sel.register(q.wr, EVENT_WRITE);
    assert.deepEqual(summary(await waiting), [[q.wr, EVENT_WRITE]]);
  });
});

describe("modifying", () => {
  test("returns a new key for new events and leaves the old key as it was", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    const key2 = sel.modify(p.rd, EVENT_WRITE);
    assert.notEqual(key.events, key2.events);
    assert.equal(key.events, EVENT_READ);
    assert.equal(sel.getKey(p.rd), key2);
    assert.equal(sel.getMap().get(p.rd), key2);
    assert.equal(key2.fd, key.fd);
  });

  test("replaces the data, and an omitted data means undefined", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const d1 = {};
    const d2 = {};
    const key = sel.register(p.rd, EVENT_READ, d1);
    const key2 = sel.modify(p.rd, EVENT_READ, d2);
    assert.equal(key2.events, key.events);
    assert.equal(key2.data, d2);
    assert.equal(sel.getKey(p.rd), key2);
    assert.equal(sel.modify(p.rd, EVENT_READ).data, undefined);
  });

  test("refuses unknown sockets with KeyError and bad events with RangeError", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    assert.throws(() => sel.modify(p.rd, EVENT_READ), KeyError);
    sel.register(p.rd, EVENT_READ);
    assert.throws(() => sel.modify(p.rd, 0), RangeError);
    assert.throws(() => sel.modify(p.rd, 8), RangeError);
    assert.throws(() => sel.modify(p.rd, 2 ** 32), RangeError);
    assert.throws(() => sel.modify(p.rd, 2 ** 53 + 2), RangeError);
    assert.equal(sel.getKey(p.rd).events, EVENT_READ);
  });

  test("takes effect for a select that is already waiting", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    const waiting = sel.select(5);
    await turn();
    const key = sel.modify(p.rd, EVENT_READ | EVENT_WRITE, "now");
    assert.deepEqual(await waiting, [[key, EVENT_WRITE]]);
  });
});

describe("getKey and getMap", () => {
  test("getKey returns the current key and refuses unknown sockets with KeyError", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ, "data");
    assert.equal(sel.getKey(p.rd), key);
    assert.throws(() => sel.getKey(p.wr), KeyError);
  });

  test("getMap is a live, read-only view keyed by socket", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const map = sel.getMap();
    assert.equal(map.size, 0);
    assert.deepEqual([...map], []);
    const key = sel.register(p.rd, EVENT_READ, "data");
    assert.ok(map.has(p.rd));
    assert.equal(map.has(p.wr), false);
    assert.equal(map.get(p.rd), key);
    assert.equal(map.get(p.wr), undefined);
    assert.equal(map.size, 1);
    assert.deepEqual([...map.keys()], [p.rd]);
    assert.deepEqual([...map.values()], [key]);
    assert.deepEqual([...map.entries()], [[p.rd, key]]);
    assert.deepEqual([...map], [[p.rd, key]]);
    const seen: unknown[] = [];
    map.forEach((value, sock, view) => {
      seen.push(value, sock, view);
    });
    assert.deepEqual(seen, [key, p.rd, map]);
    const writable = map as unknown as Map<Socket, SelectorKey>;
    assert.throws(() => writable.delete(p.rd), TypeError);
    assert.throws(() => writable.set(p.wr, key), TypeError);
    assert.throws(() => writable.clear(), TypeError);
    assert.throws(() => {
      (map as unknown as { size: number }).size = 0;
    }, TypeError);
    assert.equal(map.size, 1);
    sel.unregister(p.rd);
    assert.equal(map.size, 0);
  });
});

describe("closing", () => {
  test("empties the map and makes every later call fail with EBADF", async () => {
    await using p = await pair();
    const sel = new DefaultSelector();
    const map = sel.getMap();
    sel.register(p.rd, EVENT_READ);
    sel.register(p.wr, EVENT_WRITE);
    sel.close();
    assert.equal(map.get(p.rd), undefined);
    assert.equal(map.has(p.wr), false);
    assert.equal(sel.getMap().size, 0);
    assert.throws(() => sel.getKey(p.rd), isCode("EBADF"));
    assert.throws(() => sel.register(p.rd, EVENT_READ), isCode("EBADF"));
    assert.throws(() => sel.modify(p.rd, EVENT_READ), isCode("EBADF"));
    assert.throws(() => sel.unregister(p.rd), isCode("EBADF"));
    await assert.rejects(sel.select(0), isCode("EBADF"));
    sel.close();
  });

  test("happens at the end of a using block", async () => {
    await using p = await pair();
    let sel: DefaultSelector | undefined;
    {
      using s = new DefaultSelector();
      sel = s;
      s.register(p.rd, EVENT_READ);
      s.register(p.wr, EVENT_WRITE);
    }
    assert.throws(() => sel.getKey(p.rd), isCode("EBADF"));
  });

  test("rejects a select that is waiting with EBADF", async () => {
    await using p = await pair();
    const sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    const waiting = sel.select();
    await turn();
    sel.close();
    await assert.rejects(waiting, isCode("EBADF"));
  });
});

describe("select", () => {
  test("reports the writable end of a fresh pair and not the empty reading end", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    const wrKey = sel.register(p.wr, EVENT_WRITE);
    const ready = await sel.select();
    assert.deepEqual(ready, [[wrKey, EVENT_WRITE]]);
  });

  test("reports only events that were registered", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    await p.wr.sendAll("x");
    assert.deepEqual(summary(await sel.select(5)), [[p.rd, EVENT_READ]]);
    sel.modify(p.rd, EVENT_READ | EVENT_WRITE);
    assert.deepEqual(summary(await sel.select(5)), [[p.rd, EVENT_READ | EVENT_WRITE]]);
    sel.modify(p.rd, EVENT_WRITE);
    assert.deepEqual(summary(await sel.select(5)), [[p.rd, EVENT_WRITE]]);
  });

  test("answers an empty selector's poll with an empty list", async () => {
    using sel = new DefaultSelector();
    assert.deepEqual(await sel.select(0), []);
  });

  test("is level-triggered: data is reported until it is read", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    await p.wr.sendAll("ping");
    assert.equal((await sel.select(5)).length, 1);
    assert.equal((await sel.select(0)).length, 1);
    assert.deepEqual(await p.rd.recvExactly(4), Buffer.from("ping"));
    assert.deepEqual(await sel.select(0), []);
  });

  test("waits without a timeout until data arrives, arming no timer", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    const waiting = sel.select();
    await turn();
    assert.equal(pendingExpiries(), 0);
    await p.wr.sendAll("x");
    assert.deepEqual(await waiting, [[key, EVENT_READ]]);
  });

  test("sees with a single select(0) data that was already sent", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    for (let i = 0; i < 20; i++) {
      await p.wr.sendAll("x");
      assert.deepEqual(await sel.select(0), [[key, EVENT_READ]]);
      assert.equal((await p.rd.recv(10)).length, 1);
    }
  });

  test("lets a loop of select(0) see data that arrives", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    assert.deepEqual(await sel.select(0), []);
    const sending = p.wr.sendAll("late");
    let polls = 0;
    let ready: [SelectorKey, number][] = [];
    while (ready.length === 0 && polls < 10_000) {
      ready = await sel.select(0);
      polls++;
    }
    await sending;
    assert.deepEqual(summary(ready), [[p.rd, EVENT_READ]]);
  });

  test("takes a registration made while it waits into account", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const waiting = sel.select();
    await turn();
    const key = sel.register(p.wr, EVENT_WRITE);
    assert.deepEqual(await waiting, [[key, EVENT_WRITE]]);
  });

  test("wakes every select that waits", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    const first = sel.select();
    const second = sel.select(5);
    await turn();
    await p.wr.sendAll("x");
    assert.deepEqual(await first, [[key, EVENT_READ]]);
    assert.deepEqual(await second, [[key, EVENT_READ]]);
  });

  test("rejects with the signal's reason when aborted, at once if already aborted", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    const reason = new Error("stop");
    await assert.rejects(
      sel.select(null, { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    const controller = new AbortController();
    const waiting = sel.select(30, { signal: controller.signal });
    await turn();
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.equal(pendingExpiries(), 0);
  });

  test("refuses a NaN timeout with RangeError and a non-number with TypeError", async () => {
    using sel = new DefaultSelector();
    await assert.rejects(sel.select(Number.NaN), RangeError);
    await assert.rejects(sel.select("1" as unknown as number), TypeError);
  });

  test("finds the one reader that became readable among many pairs (test_selector)", async () => {
    using sel = new DefaultSelector();
    const pairs = await Promise.all(Array.from({ length: 12 }, () => socketpair()));
    try {
      const peerOf = new Map<Socket, Socket>();
      for (const [rd, wr] of pairs) {
        sel.register(rd, EVENT_READ);
        sel.register(wr, EVENT_WRITE);
        peerOf.set(wr, rd);
      }
      const message = Buffer.from(" This is a test.");
      const received: Buffer[] = [];
      let writers = [...peerOf.keys()];
      while (writers.length > 0) {
        const ready = await sel.select();
        const readyWriters = ready.filter(([, e]) => e & EVENT_WRITE).map(([k]) => k.fileobj);
        assert.ok(readyWriters.length > 0, "no sockets ready for writing");
        const wr = readyWriters[Math.floor(Math.random() * readyWriters.length)]!;
        await wr.send(message);
        let readers: Socket[] = [];
        for (let i = 0; i < 1000 && readers.length === 0; i++) {
          readers = (await sel.select()).filter(([, e]) => e & EVENT_READ).map(([k]) => k.fileobj);
        }
        assert.deepEqual(readers, [peerOf.get(wr)]);
        received.push(await readers[0]!.recv(message.length));
        sel.unregister(wr);
        sel.unregister(readers[0]!);
        writers = writers.filter((w) => w !== wr);
      }
      assert.deepEqual(received, Array(12).fill(message));
    } finally {
      for (const [rd, wr] of pairs) {
        rd.close();
        wr.close();
      }
    }
  });

  test("reports all of hundreds of writable sockets in one call", async () => {
    using sel = new DefaultSelector();
    const pairs = await Promise.all(Array.from({ length: 200 }, () => socketpair()));
    try {
      for (const [rd, wr] of pairs) {
        sel.register(rd, EVENT_READ);
        sel.register(wr, EVENT_WRITE);
      }
      const ready = await sel.select();
      assert.equal(ready.length, pairs.length);
      assert.ok(
        ready.every(([key, events]) => events === EVENT_WRITE && key.events === EVENT_WRITE),
      );
    } finally {
      for (const [rd, wr] of pairs) {
        rd.close();
        wr.close();
      }
    }
  });
});

interface ManualTimer extends TimerHandle {
  at: number;
  callback: () => void;
}

/** A Clock driven by hand: time moves only in `advance`. */
class ManualClock implements Clock {
  #now = 1_000;
  readonly #timers = new Set<ManualTimer>();
  now(): number {
    return this.#now;
  }
  wallNow(): number {
    return this.#now;
  }
  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer: ManualTimer = { at: this.#now + ms, callback, unref: () => timer };
    this.#timers.add(timer);
    return timer;
  }
  clearTimer(handle: TimerHandle): void {
    this.#timers.delete(handle as ManualTimer);
  }
  advance(ms: number): void {
    this.#now += ms;
    for (const timer of [...this.#timers]) {
      if (timer.at > this.#now) continue;
      this.#timers.delete(timer);
      timer.callback();
    }
  }
}

describe("timeouts", () => {
  test("select(0) and negative timeouts only poll (test_timeout)", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.wr, EVENT_WRITE);
    const t0 = performance.now();
    assert.equal((await sel.select(0)).length, 1);
    assert.equal((await sel.select(-1)).length, 1);
    sel.unregister(p.wr);
    sel.register(p.rd, EVENT_READ);
    assert.deepEqual(await sel.select(0), []);
    assert.deepEqual(await sel.select(-1), []);
    assert.ok(performance.now() - t0 < 500);
    assert.equal(pendingExpiries(), 0);
  });

  test("select(5) answers [] when 5 s have passed on the clock, not a moment before", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    const clock = new ManualClock();
    setClock(clock);
    try {
      const waiting = sel.select(5);
      const state = track(waiting);
      await turn();
      clock.advance(4_999);
      await turn();
      assert.equal(state.settled(), false);
      clock.advance(1);
      assert.deepEqual(await waiting, []);
    } finally {
      setClock(undefined);
    }
  });

  test("select(t) answers at once when data arrives first and drops its timer", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    const waiting = sel.select(30);
    await turn();
    assert.equal(pendingExpiries(), 1);
    await p.wr.sendAll("x");
    assert.deepEqual(await waiting, [[key, EVENT_READ]]);
    assert.equal(pendingExpiries(), 0);
  });

  test("select(0.1) waits at least 100 ms in real time", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    sel.register(p.rd, EVENT_READ);
    const t0 = performance.now();
    assert.deepEqual(await sel.select(0.1), []);
    const elapsed = performance.now() - t0;
    assert.ok(elapsed >= 100, `returned after ${elapsed} ms`);
    assert.ok(elapsed < 2_000, `returned after ${elapsed} ms`);
  });
});

describe("readiness", () => {
  test("a listening socket is readable while a connection is pending, never writable", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    using sel = new DefaultSelector();
    const key = sel.register(server, EVENT_READ | EVENT_WRITE);
    assert.deepEqual(await sel.select(0), []);
    using client = socket();
    await client.connect(server.getsockname() as [string, number]);
    assert.deepEqual(await sel.select(5), [[key, EVENT_READ]]);
    const [conn] = await server.accept();
    conn.close();
    assert.deepEqual(await sel.select(0), []);
  });

  test("a stream is readable at end of stream, where recv returns empty", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    p.wr.shutdown(SHUT_WR);
    assert.deepEqual(await sel.select(5), [[key, EVENT_READ]]);
    assert.equal((await p.rd.recv(10)).length, 0);
    assert.deepEqual(await sel.select(0), [[key, EVENT_READ]]);
  });

  test("a stream is readable when a reset is pending, and recv raises it", async () => {
    await using t = await tcpPair();
    using sel = new DefaultSelector();
    const key = sel.register(t.client, EVENT_READ);
    t.server.setsockopt(SOL_SOCKET, SO_LINGER, 0);
    t.server.close();
    assert.deepEqual(await sel.select(5), [[key, EVENT_READ]]);
    await assert.rejects(t.client.recv(10), ConnectionResetError);
  });

  test("a non-blocking connect is writable once it has connected", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    using sel = new DefaultSelector();
    using sock = socket();
    sock.setBlocking(false);
    await assert.rejects(
      sock.connect(server.getsockname() as [string, number]),
      (e) => e instanceof BlockingIOError && e.code === "EINPROGRESS",
    );
    const key = sel.register(sock, EVENT_WRITE);
    assert.deepEqual(await sel.select(5), [[key, EVENT_WRITE]]);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  });

  test("a non-blocking connect that fails is readable and writable, and SO_ERROR says why", async () => {
    const server = await createServer(["127.0.0.1", 0]);
    const address = server.getsockname() as [string, number];
    server.close();
    using sel = new DefaultSelector();
    using sock = socket();
    sock.setBlocking(false);
    await assert.rejects(sock.connect(address), BlockingIOError);
    const key = sel.register(sock, EVENT_READ | EVENT_WRITE);
    assert.deepEqual(await sel.select(5), [[key, EVENT_READ | EVENT_WRITE]]);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_ERROR), 111);
  });

  test("a socket closed while registered is reported ready, and recv on it fails with EBADF", async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    const key = sel.register(p.rd, EVENT_READ);
    const waiting = sel.select(5);
    await turn();
    p.rd.close();
    assert.deepEqual(await waiting, [[key, EVENT_READ]]);
    await assert.rejects(p.rd.recv(1), isCode("EBADF"));
    sel.unregister(p.rd);
  });

  test("a stream is not writable while its send buffer is full, and is again once it drains", {
    // Bun hands a reader everything the kernel holds in one chunk (180 KiB here, where Node.js
    // reads 64 KiB at a time), so the writer's queue drains before anybody reads.
    todo: ON_BUN && "Bun: one read takes all the kernel holds, emptying the writer's queue",
  }, async () => {
    await using p = await pair();
    using sel = new DefaultSelector();
    p.wr.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096);
    p.rd.setsockopt(SOL_SOCKET, SO_RCVBUF, 1024);
    p.wr.setBlocking(false);
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    for (;;) {
      try {
        sent += await p.wr.send(chunk);
      } catch (error) {
        if (error instanceof BlockingIOError) break;
        throw error;
      }
    }
    const wrKey = sel.register(p.wr, EVENT_WRITE);
    const rdKey = sel.register(p.rd, EVENT_READ);
    assert.deepEqual(await sel.select(0), [[rdKey, EVENT_READ]]);
    let received = 0;
    for (;;) {
      const ready = await sel.select(5);
      assert.ok(ready.length > 0);
      if (ready.some(([key]) => key === wrKey)) break;
      received += (await p.rd.recv(64 * 1024)).length;
    }
    assert.ok(received > 0 && received < sent);
  });
});

/** A selectable stand-in that counts how often its readiness is checked. */
class Probe {
  ready = false;
  checks = 0;
  #listener: (() => void) | undefined;
  readonly [READINESS]: Readiness = {
    readable: () => {
      this.checks++;
      return this.ready;
    },
    writable: () => {
      this.checks++;
      return false;
    },
    fileno: () => -1,
    observe: (listener) => {
      this.#listener = listener;
      return () => {
        this.#listener = undefined;
      };
    },
  };
  set(ready: boolean): void {
    this.ready = ready;
    this.#listener?.();
  }
}

describe("cost", () => {
  test("select checks only the objects whose readiness changed, not every registered one", async () => {
    using sel = new DefaultSelector<Probe>();
    const probes = Array.from({ length: 1000 }, () => new Probe());
    for (const probe of probes) sel.register(probe, EVENT_READ | EVENT_WRITE);
    const waiting = sel.select();
    await turn();
    for (const probe of probes) probe.checks = 0;
    probes[7]!.set(true);
    assert.deepEqual(summary(await waiting), [[probes[7], EVENT_READ]]);
    assert.deepEqual(summary(await sel.select(0)), [[probes[7], EVENT_READ]]);
    probes[7]!.set(false);
    assert.deepEqual(await sel.select(0), []);
    const checked = probes.filter((probe) => probe.checks > 0);
    assert.deepEqual(checked, [probes[7]]);
    assert.ok(probes[7]!.checks <= 16);
  });
});

// --- the examples ---------------------------------------------------------------------------

const SERVER = fileURLToPath(new URL("../examples/selectors-echo-server.js", import.meta.url));
const CLIENT = fileURLToPath(new URL("../examples/selectors-echo-client.js", import.meta.url));
const PY_SERVER = readFileSync(
  new URL("../../test/fixtures/selectors_echo_server.py", import.meta.url),
  "utf8",
);
const PY_CLIENT = readFileSync(
  new URL("../../test/fixtures/selectors_echo_client.py", import.meta.url),
  "utf8",
);
const MESSAGES = ["It will be repeated.", "This is the message.  ", "x".repeat(100_000)];

/** Runs a compiled example as a peer process. */
function node(script: string, args: string[]): PythonPeer {
  return peer(process.execPath, [script, ...args], new Uint8Array(0));
}

/** The port from a server's `listening on HOST PORT` line. */
async function portOf(server: { firstLine: Promise<string> }): Promise<string> {
  const match = /^listening on 127\.0\.0\.1 (\d+)$/.exec(await server.firstLine);
  assert.ok(match, "the server did not print its address");
  return match[1]!;
}

/** Stops a server with SIGTERM and checks that it shut down cleanly. */
async function stop(server: PythonPeer) {
  server.child.kill("SIGTERM");
  assert.equal((await server.done()).code, 0);
}

describe("the selectors echo examples", () => {
  const pairs = [
    ["the TypeScript client and server echo each other's messages", "node", "node"],
    ["the TypeScript server echoes CPython's selectors client", "node", "python"],
    ["the TypeScript client talks to CPython's selectors server", "python", "node"],
  ] as const;
  for (const [name, serverKind, clientKind] of pairs) {
    test(name, async () => {
      const server =
        serverKind === "node"
          ? node(SERVER, ["127.0.0.1", "0", "--quiet"])
          : python(PY_SERVER, ["127.0.0.1", "0"]);
      try {
        const args = ["127.0.0.1", await portOf(server), ...MESSAGES];
        const client = clientKind === "node" ? node(CLIENT, args) : python(PY_CLIENT, args);
        const { code, stdout } = await client.done();
        assert.deepEqual({ code, stdout }, { code: 0, stdout: MESSAGES.join("") });
      } finally {
        await stop(server);
      }
    });
  }

  test("the TypeScript server serves many clients at once", async () => {
    const server = node(SERVER, ["127.0.0.1", "0", "--quiet"]);
    try {
      const address: Address = ["127.0.0.1", Number(await portOf(server))];
      const payload = Buffer.alloc(200_000);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
      const clients = Array.from({ length: 40 }, () => socket());
      try {
        await Promise.all(
          clients.map(async (client, i) => {
            await client.connect(address);
            const mine = payload.subarray(i * 1000);
            const [, echoed] = await Promise.all([
              client.sendAll(mine),
              client.recvExactly(mine.length),
            ]);
            assert.ok(echoed.equals(mine));
          }),
        );
      } finally {
        for (const client of clients) client.close();
      }
    } finally {
      await stop(server);
    }
  });
});
