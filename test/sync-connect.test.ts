/**
 * `sockit/sync`'s createConnection makes a connection to a numeric address with a bare handle in
 * its helper thread (src/sync/bare.ts), and every other kind with the async API. Both must give
 * the same socket and the same errors: each test here runs a connection made the bare way beside
 * one made the other way (a `sourceAddress` of port 0 asks for the async API and changes nothing
 * else), and the calls that need more than the descriptor (names, options, selectors, detach,
 * a reset at close) on a bare one.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  AF_INET,
  AF_INET6,
  ConnectionResetError,
  createConnection,
  createServer,
  DefaultSelector,
  EVENT_READ,
  IPPROTO_TCP,
  MSG_PEEK,
  SHUT_WR,
  SOCK_STREAM,
  Socket,
  TCP_NODELAY,
  TimeoutError,
} from "../src/sync/index.js";
import { checkLeaks, NO_SOCKET_PASSING, python, pythonFixture } from "./helpers.js";

const SYNC_MODULE = fileURLToPath(new URL("../src/sync/index.js", import.meta.url));

checkLeaks();

type Ways = [name: string, options: { sourceAddress?: [string, number] }][];

function ways(host: string): Ways {
  return [
    ["bare", {}],
    ["async", { sourceAddress: [host, 0] }],
  ];
}

/** The fields of an error a caller can look at. */
function shape(error: unknown): Record<string, unknown> {
  const e = error as Record<string, unknown> & Error;
  return {
    class: e.constructor.name,
    message: e.message,
    code: e.code,
    errno: e.errno,
    op: e.op,
    address: e.address,
  };
}

for (const [family, host] of [
  [AF_INET, "127.0.0.1"],
  [AF_INET6, "::1"],
] as const) {
  test(`a connection to ${host} is the same socket either way: names, options, data, half-close`, () => {
    const server = createServer([host, 0], { family });
    const port = (server.getsockname() as [string, number])[1];
    for (const [way, options] of ways(host)) {
      const client = createConnection([host, port], options);
      const [conn] = server.accept();
      assert.equal(client.family, family, way);
      assert.equal(client.type, SOCK_STREAM, way);
      assert.ok(client.fileno() > 2, way);
      assert.deepEqual(client.getpeername().slice(0, 2), [host, port], way);
      assert.deepEqual(conn.getpeername(), client.getsockname(), way);
      assert.equal(client.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0, way);
      client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
      assert.notEqual(client.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0, way);
      client.sendAll(`hello ${way}`);
      assert.equal(conn.recvExactly(6 + way.length).toString(), `hello ${way}`);
      conn.sendAll("back");
      assert.equal(client.recvExactly(4).toString(), "back", way);
      client.shutdown(SHUT_WR);
      assert.equal(conn.recv(10).length, 0, `${way}: end of stream after SHUT_WR`);
      conn.close();
      assert.equal(client.recv(10).length, 0, way);
      client.close();
      assert.equal(client.fileno(), -1, way);
    }
    server.close();
  });

  test(`connecting to ${host} where nobody listens raises the same error either way`, async () => {
    await using held = await hold(`refuse@${host}`);
    const errors = ways(host).map(([way, options]) => {
      try {
        createConnection([host, held.port], options).close();
        return { way };
      } catch (error) {
        return shape(error);
      }
    });
    assert.equal(errors[0]!.class, "ConnectionRefusedError");
    assert.deepEqual(errors[0], errors[1]);
  });
}

test("a connect that gets no answer times out at its deadline, never early, the same either way", async () => {
  await using held = await hold("blackhole@127.0.0.1");
  const errors = ways("127.0.0.1").map(([way, options]) => {
    const start = performance.now();
    try {
      createConnection(["127.0.0.1", held.port], { ...options, timeout: 0.3 }).close();
      return { way };
    } catch (error) {
      const elapsed = performance.now() - start;
      assert.ok(error instanceof TimeoutError, `${way}: ${String(error)}`);
      assert.ok(elapsed >= 300, `${way}: timed out after ${elapsed} ms`);
      return shape(error);
    }
  });
  assert.deepEqual(errors[0], errors[1]);
});

test("data that arrives while a call needs the helper's socket is all read, waits included", async () => {
  // A CPython server that sends a head at once and a tail 0.3 s later.
  const peer = python(`import socket, time
s = socket.create_server(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
c.sendall(b"head:")
time.sleep(0.3)
c.sendall(b"tail")
c.recv(1)
c.close()`);
  const port = Number(await peer.firstLine);
  const client = createConnection(["127.0.0.1", port]);
  assert.equal(client.recvExactly(2).toString(), "he");
  client.getsockname(); // from here on the helper holds a socket for it
  client.setTimeout(5);
  assert.equal(client.recvExactly(7).toString(), "ad:tail"); // waits 0.3 s in the helper's probe
  client.close();
  assert.equal((await peer.done()).code, 0);
});

