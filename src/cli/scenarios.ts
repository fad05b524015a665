/**
 * The scenarios of PyMOTW-3's "Non-blocking Communication and Timeouts", played live on
 * 127.0.0.1 with the public API only, narrated with elapsed times by `sockit demo`.
 */

import { Worker } from "node:worker_threads";
import {
  AF_INET,
  BlockingIOError,
  createServer,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  SOCK_DGRAM,
  type Socket,
  Struct,
  socket,
  TimeoutError,
} from "../index.js";
import * as sync from "../sync/index.js";
import type { Narrator } from "./terminal.js";

/** One scenario of the demo. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly summary: string;
  run(say: Narrator): Promise<void>;
}

/** A connected pair on loopback, closed by `await using`. */
async function loopbackPair(): Promise<{ a: Socket; b: Socket } & AsyncDisposable> {
  await using server = await createServer(["127.0.0.1", 0]);
  const a = socket();
  const accepting = server.accept();
  await a.connect(server.getsockname() as [string, number]);
  const [b] = await accepting;
  return {
    a,
    b,
    async [Symbol.asyncDispose]() {
      a.close();
      b.close();
    },
  };
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    return `${error.name}${code === undefined ? "" : ` (${code})`}`;
  }
  return String(error);
}

const MiB = 1024 * 1024;

const blocking: Scenario = {
  name: "blocking",
  title: "1. Blocking: recv() waits until the peer sends",
  summary: "By default a socket blocks: recv waits for data, send waits for buffer space.",
  async run(say) {
    await using pair = await loopbackPair();
    say.say("server", "recv(1024) on a blocking socket … (the client sends in 0.4 s)");
    setTimeout(() => {
      say.say("client", "sendAll(b'hello, blocking world')");
      pair.a.sendAll("hello, blocking world").catch(() => {});
    }, 400);
    const data = await pair.b.recv(1024);
    say.say("server", `recv returned ${JSON.stringify(data.toString())} after waiting`);
    say.note("the await suspended this coroutine only; the process kept running the client.");
  },
};

const nonblocking: Scenario = {
  name: "nonblocking",
  title: "2. Non-blocking: fail at once, then a selector serves several clients",
  summary: "setBlocking(false): a call that is not ready raises BlockingIOError immediately.",
  async run(say) {
    await using server = await createServer(["127.0.0.1", 0]);
    server.setBlocking(false);
    const probe = socket();
    await probe.connect(server.getsockname() as [string, number]);
    const [conn] = await server.accept({ timeout: null });
    conn.setBlocking(false);
    const start = performance.now();
    try {
      await conn.recv(1024);
    } catch (error) {
      const ms = (performance.now() - start).toFixed(2);
      say.say("server", `recv(1024) with no data: ${describeError(error)} after ${ms} ms`);
    }
    probe.close();
    conn.close();

    using selector = new DefaultSelector<Socket, string>();
    selector.register(server, EVENT_READ, "listener");
    const clients = ["alpha", "beta", "gamma"];
    const replies = clients.map(async (name, i) => {
      await delay(50 * i);
      await using c = socket();
      await c.connect(server.getsockname() as [string, number]);
      await c.sendAll(`${name}\n`);
      const echoed = await c.recvUntil("\n");
      say.say(name, `got its echo back: ${JSON.stringify(echoed.toString().trim())}`);
    });
    let served = 0;
    while (served < clients.length) {
      for (const [key] of await selector.select(5)) {
        if (key.data === "listener") {
          const [client, address] = await server.accept();
          client.setBlocking(false);
          selector.register(client, EVENT_READ, `${(address as [string, number])[1]}`);
          say.say(
            "server",
            `select: listener readable → accepted port ${(address as [string, number])[1]}`,
          );
          continue;
        }
        const sock = key.fileobj;
        const data = await sock.recv(1024);
        if (data.length === 0) {
          selector.unregister(sock);
          sock.close();
          served++;
          continue;
        }
        say.say("server", `select: port ${key.data} readable → echo ${data.length} bytes`);
        await sock.sendAll(data);
      }
    }
    await Promise.all(replies);
    say.note("one loop served every client; nothing ever waited on a single socket.");
  },
};

const timeouts: Scenario = {
  name: "timeouts",
  title: "3. Timeouts: fail after s seconds, and the socket still works",
  summary: "setTimeout(0.5): a call waits up to 0.5 s, then raises TimeoutError.",
  async run(say) {
    await using pair = await loopbackPair();
    pair.b.setTimeout(0.5);
    say.say("server", "recv(1024) with setTimeout(0.5) and a silent peer …");
    try {
      await pair.b.recv(1024);
    } catch (error) {
      say.say(
        "server",
        `${describeError(error)}: ${error instanceof TimeoutError ? "timed out" : "?"}`,
      );
    }
    await pair.a.sendAll("late but welcome");
    say.say("client", "sendAll(b'late but welcome')");
    const data = await pair.b.recv(1024);
    say.say("server", `recv returned ${JSON.stringify(data.toString())}: nothing was lost`);
  },
};

