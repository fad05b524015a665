/**
 * The floor of a blocking datagram API in Node.js: the least a library can do to offer
 * `sendTo(data, [host, port])` and `recvFrom(n)` that block the calling thread, as Python's do.
 *
 * Node.js has no call that sends or receives a datagram with its address without an event loop
 * (`fs.readSync` on a UDP descriptor gives the data but not the sender; `fs.writeSync` cannot
 * name a destination), so the socket must live in another thread, here a worker with a
 * `node:dgram` socket. A `sendTo` posts the datagram to it and sleeps in `Atomics.wait` until
 * the worker says it was sent (the caller must hear an error at its call); datagrams the worker
 * receives go into a ring in shared memory, where `recvFrom` takes them without asking. No
 * modes, timeouts, checks, bounds or IPv6; one calling thread. It exists only so the
 * synchronous benchmark can show, in the same run, what such an API costs against CPython's
 * `sendto`/`recvfrom`.
 */

import { Worker } from "node:worker_threads";

/** Control words: the worker bumps WAKE after each reply or datagram. */
const WAKE = 0;
const SENT_SEQ = 1;
const SENT_RESULT = 2;
const RING_HEAD = 3;
const RING_TAIL = 4;
const PORT = 5;
const CONTROL_WORDS = 8;
/** The ring: SLOTS slots of a header (length, port, IPv4 address) and up to SLOT_BYTES. */
const SLOTS = 256;
const SLOT_BYTES = 2048;
const HEADER_WORDS = 3;

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const dgram = require("node:dgram");
const { sab, out } = workerData;
const ctl = new Int32Array(sab, 0, ${CONTROL_WORDS});
const headers = new Int32Array(sab, ${CONTROL_WORDS * 4}, ${SLOTS * HEADER_WORDS});
const slots = new Uint8Array(sab, ${(CONTROL_WORDS + SLOTS * HEADER_WORDS) * 4}, ${SLOTS * SLOT_BYTES});
const outgoing = new Uint8Array(out);
const socket = dgram.createSocket("udp4");
const wake = () => { Atomics.add(ctl, ${WAKE}, 1); Atomics.notify(ctl, ${WAKE}); };
socket.on("message", (data, from) => {
  const tail = ctl[${RING_TAIL}];
  if (tail - Atomics.load(ctl, ${RING_HEAD}) >= ${SLOTS}) return; // full: dropped
  const slot = tail % ${SLOTS};
  const n = Math.min(data.length, ${SLOT_BYTES});
  slots.set(data.subarray(0, n), slot * ${SLOT_BYTES});
  const [a, b, c, d] = from.address.split(".").map(Number);
  headers[slot * 3] = n;
  headers[slot * 3 + 1] = from.port;
  headers[slot * 3 + 2] = ((a << 24) | (b << 16) | (c << 8) | d) | 0;
  Atomics.store(ctl, ${RING_TAIL}, tail + 1);
  wake();
});
socket.bind(0, "127.0.0.1", () => {
  ctl[${PORT}] = socket.address().port;
  wake();
});
parentPort.on("message", ([seq, length, host, port]) => {
  socket.send(outgoing, 0, length, port, host, (error) => {
    ctl[${SENT_RESULT}] = error ? -1 : length;
    Atomics.store(ctl, ${SENT_SEQ}, seq);
    wake();
  });
});
`;

/** A UDP socket (IPv4) whose calls block the calling thread; see the module comment. */
export class BlockingDgram {
  readonly #worker: Worker;
  readonly #ctl: Int32Array;
  readonly #headers: Int32Array;
  readonly #slots: Uint8Array;
  readonly #outgoing: Uint8Array;
  #seq = 0;

  constructor() {
    const sab = new SharedArrayBuffer(
      (CONTROL_WORDS + SLOTS * HEADER_WORDS) * 4 + SLOTS * SLOT_BYTES,
    );
    const out = new SharedArrayBuffer(65_536);
    this.#ctl = new Int32Array(sab, 0, CONTROL_WORDS);
    this.#headers = new Int32Array(sab, CONTROL_WORDS * 4, SLOTS * HEADER_WORDS);
    this.#slots = new Uint8Array(
      sab,
      (CONTROL_WORDS + SLOTS * HEADER_WORDS) * 4,
      SLOTS * SLOT_BYTES,
    );
    this.#outgoing = new Uint8Array(out);
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sab, out } });
    this.#worker.unref();
    while (Atomics.load(this.#ctl, PORT) === 0) this.#sleep(Atomics.load(this.#ctl, WAKE));
  }

  #sleep(seen: number): void {
    Atomics.wait(this.#ctl, WAKE, seen, 1000);
  }

  /** Sends `data` to `[host, port]`; returns once the worker has sent it. */
  sendTo(data: Uint8Array, [host, port]: [string, number]): number {
    const seq = ++this.#seq;
    this.#outgoing.set(data);
    this.#worker.postMessage([seq, data.length, host, port]);
    for (;;) {
      const seen = Atomics.load(this.#ctl, WAKE);
      if (Atomics.load(this.#ctl, SENT_SEQ) === seq) return this.#ctl[SENT_RESULT]!;
      this.#sleep(seen);
    }
  }

  /** The next datagram (up to `n` bytes) and its sender, waiting for one. */
  recvFrom(n: number): [Buffer, [string, number]] {
    for (;;) {
      const seen = Atomics.load(this.#ctl, WAKE);
      const head = Atomics.load(this.#ctl, RING_HEAD);
      if (head !== Atomics.load(this.#ctl, RING_TAIL)) {
        const slot = head % SLOTS;
        const length = Math.min(this.#headers[slot * HEADER_WORDS]!, n);
        const port = this.#headers[slot * HEADER_WORDS + 1]!;
        const ip = this.#headers[slot * HEADER_WORDS + 2]!;
        const start = slot * SLOT_BYTES;
        const data = Buffer.from(this.#slots.subarray(start, start + length));
        Atomics.store(this.#ctl, RING_HEAD, head + 1);
        const host = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
        return [data, [host, port]];
      }
      this.#sleep(seen);
    }
  }

  close(): void {
    void this.#worker.terminate();
  }
}