test("a bare connection with a timeout wakes when its data arrives, not at its deadline", async () => {
  // The wait sleeps until the helper's probe of the bare handle reports the data (0.3 s); with
  // no report it would sleep until its 5 s deadline, then find the data.
  const peer = python(`import socket, time
s = socket.create_server(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
time.sleep(0.3)
c.sendall(b"late")
c.recv(1)
c.close()`);
  const port = Number(await peer.firstLine);
  const client = createConnection(["127.0.0.1", port], { timeout: 5 });
  const start = performance.now();
  assert.equal(client.recv(10).toString(), "late");
  const elapsed = performance.now() - start;
  assert.ok(elapsed >= 100 && elapsed < 2000, `recv returned after ${elapsed} ms`);
  client.close();
  assert.equal((await peer.done()).code, 0);
});

test("a bare connection works in a selector, detaches and is adopted, and resets with unread data", () => {
  const server = createServer(["127.0.0.1", 0]);
  const address = server.getsockname() as [string, number];
  const client = createConnection(address);
  const [conn] = server.accept();
  const sel = new DefaultSelector<Socket, string>();
  sel.register(client, EVENT_READ, "client");
  assert.deepEqual(sel.select(0), []);
  conn.sendAll("ping");
  const ready = sel.select(5);
  assert.deepEqual(
    ready.map(([key, mask]) => [key.data, mask]),
    [["client", EVENT_READ]],
  );
  sel.close();

  const fd = client.detach();
  const again = new Socket(AF_INET, SOCK_STREAM, 0, fd);
  assert.equal(again.recv(10).toString(), "ping");
  conn.sendAll("unread");
  assert.equal(again.recv(1, MSG_PEEK).toString(), "u"); // the data is there
  again.close(); // with "unread" unread: the peer gets a reset
  assert.throws(() => conn.recv(10), ConnectionResetError);
  conn.close();
  server.close();
});

test("a bare connection closed with unread data resets the connection", () => {
  const server = createServer(["127.0.0.1", 0]);
  const client = createConnection(server.getsockname() as [string, number]);
  const [conn] = server.accept();
  conn.sendAll("unread");
  assert.equal(client.recv(1, MSG_PEEK).toString(), "u"); // it has arrived
  client.close();
  assert.throws(() => conn.recv(10), ConnectionResetError);
  conn.close();
  server.close();
});

/** Holds a port in a CPython process (test/fixtures/loopback_ports.py) until disposed. */
async function hold(role: string): Promise<{ port: number } & AsyncDisposable> {
  const peer = pythonFixture("loopback_ports.py", [role]);
  const { port } = JSON.parse(await peer.firstLine) as { port: number };
  return {
    port,
    async [Symbol.asyncDispose]() {
      peer.child.stdin?.end();
      await peer.done();
    },
  };
}

test("a blocking connection passed to a worker by descriptor honours the worker's timeout", {
  skip: NO_SOCKET_PASSING,
}, async () => {
  // On the main thread, blocking calls leave a descriptor in blocking mode: the worker that
  // adopts it must not wait in the kernel past its timeout. Both kinds of connection: one made
  // (blocking from the start, a bare connection in the helper) and one accepted (a socket of the
  // async API there, made blocking by a recv that waited).
  const server = createServer(["127.0.0.1", 0]);
  const port = (server.getsockname() as [string, number])[1];
  const client = createConnection(["127.0.0.1", port]);
  const [conn] = server.accept();
  const made = await timedRecvInWorker(client.detach(), () => conn.sendAll("unblock"));
  conn.close();

  // A CPython peer sends "x" after 0.3 s, then waits (sending "unblock" after 6 s of silence).
  const peer = python(`import socket
s = socket.create_connection(("127.0.0.1", ${port}))
import time; time.sleep(0.3)
s.sendall(b"x")
s.settimeout(6)
try:
    s.recv(100)
except TimeoutError:
    s.sendall(b"unblock")
    s.recv(100)
s.close()`);
  const [accepted] = server.accept();
  assert.equal(accepted.recv(1).toString(), "x"); // waits in the kernel for 0.3 s
  const taken = await timedRecvInWorker(accepted.detach(), () => {});
  server.close();
  await peer.done();
  for (const [kind, outcome] of [
    ["made", made],
    ["accepted", taken],
  ]) {
    const [what, ms] = outcome!.split(" ");
    assert.equal(what, "timeout", `${kind}: ${outcome}`);
    assert.ok(Number(ms) >= 200, `${kind}: ${outcome}`);
  }
});

/**
 * Adopts descriptor `fd` in a worker and calls `recv` there with a 0.2 s timeout: "timeout MS",
 * or what happened instead. A worker blocked in read(2) cannot be terminated: if it still waits
 * after 5 s, `unblock` should make its peer send it data (the answer is then "returned").
 */
function timedRecvInWorker(fd: number, unblock: () => void): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
import(workerData.module).then(({ Socket, AF_INET, SOCK_STREAM, TimeoutError }) => {
  const sock = new Socket(AF_INET, SOCK_STREAM, 0, workerData.fd);
  sock.setTimeout(0.2);
  const start = performance.now();
  try {
    sock.recv(10);
    parentPort.postMessage("returned");
  } catch (error) {
    const what = error instanceof TimeoutError ? "timeout" : String(error);
    parentPort.postMessage(what + " " + Math.round(performance.now() - start));
  }
  sock.close();
});`,
      { eval: true, workerData: { module: SYNC_MODULE, fd } },
    );
    const timer = setTimeout(unblock, 5000);
    worker.once("message", (message: string) => {
      clearTimeout(timer);
      resolve(message);
    });
    worker.once("error", reject);
  });
}
