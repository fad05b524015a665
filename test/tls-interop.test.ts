/**
 * TLS between sockit and CPython's `ssl` module, both ways: certificates verified (and refused
 * for a wrong name, an expiry or an unknown CA, as CPython refuses them), client certificates,
 * ALPN, the end of a connection with and without close_notify, and STARTTLS with a peer whose TLS
 * bytes follow its go-ahead at once.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  createConnection,
  createServer,
  type Socket,
  SSLCertVerificationError,
  SSLError,
  type SSLSocket,
  socket,
} from "../src/index.js";
import { checkLeaks, type PythonPeer, pythonFixture, within } from "./helpers.js";
import { HAVE_OPENSSL, testCertificates } from "./tls-certs.js";
import { clientContext, serverContext } from "./tls-helpers.js";

checkLeaks();

const T = {
  timeout: 20_000,
  skip: HAVE_OPENSSL ? false : "needs the openssl command",
};

/** What the fixture reports, one JSON line each. */
interface Report {
  event: "handshake" | "error" | "received" | "eof";
  version?: string;
  cipher?: [string, string, number];
  alpn?: string | null;
  peercert?: unknown;
  peercert_der_sha256?: string | null;
  type?: string;
  reason?: string | null;
  library?: string | null;
  verify_code?: number | null;
  verify_message?: string | null;
  data?: string;
  clean?: boolean;
}

interface PeerOptions {
  cert?: string;
  key?: string;
  ca?: string;
  verify?: "required" | "optional" | "none";
  check_hostname?: boolean;
  hostname?: string;
  alpn?: string[];
  mode?: string;
}

/** A running tls_peer.py and its reports in order; dispose waits for it to end. */
class TlsPeer implements AsyncDisposable {
  readonly peer: PythonPeer;
  readonly #lines: string[] = [];
  readonly #waiting: ((line: string) => void)[] = [];
  #partial = "";

