/**
 * The datagram transport's calls, tried once each on a real UDP socket (a Datagram on loopback
 * and a plain node:dgram peer): one call, one datagram; truncation; MSG_PEEK and MSG_TRUNC;
 * empty datagrams; the pending error first; and what a send refuses, copies and waits for.
 */

import assert from "node:assert/strict";
import * as dgram from "node:dgram";
import { once } from "node:events";
import { describe, test } from "node:test";
import {
  AddressInfoError,
  AF_INET,
  AF_INET6,
  ConnectionRefusedError,
  SocketError,
} from "../src/index.js";
import { Datagram } from "../src/socket/datagram.js";
import * as calls from "../src/socket/datagram-calls.js";
import { NOT_READY } from "../src/socket/operation.js";
import type { TransportSink } from "../src/socket/transport.js";
import { checkLeaks, isCode, ON_BUN, ON_DENO, within } from "./helpers.js";

checkLeaks();

const NONE = { peek: false, trunc: false };
const FLAGS = {
  none: NONE,
  peek: { peek: true, trunc: false },
  trunc: { peek: false, trunc: true },
};
const NO_FLAGS = { reuseAddr: false, reusePort: false, ipv6Only: false };

/** A sink that counts readiness reports and resolves `changed()` at the next one. */
function countingSink(): TransportSink & {
  reads: number;
  writes: number;
  changed(): Promise<void>;
} {
  let wake = (): void => {};
  const sink = {
    reads: 0,
    writes: 0,
    readableChanged: () => {
      sink.reads++;
      wake();
    },
    writableChanged: () => {
      sink.writes++;
      wake();
    },
    changed: () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      }),
  };
  return sink;
}

