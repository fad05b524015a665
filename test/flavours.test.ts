/**
 * The behaviour both flavours promise, one table of tests run against `sockit` and against
 * `sockit/sync`: the three modes, timeouts that never fire early, deadlines, nothing lost to a
 * timeout or a miss, half-close, resets, closed sockets and bad input.
 *
 * Each test is written in the order a single thread can follow with blocking calls (data is
 * sent before it is received; a call that waits has a timeout or a peer in another process), and
 * every call is awaited: an async call's promise and a synchronous call's value alike.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncApi from "../src/index.js";
import * as syncApi from "../src/sync/index.js";
import { checkLeaks, isCode, python } from "./helpers.js";

checkLeaks();

const {
  AF_INET,
  BlockingIOError,
  ConnectionRefusedError,
  ConnectionResetError,
  IncompleteReadError,
  LimitOverrunError,
  MSG_PEEK,
  SHUT_WR,
  SO_LINGER,
  SocketError,
  SOL_SOCKET,
  TimeoutError,
} = asyncApi;

type Api = typeof asyncApi | typeof syncApi;
type AnySocket = asyncApi.Socket | syncApi.Socket;

/** Both ends of a loopback connection and the listener, closed by `await using`. */
async function pair(api: Api): Promise<{ a: AnySocket; b: AnySocket } & AsyncDisposable> {
  const server = await api.createServer(["127.0.0.1", 0]);
  try {
    const a = api.socket(AF_INET);
    await a.connect(server.getsockname() as [string, number]);
    const [b] = await server.accept();
    return {
      a,
      b,
      async [Symbol.asyncDispose]() {
        a.close();
        b.close();
      },
    };
  } finally {
    server.close();
  }
}

/** Reads exactly `n` bytes with blocking recvs (the bytes must be on their way). */
async function readAll(sock: AnySocket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const part = await sock.recv(n - got);
    if (part.length === 0) break;
    parts.push(part);
    got += part.length;
  }
  return Buffer.concat(parts);
}

/** Distinct bytes, so that loss or reordering shows. */
function pattern(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13) % 251;
  return out;
}

const FLAVOURS: [string, Api][] = [
  ["sockit", asyncApi],
  ["sockit/sync", syncApi],
];

