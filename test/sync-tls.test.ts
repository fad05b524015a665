/**
 * TLS in `sockit/sync`, against CPython's `ssl` (the peer runs in another process while this
 * thread blocks): a client that verifies a server and learns the session, STARTTLS on a socket
 * whose stream this thread had taken over (the TLS bytes it had read go back to TLS), the
 * handshake under the three modes, nothing lost to a timeout, and the errors, typed and the very
 * same classes as the async flavour's.
 */

import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { describe, test } from "node:test";
import * as asyncApi from "../src/index.js";
import {
  BlockingIOError,
  CERT_NONE,
  createConnection,
  createDefaultContext,
  DefaultSelector,
  EVENT_WRITE,
  SocketError,
  SSLCertVerificationError,
  SSLContext,
  SSLError,
  SSLSocket,
  TimeoutError,
} from "../src/sync/index.js";
import { checkLeaks, isCode, type PythonPeer, python, pythonFixture, within } from "./helpers.js";
import { HAVE_OPENSSL, testCertificates } from "./tls-certs.js";

checkLeaks();

const T = { timeout: 20_000, skip: HAVE_OPENSSL ? false : "needs the openssl command" };

/** A CPython TLS server (test/fixtures/tls_peer.py) and its port. */
async function pythonServer(options: object): Promise<{ peer: PythonPeer; port: number }> {
  const peer = pythonFixture("tls_peer.py", ["server", JSON.stringify(options)]);
  const first = await within(peer.firstLine, 10_000);
  return { peer, port: (JSON.parse(first) as { port: number }).port };
}

