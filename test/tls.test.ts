/**
 * TLS between sockit sockets: the handshake as an operation under the three modes (non-blocking,
 * timeouts, deadlines, abort), the calls of a plain socket over TLS with nothing lost, selectors,
 * session information, the plain socket left behind, and bad arguments.
 */

import assert from "node:assert/strict";
import { once } from "node:events";
import * as net from "node:net";
import { describe, test } from "node:test";
import {
  BlockingIOError,
  createConnection,
  createServer,
  DefaultSelector,
  EVENT_READ,
  EVENT_WRITE,
  SHUT_WR,
  SocketError,
  SSLCertVerificationError,
  SSLEOFError,
  SSLSocket,
  TimeoutError,
} from "../src/index.js";
import { checkLeaks, isCode, python, sleep, tcpPair, within } from "./helpers.js";
import { HAVE_OPENSSL, testCertificates } from "./tls-certs.js";
import { clientContext, serverContext, tlsPair } from "./tls-helpers.js";

checkLeaks();

const T = { timeout: 10_000, skip: HAVE_OPENSSL ? false : "needs the openssl command" };

describe("a TLS connection between sockit sockets", () => {
  test("exchanges data both ways and tells what the session is", T, async () => {
    await using pair = await tlsPair();
    const { client, server } = pair;
    await client.sendAll("ping\n");
    assert.equal((await server.recvUntil("\n")).toString(), "ping\n");
    await server.sendAll("pong\n");
    assert.equal((await client.recvUntil("\n")).toString(), "pong\n");
    assert.ok(client instanceof SSLSocket);
    assert.equal(client.version(), "TLSv1.3");
    assert.equal(server.version(), "TLSv1.3");
    assert.deepEqual(client.cipher(), server.cipher());
    const [name, protocol, bits] = client.cipher()!;
    assert.match(name, /^TLS_/);
    assert.equal(protocol, "TLSv1.3");
    assert.ok(bits === 128 || bits === 256);
    assert.equal(client.serverHostname, "localhost");
    assert.equal(server.serverHostname, null);
    assert.equal(client.serverSide, false);
    assert.equal(server.serverSide, true);
    assert.equal(client.selectedAlpnProtocol(), null);
    assert.deepEqual(client.getpeercert()?.subject, [
      [["countryName", "US"]],
      [["organizationName", "sockit tests"]],
      [["commonName", "localhost"]],
    ]);
    // A server that did not ask for a client certificate has none.
    assert.equal(server.getpeercert(), null);
  });

  test("the sockets keep their addresses, descriptors and options", T, async () => {
    await using pair = await tlsPair();
    const { client, server } = pair;
    assert.deepEqual(client.getpeername(), server.getsockname());
    assert.deepEqual(server.getpeername(), client.getsockname());
    assert.ok(client.fileno() > 2);
    using selector = new DefaultSelector();
    const key = selector.register(client, EVENT_READ);
    assert.equal(key.fd, client.fileno());
    client.close();
    assert.equal(client.fileno(), -1);
  });

  test("shutdown(SHUT_WR) ends the stream for the peer, which can still send", T, async () => {
    await using pair = await tlsPair();
    await pair.client.sendAll("last");
    pair.client.shutdown(SHUT_WR);
    assert.equal((await pair.server.recvExactly(4)).toString(), "last");
    assert.equal((await pair.server.recv(100)).length, 0);
    await pair.server.sendAll("reply after the end");
    assert.equal((await pair.client.recvExactly(19)).toString(), "reply after the end");
  });

  test("close() ends the stream for the peer", T, async () => {
    await using pair = await tlsPair();
    pair.server.close();
    assert.equal((await pair.client.recv(100, { timeout: 5 })).length, 0);
  });

  test("file objects, iteration and streams work over TLS", T, async () => {
    await using pair = await tlsPair();
    const file = pair.server.makefile("rw");
    await pair.client.sendAll("first line\nsecond line\n");
    assert.equal(await file.readline(), "first line\n");
    assert.equal(await file.readline(), "second line\n");
    await file.write("answer\n");
    await file.flush();
    file.close();
    assert.equal((await pair.client.recvUntil("\n")).toString(), "answer\n");
    pair.client.shutdown(SHUT_WR);
    const chunks: Buffer[] = [];
    await pair.server.sendAll("tail");
    pair.server.shutdown(SHUT_WR);
    for await (const chunk of pair.client) chunks.push(chunk);
    assert.equal(Buffer.concat(chunks).toString(), "tail");
  });

  test("1 MiB each way arrives byte for byte", T, async () => {
    await using pair = await tlsPair();
    const data = Buffer.alloc(1 << 20);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
    const [, received] = await Promise.all([
      pair.client.sendAll(data),
      pair.server.recvExactly(data.length),
    ]);
    assert.ok(received.equals(data));
    const [, back] = await Promise.all([
      pair.server.sendAll(received),
      pair.client.recvExactly(data.length),
    ]);
    assert.ok(back.equals(data));
  });
});