async function stuckSendAll(pair: { a: Socket; b: Socket }, payload: Buffer, say: Narrator) {
  const watchdog = new AbortController();
  const timer = setTimeout(() => watchdog.abort(new Error("watchdog")), 1000);
  const results = await Promise.allSettled([
    pair.a.sendAll(payload, { signal: watchdog.signal }),
    pair.b.sendAll(payload, { signal: watchdog.signal }),
  ]);
  clearTimeout(timer);
  results.forEach((result, i) => {
    const who = i === 0 ? "peer A" : "peer B";
    const sent =
      result.status === "rejected"
        ? (result.reason as { bytesSent?: number }).bytesSent
        : payload.length;
    say.say(
      who,
      `still stuck after 1 s: ${((sent ?? 0) / MiB).toFixed(2)} of ${payload.length / MiB} MiB accepted`,
    );
  });
}

const deadlock: Scenario = {
  name: "deadlock",
  title: "4. The deadlock: two peers that only send, and two ways out",
  summary: "Both sendAll 8 MiB without reading: buffers fill and both wait for ever.",
  async run(say) {
    const payload = Buffer.alloc(8 * MiB, 0x2a);
    {
      await using pair = await loopbackPair();
      say.say("both", "blocking sendAll(8 MiB) on each side, nobody reads (watchdog: 1 s)");
      await stuckSendAll(pair, payload, say);
      say.note("a deadlock, as PyMOTW warns; the watchdog aborted both calls.");
    }
    {
      await using pair = await loopbackPair();
      pair.a.setTimeout(0.5);
      pair.b.setTimeout(0.5);
      say.say("both", "the same with setTimeout(0.5)");
      const [ra, rb] = await Promise.allSettled([pair.a.sendAll(payload), pair.b.sendAll(payload)]);
      for (const [who, r] of [
        ["peer A", ra],
        ["peer B", rb],
      ] as const) {
        if (r.status === "rejected") {
          const sent = (r.reason as { bytesSent?: number }).bytesSent ?? 0;
          say.say(
            who,
            `${describeError(r.reason)} with bytesSent = ${(sent / MiB).toFixed(2)} MiB`,
          );
        }
      }
      say.note("the timeout turned a hang into an error that says how far each side got.");
    }
    {
      await using pair = await loopbackPair();
      say.say(
        "both",
        "the same with non-blocking sockets and a selector: send and recv interleaved",
      );
      const totals = await Promise.all([pump(pair.a, payload), pump(pair.b, payload)]);
      say.say("both", `done: each sent and received ${totals[0] / MiB} MiB`);
      say.note("non-blocking mode never waits on one direction, so neither side gets stuck.");
    }
  },
};

/** Sends `payload` and receives as much, never blocking, driven by a selector. */
async function pump(sock: Socket, payload: Buffer): Promise<number> {
  sock.setBlocking(false);
  using selector = new DefaultSelector();
  selector.register(sock, EVENT_READ | EVENT_WRITE);
  let sent = 0;
  let received = 0;
  let shut = false;
  const buffer = Buffer.alloc(256 * 1024);
  // Until both directions are done: a side that has received everything may still owe its peer.
  while (received < payload.length || sent < payload.length) {
    for (const [, mask] of await selector.select(5)) {
      if (mask & EVENT_WRITE && sent < payload.length) {
        try {
          sent += await sock.send(payload.subarray(sent));
        } catch (error) {
          if (!(error instanceof BlockingIOError)) throw error;
        }
      }
      if (mask & EVENT_READ) {
        try {
          received += await sock.recvInto(buffer);
        } catch (error) {
          if (!(error instanceof BlockingIOError)) throw error;
        }
      }
    }
    if (sent === payload.length && !shut) {
      shut = true;
      selector.modify(sock, EVENT_READ);
    }
  }
  return received;
}

const binary: Scenario = {
  name: "binary",
  title: "5. Binary data: a struct-packed record over the wire",
  summary: "Struct('I 2s f') packs (1, b'ab', 2.7) as the client; the server unpacks it.",
  async run(say) {
    await using pair = await loopbackPair();
    const record = new Struct("I 2s f");
    const packed = record.pack(1, Buffer.from("ab"), 2.7);
    say.say(
      "client",
      `pack(1, b'ab', 2.7) → ${packed.toString("hex").replace(/(..)/g, "$1 ").trim()}`,
    );
    await pair.a.sendAll(packed);
    const data = await pair.b.recvExactly(record.size);
    const [n, text, value] = record.unpack(data) as [number, Buffer, number];
    say.say(
      "server",
      `recvExactly(${record.size}) → unpack → (${n}, b'${text.toString()}', ${value})`,
    );
    say.note("2.7 comes back as 2.700000047683716: a C float, exactly as in Python.");
  },
};

