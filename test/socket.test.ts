import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  AddressInfoError,
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  BrokenPipeError,
  ConnectionRefusedError,
  ConnectionResetError,
  createServer,
  getDefaultTimeout,
  IncompleteReadError,
  IPPROTO_TCP,
  LimitOverrunError,
  MSG_PEEK,
  SHUT_RD,
  SHUT_WR,
  SO_ERROR,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_SNDBUF,
  SOL_SOCKET,
  Socket,
  SocketError,
  setDefaultTimeout,
  socket,
  socketpair,
  TCP_NODELAY,
  TimeoutError,
} from "../src/index.js";
import { bufferMemory, checkLeaks, isCode, ON_DENO, sleep, tcpPair } from "./helpers.js";

checkLeaks();

describe("a fresh socket", () => {
  test("starts blocking with the default timeout", () => {
    using sock = socket();
    assert.equal(sock.getTimeout(), null);
    assert.equal(sock.getBlocking(), true);
    assert.equal(sock.family, AF_INET);
    assert.equal(sock.closed, false);
  });

  test("takes its timeout from setDefaultTimeout", () => {
    setDefaultTimeout(2.5);
    try {
      using sock = socket();
      assert.equal(sock.getTimeout(), 2.5);
      assert.equal(getDefaultTimeout(), 2.5);
    } finally {
      setDefaultTimeout(null);
    }
  });

  test("maps setBlocking to a timeout of null or 0", () => {
    using sock = socket();
    sock.setBlocking(false);
    assert.equal(sock.getTimeout(), 0);
    assert.equal(sock.getBlocking(), false);
    sock.setTimeout(0.25);
    assert.equal(sock.getBlocking(), true);
    sock.setBlocking(true);
    assert.equal(sock.getTimeout(), null);
  });

  test("refuses negative, NaN and infinite timeouts with RangeError", () => {
    using sock = socket();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => sock.setTimeout(bad), RangeError);
      assert.throws(() => setDefaultTimeout(bad), RangeError);
    }
    assert.throws(() => sock.setTimeout("1" as unknown as number), TypeError);
  });

  test("refuses unknown families and types", () => {
    assert.throws(() => new Socket(99), SocketError);
    assert.throws(() => new Socket(AF_INET, 99), SocketError);
  });

  test("raises ENOTCONN for recv and EPIPE for send before it is connected", async () => {
    using sock = socket();
    await assert.rejects(sock.recv(1), isCode(SocketError, "ENOTCONN"));
    await assert.rejects(sock.send("x"), BrokenPipeError);
    assert.throws(() => sock.getpeername(), isCode(SocketError, "ENOTCONN"));
  });
});

describe("bad arguments", () => {
  test("are TypeError or RangeError, rejected rather than thrown by async calls", async () => {
    await using pair = await tcpPair();
    const { client } = pair;
    await assert.rejects(client.recv(-1), RangeError);
    await assert.rejects(client.recv(1.5), TypeError);
    await assert.rejects(client.recvExactly(-2), RangeError);
    await assert.rejects(client.recvInto("x" as unknown as Uint8Array), TypeError);
    await assert.rejects(client.recvInto(new Uint8Array(2), 3), RangeError);
    await assert.rejects(client.sendAll(42 as unknown as string), TypeError);
    await assert.rejects(client.recvUntil(""), RangeError);
    await assert.rejects(client.recvUntil("\n", { maxBytes: 0 }), RangeError);
    await assert.rejects(client.recv(1, { timeout: -1 }), RangeError);
    await assert.rejects(socket().connect(["127.0.0.1", 70000]), RangeError);
    await assert.rejects(socket().connect("nope" as unknown as [string, number]), TypeError);
    await assert.rejects(socket(AF_UNIX).connect(["a", 1] as unknown as string), TypeError);
    assert.throws(() => client.shutdown(7), RangeError);
    assert.throws(() => client.setDeadline("soon" as unknown as Date), TypeError);
    assert.throws(() => client.setDeadline(new Date(Number.NaN)), RangeError);
  });
});

