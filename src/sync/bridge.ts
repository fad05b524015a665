/**
 * How a thread using `sockit/sync` reaches the helper thread (helper.ts) and waits for it.
 *
 * The first thread that needs the helper starts it (a worker thread, unref'd, so it never keeps
 * the process alive) and talks to it over a MessagePort given at start. Threads started after
 * that inherit the helper's block through `worker_threads` environment data and say hello on a
 * BroadcastChannel, so every thread of the process shares one helper and can use each other's
 * sockets. A request is one message; the thread then sleeps in `Atomics.wait` on its control
 * block until the helper has posted the reply and bumped the WAKE word. Every wait has a
 * deadline: a helper that stops beating is an error, never a hang.
 */

import {
  BroadcastChannel,
  getEnvironmentData,
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  setEnvironmentData,
  threadId,
  Worker,
} from "node:worker_threads";
import { now } from "../core/clock.js";
import { SocketError } from "../core/errors.js";
import {
  CONTROL_BYTES,
  fromWire,
  HEARTBEAT,
  HELLO_CHANNEL,
  HELPER_BYTES,
  HELPER_KEY,
  type Hello,
  type Reply,
  type Request,
  replyChannel,
  requestChannel,
  STARTED,
  WAKE,
} from "./protocol.js";

/** How long a blocked thread sleeps between checks that the helper still beats, ms. */
const SLICE_MS = 1000;
/** A helper silent this long is gone, ms. */
const SILENCE_MS = 30_000;
/** How long the helper may take to start, ms. */
const START_MS = 10_000;

/** A way to post to the helper and take its replies without an event loop. */
interface Line {
  post(message: unknown): void;
  take(): Reply | undefined;
}

/** The line of the thread that started the helper: a MessagePort pair. */
function portLine(port: MessagePort): Line {
  port.unref();
  return {
    post: (message) => port.postMessage(message),
    take: () => receiveMessageOnPort(port)?.message as Reply | undefined,
  };
}

/** The line of any other thread: two BroadcastChannels of its own. */
function broadcastLine(): Line {
  const requests = new BroadcastChannel(requestChannel(threadId));
  const replies = new BroadcastChannel(replyChannel(threadId));
  requests.unref();
  replies.unref();
  const take = receiveMessageOnPort as unknown as (channel: BroadcastChannel) => {
    message: Reply;
  };
  return {
    post: (message) => requests.postMessage(message),
    take: () => take(replies)?.message,
  };
}

/** This thread's connection to the helper. */
export class Bridge {
  readonly #control = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  readonly #helper: Int32Array;
  readonly #line: Line;
  #seq = 0;

  private constructor(helper: SharedArrayBuffer, line: (control: SharedArrayBuffer) => Line) {
    this.#helper = new Int32Array(helper);
    this.#line = line(this.#control.buffer as SharedArrayBuffer);
    this.#wait(0, Number.POSITIVE_INFINITY, "start");
  }

  /** This thread's bridge, made on first use. */
  static get(): Bridge {
    bridge ??= Bridge.#connect();
    return bridge;
  }

