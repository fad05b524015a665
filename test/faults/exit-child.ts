/**
 * Run by exit.test.ts: a script that ends in some state (sockets left open, a call waiting, data
 * queued) so the parent can see whether and when the process exits. It prints JSON lines; where
 * it needs the parent it waits on a port the parent gave (argv[3]).
 * Usage: node exit-child.js SCENARIO [PORT]
 */

import * as sockit from "../../src/index.js";
import * as sync from "../../src/sync/index.js";
import { pattern } from "./peers.js";

const port = Number(process.argv[3]);

function report(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const scenarios: Record<string, () => Promise<void> | void> = {
  /** A listener, a pair and an accepted connection, all left open. */
  async "left-open"() {
    const server = await sockit.createServer(["127.0.0.1", 0]);
    const client = sockit.socket();
    await client.connect(server.getsockname() as [string, number]);
    await server.accept();
    await sockit.socketpair();
    report({ done: true });
  },

  /** The same with the synchronous flavour. */
  "left-open-sync"() {
    const server = sync.createServer(["127.0.0.1", 0]);
    const client = sync.createConnection(server.getsockname() as [string, number]);
    server.accept();
    sync.socketpair();
    void client;
    report({ done: true });
  },

  /** Datagram sockets, bound and connected, left open. */
  async "udp-left-open"() {
    const a = sockit.socket(sockit.AF_INET, sockit.SOCK_DGRAM);
    await a.bind(["127.0.0.1", 0]);
    const b = sockit.socket(sockit.AF_INET, sockit.SOCK_DGRAM);
    await b.connect(a.getsockname() as [string, number]);
    await b.send("unread");
    report({ done: true });
  },

  /** A blocking recvFrom: alive until the parent sends a datagram. */
  async "udp-recvfrom"() {
    const sock = sockit.socket(sockit.AF_INET, sockit.SOCK_DGRAM);
    await sock.bind(["127.0.0.1", 0]);
    report({ port: (sock.getsockname() as [string, number])[1] });
    const [data] = await sock.recvFrom(100);
    report({ received: data.toString() });
  },

  /** A blocking accept at the top level: alive until the parent connects. */
  async accept() {
    const server = await sockit.createServer(["127.0.0.1", 0]);
    report({ port: (server.getsockname() as [string, number])[1] });
    await server.accept();
    report({ accepted: true });
  },

  /** A blocking recv: alive until the parent sends. */
  async recv() {
    const sock = sockit.socket();
    await sock.connect(["127.0.0.1", port]);
    report({ connected: true });
    report({ received: (await sock.recv(100)).toString() });
  },

  /** A recv with a timeout and nothing coming: TimeoutError after it, then the end. */
  async "recv-timeout"() {
    const [a] = await sockit.socketpair();
    const started = performance.now();
    const error = await a.recv(10, { timeout: 0.3 }).catch((e: unknown) => e);
    report({ error: (error as Error).name, ms: Math.round(performance.now() - started) });
  },

  /** A select waiting for ever: alive until the parent sends. */
  async select() {
    const sock = sockit.socket();
    await sock.connect(["127.0.0.1", port]);
    const sel = new sockit.DefaultSelector();
    sel.register(sock, sockit.EVENT_READ);
    report({ connected: true });
    report({ ready: (await sel.select()).length });
  },

  /**
   * A sendAll that times out with part of the data still queued, then close() and the end of
   * the script: every accepted byte still reaches the parent.
   */
  async "queued-at-exit"() {
    const sock = sockit.socket();
    await sock.connect(["127.0.0.1", port]);
    let sent = 16 << 20;
    try {
      await sock.sendAll(pattern(0, sent), { timeout: 0.2 });
    } catch (error) {
      sent = (error as { bytesSent: number }).bytesSent;
    }
    sock.close();
    report({ sent });
  },

  /** A sendAll not awaited and no close: the script ends, the bytes still go out. */
  async "unawaited-send"() {
    const sock = sockit.socket();
    await sock.connect(["127.0.0.1", port]);
    void sock.sendAll(pattern(0, 4 << 20)).catch(() => {});
    report({ sent: 4 << 20 });
  },
};

const scenario = scenarios[process.argv[2] ?? ""];
if (scenario === undefined) throw new Error(`no scenario ${process.argv[2]}`);
await scenario();
