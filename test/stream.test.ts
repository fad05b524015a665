import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { test } from "node:test";
import { Stream } from "../src/socket/stream.js";
import type { TransportSink } from "../src/socket/transport.js";
import { checkLeaks, within } from "./helpers.js";

checkLeaks();

/** A sink that counts what the stream reports and wakes whoever waits for a change. */
function countingSink(): TransportSink & { writable: number; changed(): Promise<void> } {
  let wake = (): void => {};
  const sink = {
    writable: 0,
    readableChanged(): void {
      wake();
    },
    writableChanged(): void {
      sink.writable++;
      wake();
    },
    changed: (): Promise<void> =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
  return sink;
}

test("a stream over a socket Node made itself hears when its writes complete", async () => {
  // The path for runtimes whose accepted sockets cannot read with `onread`. Completion comes as
  // 'drain', which Node emits only past the high-water mark: the stream must lower Node's 16 KiB
  // to 0 so that writes below it are heard too (a send buffer under 16 KiB waits on them).
  const server = net.createServer({ allowHalfOpen: true });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, "127.0.0.1");
  client.pause();
  const [accepted] = (await once(server, "connection")) as [net.Socket];
  const sink = countingSink();
  const stream = Stream.fromSocket(accepted, sink);
  try {
    assert.equal(accepted.writableHighWaterMark, 0);
    // More than the kernel buffers while the peer does not read: the write stays pending.
    const end = stream.write(Buffer.alloc(16 * 1024 * 1024, 1));
    assert.ok(stream.completed < end);
    const heard = sink.writable;
    client.on("data", () => {});
    client.resume();
    while (stream.completed < end || sink.writable === heard) {
      await within(sink.changed(), 5000);
    }
    assert.equal(stream.queued, 0);
  } finally {
    stream.close(false);
    client.destroy();
    server.close();
    await once(server, "close");
  }
});