describe("connecting", () => {
  test("reports refused connections as ConnectionRefusedError and connectEx as 111", async () => {
    const probe = await createServer(["127.0.0.1", 0]);
    const address = probe.getsockname() as [string, number];
    probe.close();
    await sleep(10);
    using a = socket();
    await assert.rejects(a.connect(address), ConnectionRefusedError);
    using b = socket();
    assert.equal(await b.connectEx(address), 111);
  });

  test("fails a non-blocking connect with EINPROGRESS and reports the outcome through SO_ERROR", async () => {
    using server = await createServer(["127.0.0.1", 0]);
    using sock = socket();
    sock.setBlocking(false);
    await assert.rejects(
      sock.connect(server.getsockname() as [string, number]),
      isCode(BlockingIOError, "EINPROGRESS"),
    );
    sock.setBlocking(true);
    await sock.send("x"); // waits until connected
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
    assert.equal(await sock.connectEx(server.getsockname() as [string, number]), 106);
    const [conn] = await server.accept();
    conn.close();
  });

  test("reports a failed non-blocking connect through SO_ERROR once", async () => {
    const probe = await createServer(["127.0.0.1", 0]);
    const address = probe.getsockname() as [string, number];
    probe.close();
    await sleep(10);
    using sock = socket();
    assert.equal(await sock.connectEx(address, { timeout: 0 }), 115);
    let error = 0;
    for (let i = 0; i < 400 && error === 0; i++) {
      await sleep(5);
      error = sock.getsockopt(SOL_SOCKET, SO_ERROR) as number;
    }
    assert.equal(error, 111);
    // Reading SO_ERROR cleared it.
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  });

  test("rejects connecting an AF_INET socket to an IPv6 literal with EAI_ADDRFAMILY", async () => {
    using sock = socket(AF_INET);
    await assert.rejects(sock.connect(["::1", 80]), isCode(AddressInfoError, "EAI_ADDRFAMILY"));
  });

  test("gives up a connect whose timeout already expired at once, and the socket can connect again", async () => {
    using server = await createServer(["127.0.0.1", 0]);
    using sock = socket();
    sock.setWriteDeadline(Date.now() - 1);
    await assert.rejects(sock.connect(server.getsockname() as [string, number]), TimeoutError);
    sock.setWriteDeadline(null);
    await sock.connect(server.getsockname() as [string, number]);
    const [conn] = await server.accept();
    conn.close();
  });

  test("shows the real port after listen and the peer after accept", async () => {
    using server = socket();
    await server.bind(["127.0.0.1", 0]);
    await server.listen();
    const [host, port] = server.getsockname() as [string, number];
    assert.equal(host, "127.0.0.1");
    assert.ok(port > 0);
    using client = socket();
    await client.connect(["127.0.0.1", port]);
    const [conn, address] = await server.accept();
    using _conn = conn;
    assert.deepEqual(address, client.getsockname());
    assert.deepEqual(conn.getpeername(), client.getsockname());
    assert.deepEqual(client.getpeername(), ["127.0.0.1", port]);
  });

  test("fileno() is the OS descriptor of a listening, connected or accepted TCP socket", {
    todo: ON_DENO && "Deno: TCP handles expose no descriptor, so fileno() is -1",
  }, async () => {
    using server = await createServer(["127.0.0.1", 0]);
    using client = socket();
    await client.connect(server.getsockname() as [string, number]);
    const [conn] = await server.accept();
    using _conn = conn;
    const fds = [server.fileno(), client.fileno(), conn.fileno()];
    assert.ok(fds.every((fd) => fd > 2) && new Set(fds).size === 3, `fds ${fds}`);
  });

  test("surfaces EADDRINUSE at listen", async () => {
    using first = await createServer(["127.0.0.1", 0]);
    using second = socket();
    await second.bind(first.getsockname() as [string, number]);
    await assert.rejects(second.listen(), isCode(SocketError, "EADDRINUSE"));
  });

  test("works over IPv6 with four-part addresses", async () => {
    await using pair = await tcpPair(AF_INET6);
    const [host, port, flowinfo, scopeId] = pair.client.getpeername() as [
      string,
      number,
      number,
      number,
    ];
    assert.equal(host, "::1");
    assert.ok(port > 0);
    assert.equal(flowinfo, 0);
    assert.equal(scopeId, 0);
    await pair.client.sendAll("v6");
    assert.equal((await pair.server.recvExactly(2)).toString(), "v6");
  });

  test("works over Unix paths and the abstract namespace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockit-"));
    try {
      for (const path of [join(dir, "s.sock"), `\0sockit-test-${process.pid}`]) {
        using server = socket(AF_UNIX);
        await server.bind(path);
        await server.listen();
        assert.equal(server.getsockname(), path);
        using client = socket(AF_UNIX);
        await client.connect(path);
        const [conn, address] = await server.accept();
        using _conn = conn;
        assert.equal(address, "");
        assert.equal(client.getpeername(), path);
        await client.sendAll("unix");
        assert.equal((await conn.recvExactly(4)).toString(), "unix");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("receiving", () => {
  test("recv returns what is there, and an empty buffer only at end of stream", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("abc");
    assert.equal((await pair.server.recv(10)).toString(), "abc");
    pair.client.shutdown(SHUT_WR);
    assert.equal((await pair.server.recv(10)).length, 0);
    assert.equal((await pair.server.recv(10)).length, 0);
    // Half-close: the other direction still works.
    await pair.server.sendAll("reply");
    assert.equal((await pair.client.recvExactly(5)).toString(), "reply");
  });

  test("MSG_PEEK returns data without consuming it", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("peek");
    assert.equal((await pair.server.recvExactly(1, {})).toString(), "p");
    assert.equal((await pair.server.recv(10, { flags: MSG_PEEK })).toString().length > 0, true);
    const peeked = await pair.server.recv(3, { flags: MSG_PEEK });
    assert.equal((await pair.server.recvExactly(3)).toString(), peeked.toString());
  });

  test("recvInto fills the caller's buffer and honours nbytes", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("0123456789");
    const buf = new Uint8Array(8);
    const view = buf.subarray(2);
    const n = await pair.server.recvInto(view, 4);
    assert.equal(n, 4);
    assert.equal(Buffer.from(buf.subarray(2, 6)).toString(), "0123");
    assert.equal(await pair.server.recvInto(buf, { timeout: 1 }), 6);
    pair.client.shutdown(SHUT_WR);
    assert.equal(await pair.server.recvInto(buf), 0);
  });

  test("recvExactly waits for every byte and raises IncompleteReadError with what was left", async () => {
    await using pair = await tcpPair();
    const pending = pair.server.recvExactly(6);
    await pair.client.sendAll("abc");
    await sleep(5);
    await pair.client.sendAll("def");
    assert.equal((await pending).toString(), "abcdef");
    await pair.client.sendAll("xy");
    pair.client.shutdown(SHUT_WR);
    await assert.rejects(pair.server.recvExactly(5), (e: IncompleteReadError) => {
      return e instanceof IncompleteReadError && e.partial.toString() === "xy" && e.expected === 5;
    });
  });

  test("recvExactly can ask for more than the receive buffer holds", async () => {
    await using pair = await tcpPair();
    pair.server.setsockopt(SOL_SOCKET, SO_RCVBUF, 1024);
    const payload = Buffer.alloc(256 * 1024, 7);
    const [received] = await Promise.all([
      pair.server.recvExactly(payload.length),
      pair.client.sendAll(payload),
    ]);
    assert.ok(received.equals(payload));
  });

  test("recvUntil includes the delimiter and leaves the rest", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("one\r\ntwo\r");
    assert.equal((await pair.server.recvUntil("\r\n")).toString(), "one\r\n");
    const second = pair.server.recvUntil(Buffer.from("\r\n"));
    await sleep(5);
    await pair.client.sendAll("\nthree");
    assert.equal((await second).toString(), "two\r\n");
    assert.equal((await pair.server.recvExactly(5)).toString(), "three");
  });

  test("recvUntil past maxBytes is LimitOverrunError and consumes nothing", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("0123456789\n");
    await assert.rejects(pair.server.recvUntil("\n", { maxBytes: 5 }), LimitOverrunError);
    assert.equal((await pair.server.recvUntil("\n", { maxBytes: 11 })).toString(), "0123456789\n");
  });

  test("recvUntil at end of stream is IncompleteReadError with the rest", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("no newline");
    pair.client.shutdown(SHUT_WR);
    await assert.rejects(pair.server.recvUntil("\n"), (e: IncompleteReadError) => {
      return e.partial.toString() === "no newline" && e.expected === null;
    });
  });

  test("shutdown(SHUT_RD) makes reads see end of stream", async () => {
    await using pair = await tcpPair();
    pair.server.shutdown(SHUT_RD);
    assert.equal((await pair.server.recv(4)).length, 0);
  });
});

