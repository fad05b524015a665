/**
 * The listener transport on its own: binding, the accept queue bounded by the backlog, the
 * pending error raised once by accept, and close.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { test } from "node:test";
import { SocketError } from "../src/index.js";
import { Listener } from "../src/socket/listener.js";
import { NOT_READY } from "../src/socket/operation.js";
import type { TransportSink } from "../src/socket/transport.js";
import { checkLeaks, isCode, within } from "./helpers.js";

checkLeaks();

function countingSink(): TransportSink & { readable: number; changed(): Promise<void> } {
  let wake = (): void => {};
  const sink = {
    readable: 0,
    readableChanged(): void {
      sink.readable++;
      wake();
    },
    writableChanged(): void {
      wake();
    },
    changed: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
  return sink;
}

async function listening(
  backlog: number,
): Promise<{ listener: Listener; port: number; sink: ReturnType<typeof countingSink> }> {
  const sink = countingSink();
  const listener = new Listener(
    {
      endpoint: { kind: "ip", host: "127.0.0.1", port: 0, scopeId: 0 },
      backlog,
      ipFamily: 4,
      ipv6Only: false,
      reusePort: false,
    },
    "127.0.0.1:0",
    sink,
  );
  while (listener.state === "binding") await within(sink.changed(), 5000);
  const address = listener.address() as net.AddressInfo;
  return { listener, port: address.port, sink };
}

test("binds, then queues connections until accept takes them, oldest first", async () => {
  const { listener, port, sink } = await listening(8);
  try {
    assert.equal(listener.state, "listening");
    assert.ok(listener.fileno() >= 0 || typeof process.versions.deno === "string");
    assert.equal(listener.accept("accept"), NOT_READY);
    const first = net.connect(port, "127.0.0.1");
    await once(first, "connect");
    const second = net.connect(port, "127.0.0.1");
    await once(second, "connect");
    while (!listener.readable || sink.readable < 2) await within(sink.changed(), 5000);
    const a = listener.accept("accept");
    const b = listener.accept("accept");
    assert.ok(a !== NOT_READY && b !== NOT_READY);
    assert.equal(a.remote?.port, first.localPort);
    assert.equal(b.remote?.port, second.localPort);
    assert.equal(listener.accept("accept"), NOT_READY);
    a.close(false);
    b.close(false);
    first.destroy();
    second.destroy();
  } finally {
    listener.close();
  }
});

test("refuses connections past the backlog instead of queueing them without bound", async () => {
  const { listener, port, sink } = await listening(1);
  const clients: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = net.connect(port, "127.0.0.1");
      client.on("error", () => {});
      clients.push(client);
      await once(client, "connect");
    }
    // The refused ones are closed by the listener: their clients see the end.
    await within(Promise.all(clients.slice(1).map((c) => once(c, "close"))), 5000);
    while (!listener.readable) await within(sink.changed(), 5000);
    const accepted = listener.accept("accept");
    assert.ok(accepted !== NOT_READY);
    assert.equal(listener.accept("accept"), NOT_READY);
    accepted.close(false);
  } finally {
    for (const client of clients) client.destroy();
    listener.close();
  }
});

test("a failed bind is reported once as the pending error", async () => {
  const { listener: first, port } = await listening(1);
  const sink = countingSink();
  const second = new Listener(
    {
      endpoint: { kind: "ip", host: "127.0.0.1", port, scopeId: 0 },
      backlog: 1,
      ipFamily: 4,
      ipv6Only: false,
      reusePort: false,
    },
    `127.0.0.1:${port}`,
    sink,
  );
  try {
    while (second.state === "binding") await within(sink.changed(), 5000);
    assert.equal(second.state, "failed");
    assert.equal(second.readable, true);
    assert.throws(() => second.accept("accept"), isCode(SocketError, "EADDRINUSE"));
    assert.equal(second.pending, null);
  } finally {
    second.close();
    first.close();
  }
});

test("close closes the connections nobody accepted", async () => {
  const { listener, port, sink } = await listening(4);
  const client = net.connect(port, "127.0.0.1");
  await once(client, "connect");
  while (!listener.readable) await within(sink.changed(), 5000);
  listener.close();
  client.resume();
  await within(once(client, "close"), 5000);
});