/** A bound Datagram and a node:dgram peer bound on the same loopback, closed by `using`. */
async function datagramPair(family = AF_INET) {
  const host = family === AF_INET ? "127.0.0.1" : "::1";
  const sink = countingSink();
  const t = new Datagram(family, sink);
  t.bind({ kind: "ip", host, port: 0, scopeId: 0 }, NO_FLAGS);
  while (t.bindState === "binding") await within(sink.changed(), 5000);
  assert.equal(t.bindState, "bound");
  const peer = dgram.createSocket(family === AF_INET ? "udp4" : "udp6");
  peer.bind(0, host);
  await once(peer, "listening");
  const port = (t.local() as [string, number])[1];
  return {
    t,
    sink,
    peer,
    host,
    port,
    peerPort: peer.address().port,
    /** Sends `data` from the peer and waits until it is queued. */
    async arrive(...datagrams: (string | Buffer)[]): Promise<void> {
      const before = t.rx.length + t.rx.dropped;
      for (const data of datagrams) peer.send(data, port, host);
      while (t.rx.length + t.rx.dropped < before + datagrams.length) {
        await within(sink.changed(), 5000).catch(() => {});
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
    [Symbol.dispose]() {
      t.close(true);
      peer.close();
    },
  };
}

describe("receiving calls", () => {
  test("are NOT_READY with nothing queued, and consume nothing", async () => {
    using pair = await datagramPair();
    assert.equal(calls.recvFrom(pair.t, 10, false, "recvFrom"), NOT_READY);
    assert.equal(calls.recv(pair.t, 10, false, "recv"), NOT_READY);
    assert.equal(calls.recvInto(pair.t, new Uint8Array(4), 4, NONE, "recvInto"), NOT_READY);
    assert.equal(calls.recvFromInto(pair.t, new Uint8Array(4), 4, NONE, "recvFromInto"), NOT_READY);
  });

  test("one call takes one datagram, with its sender, in order", async () => {
    using pair = await datagramPair();
    await pair.arrive("first", "second");
    assert.deepEqual(calls.recvFrom(pair.t, 100, false, "recvFrom"), [
      Buffer.from("first"),
      ["127.0.0.1", pair.peerPort],
    ]);
    const buffer = new Uint8Array(100);
    assert.deepEqual(calls.recvFromInto(pair.t, buffer, 100, NONE, "recvFromInto"), [
      6,
      ["127.0.0.1", pair.peerPort],
    ]);
    assert.equal(Buffer.from(buffer.subarray(0, 6)).toString(), "second");
    assert.equal(calls.recv(pair.t, 100, false, "recv"), NOT_READY);
  });

  test("a longer datagram is truncated and the rest discarded", async () => {
    using pair = await datagramPair();
    await pair.arrive("0123456789", "next");
    assert.deepEqual(calls.recv(pair.t, 4, false, "recv"), Buffer.from("0123"));
    // The rest ("456789") is gone: the next call gets the next datagram.
    assert.deepEqual(calls.recv(pair.t, 100, false, "recv"), Buffer.from("next"));
    await pair.arrive("abcdefgh");
    const buffer = Buffer.alloc(8, 0x2e);
    assert.equal(calls.recvInto(pair.t, buffer, 3, NONE, "recvInto"), 3);
    assert.equal(buffer.toString(), "abc.....");
    assert.equal(pair.t.rx.length, 0);
  });

  test("MSG_TRUNC gives the real length of a truncated datagram; MSG_PEEK leaves it queued", async () => {
    using pair = await datagramPair();
    await pair.arrive("0123456789");
    const buffer = Buffer.alloc(4);
    assert.equal(calls.recvInto(pair.t, buffer, 4, { peek: true, trunc: true }, "recvInto"), 10);
    assert.equal(calls.recvInto(pair.t, buffer, 4, FLAGS.peek, "recvInto"), 4);
    const [length] = calls.recvFromInto(pair.t, buffer, 4, FLAGS.trunc, "recvFromInto") as [
      number,
      unknown,
    ];
    assert.equal(length, 10);
    assert.equal(buffer.toString(), "0123");
    assert.equal(pair.t.rx.length, 0);
  });

  test("a peeked datagram is a copy: changing it does not change what recv returns", async () => {
    using pair = await datagramPair();
    await pair.arrive("same");
    const peeked = calls.recv(pair.t, 100, true, "recv") as Buffer;
    peeked.fill(0);
    assert.deepEqual(calls.recv(pair.t, 100, false, "recv"), Buffer.from("same"));
  });

  test("an empty datagram is a message of length 0, not an end", async () => {
    using pair = await datagramPair();
    await pair.arrive(Buffer.alloc(0), "after");
    assert.deepEqual(calls.recvFrom(pair.t, 100, false, "recvFrom"), [
      Buffer.alloc(0),
      ["127.0.0.1", pair.peerPort],
    ]);
    assert.deepEqual(calls.recv(pair.t, 100, false, "recv"), Buffer.from("after"));
  });

  test("bufsize 0 takes the datagram and returns it empty, as Linux does", async () => {
    using pair = await datagramPair();
    await pair.arrive("gone", "kept");
    assert.deepEqual(calls.recv(pair.t, 0, false, "recv"), Buffer.alloc(0));
    assert.deepEqual(calls.recv(pair.t, 10, false, "recv"), Buffer.from("kept"));
  });

  test("a datagram arriving to an empty queue reports readable once, not per datagram", async () => {
    using pair = await datagramPair();
    const before = pair.sink.reads;
    await pair.arrive("a", "b", "c");
    assert.equal(pair.sink.reads - before, 1);
    assert.equal(pair.t.readable, true);
  });

  test("the pending error comes before queued datagrams, then they come", async () => {
    using pair = await datagramPair();
    await pair.arrive("queued");
    // An ICMP port unreachable on a connected socket becomes the pending error.
    const dead = dgram.createSocket("udp4");
    dead.bind(0, "127.0.0.1");
    await once(dead, "listening");
    const deadPort = dead.address().port;
    dead.close();
    pair.t.connect("127.0.0.1", deadPort);
    while (pair.t.connectState === "connecting") await within(pair.sink.changed(), 5000);
    calls.sendTo(pair.t, { data: Buffer.from("x"), host: undefined, port: 0, owned: true }, "send");
    while (pair.t.pending === null) await within(pair.sink.changed(), 5000);
    assert.throws(
      () => calls.recv(pair.t, 100, false, "recv"),
      isCode(ConnectionRefusedError, "ECONNREFUSED"),
    );
    assert.deepEqual(calls.recv(pair.t, 100, false, "recv"), Buffer.from("queued"));
  });
});

describe("sending", () => {
  test("refuses a datagram longer than UDP can carry: EMSGSIZE above 65,507 bytes on IPv4", async () => {
    using pair = await datagramPair();
    const to = (size: number) => ({
      data: Buffer.alloc(size),
      host: pair.host,
      port: pair.peerPort,
      owned: true,
    });
    assert.throws(
      () => calls.sendTo(pair.t, to(65_508), "sendTo"),
      isCode(SocketError, "EMSGSIZE"),
    );
    assert.equal(calls.sendTo(pair.t, to(65_507), "sendTo"), 65_507);
    const [data] = (await once(pair.peer, "message")) as [Buffer];
    assert.equal(data.length, 65_507);
  });

  test("on IPv6 the limit is 65,527 bytes", async () => {
    using pair = await datagramPair(AF_INET6);
    const to = (size: number) => ({
      data: Buffer.alloc(size),
      host: "::1",
      port: pair.peerPort,
      owned: true,
    });
    assert.throws(
      () => calls.sendTo(pair.t, to(65_528), "sendTo"),
      isCode(SocketError, "EMSGSIZE"),
    );
    assert.equal(calls.sendTo(pair.t, to(65_527), "sendTo"), 65_527);
    const [data] = (await once(pair.peer, "message")) as [Buffer];
    assert.equal(data.length, 65_527);
  });

  test("send without a peer is EDESTADDRREQ; port 0 is EINVAL; the other family is EAI_ADDRFAMILY", async () => {
    using pair = await datagramPair();
    const data = Buffer.from("x");
    assert.throws(
      () => calls.sendTo(pair.t, { data, host: undefined, port: 0, owned: true }, "send"),
      isCode(SocketError, "EDESTADDRREQ"),
    );
    assert.throws(
      () => calls.sendTo(pair.t, { data, host: "127.0.0.1", port: 0, owned: true }, "sendTo"),
      isCode(SocketError, "EINVAL"),
    );
    assert.throws(
      () => calls.sendTo(pair.t, { data, host: "::1", port: 9, owned: true }, "sendTo"),
      isCode(AddressInfoError, "EAI_ADDRFAMILY"),
    );
    assert.equal(pair.t.queued, 0);
  });

  test("sends a copy: the caller may change its buffer as soon as the call returns", async () => {
    using pair = await datagramPair();
    const data = Buffer.from("original");
    // To a host name, which Node resolves in a later tick, before it sends.
    calls.sendTo(pair.t, { data, host: "localhost", port: pair.peerPort, owned: false }, "sendTo");
    data.fill(0x21);
    const [received] = (await once(pair.peer, "message")) as [Buffer];
    assert.equal(received.toString(), "original");
  });

  test("a datagram to an address is handed to the kernel in the call", async () => {
    using pair = await datagramPair();
    const to = { data: Buffer.from("now"), host: pair.host, port: pair.peerPort, owned: true };
    assert.equal(calls.sendTo(pair.t, to, "sendTo"), 3);
    // Where Node's handle can be reached, nothing waits in Node: the kernel has it.
    if (!ON_BUN && !ON_DENO) assert.equal(pair.t.queued, 0);
    const [received] = (await once(pair.peer, "message")) as [Buffer];
    assert.equal(received.toString(), "now");
  });

  test("waits when the send queue is full, and reports writable once Node has sent it", async () => {
    using pair = await datagramPair();
    pair.t.sndbuf = 3 * (64 + 256);
    // A host name: Node resolves it in a later tick, so datagrams sent to it in one tick are
    // all still queued. (The kernel takes a datagram to an address at once on loopback.)
    const to = { data: Buffer.alloc(64), host: "localhost", port: pair.peerPort, owned: true };
    for (let i = 0; i < 3; i++) assert.equal(calls.sendTo(pair.t, to, "sendTo"), 64);
    assert.equal(calls.sendTo(pair.t, to, "sendTo"), NOT_READY);
    assert.equal(pair.t.writable, false);
    // The send that found no room hears of the first datagram Node reports sent.
    await within(pair.sink.changed(), 5000);
    assert.equal(pair.t.writable, true);
    while (pair.t.queued > 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(calls.sendTo(pair.t, to, "sendTo"), 64);
  });

  test("a datagram larger than the send queue still goes when the queue is empty", async () => {
    using pair = await datagramPair();
    pair.t.sndbuf = 100;
    const to = { data: Buffer.alloc(1000), host: "localhost", port: pair.peerPort, owned: true };
    assert.equal(calls.sendTo(pair.t, to, "sendTo"), 1000);
    assert.equal(calls.sendTo(pair.t, to, "sendTo"), NOT_READY);
  });
});