describe("the three modes", () => {
  test("non-blocking recv with nothing there fails at once with EAGAIN and loses nothing", async () => {
    await using pair = await tcpPair();
    pair.server.setBlocking(false);
    await assert.rejects(pair.server.recv(4), isCode(BlockingIOError, "EAGAIN"));
    await assert.rejects(pair.server.recvExactly(4), BlockingIOError);
    await pair.client.sendAll("ab");
    await sleep(10);
    await assert.rejects(pair.server.recvExactly(4), BlockingIOError);
    await pair.client.sendAll("cd");
    await sleep(10);
    assert.equal((await pair.server.recvExactly(4)).toString(), "abcd");
  });

  test("a timeout of 0 returns data that is ready", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("ready");
    await sleep(10);
    assert.equal((await pair.server.recv(5, { timeout: 0 })).toString(), "ready");
  });

  test("a timed-out recv raises TimeoutError no earlier than the timeout and the socket still works", async () => {
    await using pair = await tcpPair();
    pair.server.setTimeout(0.05);
    const start = performance.now();
    await assert.rejects(pair.server.recv(1), isCode(TimeoutError, "ETIMEDOUT"));
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 50, `fired early after ${elapsed} ms`);
    assert.ok(elapsed < 5000, `fired late after ${elapsed} ms`);
    await pair.client.sendAll("later");
    assert.equal((await pair.server.recvExactly(5)).toString(), "later");
  });

  test("a per-call timeout overrides the socket's mode", async () => {
    await using pair = await tcpPair();
    pair.server.setBlocking(false);
    const start = performance.now();
    await assert.rejects(pair.server.recv(1, { timeout: 0.03 }), TimeoutError);
    assert.ok(performance.now() - start >= 30);
    pair.server.setTimeout(0.01);
    const waiting = pair.server.recv(1, { timeout: null });
    await sleep(30);
    await pair.client.sendAll("z");
    assert.equal((await waiting).toString(), "z");
  });

  test("an already-aborted signal rejects with its reason before trying", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("data");
    await sleep(10);
    const reason = new Error("stop");
    await assert.rejects(
      pair.server.recv(4, { signal: AbortSignal.abort(reason) }),
      (e: unknown) => e === reason,
    );
    assert.equal((await pair.server.recvExactly(4)).toString(), "data");
  });

  test("aborting a waiting call rejects it and consumes nothing", async () => {
    await using pair = await tcpPair();
    const controller = new AbortController();
    const waiting = pair.server.recvExactly(4, { signal: controller.signal });
    await pair.client.sendAll("ab");
    await sleep(10);
    controller.abort();
    await assert.rejects(waiting, (e: Error) => e.name === "AbortError");
    await pair.client.sendAll("cd");
    assert.equal((await pair.server.recvExactly(4)).toString(), "abcd");
  });
});