describe("the handshake follows the socket's mode", () => {
  test(
    "a non-blocking handshake fails with BlockingIOError until it is done, then the socket is writable",
    T,
    async () => {
      await using tcp = await tcpPair();
      tcp.client.setBlocking(false);
      const client = await clientContext().wrapSocket(tcp.client, {
        serverHostname: "localhost",
        doHandshakeOnConnect: false,
      });
      try {
        await assert.rejects(client.doHandshake(), isCode(BlockingIOError, "EAGAIN"));
        // Data calls are not ready before the handshake either, and the socket is not writable.
        await assert.rejects(client.recv(10), isCode(BlockingIOError, "EAGAIN"));
        await assert.rejects(client.send("x"), isCode(BlockingIOError, "EAGAIN"));
        using selector = new DefaultSelector();
        selector.register(client, EVENT_READ | EVENT_WRITE);
        assert.deepEqual(await selector.select(0), []);
        const server = serverContext().wrapSocket(tcp.server, { server: true });
        const ready = await selector.select(5);
        assert.equal(ready.length, 1);
        assert.equal(ready[0]![1], EVENT_WRITE);
        await client.doHandshake();
        assert.equal(client.version(), "TLSv1.3");
        (await server).close();
      } finally {
        client.close();
      }
    },
  );

  test(
    "wrapSocket on a non-blocking socket needs doHandshakeOnConnect: false, and leaves the socket as it was",
    T,
    async () => {
      await using tcp = await tcpPair();
      tcp.client.setBlocking(false);
      await assert.rejects(
        clientContext().wrapSocket(tcp.client, { serverHostname: "localhost" }),
        RangeError,
      );
      await assert.rejects(
        clientContext().wrapSocket(tcp.server, { serverHostname: "localhost", timeout: 0 }),
        RangeError,
      );
      await tcp.client.sendAll("still plain");
      assert.equal((await tcp.server.recvExactly(11)).toString(), "still plain");
    },
  );

  test(
    "a handshake the peer never answers times out, not early, and the connection is closed",
    T,
    async () => {
      await using tcp = await tcpPair();
      tcp.client.setTimeout(0.2);
      const started = performance.now();
      await assert.rejects(
        clientContext().wrapSocket(tcp.client, { serverHostname: "localhost" }),
        isCode(TimeoutError, "ETIMEDOUT"),
      );
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 199, `timed out after ${elapsed} ms`);
      assert.ok(elapsed < 3000, `timed out after ${elapsed} ms`);
      // The ClientHello arrived, then the end: the timed-out handshake closed the connection.
      const hello = await tcp.server.recv(5, { timeout: 5 });
      assert.equal(hello[0], 0x16, "a TLS handshake record");
      for (let chunk = hello; chunk.length > 0; )
        chunk = await tcp.server.recv(65536, { timeout: 5 });
    },
  );

  test("a handshake that timed out is still under way: asking again completes it", T, async () => {
    await using tcp = await tcpPair();
    const client = await clientContext().wrapSocket(tcp.client, {
      serverHostname: "localhost",
      doHandshakeOnConnect: false,
    });
    try {
      await assert.rejects(
        client.doHandshake({ timeout: 0.05 }),
        isCode(TimeoutError, "ETIMEDOUT"),
      );
      const server = await serverContext().wrapSocket(tcp.server, { server: true });
      await client.doHandshake({ timeout: 5 });
      await client.doHandshake(); // done: resolves at once
      await server.sendAll("after the timeout");
      assert.equal((await client.recvExactly(17)).toString(), "after the timeout");
      server.close();
    } finally {
      client.close();
    }
  });

  test("a write deadline that has passed fails the handshake at once", T, async () => {
    await using tcp = await tcpPair();
    const client = await clientContext().wrapSocket(tcp.client, {
      serverHostname: "localhost",
      doHandshakeOnConnect: false,
    });
    try {
      client.setWriteDeadline(Date.now() - 1);
      await assert.rejects(client.doHandshake(), isCode(TimeoutError, "ETIMEDOUT"));
      client.setWriteDeadline(null);
    } finally {
      client.close();
    }
  });

  test(
    "an aborted signal rejects before anything changes; an abort while waiting closes the connection",
    T,
    async () => {
      await using tcp = await tcpPair();
      const reason = new Error("stop");
      await assert.rejects(
        clientContext().wrapSocket(tcp.client, {
          serverHostname: "localhost",
          signal: AbortSignal.abort(reason),
        }),
        (error) => error === reason,
      );
      assert.equal(tcp.client.closed, false);
      const controller = new AbortController();
      const wrapping = clientContext().wrapSocket(tcp.client, {
        serverHostname: "localhost",
        signal: controller.signal,
      });
      await sleep(20);
      controller.abort(reason);
      await assert.rejects(wrapping, (error) => error === reason);
      assert.equal(tcp.client.closed, true);
    },
  );

  test("closing the TLS socket fails a handshake that waits with EBADF", T, async () => {
    await using tcp = await tcpPair();
    const client = await clientContext().wrapSocket(tcp.client, {
      serverHostname: "localhost",
      doHandshakeOnConnect: false,
    });
    const waiting = client.doHandshake();
    client.close();
    await assert.rejects(waiting, isCode(SocketError, "EBADF"));
  });

  test("a peer that closes during the handshake fails it with SSLEOFError", T, async () => {
    await using tcp = await tcpPair();
    const wrapping = clientContext().wrapSocket(tcp.client, { serverHostname: "localhost" });
    await tcp.server.recv(5);
    // A FIN, not a reset (close() would reset: the rest of the ClientHello is unread).
    tcp.server.shutdown(SHUT_WR);
    await assert.rejects(wrapping, isCode(SSLEOFError, "SSL_ERROR_EOF"));
  });

  test(
    "a failed handshake is raised by doHandshake every time, and by the first data call",
    T,
    async () => {
      await using tcp = await tcpPair();
      const client = await clientContext().wrapSocket(tcp.client, {
        serverHostname: "wrong.example",
        doHandshakeOnConnect: false,
      });
      try {
        const server = serverContext()
          .wrapSocket(tcp.server, { server: true })
          .catch(() => {});
        await assert.rejects(client.recv(10), SSLCertVerificationError);
        await assert.rejects(client.doHandshake(), SSLCertVerificationError);
        await assert.rejects(client.doHandshake(), (error: unknown) => {
          assert.ok(error instanceof SSLCertVerificationError);
          assert.equal(error.verifyCode, 62);
          assert.equal(error.op, "doHandshake");
          return true;
        });
        await server;
      } finally {
        client.close();
      }
    },
  );
});