/** Every report of a tls_peer.py that has ended. */
async function reports(peer: PythonPeer): Promise<Record<string, unknown>[]> {
  const { code, stdout, stderr } = await within(peer.done(), 10_000);
  assert.equal(code, 0, stderr);
  return stdout
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function clientContext(): SSLContext {
  return createDefaultContext({ ca: testCertificates().ca.pem });
}

function serverOptions(): object {
  const { server } = testCertificates();
  return { cert: server.certFile, key: server.keyFile };
}

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

describe("a sockit/sync TLS client and a CPython server", () => {
  test(
    "verify, exchange data and tell what the session is; close sends close_notify",
    T,
    async () => {
      const { peer, port } = await pythonServer(serverOptions());
      const context = clientContext();
      const sock = createConnection(["127.0.0.1", port], { tls: context, timeout: 10 });
      assert.ok(sock instanceof SSLSocket);
      assert.equal(sock.context, context);
      assert.equal(sock.getTimeout(), 10);
      assert.equal(sock.serverSide, false);
      assert.equal(sock.serverHostname, "127.0.0.1");
      assert.equal(sock.version(), "TLSv1.3");
      assert.equal(sock.cipher()?.[1], "TLSv1.3");
      assert.equal(sock.selectedAlpnProtocol(), null);
      assert.equal(sock.pending(), 0);
      assert.ok(sock.fileno() > 0);
      const der = sock.getpeercert({ binary: true });
      assert.ok(Buffer.isBuffer(der));
      assert.equal(sha256(der), sha256(new X509Certificate(testCertificates().server.pem).raw));
      assert.deepEqual(sock.getpeercert()?.subjectAltName, [
        ["DNS", "localhost"],
        ["IP Address", "127.0.0.1"],
        ["IP Address", "0:0:0:0:0:0:0:1"],
      ]);
      sock.sendAll("hello over TLS\n");
      assert.equal(sock.recvUntil("\n").toString(), "hello over TLS\n");
      sock.close();
      assert.equal(sock.closed, true);
      assert.equal(sock.version(), null);
      assert.equal(sock.pending(), 0);
      assert.throws(() => sock.getpeercert(), isCode(SocketError, "EBADF"));
      assert.throws(() => sock.recv(1), isCode(SocketError, "EBADF"));
      const seen = await reports(peer);
      assert.deepEqual(
        seen.map((r) => r.event),
        ["handshake", "eof"],
      );
      assert.equal(seen[1]?.clean, true);
    },
  );

  test("a recv that timed out consumed nothing; the rest completes the read", T, async () => {
    const { peer, port } = await pythonServer(serverOptions());
    const sock = createConnection(["127.0.0.1", port], { tls: clientContext(), timeout: 10 });
    sock.sendAll("a");
    // The echo brings "a" only: two bytes are not there.
    assert.throws(() => sock.recvExactly(2, { timeout: 0.1 }), isCode(TimeoutError, "ETIMEDOUT"));
    sock.sendAll("b");
    assert.equal(sock.recvExactly(2).toString(), "ab");
    sock.close();
    await reports(peer);
  });

  test("a wrong host name fails the handshake with the async flavour's very class", T, async () => {
    assert.equal(SSLCertVerificationError, asyncApi.SSLCertVerificationError);
    assert.equal(SSLError, asyncApi.SSLError);
    const { peer, port } = await pythonServer(serverOptions());
    const plain = createConnection(["127.0.0.1", port], { timeout: 10 });
    assert.throws(
      () => clientContext().wrapSocket(plain, { serverHostname: "example.com" }),
      (error) => {
        assert.ok(error instanceof SSLCertVerificationError, String(error));
        assert.equal(error.verifyCode, 62);
        assert.equal(error.reason, "CERTIFICATE_VERIFY_FAILED");
        return true;
      },
    );
    // TLS had started: the plain socket is detached, and the failed handshake closed it.
    assert.equal(plain.closed, true);
    plain.close();
    assert.equal((await reports(peer))[0]?.event, "error");
  });
});

describe("the handshake of sockit/sync follows the socket's mode", () => {
  test(
    "non-blocking: BlockingIOError until done; the socket is writable once it is",
    T,
    async () => {
      // The server answers after 0.3 s: the handshake cannot be done before the checks below.
      const { peer, port } = await pythonServer({ ...serverOptions(), handshake_delay: 0.3 });
      const plain = createConnection(["127.0.0.1", port], { timeout: 10 });
      plain.setBlocking(false);
      assert.throws(
        () => clientContext().wrapSocket(plain, { serverHostname: "localhost" }),
        RangeError,
      );
      const sock = clientContext().wrapSocket(plain, {
        serverHostname: "localhost",
        doHandshakeOnConnect: false,
      });
      assert.equal(sock.getBlocking(), false);
      assert.equal(sock.version(), null);
      const selector = new DefaultSelector();
      try {
        selector.register(sock, EVENT_WRITE);
        for (;;) {
          try {
            sock.doHandshake();
            break;
          } catch (error) {
            assert.ok(error instanceof BlockingIOError, String(error));
            assert.equal(selector.select(5).length, 1);
          }
        }
      } finally {
        selector.close();
      }
      assert.equal(sock.version(), "TLSv1.3");
      sock.setBlocking(true);
      sock.sendAll("after\n");
      assert.equal(sock.recvUntil("\n").toString(), "after\n");
      sock.close();
      await reports(peer);
    },
  );

  test("a handshake the peer never answers times out, not early", T, async () => {
    const silent = python(`import socket
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
conn, _ = server.accept()
while conn.recv(65536):
    pass`);
    const port = Number(await within(silent.firstLine, 10_000));
    const plain = createConnection(["127.0.0.1", port], { timeout: 10 });
    const started = performance.now();
    assert.throws(
      () => clientContext().wrapSocket(plain, { serverHostname: "localhost", timeout: 0.2 }),
      isCode(TimeoutError, "ETIMEDOUT"),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 199, `timed out after ${elapsed} ms`);
    assert.ok(elapsed < 5000, `timed out after ${elapsed} ms`);
    assert.equal(plain.closed, true);
    assert.equal((await within(silent.done(), 10_000)).code, 0);
  });
});

describe("STARTTLS with sockit/sync", () => {
  test("TLS bytes this thread read with the go-ahead reach the TLS layer", T, async () => {
    // The CPython server sends "GO\n" and its ClientHello in one write: the recvUntil below reads
    // both (on the descriptor, here), and wrapSocket must give the rest back to TLS.
    const { ca, server } = testCertificates();
    const { peer, port } = await pythonServer({
      mode: "starttls-immediate",
      ca: ca.certFile,
      hostname: "localhost",
    });
    const plain = createConnection(["127.0.0.1", port], { timeout: 10 });
    assert.equal(plain.recvUntil("\n").toString(), "GO\n");
    const fd = plain.fileno();
    const context = createDefaultContext({ cert: server.pem, key: server.key });
    const sock = context.wrapSocket(plain, { server: true });
    assert.equal(plain.closed, true);
    assert.throws(() => plain.recv(1), isCode(SocketError, "EBADF"));
    assert.equal(sock.fileno(), fd);
    assert.equal(sock.serverSide, true);
    assert.equal(sock.serverHostname, null);
    assert.equal(sock.getpeercert(), null);
    assert.equal(sock.recvUntil("\n").toString(), "hello\n");
    sock.sendAll("back\n");
    sock.close();
    assert.deepEqual((await reports(peer)).at(-1), { event: "received", data: "back\n" });
  });
});

describe("sockit/sync TLS refuses bad input at the call", () => {
  test("contexts check their options as the async flavour's do", T, () => {
    const { server, otherKey } = testCertificates();
    assert.throws(() => createDefaultContext({ bogus: true } as never), TypeError);
    assert.throws(() => createDefaultContext({ verifyMode: 7 }), TypeError);
    assert.throws(() => createDefaultContext({ cert: server.pem, key: otherKey }), SSLError);
    const context = createDefaultContext({ verifyMode: CERT_NONE, alpnProtocols: ["h2"] });
    assert.equal(context.verifyMode, CERT_NONE);
    assert.equal(context.checkHostname, false);
    assert.deepEqual(context.alpnProtocols, ["h2"]);
    assert.equal(context.minimumVersion, "TLSv1.2");
    assert.ok(new SSLContext() instanceof SSLContext);
  });

  test(
    "wrapSocket and createConnection check their arguments before anything changes",
    T,
    async () => {
      const { peer, port } = await pythonServer(serverOptions());
      const plain = createConnection(["127.0.0.1", port], { timeout: 10 });
      const context = clientContext();
      assert.throws(() => context.wrapSocket({} as never), TypeError);
      assert.throws(() => context.wrapSocket(plain, { bogus: 1 } as never), TypeError);
      assert.throws(() => context.wrapSocket(plain, { server: "yes" } as never), TypeError);
      assert.throws(() => context.wrapSocket(plain, { timeout: -1 }), RangeError);
      assert.throws(
        () =>
          createConnection(["127.0.0.1", port], { tls: asyncApi.createDefaultContext() as never }),
        TypeError,
      );
      assert.throws(() => new SSLSocket(), TypeError);
      // The plain socket is untouched: TLS still starts on it.
      const sock = context.wrapSocket(plain, { serverHostname: "localhost" });
      assert.throws(() => context.wrapSocket(sock), TypeError);
      assert.throws(() => sock.detach(), isCode(SocketError, "EOPNOTSUPP"));
      assert.throws(() => sock.connect(["127.0.0.1", port]), isCode(SocketError, "EISCONN"));
      sock.close();
      await reports(peer);
    },
  );
});

test("the synchronous SSLSocket adds the async SSLSocket's own calls, and refuses detach", () => {
  const own = (proto: object, except: string[]): string[] =>
    Reflect.ownKeys(proto)
      .filter((key) => typeof key === "string" && key !== "constructor" && !except.includes(key))
      .map(String)
      .sort();
  // The async class overrides connect, connectEx and fileno; the helper's socket answers those.
  assert.deepEqual(
    own(SSLSocket.prototype, ["detach"]),
    own(asyncApi.SSLSocket.prototype, ["connect", "connectEx", "fileno"]),
  );
});