describe("deadlines", () => {
  test("a passed read deadline fails at once even when data is ready", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("x");
    await sleep(10);
    pair.server.setReadDeadline(Date.now() - 1000);
    await assert.rejects(pair.server.recv(1), TimeoutError);
    await assert.rejects(pair.server.recv(1), TimeoutError);
    pair.server.setReadDeadline(null);
    assert.equal((await pair.server.recv(1)).toString(), "x");
  });

  test("moving the deadline into the past hits calls already waiting", async () => {
    await using pair = await tcpPair();
    const waiting = pair.server.recv(1);
    await sleep(5);
    pair.server.setDeadline(new Date(Date.now() - 1));
    await assert.rejects(waiting, TimeoutError);
  });

  test("a future deadline ends a blocking wait no earlier than it", async () => {
    await using pair = await tcpPair();
    const start = performance.now();
    pair.server.setReadDeadline(Date.now() + 40);
    await assert.rejects(pair.server.recv(1), TimeoutError);
    assert.ok(performance.now() - start >= 39);
  });

  test("the write deadline does not touch reads", async () => {
    await using pair = await tcpPair();
    pair.server.setWriteDeadline(Date.now() - 1);
    await pair.client.sendAll("r");
    assert.equal((await pair.server.recv(1)).toString(), "r");
    await assert.rejects(pair.server.sendAll("w"), TimeoutError);
  });
});