describe("nothing is lost over TLS", () => {
  test("bytes after the peer's close_notify never pass for data", T, async () => {
    // A CPython server (TLS through a MemoryBIO) sends "bye", its close_notify and, in the same
    // write, 1 MiB that is not TLS: after the end of the TLS stream, nothing more is data.
    const { server } = testCertificates();
    const peer = python(
      `import socket, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(${JSON.stringify(server.certFile)}, ${JSON.stringify(server.keyFile)})
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
conn, _ = listener.accept()
incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
tls = ctx.wrap_bio(incoming, outgoing, server_side=True)
while True:
    try:
        tls.do_handshake()
        break
    except ssl.SSLWantReadError:
        conn.sendall(outgoing.read())
        incoming.write(conn.recv(65536))
tls.write(b"bye")
try:
    tls.unwrap()
except ssl.SSLWantReadError:
    pass
conn.sendall(outgoing.read() + b"JUNK" * 262144)
conn.recv(1)
conn.close()`,
    );
    const port = Number(await within(peer.firstLine, 10_000));
    await using sock = await createConnection(["127.0.0.1", port], {
      tls: clientContext(),
      timeout: 10,
    });
    assert.equal((await sock.recvExactly(3)).toString(), "bye");
    assert.equal((await sock.recv(65536)).length, 0);
    sock.close();
    assert.equal((await within(peer.done(), 10_000)).code, 0);
  });

  test("a recv that timed out consumed nothing", T, async () => {
    await using pair = await tlsPair();
    await assert.rejects(pair.client.recv(10, { timeout: 0.05 }), TimeoutError);
    await pair.server.sendAll("data");
    assert.equal((await pair.client.recv(10)).toString(), "data");
  });

  test("recvExactly consumes only when it succeeds", T, async () => {
    await using pair = await tlsPair();
    await pair.server.sendAll("12345");
    await assert.rejects(pair.client.recvExactly(10, { timeout: 0.1 }), TimeoutError);
    await pair.server.sendAll("67890");
    assert.equal((await pair.client.recvExactly(10)).toString(), "1234567890");
  });

  test(
    "a sendAll that timed out says how much was accepted, and the rest completes the stream",
    T,
    async () => {
      await using pair = await tlsPair();
      const data = Buffer.alloc(8 << 20, 0x61);
      let sent = 0;
      try {
        await pair.client.sendAll(data, { timeout: 0.2 });
        sent = data.length;
      } catch (error) {
        assert.ok(error instanceof TimeoutError);
        sent = error.bytesSent!;
        assert.ok(sent > 0 && sent < data.length, `bytesSent ${sent}`);
      }
      const receiving = pair.server.recvExactly(data.length, { timeout: 10 });
      await pair.client.sendAll(data.subarray(sent));
      assert.equal((await receiving).length, data.length);
    },
  );

  test(
    "a non-blocking recv with nothing decrypted fails at once; pending() counts what is ready",
    T,
    async () => {
      await using pair = await tlsPair();
      pair.client.setBlocking(false);
      await assert.rejects(pair.client.recv(10), isCode(BlockingIOError, "EAGAIN"));
      assert.equal(pair.client.pending(), 0);
      using selector = new DefaultSelector();
      selector.register(pair.client, EVENT_READ);
      assert.deepEqual(await selector.select(0), []);
      await pair.server.sendAll("decrypted");
      const ready = await within(selector.select(5), 5000);
      assert.equal(ready.length, 1);
      assert.equal(pair.client.pending(), 9);
      assert.equal((await pair.client.recv(4)).toString(), "decr");
      assert.equal(pair.client.pending(), 5);
      assert.equal((await selector.select(0)).length, 1, "still readable: data is pending");
    },
  );
});