  constructor(role: "server" | "client", options: PeerOptions, port?: number) {
    const args = [role, JSON.stringify(options)];
    if (port !== undefined) args.push(String(port));
    this.peer = pythonFixture("tls_peer.py", args);
    this.peer.child.stdout?.on("data", (chunk: string) => {
      const parts = (this.#partial + chunk).split("\n");
      this.#partial = parts.pop() ?? "";
      for (const line of parts) {
        const waiter = this.#waiting.shift();
        if (waiter) waiter(line);
        else this.#lines.push(line);
      }
    });
  }

  /** The next report, or the python3 error if it ended first. */
  async next<R = Report>(): Promise<R> {
    const line =
      this.#lines.shift() ??
      (await Promise.race([
        new Promise<string>((resolve) => this.#waiting.push(resolve)),
        this.peer.done().then(({ code, stderr }) => {
          throw new Error(`python3 exited with ${code} before reporting:\n${stderr}`);
        }),
      ]));
    return JSON.parse(line) as R;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const { code, stderr } = await within(this.peer.done(), 10_000).catch((error: unknown) => {
      this.peer.kill();
      throw error;
    });
    assert.equal(code, 0, `python3 tls_peer.py failed:\n${stderr}`);
  }
}

/** A CPython TLS server (see the fixture); resolves once it listens. */
async function pythonServer(options: PeerOptions): Promise<{ peer: TlsPeer; port: number }> {
  const peer = new TlsPeer("server", options);
  const { port } = await peer.next<{ port: number }>();
  return { peer, port };
}

/** A sockit listener and a CPython client connecting to it: the accepted plain socket. */
async function pythonClient(
  options: PeerOptions,
): Promise<{ peer: TlsPeer; conn: Socket; [Symbol.asyncDispose](): Promise<void> }> {
  const listener = await createServer(["127.0.0.1", 0]);
  try {
    const [, port] = listener.getsockname() as [string, number];
    const peer = new TlsPeer("client", options, port);
    const [conn] = await Promise.race([
      listener.accept(),
      peer.peer.done().then(({ stderr }) => {
        throw new Error(`python3 ended before connecting:\n${stderr}`);
      }),
    ]);
    return {
      peer,
      conn,
      async [Symbol.asyncDispose]() {
        conn.close();
        await peer[Symbol.asyncDispose]();
      },
    };
  } finally {
    listener.close();
  }
}

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** CPython's own dict of a certificate file (`ssl._ssl._test_decode_cert`). */
function pythonDecode(file: string): Promise<unknown> {
  const peer = pythonFixture("tls_decode.py", [file]);
  return peer.done().then(({ code, stdout, stderr }) => {
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as unknown;
  });
}

/** A sockit client's TLS connection to a CPython server on 127.0.0.1. */
async function connectTo(
  port: number,
  options: { context?: ReturnType<typeof clientContext> } = {},
): Promise<SSLSocket> {
  const tls = options.context ?? clientContext();
  return (await createConnection(["127.0.0.1", port], { tls, timeout: 10 })) as SSLSocket;
}

describe("a sockit client and a CPython ssl server", () => {
  test(
    "verify each other and exchange data; both see the same certificate and cipher",
    T,
    async () => {
      const { server } = testCertificates();
      const { peer, port } = await pythonServer({ cert: server.certFile, key: server.keyFile });
      await using _peer = peer;
      await using sock = await connectTo(port);
      const seen = await peer.next();
      assert.equal(seen.event, "handshake");
      assert.deepEqual(sock.cipher(), seen.cipher);
      assert.equal(sock.version(), seen.version);
      await sock.sendAll("hello over TLS\n");
      assert.equal((await sock.recvUntil("\n")).toString(), "hello over TLS\n");
      assert.deepEqual(sock.getpeercert(), await pythonDecode(server.certFile));
      assert.equal(sha256(sock.getpeercert({ binary: true })!), sha256(certDer(server.pem)));
      sock.close();
      assert.deepEqual(await peer.next(), { event: "eof", clean: true });
    },
  );

  test("a close sends close_notify: a strict CPython reader sees a clean end", T, async () => {
    const { server } = testCertificates();
    const { peer, port } = await pythonServer({
      cert: server.certFile,
      key: server.keyFile,
      mode: "expect-close",
    });
    await using _peer = peer;
    const sock = await connectTo(port);
    assert.equal((await peer.next()).event, "handshake");
    await sock.sendAll("last words");
    // Nothing is left to send when it closes: the close_notify is all that close() adds.
    assert.deepEqual(await peer.next(), { event: "received", data: "last words" });
    sock.close();
    assert.equal((await peer.next()).clean, true);
  });

  test("shutdown(SHUT_WR) sends close_notify and the connection still receives", T, async () => {
    const { server } = testCertificates();
    const { peer, port } = await pythonServer({ cert: server.certFile, key: server.keyFile });
    await using _peer = peer;
    await using sock = await connectTo(port);
    assert.equal((await peer.next()).event, "handshake");
    await sock.sendAll("half\n");
    sock.shutdown(1);
    assert.equal((await sock.recvUntil("\n")).toString(), "half\n");
    assert.deepEqual(await peer.next(), { event: "eof", clean: true });
  });

  test("a server that closes without close_notify reads as the end of the stream", T, async () => {
    const { server } = testCertificates();
    const { peer, port } = await pythonServer({
      cert: server.certFile,
      key: server.keyFile,
      mode: "ragged",
    });
    await using _peer = peer;
    await using sock = await connectTo(port);
    assert.equal((await sock.recvExactly(3)).toString(), "bye");
    assert.equal((await sock.recv(100)).length, 0);
  });

  test("a server that ends with close_notify reads as the end of the stream", T, async () => {
    const { server } = testCertificates();
    const { peer, port } = await pythonServer({
      cert: server.certFile,
      key: server.keyFile,
      mode: "notify",
    });
    await using _peer = peer;
    await using sock = await connectTo(port);
    assert.equal((await sock.recvExactly(3)).toString(), "bye");
    assert.equal((await sock.recv(100)).length, 0);
  });

  for (const [what, cert, host, code] of [
    ["a wrong host name", "server", "wrong.example", 62],
    ["a wrong IP address", "server", "127.0.0.2", 64],
    ["an expired certificate", "expired", "localhost", 10],
    ["a certificate of an unknown CA", "stranger", "localhost", undefined],
  ] as const) {
    test(`${what} fails the handshake as in CPython`, T, async () => {
      const certs = testCertificates();
      const issued = certs[cert];
      // CPython's client against the same server says what it expects.
      const { peer: pyServer, port: pyPort } = await pythonServer({
        cert: issued.certFile,
        key: issued.keyFile,
      });
      await using _pyServer = pyServer;
      const reference = new TlsPeer("client", { ca: certs.ca.certFile, hostname: host }, pyPort);
      await using _reference = reference;
      const expected = await reference.next();
      assert.equal(expected.type, "SSLCertVerificationError");
      if (code !== undefined) assert.equal(expected.verify_code, code);
      await pyServer.next(); // its side of the refused handshake

      const { peer, port } = await pythonServer({ cert: issued.certFile, key: issued.keyFile });
      await using _peer = peer;
      const raw = socket();
      await raw.connect(["127.0.0.1", port]);
      const error = await clientContext()
        .wrapSocket(raw, { serverHostname: host, timeout: 10 })
        .then(
          () => assert.fail("the handshake succeeded"),
          (e: unknown) => e,
        );
      assert.ok(error instanceof SSLCertVerificationError, String(error));
      assert.equal(error.reason, expected.reason);
      assert.equal(error.library, expected.library);
      assert.equal(error.code, "SSL_ERROR_SSL");
      if (code !== undefined) {
        assert.equal(error.verifyCode, expected.verify_code);
        assert.equal(error.verifyMessage, expected.verify_message);
      } else {
        assert.ok([20, 21].includes(error.verifyCode), `verifyCode ${error.verifyCode}`);
      }
      assert.equal(raw.closed, true);
      await peer.next();
    });
  }

  test("checkHostname false accepts a certificate for another name", T, async () => {
    const { server } = testCertificates();
    const { peer, port } = await pythonServer({ cert: server.certFile, key: server.keyFile });
    await using _peer = peer;
    const raw = socket();
    await raw.connect(["127.0.0.1", port]);
    await using sock = await clientContext({ checkHostname: false }).wrapSocket(raw, {
      serverHostname: "wrong.example",
    });
    assert.equal((await peer.next()).event, "handshake");
    await sock.sendAll("x\n");
    assert.equal((await sock.recvUntil("\n")).toString(), "x\n");
  });

  test("CERT_NONE accepts any certificate, and getpeercert() is then empty", T, async () => {
    const { stranger } = testCertificates();
    const { peer, port } = await pythonServer({ cert: stranger.certFile, key: stranger.keyFile });
    await using _peer = peer;
    await using sock = await connectTo(port, {
      context: clientContext({ verifyMode: CERT_NONE }),
    });
    assert.deepEqual(sock.getpeercert(), {});
    assert.ok(sock.getpeercert({ binary: true })!.equals(certDer(stranger.pem)));
    assert.equal((await peer.next()).event, "handshake");
  });

  test("a client certificate is sent when the server asks for one", T, async () => {
    const { server, client, ca } = testCertificates();
    const { peer, port } = await pythonServer({
      cert: server.certFile,
      key: server.keyFile,
      ca: ca.certFile,
      verify: "required",
    });
    await using _peer = peer;
    await using sock = await connectTo(port, {
      context: clientContext({ cert: client.pem, key: client.key }),
    });
    const seen = await peer.next();
    assert.equal(seen.event, "handshake");
    assert.deepEqual(seen.peercert, await pythonDecode(client.certFile));
    await sock.sendAll("x\n");
    assert.equal((await sock.recvUntil("\n")).toString(), "x\n");
  });

  test("a server that requires a client certificate refuses a client without one", T, async () => {
    const { server, ca } = testCertificates();
    const { peer, port } = await pythonServer({
      cert: server.certFile,
      key: server.keyFile,
      ca: ca.certFile,
      verify: "required",
    });
    await using _peer = peer;
    // TLS 1.3: the client's handshake is over before the server has seen its (missing)
    // certificate; the refusal arrives as an alert, raised by the next call.
    await using sock = await connectTo(port);
    const refused = await peer.next();
    assert.equal(refused.event, "error");
    await assert.rejects(sock.recv(10), (error: unknown) => {
      assert.ok(error instanceof SSLError, String(error));
      assert.equal(error.reason, "TLSV13_ALERT_CERTIFICATE_REQUIRED");
      return true;
    });
  });

  test("ALPN agrees on the first protocol of the server's that the client offers", T, async () => {
    const { server } = testCertificates();
    const { peer, port } = await pythonServer({
      cert: server.certFile,
      key: server.keyFile,
      alpn: ["h2", "http/1.1"],
    });
    await using _peer = peer;
    await using sock = await connectTo(port, {
      context: clientContext({ alpnProtocols: ["http/1.1", "h2"] }),
    });
    const seen = await peer.next();
    assert.equal(sock.selectedAlpnProtocol(), seen.alpn);
    assert.equal(sock.selectedAlpnProtocol(), "h2");
  });
});

describe("a CPython ssl client and a sockit server", () => {
  test("the client verifies the server and gets its echo", T, async () => {
    const { ca } = testCertificates();
    await using p = await pythonClient({ ca: ca.certFile });
    await using sock = await serverContext().wrapSocket(p.conn, { server: true, timeout: 10 });
    const seen = await p.peer.next();
    assert.equal(seen.event, "handshake");
    assert.deepEqual(seen.cipher, sock.cipher());
    assert.equal(sock.getpeercert(), null);
    const line = await sock.recvUntil("\n");
    await sock.sendAll(line);
    assert.deepEqual(await p.peer.next(), { event: "received", data: "hello\n" });
  });

  test("a required client certificate is verified and shown as CPython shows it", T, async () => {
    const { ca, client } = testCertificates();
    await using p = await pythonClient({
      ca: ca.certFile,
      cert: client.certFile,
      key: client.keyFile,
    });
    const context = serverContext({ ca: ca.pem, requestCert: true, verifyMode: CERT_REQUIRED });
    await using sock = await context.wrapSocket(p.conn, { server: true, timeout: 10 });
    assert.deepEqual(sock.getpeercert(), await pythonDecode(client.certFile));
    await sock.sendAll(await sock.recvUntil("\n"));
    assert.equal((await p.peer.next()).event, "handshake");
    assert.equal((await p.peer.next()).data, "hello\n");
  });

  test("a client without the required certificate fails the server's handshake", T, async () => {
    const { ca } = testCertificates();
    await using p = await pythonClient({ ca: ca.certFile });
    const context = serverContext({ ca: ca.pem, requestCert: true });
    await assert.rejects(context.wrapSocket(p.conn, { server: true, timeout: 10 }), (error) => {
      assert.ok(error instanceof SSLError, String(error));
      assert.equal(error.reason, "PEER_DID_NOT_RETURN_A_CERTIFICATE");
      return true;
    });
    await p.peer.next();
  });

  test("CERT_OPTIONAL lets a client without a certificate in", T, async () => {
    const { ca } = testCertificates();
    await using p = await pythonClient({ ca: ca.certFile });
    const context = serverContext({ ca: ca.pem, requestCert: true, verifyMode: CERT_OPTIONAL });
    await using sock = await context.wrapSocket(p.conn, { server: true, timeout: 10 });
    assert.equal(sock.getpeercert(), null);
    await sock.sendAll(await sock.recvUntil("\n"));
    assert.equal((await p.peer.next()).event, "handshake");
    assert.equal((await p.peer.next()).data, "hello\n");
  });

  test("a client certificate of an unknown CA is refused", T, async () => {
    const { ca, stranger } = testCertificates();
    await using p = await pythonClient({
      ca: ca.certFile,
      cert: stranger.certFile,
      key: stranger.keyFile,
    });
    const context = serverContext({ ca: ca.pem, requestCert: true, verifyMode: CERT_OPTIONAL });
    await assert.rejects(context.wrapSocket(p.conn, { server: true, timeout: 10 }), (error) => {
      assert.ok(error instanceof SSLCertVerificationError, String(error));
      return true;
    });
    await p.peer.next();
  });

  test("ALPN picks the server's preference among the client's offer", T, async () => {
    const { ca } = testCertificates();
    await using p = await pythonClient({ ca: ca.certFile, alpn: ["http/1.1", "h2"] });
    const context = serverContext({ alpnProtocols: ["h2", "http/1.1"] });
    await using sock = await context.wrapSocket(p.conn, { server: true, timeout: 10 });
    assert.equal(sock.selectedAlpnProtocol(), "h2");
    await sock.sendAll(await sock.recvUntil("\n"));
    assert.equal((await p.peer.next()).alpn, "h2");
  });
});

describe("STARTTLS with CPython", () => {
  test("TLS bytes that came with the go-ahead reach the TLS layer", T, async () => {
    // The CPython server sends "GO\n" and its ClientHello in one write: our recvUntil reads
    // both into the receive buffer, and wrapSocket must hand the rest to TLS.
    const { ca } = testCertificates();
    const { peer, port } = await pythonServer({
      ca: ca.certFile,
      hostname: "localhost",
      mode: "starttls-immediate",
    });
    await using _peer = peer;
    const plain = socket();
    await plain.connect(["127.0.0.1", port]);
    assert.equal((await plain.recvUntil("\n")).toString(), "GO\n");
    await using sock = await serverContext().wrapSocket(plain, { server: true, timeout: 10 });
    assert.equal((await peer.next()).event, "handshake");
    assert.equal((await sock.recvUntil("\n")).toString(), "hello\n");
    await sock.sendAll("welcome\n");
    assert.deepEqual(await peer.next(), { event: "received", data: "welcome\n" });
  });

  test("a CPython client starts TLS after a plain-text exchange", T, async () => {
    const { ca } = testCertificates();
    await using p = await pythonClient({ ca: ca.certFile, mode: "starttls" });
    assert.equal((await p.conn.recvUntil("\n")).toString(), "STARTTLS\n");
    await p.conn.sendAll("GO\n");
    await using sock = await serverContext().wrapSocket(p.conn, { server: true, timeout: 10 });
    assert.deepEqual(await p.peer.next(), { event: "received", data: "GO\n" });
    await sock.sendAll(await sock.recvUntil("\n"));
    assert.equal((await p.peer.next()).event, "handshake");
    assert.equal((await p.peer.next()).data, "hello\n");
  });
});

/** The DER bytes of a PEM certificate. */
function certDer(pem: string): Buffer {
  const body = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  return Buffer.from(body, "base64");
}
