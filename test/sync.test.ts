/**
 * What only `sockit/sync` promises: a call that waits stops the calling thread (timers and
 * promise callbacks wait with it), without spinning; it works in worker threads, several of
 * which can block at once; and its helper thread never keeps the process from exiting, however
 * the program was started. The behaviour it shares with the async API is in flavours.test.ts.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  BlockingIOError,
  createConnection,
  createServer,
  DefaultSelector,
  EVENT_READ,
  socket,
  socketpair,
  TimeoutError,
} from "../src/sync/index.js";
import { checkLeaks, NO_SOCKET_PASSING, ON_BUN, ON_DENO, python } from "./helpers.js";

checkLeaks();

const SYNC_MODULE = fileURLToPath(new URL("../src/sync/index.js", import.meta.url));

/** A CPython peer that connects to `port`, waits `delay` seconds, sends `data` and closes. */
function latePeer(port: number, delay: number, data = "late"): ReturnType<typeof python> {
  return python(
    `import socket, sys, time
s = socket.create_connection(("127.0.0.1", ${port}))
time.sleep(${delay})
s.sendall(${JSON.stringify(data)}.encode())
time.sleep(0.2)
s.close()`,
  );
}

test("a blocking recv stops the program: a timer due during the wait fires after it", () => {
  const server = createServer(["127.0.0.1", 0]);
  const port = (server.getsockname() as [string, number])[1];
  const peer = latePeer(port, 0.3);
  const [conn] = server.accept();
  let firedAt = 0;
  const start = performance.now();
  setTimeout(() => {
    firedAt = performance.now() - start;
  }, 20);
  const data = conn.recv(100);
  const returnedAt = performance.now() - start;
  assert.equal(data.toString(), "late");
  assert.equal(firedAt, 0, "the timer fired while recv was blocked");
  assert.ok(returnedAt >= 250, `recv returned after ${returnedAt} ms`);
  conn.close();
  server.close();
  return peer.done().then(({ code }) => assert.equal(code, 0));
});

test("a thread blocked in recv for 2 s uses less than 20 ms of CPU, blocking and with a timeout", () => {
  const server = createServer(["127.0.0.1", 0]);
  const port = (server.getsockname() as [string, number])[1];
  const results: string[] = [];
  for (const timeout of [null, 10]) {
    const peer = latePeer(port, 2);
    const [conn] = server.accept();
    conn.setTimeout(timeout);
    const before = process.cpuUsage();
    const started = performance.now();
    assert.equal(conn.recv(100).toString(), "late");
    const waited = performance.now() - started;
    const used = process.cpuUsage(before);
    const cpuMs = (used.user + used.system) / 1000;
    results.push(`timeout ${timeout}: waited ${waited.toFixed(0)} ms, CPU ${cpuMs.toFixed(1)} ms`);
    assert.ok(waited >= 1900, results.join("; "));
    assert.ok(cpuMs < 20, results.join("; "));
    conn.close();
    peer.kill();
  }
  server.close();
});

test("the default timeout bounds the calls that wait in the helper too (accept, connect)", () => {
  // In a child, so that a call that blocks for ever fails this test instead of hanging the file.
  const source = `const { createServer, setDefaultTimeout, socket } = await import(${JSON.stringify(SYNC_MODULE)});
setDefaultTimeout(0.2);
const server = createServer(["127.0.0.1", 0]);
const start = performance.now();
try { server.accept(); } catch (error) { console.log(error.name, server.getTimeout(), performance.now() - start >= 199); }`;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", source], {
    encoding: "utf8",
    timeout: 10_000,
  });
  assert.equal(result.stdout.trim(), "TimeoutError 0.2 true", result.stderr);
});

test("select does not report a socket whose data this thread has read (60 connections)", () => {
  let stale = 0;
  for (let round = 0; round < 60; round++) {
    const server = createServer(["127.0.0.1", 0]);
    const a = socket();
    a.connect(server.getsockname() as [string, number]);
    const [b] = server.accept();
    server.close();
    const sel = new DefaultSelector();
    try {
      sel.register(b, EVENT_READ);
      assert.deepEqual(sel.select(0.01), []);
      a.sendAll("ping");
      assert.equal(sel.select(5).length, 1);
      // Blocking: the helper is asked to make the descriptor blocking first (the race needs it).
      assert.equal(b.recv(10).toString(), "ping");
      if (sel.select(0).length > 0) stale++;
    } finally {
      sel.close();
      a.close();
      b.close();
    }
  }
  assert.equal(stale, 0, "connections where select reported a socket with nothing to read");
});

test("a timeout on the main thread never fires early", () => {
  const server = createServer(["127.0.0.1", 0]);
  const client = socket();
  client.connect(server.getsockname() as [string, number]);
  const [conn] = server.accept();
  for (const seconds of [0.01, 0.05, 0.12]) {
    conn.setTimeout(seconds);
    const started = performance.now();
    assert.throws(() => conn.recv(1), TimeoutError);
    assert.ok(performance.now() - started >= seconds * 1000 - 0.5);
  }
  client.close();
  conn.close();
  server.close();
});