describe("the plain socket and STARTTLS", () => {
  test(
    "the plain socket is detached: its calls fail with EBADF and closing it leaves TLS alone",
    T,
    async () => {
      await using tcp = await tcpPair();
      const client = clientContext().wrapSocket(tcp.client, { serverHostname: "localhost" });
      const server = serverContext().wrapSocket(tcp.server, { server: true });
      await using pair = {
        client: await client,
        server: await server,
        async [Symbol.asyncDispose]() {},
      };
      assert.equal(tcp.client.closed, true);
      assert.equal(tcp.client.fileno(), -1);
      await assert.rejects(tcp.client.recv(1), isCode(SocketError, "EBADF"));
      tcp.client.close();
      await pair.client.sendAll("still here");
      assert.equal((await pair.server.recvExactly(10)).toString(), "still here");
      pair.client.close();
      pair.server.close();
    },
  );

  test("TLS bytes that arrived with the plain text go to TLS first", T, async () => {
    await using tcp = await tcpPair();
    await tcp.client.sendAll("STARTTLS\n");
    assert.equal((await tcp.server.recvUntil("\n")).toString(), "STARTTLS\n");
    await tcp.server.sendAll("GO\n");
    assert.equal((await tcp.client.recvUntil("\n")).toString(), "GO\n");
    const client = clientContext().wrapSocket(tcp.client, { serverHostname: "localhost" });
    // The ClientHello waits, unread, in the server's plain receive buffer when it wraps.
    await sleep(50);
    const server = await serverContext().wrapSocket(tcp.server, { server: true });
    const tlsClient = await client;
    await tlsClient.sendAll("secret\n");
    assert.equal((await server.recvUntil("\n")).toString(), "secret\n");
    tlsClient.close();
    server.close();
  });

  test("an unconnected or listening socket cannot be wrapped", T, async () => {
    const listener = await createServer(["127.0.0.1", 0]);
    try {
      await assert.rejects(
        serverContext().wrapSocket(listener, { server: true }),
        isCode(SocketError, "ENOTCONN"),
      );
    } finally {
      listener.close();
    }
  });
});

