/**
 * The floors of a blocking `createConnection` in Node.js: the least a library can do to offer
 * `createConnection([host, port])` that blocks the calling thread, then `sendAll`, `recvInto`
 * and `close`, as Python's blocking sockets do. Two of them, for the benchmark of sockit/sync's
 * connections (bench/sync.ts) to show in the same run what each costs against CPython:
 *
 * - {@link HelperConnector}: sockit/sync's design stripped to the bone. A worker thread makes
 *   each connection with a bare TCP handle of Node's `tcp_wrap` binding, puts its descriptor in
 *   blocking mode and hands its number over through shared memory; the calling thread sleeps in
 *   `Atomics.wait` until then, reads and writes the descriptor itself with `fs.readSync` and
 *   `fs.writeSync`, and closes it with a message that it does not wait for. No modes, timeouts,
 *   checks, objects, errors beyond a number, IPv6 or probes; one calling thread.
 *
 * - {@link connectOnThisThread}: the connection made on the calling thread's own event loop
 *   (the handle's `connect` makes the system calls at once), its end awaited in the kernel (a
 *   blocking write of nothing waits for the handshake and raises its error), then the same
 *   reads and writes, and `close` on this thread. This is as close as Node.js gets to CPython's
 *   `connect`, but no library can build on it: the descriptor belongs to a handle of this
 *   thread's event loop, which never runs while the thread is blocked, and Node.js has no way to
 *   hand a descriptor to another thread's handle. So nothing could watch it for a timeout or a
 *   selector, and each call that needs an event loop (a timed wait, `shutdown`, TLS) could not
 *   run at all.
 *
 * Both exist only to be measured; they are not part of sockit.
 */

import { readSync, writeSync } from "node:fs";
import { Worker } from "node:worker_threads";

/** Node's TCP handle binding, as these floors use it. */
interface TcpBinding {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => { oncomplete: (status: number) => void };
  constants: { SOCKET: number };
}

interface TcpHandle {
  readonly fd: number;
  connect(request: object, host: string, port: number): number;
  setBlocking(blocking: boolean): number;
  close(): void;
}

function tcpBinding(): TcpBinding {
  return (process as unknown as { binding(name: string): TcpBinding }).binding("tcp_wrap");
}

/** A connected descriptor the calling thread reads and writes itself, in blocking mode. */
export interface BlockingConnection {
  /** Writes all of `data`, waiting for room. */
  sendAll(data: Uint8Array): void;
  /** Reads what is there into `buffer` (waiting for something); 0 at end of stream. */
  recvInto(buffer: Uint8Array): number;
  /** Closes the connection. */
  close(): void;
}

/** Control words: the worker stores the reply, then its sequence number, then bumps WAKE. */
const WAKE = 0;
const REPLY_SEQ = 1;
const REPLY = 2;

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { TCP, TCPConnectWrap, constants } = process.binding("tcp_wrap");
const ctl = new Int32Array(workerData);
const handles = new Map();
const reply = (seq, value) => {
  ctl[${REPLY}] = value;
  Atomics.store(ctl, ${REPLY_SEQ}, seq);
  Atomics.add(ctl, ${WAKE}, 1);
  Atomics.notify(ctl, ${WAKE});
};
parentPort.on("message", (message) => {
  if (typeof message === "number") {
    const handle = handles.get(message);
    handles.delete(message);
    handle?.close();
    return;
  }
  const [seq, host, port] = message;
  const handle = new TCP(constants.SOCKET);
  const request = new TCPConnectWrap();
  request.oncomplete = (status) => {
    if (status !== 0) {
      handle.close();
      reply(seq, status);
      return;
    }
    handle.setBlocking(true);
    handles.set(seq, handle);
    reply(seq, handle.fd);
  };
  const status = handle.connect(request, host, port);
  if (status !== 0) {
    handle.close();
    reply(seq, status);
  }
});
`;

/** Connections made by a helper thread and handed over; see the module comment. */
export class HelperConnector {
  readonly #worker: Worker;
  readonly #ctl = new Int32Array(new SharedArrayBuffer(16));
  #seq = 0;

  constructor() {
    this.#worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: this.#ctl.buffer,
      execArgv: [],
    });
    this.#worker.unref();
  }

  /** Connects to `[host, port]` (IPv4), blocking until connected. */
  createConnection([host, port]: [string, number]): BlockingConnection {
    const seq = ++this.#seq;
    this.#worker.postMessage([seq, host, port]);
    for (;;) {
      const seen = Atomics.load(this.#ctl, WAKE);
      if (Atomics.load(this.#ctl, REPLY_SEQ) === seq) break;
      if (Atomics.wait(this.#ctl, WAKE, seen, 10_000) === "timed-out") {
        throw new Error("the connecting thread did not answer");
      }
    }
    const fd = this.#ctl[REPLY]!;
    if (fd < 0) throw new Error(`connect failed: ${fd}`);
    return descriptorCalls(fd, () => this.#worker.postMessage(seq));
  }

  /** Stops the connecting thread. */
  close(): void {
    void this.#worker.terminate();
  }
}

/** Connects to `[host, port]` (IPv4) on this thread; see the module comment. */
export function connectOnThisThread([host, port]: [string, number]): BlockingConnection {
  const { TCP, TCPConnectWrap, constants } = tcpBinding();
  const handle = new TCP(constants.SOCKET);
  const request = new TCPConnectWrap();
  request.oncomplete = () => {}; // runs (cancelled or not) whenever this thread's loop next turns
  const status = handle.connect(request, host, port);
  if (status !== 0) {
    handle.close();
    throw new Error(`connect failed: ${status}`);
  }
  handle.setBlocking(true);
  try {
    writeSync(handle.fd, EMPTY); // waits for the handshake; raises a refusal
  } catch (error) {
    handle.close();
    throw error;
  }
  return descriptorCalls(handle.fd, () => handle.close());
}

const EMPTY = new Uint8Array(0);

function descriptorCalls(fd: number, close: () => void): BlockingConnection {
  return {
    sendAll(data) {
      for (let sent = 0; sent < data.length; ) sent += writeSync(fd, data, sent);
    },
    recvInto: (buffer) => readSync(fd, buffer),
    close,
  };
}