  static #connect(): Bridge {
    const inherited = getEnvironmentData(HELPER_KEY);
    if (
      inherited instanceof SharedArrayBuffer &&
      Atomics.load(new Int32Array(inherited), STARTED) === 1 &&
      canReceiveBroadcasts()
    ) {
      try {
        return new Bridge(inherited, (control) => {
          const line = broadcastLine();
          const hello = new BroadcastChannel(HELLO_CHANNEL);
          hello.postMessage({ threadId, control } satisfies Hello);
          hello.close();
          return line;
        });
      } catch {
        // The helper that started this thread's parent is gone (or this runtime cannot receive
        // on a BroadcastChannel): start one of our own.
      }
    }
    const block = new SharedArrayBuffer(HELPER_BYTES);
    const { port1, port2 } = new MessageChannel();
    return new Bridge(block, (control) => {
      const worker = new Worker(new URL("./helper.js", import.meta.url), {
        // Not the parent's flags: `--input-type=module -e` would stop the helper from starting,
        // and `--inspect` would make it compete for the inspector port.
        execArgv: [],
        workerData: { block, port: port2, control, threadId },
        transferList: [port2],
        stdout: true,
        stderr: true,
      });
      worker.unref();
      // A helper that fails is seen by the threads waiting on it (its heartbeat stops).
      worker.on("error", () => {});
      setEnvironmentData(HELPER_KEY, block);
      return portLine(port1);
    });
  }

  /** Calls `method` of the helper with `args` and waits for its value (or throws its error). */
  call(method: string, args: readonly unknown[]): unknown {
    const seq = ++this.#seq;
    this.#post({ seq, method, args }, method);
    const reply = this.#wait(seq, Number.POSITIVE_INFINITY, method)!;
    if (reply.ok) return reply.value;
    throw fromWire(reply.error);
  }

  /** Sends `method` with `args` without waiting (nothing comes back). */
  send(method: string, args: readonly unknown[]): void {
    this.#post({ seq: 0, method, args }, method);
  }

  /**
   * Asks the helper to say when handed-over socket `id` is readable, and sleeps until it does
   * or until `until` (monotonic ms, core/clock.ts). Either way the caller tries again.
   */
  waitReadable(id: number, until: number): void {
    const seq = ++this.#seq;
    this.#post({ seq: 0, method: "armRead", args: [id, seq] }, "armRead");
    this.#wait(-seq, until, "recv");
  }

  #post(request: Request, method: string): void {
    try {
      this.#line.post(request);
    } catch (error) {
      // An argument the structured clone cannot copy (a function, a symbol...).
      throw new TypeError(`${method}(): an argument cannot be used: ${String(error)}`);
    }
  }

  /**
   * Waits for the message numbered `seq` (a reply, or with a negative number an event) until
   * `until`. Reads WAKE before looking for messages, so a message posted in between wakes the
   * wait at once instead of being slept through. Other messages are stale events: dropped.
   */
  #wait(seq: number, until: number, what: string): Reply | undefined {
    let beat = Atomics.load(this.#helper, HEARTBEAT);
    let beatAt = performance.now();
    // `until` is on the clock of timeouts and deadlines (core/clock.ts).
    const startBy = seq === 0 ? beatAt + START_MS : Number.POSITIVE_INFINITY;
    for (;;) {
      const seen = Atomics.load(this.#control, WAKE);
      for (let reply = this.#line.take(); reply !== undefined; reply = this.#line.take()) {
        if (reply.seq === seq) return reply;
      }
      const left = until - now();
      if (left <= 0) return undefined;
      Atomics.wait(this.#control, WAKE, seen, Math.min(SLICE_MS, left));
      const current = Atomics.load(this.#helper, HEARTBEAT);
      const after = performance.now();
      if (current !== beat) {
        beat = current;
        beatAt = after;
      } else if (after - beatAt > SILENCE_MS || after > startBy) {
        throw new SocketError(
          "EIO",
          { op: what },
          "the helper thread of sockit/sync stopped answering",
        );
      }
    }
  }
}

let bridge: Bridge | undefined;

/**
 * Whether a BroadcastChannel's messages can be taken without an event loop here (Node.js and
 * Deno; not Bun, where a thread started later cannot join the helper and starts its own).
 */
function canReceiveBroadcasts(): boolean {
  const name = `${HELLO_CHANNEL}.probe.${threadId}`;
  const a = new BroadcastChannel(name);
  const b = new BroadcastChannel(name);
  try {
    a.postMessage(1);
    const take = receiveMessageOnPort as unknown as (channel: BroadcastChannel) => unknown;
    return take(b) !== undefined;
  } catch {
    return false;
  } finally {
    a.close();
    b.close();
  }
}