describe("createConnection(address, { tls })", () => {
  test("connects, verifies the name it was given and resolves after the handshake", T, async () => {
    const listener = await createServer(["127.0.0.1", 0]);
    try {
      const [, port] = listener.getsockname() as [string, number];
      const accepted = listener
        .accept()
        .then(([conn]) => serverContext().wrapSocket(conn, { server: true }));
      await using sock = await createConnection(["127.0.0.1", port], {
        tls: clientContext(),
        timeout: 5,
      });
      assert.ok(sock instanceof SSLSocket);
      assert.equal(sock.serverHostname, "127.0.0.1");
      assert.equal(sock.getTimeout(), 5);
      await using server = await accepted;
      await server.sendAll("hi");
      assert.equal((await sock.recvExactly(2)).toString(), "hi");
    } finally {
      listener.close();
    }
  });

  test("its timeout also bounds the handshake", T, async () => {
    const silent = net.createServer((conn) => conn.on("data", () => {}));
    silent.listen(0, "127.0.0.1");
    await once(silent, "listening");
    try {
      const { port } = silent.address() as net.AddressInfo;
      const started = performance.now();
      await assert.rejects(
        createConnection(["127.0.0.1", port], { tls: clientContext(), timeout: 0.2 }),
        TimeoutError,
      );
      assert.ok(performance.now() - started >= 199);
    } finally {
      silent.close();
      for (const conn of await connectionsOf(silent)) conn.destroy();
    }
  });

  test("options.tls must be a context", T, async () => {
    await assert.rejects(createConnection(["127.0.0.1", 9], { tls: {} as never }), TypeError);
  });
});

describe("bad arguments", () => {
  test("wrapSocket refuses what it cannot use, at the call", T, async () => {
    await using tcp = await tcpPair();
    const context = clientContext();
    await assert.rejects(context.wrapSocket({} as never), TypeError);
    await assert.rejects(context.wrapSocket(tcp.client, { serverHost: "x" } as never), TypeError);
    await assert.rejects(context.wrapSocket(tcp.client, { serverHostname: 1 } as never), TypeError);
    await assert.rejects(context.wrapSocket(tcp.client, { serverHostname: "" }), RangeError);
    await assert.rejects(context.wrapSocket(tcp.client, { server: "yes" } as never), TypeError);
    await assert.rejects(
      serverContext().wrapSocket(tcp.server, { server: true, serverHostname: "x" }),
      RangeError,
    );
    // A server needs a certificate.
    await assert.rejects(context.wrapSocket(tcp.server, { server: true }), TypeError);
    await assert.rejects(context.wrapSocket(tcp.client, { timeout: -1 }), RangeError);
    // Nothing was detached.
    await tcp.client.sendAll("ok");
    assert.equal((await tcp.server.recvExactly(2)).toString(), "ok");
  });

  test("SSLSocket has no public constructor", T, () => {
    assert.throws(() => new SSLSocket(), TypeError);
  });

  test("connect on a TLS socket is EISCONN", T, async () => {
    await using pair = await tlsPair();
    await assert.rejects(pair.client.connect(["127.0.0.1", 1]), isCode(SocketError, "EISCONN"));
    assert.equal(await pair.client.connectEx(["127.0.0.1", 1]), 106);
  });

  test("getpeercert before the handshake is ENOTCONN; after close, EBADF", T, async () => {
    await using tcp = await tcpPair();
    const client = await clientContext().wrapSocket(tcp.client, {
      serverHostname: "localhost",
      doHandshakeOnConnect: false,
    });
    assert.throws(() => client.getpeercert(), isCode(SocketError, "ENOTCONN"));
    assert.equal(client.version(), null);
    assert.equal(client.cipher(), null);
    client.close();
    assert.throws(() => client.getpeercert(), isCode(SocketError, "EBADF"));
  });
});

/** The connections a net.Server still holds (none once they have closed). */
async function connectionsOf(server: net.Server): Promise<net.Socket[]> {
  await new Promise((resolve) => server.getConnections(resolve));
  return [];
}

void testCertificates;