describe("closing", () => {
  test("getsockname still answers after the peer reset the connection, until close", async () => {
    for (const family of [AF_INET, AF_INET6]) {
      await using pair = await tcpPair(family);
      // The server's view of the client; the client has not asked for its own name yet.
      const name = pair.server.getpeername();
      pair.server.setsockopt(SOL_SOCKET, SO_LINGER, 0);
      pair.server.close();
      await assert.rejects(pair.client.recv(1), ConnectionResetError);
      assert.deepEqual(pair.client.getsockname(), name);
      assert.throws(() => pair.client.getpeername(), isCode(SocketError, "ENOTCONN"));
      pair.client.close();
      assert.throws(() => pair.client.getsockname(), isCode(SocketError, "EBADF"));
    }
  });

  test("rejects pending calls and later ones with EBADF", async () => {
    await using pair = await tcpPair();
    const waiting = pair.server.recv(1);
    pair.server.close();
    await assert.rejects(waiting, isCode(SocketError, "EBADF"));
    await assert.rejects(pair.server.recv(1), isCode(SocketError, "EBADF"));
    await assert.rejects(pair.server.sendAll("x"), isCode(SocketError, "EBADF"));
    assert.throws(() => pair.server.getsockname(), isCode(SocketError, "EBADF"));
    assert.equal(pair.server.fileno(), -1);
    assert.equal(pair.server.closed, true);
    pair.server.close();
  });

  test("still delivers data accepted just before close", async () => {
    await using pair = await tcpPair();
    const payload = Buffer.alloc(1024 * 1024, 3);
    await pair.client.sendAll(payload);
    pair.client.close();
    const received = await pair.server.recvExactly(payload.length);
    assert.ok(received.equals(payload));
    assert.equal((await pair.server.recv(1)).length, 0);
  });

  test("with SO_LINGER 0 resets the connection", async () => {
    await using pair = await tcpPair();
    pair.client.setsockopt(SOL_SOCKET, SO_LINGER, 0);
    pair.client.close();
    await assert.rejects(pair.server.recv(1), isCode(ConnectionResetError, "ECONNRESET"));
  });

  test("with unread received data resets the connection, as Linux does", async () => {
    await using pair = await tcpPair();
    await pair.client.sendAll("never read");
    await sleep(10);
    pair.server.close();
    await assert.rejects(pair.client.recv(1), isCode(ConnectionResetError, "ECONNRESET"));
  });

  test("works through await using", async () => {
    let sock: Socket;
    {
      await using s = socket();
      sock = s;
    }
    assert.equal(sock.closed, true);
  });
});

