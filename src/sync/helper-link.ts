/**
 * How the helper thread (helper.ts) hears each thread that uses `sockit/sync` and answers it:
 * the thread's line (the MessagePort of the thread that started the helper, BroadcastChannels
 * named after any other), and a `Link` that runs each request with the helper's methods, posts
 * the reply and wakes the thread, which sleeps in `Atomics.wait` on its control block (see
 * bridge.ts for the thread's side).
 */

import { BroadcastChannel, type MessagePort } from "node:worker_threads";
import {
  type Reply,
  type Request,
  replyChannel,
  requestChannel,
  toWire,
  WAKE,
} from "./protocol.js";

/** The helper's calls, each with the thread's link and the arguments the thread sent. */
export type Methods = Record<string, (link: Link, ...args: never[]) => unknown>;

/** Where a thread's requests come from and its replies go. */
export interface ThreadLine {
  onRequest(handler: (request: Request) => void): void;
  reply(reply: Reply): void;
}

/** The line of the thread that started the helper: the MessagePort it gave. */
export function portLine(port: MessagePort): ThreadLine {
  return {
    onRequest: (handler) => port.on("message", handler),
    reply: (reply) => port.postMessage(reply),
  };
}

/** The line of any other thread: two BroadcastChannels named after it. */
export function broadcastLine(threadId: number): ThreadLine {
  const requests = new BroadcastChannel(requestChannel(threadId));
  const replies = new BroadcastChannel(replyChannel(threadId));
  return {
    onRequest: (handler) => {
      requests.onmessage = (event) => handler((event as { data: Request }).data);
    },
    reply: (reply) => replies.postMessage(reply),
  };
}

/** One thread the helper serves. */
export class Link {
  readonly #control: Int32Array;
  readonly #line: ThreadLine;
  readonly #methods: Methods;

  constructor(control: SharedArrayBuffer, line: ThreadLine, methods: Methods) {
    this.#control = new Int32Array(control);
    this.#line = line;
    this.#methods = methods;
    line.onRequest((request) => void this.#handle(request));
    this.#send({ seq: 0, ok: true, value: "welcome" });
  }

  /** Tells the thread that its wait numbered `seq` may be over. */
  event(seq: number): void {
    this.#send({ seq: -seq, ok: true, value: null });
  }

  async #handle(request: Request): Promise<void> {
    let reply: Reply;
    try {
      const method = this.#methods[request.method];
      if (method === undefined) throw new Error(`unknown helper method ${request.method}`);
      const value = await (method as (link: Link, ...args: unknown[]) => unknown)(
        this,
        ...request.args,
      );
      reply = { seq: request.seq, ok: true, value };
    } catch (error) {
      reply = { seq: request.seq, ok: false, error: toWire(error) };
    }
    if (request.seq !== 0) this.#send(reply);
  }

  /** Posts, then wakes the thread (it may be asleep in Atomics.wait and read it at once). */
  #send(reply: Reply): void {
    this.#line.reply(reply);
    Atomics.add(this.#control, WAKE, 1);
    Atomics.notify(this.#control, WAKE);
  }
}