for (const delay of [0.4, 0]) {
  test(`works in worker threads, and several threads block at once (data ${delay ? "after" : "before"} the hand-over)`, {
    skip: NO_SOCKET_PASSING,
  }, async () => {
    const server = createServer(["127.0.0.1", 0]);
    const port = (server.getsockname() as [string, number])[1];
    const workers = 3;
    const peers = Array.from({ length: workers }, () => latePeer(port, delay, "to a worker"));
    const sources: string[] = [];
    for (let i = 0; i < workers; i++) {
      const [conn] = server.accept();
      // Each worker gets its connection by descriptor, as Python's socket(fileno=fd) takes it.
      sources.push(String(conn.detach()));
      conn.close();
    }
    server.close();
    const started = performance.now();
    const replies = await Promise.all(
      sources.map(
        (fd) =>
          new Promise<string>((resolve, reject) => {
            const worker = new Worker(
              `const { parentPort, workerData } = require("node:worker_threads");
import(workerData.module).then(({ Socket, AF_INET, SOCK_STREAM }) => {
  const conn = new Socket(AF_INET, SOCK_STREAM, 0, workerData.fd);
  const data = conn.recv(100).toString();
  conn.close();
  parentPort.postMessage(data);
});`,
              { eval: true, workerData: { module: SYNC_MODULE, fd: Number(fd) } },
            );
            worker.once("message", resolve);
            worker.once("error", reject);
          }),
      ),
    );
    const took = performance.now() - started;
    assert.deepEqual(replies, Array(workers).fill("to a worker"));
    assert.ok(took < 400 * workers, `the workers took ${took} ms: they did not block at once`);
    for (const peer of peers) assert.equal((await peer.done()).code, 0);
  });
}

test("a connection made blocking on arrival still honours non-blocking mode and timeouts", () => {
  // On the main thread, createConnection hands a blocking socket over with its descriptor in
  // blocking mode already; every later mode must still hold (a non-blocking read must not
  // wait in the kernel).
  const server = createServer(["127.0.0.1", 0]);
  const client = createConnection(server.getsockname() as [string, number]);
  const [conn] = server.accept();
  try {
    conn.sendAll("first");
    assert.equal(client.recv(100).toString(), "first");
    client.setBlocking(false);
    const started = performance.now();
    assert.throws(() => client.recv(100), BlockingIOError);
    assert.ok(performance.now() - started < 1000, "a non-blocking recv waited");
    client.setTimeout(0.2);
    assert.throws(() => client.recv(100), TimeoutError);
    client.setBlocking(true);
    conn.sendAll("second");
    assert.equal(client.recv(100).toString(), "second");
  } finally {
    conn.close();
    client.close();
    server.close();
  }
});

test("recvInto on a connection made blocking on arrival: exact counts, then 0 at end of stream", () => {
  // The call a blocking receive loop makes, recvInto(buffer) alone, is one read(2) here; its
  // count, what it filled, and the modes and deadlines around it must be the general path's.
  const server = createServer(["127.0.0.1", 0]);
  const client = createConnection(server.getsockname() as [string, number]);
  const [conn] = server.accept();
  try {
    const buffer = Buffer.alloc(8);
    conn.sendAll("0123456789");
    assert.equal(client.recvInto(buffer), 8);
    assert.equal(buffer.toString(), "01234567");
    assert.equal(client.recvInto(buffer), 2);
    assert.equal(buffer.subarray(0, 2).toString(), "89");
    client.setTimeout(0.2);
    const started = performance.now();
    assert.throws(() => client.recvInto(buffer), TimeoutError);
    assert.ok(performance.now() - started >= 200, "the timeout fired early");
    client.setTimeout(null);
    client.setReadDeadline(Date.now() - 1);
    assert.throws(() => client.recvInto(buffer), TimeoutError);
    client.setReadDeadline(null);
    conn.sendAll("abc");
    conn.close();
    assert.equal(client.recvInto(buffer), 3);
    assert.equal(buffer.subarray(0, 3).toString(), "abc");
    assert.equal(client.recvInto(buffer), 0);
    assert.equal(client.recvInto(buffer), 0);
    client.close();
    assert.throws(() => client.recvInto(buffer), { code: "EBADF" });
  } finally {
    conn.close();
    client.close();
    server.close();
  }
});

test("a worker started after the helper makes and uses its own sockets, on every runtime", async () => {
  // This thread has started the helper; the worker finds it (or, on Bun, starts its own).
  const [a, b] = socketpair();
  a.close();
  b.close();
  const reply = await new Promise<string>((resolve, reject) => {
    const worker = new Worker(
      `const { parentPort, workerData } = require("node:worker_threads");
import(workerData.module).then(({ socketpair }) => {
  const [a, b] = socketpair();
  a.sendAll("from a worker");
  const data = b.recv(100).toString();
  a.close();
  b.close();
  parentPort.postMessage(data);
});`,
      { eval: true, workerData: { module: SYNC_MODULE } },
    );
    const stuck = setTimeout(() => {
      void worker.terminate();
      reject(new Error("the worker's first call never returned"));
    }, 20_000);
    worker.once("message", (data: string) => {
      clearTimeout(stuck);
      resolve(data);
    });
    worker.once("error", reject);
  });
  assert.equal(reply, "from a worker");
});

for (const how of [
  ["an ES module file", ["--input-type=module", "-e"]],
  ["a CommonJS script", ["-e"]],
] as const) {
  test(`a program started as ${how[0]} that leaves a socket open still exits`, {
    skip: ON_DENO || ON_BUN ? "starts node with Node.js flags" : false,
  }, () => {
    const source =
      how[0] === "a CommonJS script"
        ? `import(${JSON.stringify(SYNC_MODULE)}).then(({ createServer }) => {
  const server = createServer(["127.0.0.1", 0]);
  console.log(server.getsockname()[1] > 0 ? "listening" : "no port");
});`
        : `const { createServer } = await import(${JSON.stringify(SYNC_MODULE)});
const server = createServer(["127.0.0.1", 0]);
console.log(server.getsockname()[1] > 0 ? "listening" : "no port");`;
    const result = spawnSync(process.execPath, [...how[1], source], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(result.stdout.trim(), "listening", result.stderr);
    assert.equal(result.status, 0, result.stderr);
  });
}