describe("sending", () => {
  test("send accepts at most the send buffer's room and at least one byte", async () => {
    await using pair = await tcpPair();
    pair.client.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096);
    pair.client.setBlocking(false);
    let total = 0;
    const chunk = Buffer.alloc(64 * 1024);
    for (;;) {
      try {
        const n = await pair.client.send(chunk);
        assert.ok(n >= 1 && n <= chunk.length);
        total += n;
      } catch (error) {
        assert.ok(error instanceof BlockingIOError);
        break;
      }
    }
    assert.ok(total > 0);
  });

  test("a blocking send with a send buffer under 16 KiB waits for room and finishes", async () => {
    // The peer reads only once the kernel's buffers are full, so sends end up waiting on small
    // writes that complete later: each completion must wake them (it hangs if one is missed).
    await using pair = await tcpPair();
    pair.client.setsockopt(SOL_SOCKET, SO_SNDBUF, 1024);
    const data = Buffer.alloc(24 * 1024 * 1024, 7);
    const sending = (async () => {
      let sent = 0;
      while (sent < data.length) {
        sent += await pair.client.send(data.subarray(sent), { timeout: 20 });
      }
    })();
    await sleep(300);
    const received = await pair.server.recvExactly(data.length, { timeout: 20 });
    await sending;
    assert.ok(received.equals(data));
  });

  test("small and large sendAlls of one tick arrive in the order they were made", async () => {
    await using pair = await tcpPair();
    const small1 = Buffer.from("first,");
    const large = Buffer.alloc(100 * 1024, 0x4c);
    const small2 = Buffer.from(",last");
    await Promise.all([
      pair.client.sendAll(small1),
      pair.client.sendAll(large),
      pair.client.sendAll(small2),
    ]);
    const total = small1.length + large.length + small2.length;
    const received = await pair.server.recvExactly(total);
    assert.ok(received.equals(Buffer.concat([small1, large, small2])));
  });

  test("a reply written at once and the copies staged after it arrive in order", async () => {
    await using pair = await tcpPair();
    const parts: Buffer[] = [];
    for (let round = 0; round < 20; round++) {
      await pair.server.sendAll(`q${round}`);
      // The first small sendAll after this read is written at once and the next ones staged;
      // large ones (lent) and send() write at once after what is staged.
      const question = await pair.client.recvExactly(`q${round}`.length);
      const replies = [question, Buffer.from(`,a${round}`), Buffer.alloc(round * 1500, round)];
      const sends = replies.map((reply) => pair.client.sendAll(reply));
      const end = Buffer.from(";");
      assert.equal(await pair.client.send(end), 1);
      await Promise.all(sends);
      parts.push(...replies, end);
    }
    const expected = Buffer.concat(parts);
    assert.ok((await pair.server.recvExactly(expected.length)).equals(expected));
  });

  test("two peers that only send deadlock, and a timeout gets them out with bytesSent", async () => {
    await using pair = await tcpPair();
    const size = 16 * 1024 * 1024;
    const a = Buffer.alloc(size, 1);
    const b = Buffer.alloc(size, 2);
    const before = bufferMemory();
    pair.client.setTimeout(0.5);
    pair.server.setTimeout(0.5);
    const results = await Promise.allSettled([pair.client.sendAll(a), pair.server.sendAll(b)]);
    const grown = bufferMemory() - before;
    for (const result of results) {
      assert.equal(result.status, "rejected");
      const error = (result as PromiseRejectedResult).reason as TimeoutError;
      assert.ok(error instanceof TimeoutError);
      assert.ok(error.bytesSent !== undefined && error.bytesSent > 0 && error.bytesSent < size);
    }
    // Each side buffers at most its receive buffer; nothing near the 32 MiB in flight.
    assert.ok(grown < 4 * 1024 * 1024, `memory grew by ${grown} bytes`);
    // Reading on one side lets the other finish: sending the rest completes the stream.
    const sentA = (results[0] as PromiseRejectedResult).reason.bytesSent as number;
    pair.client.setTimeout(null);
    pair.server.setTimeout(null);
    const [received] = await Promise.all([
      pair.server.recvExactly(size),
      pair.client.sendAll(a.subarray(sentA)),
    ]);
    assert.ok(received.equals(a));
  });

  test("send after the peer reset raises ConnectionResetError or BrokenPipeError", async () => {
    await using pair = await tcpPair();
    pair.server.setsockopt(SOL_SOCKET, SO_LINGER, 0);
    pair.server.close();
    await sleep(20);
    const error = await pair.client
      .sendAll(Buffer.alloc(1024))
      .then(() => pair.client.sendAll(Buffer.alloc(1024)))
      .then(() => sleep(20))
      .then(() => pair.client.sendAll(Buffer.alloc(1024)))
      .catch((e: unknown) => e);
    assert.ok(error instanceof SocketError, `expected an error, got ${String(error)}`);
    assert.ok(["ECONNRESET", "EPIPE"].includes((error as SocketError).code));
  });
});

describe("socket options", () => {
  test("read back what was set", async () => {
    await using pair = await tcpPair();
    const sock = pair.client;
    sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
    assert.equal(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1);
    sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, true);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
    sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 4096);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_RCVBUF), 4096);
    sock.setsockopt(SOL_SOCKET, SO_SNDBUF, 8192);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_SNDBUF), 8192);
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_LINGER), null);
    sock.setsockopt(SOL_SOCKET, SO_LINGER, 0);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_LINGER), 0);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_ERROR), 0);
  });

  test("that the runtime cannot honour are ENOPROTOOPT", () => {
    using sock = socket();
    const noOpt = isCode(SocketError, "ENOPROTOOPT");
    assert.throws(() => sock.setsockopt(SOL_SOCKET, SO_LINGER, 5), noOpt);
    assert.throws(() => sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 0), noOpt);
    assert.throws(() => sock.setsockopt(SOL_SOCKET, 999, 1), noOpt);
    assert.throws(() => sock.getsockopt(SOL_SOCKET, 999), noOpt);
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    if (major < 22 || (major === 22 && minor < 12)) {
      assert.throws(() => sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1), noOpt);
    }
    assert.throws(() => sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 0), RangeError);
  });
});

describe("socketpair", () => {
  test("gives two connected sockets", async () => {
    const [a, b] = await socketpair();
    using _a = a;
    using _b = b;
    await a.sendAll("ping");
    assert.equal((await b.recvExactly(4)).toString(), "ping");
  });
});