const datagrams: Scenario = {
  name: "udp",
  title: "7. Datagrams: UDP with the same three modes",
  summary:
    "socket(AF_INET, SOCK_DGRAM): one recvFrom, one datagram; non-blocking and timeouts as for TCP.",
  async run(say) {
    const server = socket(AF_INET, SOCK_DGRAM);
    const client = socket(AF_INET, SOCK_DGRAM);
    try {
      await server.bind(["127.0.0.1", 0]);
      const address = server.getsockname() as [string, number];
      await client.sendTo("ping", address);
      say.say("client", `sendTo(b'ping', ('127.0.0.1', ${address[1]}))`);
      const [data, from] = await server.recvFrom(4096);
      say.say("server", `recvFrom(4096) → (b'${data.toString()}', ${showPeer(from)})`);
      await server.sendTo(data, from);
      const [echo] = await client.recvFrom(4096);
      say.say("client", `recvFrom(4096) → b'${echo.toString()}', the echo`);

      await client.sendTo("hello", address);
      await client.sendTo("world", address);
      say.say("client", "sendTo(b'hello'), sendTo(b'world')");
      const [head] = await server.recvFrom(3);
      const [next] = await server.recvFrom(4096);
      say.say(
        "server",
        `recvFrom(3) → b'${head.toString()}', then recvFrom(4096) → b'${next.toString()}'`,
      );
      say.note("one call, one datagram: the rest of a truncated datagram is discarded.");

      server.setBlocking(false);
      const start = performance.now();
      try {
        await server.recvFrom(4096);
      } catch (error) {
        const ms = (performance.now() - start).toFixed(2);
        say.say(
          "server",
          `non-blocking recvFrom with nothing queued: ${describeError(error)} after ${ms} ms`,
        );
      }
      server.setTimeout(0.3);
      say.say("server", "recvFrom(4096) with setTimeout(0.3) and a silent client …");
      try {
        await server.recvFrom(4096);
      } catch (error) {
        say.say("server", `${describeError(error)}`);
      }
      await client.sendTo("late", address);
      const [late] = await server.recvFrom(4096);
      say.say("server", `the next recvFrom → b'${late.toString()}': the socket still works`);
      say.note("the same three modes as TCP; a timeout or a miss never loses a datagram.");
    } finally {
      server.close();
      client.close();
    }
  },
};

/**
 * A peer on another thread (a worker with its own event loop): it connects to `port` and sends
 * `text` after `ms`. A peer on this thread could not run while sockit/sync blocks it.
 */
function peerThread(port: number, ms: number, text: string): Worker {
  const worker = new Worker(
    `const { workerData } = require("node:worker_threads");
import(workerData.module).then(async ({ createConnection }) => {
  const sock = await createConnection(["127.0.0.1", workerData.port]);
  await new Promise((resolve) => setTimeout(resolve, workerData.ms));
  await sock.sendAll(workerData.text);
  await sock.recv(1);
  sock.close();
});`,
    {
      eval: true,
      execArgv: [],
      workerData: { module: new URL("../index.js", import.meta.url).href, port, ms, text },
    },
  );
  worker.unref();
  return worker;
}

const truly: Scenario = {
  name: "sync",
  title: "6. Truly blocking: sockit/sync stops the program until the socket is ready",
  summary: "A synchronous recv() blocks the whole thread: even a due timer waits for it.",
  async run(say) {
    const server = sync.createServer(["127.0.0.1", 0]);
    const port = (server.getsockname() as [string, number])[1];
    const peer = peerThread(port, 400, "hello from another thread");
    const [conn] = server.accept();
    try {
      setTimeout(() => say.say("timer", "fired (it was due at +0.1 s)"), 100);
      say.say("main", "recv(1024) from sockit/sync, no await (a timer is due in 0.1 s)");
      const data = conn.recv(1024);
      say.say("main", `recv returned ${JSON.stringify(data.toString())}`);
      say.note("the timer could not fire while recv blocked: this thread stopped, as in Python.");
      await delay(20);
      conn.setTimeout(0.3);
      setTimeout(() => say.say("timer", "fired (it was due at +0.05 s)"), 50);
      say.say("main", "the same with setTimeout(0.3) and nothing to read");
      try {
        conn.recv(1024);
      } catch (error) {
        say.say("main", `${describeError(error)} after 0.3 s`);
      }
      say.note("a timeout ends the wait with an error; a blocked thread's timers run only then.");
      await delay(20);
    } finally {
      conn.close();
      server.close();
      await peer.terminate();
    }
  },
};

function showPeer(address: unknown): string {
  const [host, port] = address as [string, number];
  return `('${host}', ${port})`;
}

/** Every scenario, in the order `sockit demo` plays them. */
export const SCENARIOS: readonly Scenario[] = [
  blocking,
  nonblocking,
  timeouts,
  deadlock,
  binary,
  truly,
  datagrams,
];
