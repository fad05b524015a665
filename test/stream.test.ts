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

test("large reads into a stream's own buffers lose and reorder nothing, whatever reads them", {
  timeout: 30_000,
}, async () => {
  // Reads of 32 KiB or more go to buffers of the stream's own, which readers may keep (chunks
  // as they came) or copy out; a reader that pauses leaves them buffered. Every byte must
  // arrive once, in order.
  const { tcpPair, sleep } = await import("./helpers.js");
  await using pair = await tcpPair();
  const total = 48 << 20;
  const sent = Buffer.allocUnsafe(total);
  let seed = 12345;
  for (let i = 0; i < total; i += 4) {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    sent.writeInt32LE(seed, i);
  }
  const sending = pair.client.sendAll(sent).then(() => pair.client.shutdown(1));
  const got: Buffer[] = [];
  let received = 0;
  const into = Buffer.alloc(64 * 1024);
  for (let step = 0; received < total; step++) {
    let chunk: Buffer;
    switch (step % 5) {
      case 0: {
        const n = await pair.server.recvInto(into);
        chunk = Buffer.from(into.subarray(0, n));
        break;
      }
      case 1:
        chunk = await pair.server.recv(100_000);
        break;
      case 2:
        chunk = await pair.server.recvExactly(Math.min(70_000, total - received));
        break;
      case 3: {
        const next = await pair.server[Symbol.asyncIterator]().next();
        chunk = next.value ?? Buffer.alloc(0);
        break;
      }
      default:
        if (step % 20 === 4) await sleep(2); // let reads pile up unread
        chunk = await pair.server.recv(65536);
    }
    assert.ok(chunk.length > 0, `stream ended early at ${received}`);
    got.push(chunk);
    received += chunk.length;
  }
  await sending;
  assert.equal(received, total);
  assert.ok(Buffer.concat(got).equals(sent), "every byte once, in order");
});