for (const [flavour, api] of FLAVOURS) {
  describe(`${flavour}: the three modes`, { timeout: 30_000 }, () => {
    test("blocking recv returns what was sent, and empty only at end of stream", async () => {
      await using p = await pair(api);
      await p.a.sendAll("hello");
      assert.equal((await p.b.recv(100)).toString(), "hello");
      p.a.shutdown(SHUT_WR);
      assert.equal((await p.b.recv(100)).length, 0);
      assert.equal((await p.b.recv(100)).length, 0);
    });

    test("non-blocking: a miss fails at once with EAGAIN and consumes nothing", async () => {
      await using p = await pair(api);
      p.b.setBlocking(false);
      await assert.rejects(async () => p.b.recv(10), isCode(BlockingIOError, "EAGAIN"));
      await p.a.sendAll("x");
      let data: Buffer | undefined;
      for (let i = 0; i < 1000 && data === undefined; i++) {
        try {
          data = await p.b.recv(10);
        } catch (error) {
          if (!(error instanceof BlockingIOError)) throw error;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      }
      assert.equal(data?.toString(), "x");
    });

    test("timeout: TimeoutError no earlier than the timeout, and the socket still works", async () => {
      await using p = await pair(api);
      p.b.setTimeout(0.15);
      const started = performance.now();
      await assert.rejects(async () => p.b.recv(10), isCode(TimeoutError, "ETIMEDOUT"));
      const took = performance.now() - started;
      assert.ok(took >= 149, `timed out after ${took} ms`);
      assert.ok(took < 5000);
      await p.a.sendAll("after");
      assert.equal((await p.b.recv(10)).toString(), "after");
    });

    test("a per-call timeout overrides the socket's mode", async () => {
      await using p = await pair(api);
      await assert.rejects(async () => p.b.recv(10, { timeout: 0 }), BlockingIOError);
      p.b.setBlocking(false);
      await assert.rejects(async () => p.b.recv(10, { timeout: 0.05 }), TimeoutError);
    });

    test("an already aborted signal rejects with its reason before trying", async () => {
      await using p = await pair(api);
      await p.a.sendAll("kept");
      const reason = new Error("stop");
      await assert.rejects(
        async () => p.b.recv(10, { signal: AbortSignal.abort(reason) }),
        (e) => e === reason,
      );
      assert.equal((await p.b.recv(10)).toString(), "kept");
    });
  });

  describe(`${flavour}: deadlines`, { timeout: 30_000 }, () => {
    test("a passed read deadline fails at once even when data is ready", async () => {
      await using p = await pair(api);
      await p.a.sendAll("ready");
      await new Promise((resolve) => setTimeout(resolve, 20));
      p.b.setReadDeadline(Date.now() - 1);
      await assert.rejects(async () => p.b.recv(10), TimeoutError);
      p.b.setReadDeadline(null);
      assert.equal((await p.b.recv(10)).toString(), "ready");
    });

    test("a future deadline ends a blocking wait no earlier than it", async () => {
      await using p = await pair(api);
      const started = performance.now();
      p.b.setDeadline(new Date(Date.now() + 120));
      await assert.rejects(async () => p.b.recv(10), TimeoutError);
      assert.ok(performance.now() - started >= 115);
    });

    test("the write deadline does not touch reads", async () => {
      await using p = await pair(api);
      p.b.setWriteDeadline(Date.now() - 1);
      await p.a.sendAll("r");
      assert.equal((await p.b.recv(1)).toString(), "r");
      await assert.rejects(async () => p.b.sendAll("w"), TimeoutError);
    });
  });

  describe(`${flavour}: nothing lost`, { timeout: 30_000 }, () => {
    test("recvExactly and recvUntil consume nothing on a timeout", async () => {
      await using p = await pair(api);
      await p.a.sendAll("abc");
      p.b.setTimeout(0.05);
      await assert.rejects(async () => p.b.recvExactly(4), TimeoutError);
      await assert.rejects(async () => p.b.recvUntil("\n"), TimeoutError);
      await p.a.sendAll("d\n");
      assert.equal((await p.b.recvExactly(4)).toString(), "abcd");
      assert.equal((await p.b.recvUntil("\n")).toString(), "\n");
    });

    test("recvUntil past maxBytes is LimitOverrunError and consumes nothing", async () => {
      await using p = await pair(api);
      await p.a.sendAll("0123456789");
      await new Promise((resolve) => setTimeout(resolve, 20));
      await assert.rejects(async () => p.b.recvUntil("\n", { maxBytes: 5 }), LimitOverrunError);
      assert.equal((await p.b.recvExactly(10)).toString(), "0123456789");
    });

    test("at end of stream recvExactly is IncompleteReadError with what was left", async () => {
      await using p = await pair(api);
      await p.a.sendAll("part");
      p.a.shutdown(SHUT_WR);
      await assert.rejects(
        async () => p.b.recvExactly(10),
        (e: unknown) => e instanceof IncompleteReadError && e.partial.toString() === "part",
      );
    });

    test("MSG_PEEK returns data without consuming it", async () => {
      await using p = await pair(api);
      await p.a.sendAll("peek");
      assert.equal((await p.b.recv(2, MSG_PEEK)).toString(), "pe");
      assert.equal((await p.b.recv(10, { flags: MSG_PEEK })).toString(), "peek");
      const buffer = new Uint8Array(10);
      assert.equal(await p.b.recvInto(buffer, 4), 4);
      assert.equal(Buffer.from(buffer.subarray(0, 4)).toString(), "peek");
    });

    test("a timed-out sendAll says exactly how many bytes were accepted, and they arrive", async () => {
      await using p = await pair(api);
      const data = pattern(32 * 1024 * 1024);
      let sent = -1;
      try {
        await p.a.sendAll(data, { timeout: 0.2 });
      } catch (error) {
        assert.ok(error instanceof TimeoutError);
        sent = (error as { bytesSent?: number }).bytesSent ?? -1;
      }
      assert.ok(sent > 0 && sent < data.length, `bytesSent ${sent}`);
      const received = await readAll(p.b, sent);
      assert.ok(received.equals(data.subarray(0, sent)));
      p.b.setBlocking(false);
      await assert.rejects(async () => p.b.recv(1), BlockingIOError);
    });

    test("reads with random timeouts and misses against a peer process lose no byte", async () => {
      const size = 200_000;
      const server = await api.createServer(["127.0.0.1", 0]);
      const port = (server.getsockname() as [string, number])[1];
      const real = python(
        `import socket, sys, time, random
random.seed(7)
s = socket.create_connection(("127.0.0.1", ${port}))
data = bytes((i * 13) % 251 for i in range(${size}))
i = 0
while i < len(data):
    n = random.randint(1, 9000)
    s.sendall(data[i:i + n]); i += n
    if random.random() < 0.3: time.sleep(0.002)
s.close()`,
        [],
      );
      const [conn] = await server.accept({ timeout: 10 });
      server.close();
      const parts: Buffer[] = [];
      let seed = 11;
      const random = (): number => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      for (;;) {
        const choice = random();
        const n = 1 + Math.floor(random() * 5000);
        try {
          let part: Buffer;
          if (choice < 0.25) part = await conn.recv(n, { timeout: 0 });
          else if (choice < 0.5) part = await conn.recv(n, { timeout: 0.001 });
          else if (choice < 0.75) part = await conn.recvExactly(n, { timeout: 0.003 });
          else part = await conn.recv(n, { timeout: 5 });
          if (part.length === 0) break;
          parts.push(part);
        } catch (error) {
          if (error instanceof IncompleteReadError) {
            parts.push(error.partial);
            break;
          }
          if (!(error instanceof TimeoutError || error instanceof BlockingIOError)) throw error;
        }
      }
      conn.close();
      assert.equal((await real.done()).code, 0);
      assert.ok(Buffer.concat(parts).equals(pattern(size)));
    });
  });

  describe(`${flavour}: connections`, { timeout: 30_000 }, () => {
    test("half-close: SHUT_WR ends the peer's stream, and the other way still works", async () => {
      await using p = await pair(api);
      await p.a.sendAll("question");
      p.a.shutdown(SHUT_WR);
      assert.equal((await readAll(p.b, 100)).toString(), "question");
      await p.b.sendAll("answer");
      p.b.shutdown(SHUT_WR);
      assert.equal((await readAll(p.a, 100)).toString(), "answer");
    });

    test("a reset after data gives the data, then ConnectionResetError", async () => {
      await using p = await pair(api);
      await p.a.sendAll("last words");
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await p.b.recv(100)).toString(), "last words");
      p.a.setsockopt(SOL_SOCKET, SO_LINGER, 0);
      p.a.close();
      p.b.setTimeout(5);
      await assert.rejects(async () => p.b.recv(100), ConnectionResetError);
    });

    test("refused connections are ConnectionRefusedError, and connectEx gives 111", async () => {
      const server = await api.createServer(["127.0.0.1", 0]);
      const address = server.getsockname() as [string, number];
      server.close();
      const sock = api.socket();
      await assert.rejects(async () => sock.connect(address), ConnectionRefusedError);
      sock.close();
      const again = api.socket();
      assert.equal(await again.connectEx(address), 111);
      again.close();
    });

    test("a non-blocking connect is EINPROGRESS, then completes", async () => {
      const server = await api.createServer(["127.0.0.1", 0]);
      const sock = api.socket();
      sock.setBlocking(false);
      await assert.rejects(
        async () => sock.connect(server.getsockname() as [string, number]),
        isCode(BlockingIOError, "EINPROGRESS"),
      );
      sock.setBlocking(true);
      await sock.sendAll("x");
      const [conn] = await server.accept();
      assert.equal((await conn.recv(1)).toString(), "x");
      conn.close();
      sock.close();
      server.close();
    });

    test("accept: non-blocking fails at once, a timeout fails after it", async () => {
      const server = await api.createServer(["127.0.0.1", 0]);
      server.setBlocking(false);
      await assert.rejects(async () => server.accept(), BlockingIOError);
      await assert.rejects(async () => server.accept({ timeout: 0.05 }), TimeoutError);
      server.close();
    });
  });

  describe(`${flavour}: closed sockets and bad input`, { timeout: 30_000 }, () => {
    test("every call on a closed socket is EBADF", async () => {
      await using p = await pair(api);
      p.b.close();
      await assert.rejects(async () => p.b.recv(1), isCode(SocketError, "EBADF"));
      await assert.rejects(async () => p.b.sendAll("x"), isCode(SocketError, "EBADF"));
      assert.throws(() => p.b.getsockname(), isCode(SocketError, "EBADF"));
      assert.equal(p.b.fileno(), -1);
    });

    test("with bytes already received, recv and recvInto still check everything first", async () => {
      await using p = await pair(api);
      await p.a.sendAll("waiting");
      // A peek leaves the bytes received but not taken, in either flavour.
      assert.equal((await p.b.recv(7, MSG_PEEK)).toString(), "waiting");
      await assert.rejects(async () => p.b.recv(1.5), TypeError);
      await assert.rejects(async () => p.b.recv(2 ** 31), RangeError);
      await assert.rejects(async () => p.b.recvInto("x" as unknown as Uint8Array), TypeError);
      assert.equal(await p.b.recvInto(new Uint8Array(0)), 0);
      p.b.setReadDeadline(Date.now() - 1);
      await assert.rejects(async () => p.b.recvInto(Buffer.alloc(4)), TimeoutError);
      p.b.setReadDeadline(null);
      const into = Buffer.alloc(4);
      assert.equal(await p.b.recvInto(into), 4);
      assert.equal(into.toString(), "wait");
      assert.equal((await p.b.recv(10)).toString(), "ing");
      await p.a.sendAll("more");
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await p.b.recv(2, MSG_PEEK)).toString(), "mo");
      p.b.close();
      await assert.rejects(async () => p.b.recv(10), isCode(SocketError, "EBADF"));
      await assert.rejects(async () => p.b.recvInto(into), isCode(SocketError, "EBADF"));
    });

    test("wrong types and values are TypeError and RangeError", async () => {
      await using p = await pair(api);
      await assert.rejects(async () => p.b.recv(-1), RangeError);
      await assert.rejects(async () => p.b.recv("1" as unknown as number), TypeError);
      await assert.rejects(async () => p.b.sendAll(5 as unknown as string), TypeError);
      await assert.rejects(async () => p.b.recv(1, { timeout: -1 }), RangeError);
      await assert.rejects(async () => p.b.recv(1, { signal: {} as AbortSignal }), TypeError);
      assert.throws(() => p.b.setTimeout(Number.NaN), RangeError);
      assert.throws(() => p.b.shutdown(7), RangeError);
      assert.throws(() => api.socket(Symbol("x") as unknown as number), TypeError);
    });
  });

  describe(`${flavour}: datagram sockets`, { timeout: 30_000 }, () => {
    /** Two bound UDP sockets on loopback, closed by `await using`. */
    async function udpPair(): Promise<
      { a: AnySocket; b: AnySocket; bAddr: [string, number] } & AsyncDisposable
    > {
      const a = api.socket(AF_INET, asyncApi.SOCK_DGRAM);
      const b = api.socket(AF_INET, asyncApi.SOCK_DGRAM);
      await a.bind(["127.0.0.1", 0]);
      await b.bind(["127.0.0.1", 0]);
      return {
        a,
        b,
        bAddr: b.getsockname() as [string, number],
        async [Symbol.asyncDispose]() {
          a.close();
          b.close();
        },
      };
    }

    test("one recvFrom is one datagram, with its sender's address; empty ones count", async () => {
      await using p = await udpPair();
      await p.a.sendTo("first", p.bAddr);
      await p.a.sendTo("", p.bAddr);
      await p.a.sendTo("third", p.bAddr);
      const [first, from] = await p.b.recvFrom(100, { timeout: 5 });
      assert.equal(first.toString(), "first");
      assert.deepEqual(from, p.a.getsockname());
      assert.equal((await p.b.recvFrom(100, { timeout: 5 }))[0].length, 0);
      const buffer = new Uint8Array(3);
      const [n] = await p.b.recvFromInto(buffer, { timeout: 5 });
      assert.equal(n, 3, "a datagram longer than the buffer is cut to it");
      assert.equal(Buffer.from(buffer).toString(), "thi");
      p.b.setBlocking(false);
      await assert.rejects(async () => p.b.recvFrom(100), isCode(BlockingIOError, "EAGAIN"));
    });

    test("a timed-out recvFrom loses no datagram, and the next one gets it", async () => {
      await using p = await udpPair();
      p.b.setTimeout(0.1);
      const started = performance.now();
      await assert.rejects(async () => p.b.recvFrom(100), TimeoutError);
      assert.ok(performance.now() - started >= 99);
      await p.a.sendTo("late", p.bAddr);
      assert.equal((await p.b.recv(100)).toString(), "late");
    });

    test("connect sets the default peer for send and recv", async () => {
      await using p = await udpPair();
      await p.a.connect(p.bAddr);
      await p.a.send("via send");
      assert.equal((await p.b.recv(100, { timeout: 5 })).toString(), "via send");
      assert.deepEqual(p.a.getpeername(), p.bAddr);
    });

    test("stream-only calls on a datagram socket are EOPNOTSUPP", async () => {
      await using p = await udpPair();
      await assert.rejects(async () => p.a.listen(), isCode(SocketError, "EOPNOTSUPP"));
      await assert.rejects(async () => p.a.sendAll("x"), isCode(SocketError, "EOPNOTSUPP"));
      await assert.rejects(async () => p.a.recvExactly(1), isCode(SocketError, "EOPNOTSUPP"));
      assert.equal(p.b.dropped, 0);
    });

    test("a selector reports a datagram socket readable", async () => {
      await using p = await udpPair();
      const sel = new api.DefaultSelector();
      try {
        sel.register(p.b as never, asyncApi.EVENT_READ, "udp");
        assert.deepEqual(await sel.select(0), []);
        await p.a.sendTo("ping", p.bAddr);
        const ready = await sel.select(5);
        assert.deepEqual(
          ready.map(([key]) => key.data),
          ["udp"],
        );
      } finally {
        sel.close();
      }
    });
  });

  describe(`${flavour}: selectors`, { timeout: 30_000 }, () => {
    test("select reports a connection whose data came before it was accepted", async () => {
      const server = await api.createServer(["127.0.0.1", 0]);
      const client = api.socket();
      await client.connect(server.getsockname() as [string, number]);
      await client.sendAll("early");
      await new Promise((resolve) => setTimeout(resolve, 30));
      const [conn] = await server.accept();
      const sel = new api.DefaultSelector();
      try {
        sel.register(conn as never, asyncApi.EVENT_READ, "early");
        const ready = await sel.select(2);
        assert.deepEqual(
          ready.map(([key, mask]) => [key.data, mask]),
          [["early", asyncApi.EVENT_READ]],
        );
        assert.equal((await conn.recv(10)).toString(), "early");
      } finally {
        sel.close();
        conn.close();
        client.close();
        server.close();
      }
    });

    test("select waits for data, reports it, and times out with nothing", async () => {
      await using p = await pair(api);
      const sel = new api.DefaultSelector();
      try {
        sel.register(p.b as never, asyncApi.EVENT_READ, "b");
        const started = performance.now();
        assert.deepEqual(await sel.select(0.1), []);
        assert.ok(performance.now() - started >= 99);
        await p.a.sendAll("ping");
        const ready = await sel.select(5);
        assert.equal(ready.length, 1);
        assert.equal(ready[0]![0].data, "b");
        assert.equal(ready[0]![1], asyncApi.EVENT_READ);
        assert.equal((await p.b.recv(10)).toString(), "ping");
        assert.deepEqual(await sel.select(0), []);
      } finally {
        sel.close();
      }
    });
  });
}

test("both flavours raise the very same error classes", () => {
  for (const name of [
    "SocketError",
    "BlockingIOError",
    "TimeoutError",
    "ConnectionResetError",
    "AddressInfoError",
    "StructError",
    "KeyError",
  ] as const) {
    assert.equal(syncApi[name], asyncApi[name], name);
  }
  assert.equal(syncApi.pack, asyncApi.pack);
  assert.equal(syncApi.inetAton, asyncApi.inetAton);
  assert.equal(syncApi.AF_INET6, asyncApi.AF_INET6);
});

test("the synchronous Socket has the async Socket's calls but the stream adapters, and detach", () => {
  const calls = (proto: object): string[] =>
    Reflect.ownKeys(proto)
      .filter((key) => key !== "constructor" && key !== Symbol.asyncDispose)
      .map(String)
      .filter((key) => !key.startsWith("Symbol(sockit"))
      .sort();
  assert.deepEqual(
    calls(syncApi.Socket.prototype),
    [
      ...calls(asyncApi.Socket.prototype).filter(
        (name) =>
          ![
            "makefile",
            "toDuplex",
            "readable",
            "writable",
            "Symbol(Symbol.asyncIterator)",
          ].includes(name),
      ),
      "detach",
    ].sort(),
  );
});
