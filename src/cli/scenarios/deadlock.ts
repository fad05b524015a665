/**
 * Scenario 4: two blocking senders that never read deadlock; non-blocking sockets and a selector
 * do not.
 */

import {
  BlockingIOError,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  type Socket,
} from "../../index.js";
import type { Narrator } from "../terminal.js";
import { describeError, loopbackPair, MiB, type Scenario } from "./scenario.js";

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

/** Two blocking senders that never read wait for ever; a selector pump does not. */
export const deadlock: Scenario = {
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
