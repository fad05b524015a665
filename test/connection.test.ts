import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  BlockingIOError,
  ConnectionRefusedError,
  createConnection,
  createServer,
  hasDualstackIpv6,
  IPPROTO_IPV6,
  IPV6_V6ONLY,
  SHUT_WR,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOL_SOCKET,
  SocketError,
  socket,
  socketpair,
} from "../src/index.js";
import { checkLeaks, isCode, ON_DENO, python, roundTrip, within } from "./helpers.js";

checkLeaks();

describe("createServer", () => {
  test("listens on IPv4 with SO_REUSEADDR set, as Python's create_server", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    assert.equal(server.family, AF_INET);
    const [host, port] = server.getsockname() as [string, number];
    assert.equal(host, "127.0.0.1");
    assert.ok(port > 0);
    assert.equal(server.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
  });

  test("listens on IPv6 with family AF_INET6", async () => {
    await using server = await createServer(["::1", 0], { family: AF_INET6 });
    assert.equal(server.family, AF_INET6);
    const [host, port, flowinfo, scopeId] = server.getsockname() as [
      string,
      number,
      number,
      number,
    ];
    assert.deepEqual([host, flowinfo, scopeId], ["::1", 0, 0]);
    await using client = await createConnection(["::1", port]);
    const [conn, peer] = await server.accept();
    await using _conn = conn;
    assert.deepEqual(peer, client.getsockname());
    await roundTrip(client, conn);
  });

  test("listens on a Unix path with family AF_UNIX", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockit-"));
    try {
      const path = join(dir, "server.sock");
      await using server = await createServer(path, { family: AF_UNIX });
      assert.equal(server.getsockname(), path);
      await using client = socket(AF_UNIX);
      await client.connect(path);
      const [conn] = await server.accept();
      await using _conn = conn;
      await roundTrip(client, conn);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("does not queue more connections than its backlog", async () => {
    await using server = await createServer(["127.0.0.1", 0], { backlog: 1 });
    const address = server.getsockname() as [string, number];
    await using first = socket();
    await first.connect(address);
    await using second = socket();
    await second.connect(address);
    // The server drops the one beyond the backlog: its client sees end of stream.
    assert.equal((await within(second.recv(16), 5000)).length, 0);
    const [conn, peer] = await server.accept();
    conn.close();
    assert.deepEqual(peer, first.getsockname());
    await assert.rejects(server.accept({ timeout: 0 }), isCode(BlockingIOError, "EAGAIN"));
  });

  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  const reusePortWorks =
    major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);

  test("refuses reusePort with ENOPROTOOPT before Node.js 22.12", {
    skip: reusePortWorks && "this Node.js supports reusePort",
  }, async () => {
    await assert.rejects(
      createServer(["127.0.0.1", 0], { reusePort: true }),
      isCode(SocketError, "ENOPROTOOPT"),
    );
  });

  test("lets two servers share a port with reusePort", {
    skip: !reusePortWorks && "reusePort needs Node.js >= 22.12",
  }, async () => {
    await using a = await createServer(["127.0.0.1", 0], { reusePort: true });
    const [, port] = a.getsockname() as [string, number];
    await using b = await createServer(["127.0.0.1", port], { reusePort: true });
    assert.equal(b.getsockopt(SOL_SOCKET, SO_REUSEPORT), 1);
    assert.deepEqual(b.getsockname(), ["127.0.0.1", port]);
  });

  test("with dualstackIpv6 accepts IPv4 and IPv6 clients", {
    skip: !hasDualstackIpv6() && "no IPv6 here",
  }, async () => {
    await using server = await createServer(["::", 0], {
      family: AF_INET6,
      dualstackIpv6: true,
    });
    assert.equal(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY), 0);
    const [, port] = server.getsockname() as [string, number];
    await using v4 = await createConnection(["127.0.0.1", port]);
    const [conn4, peer4] = await server.accept();
    await using _conn4 = conn4;
    const [, v4port] = v4.getsockname() as [string, number];
    assert.deepEqual(peer4, ["::ffff:127.0.0.1", v4port, 0, 0]);
    await roundTrip(v4, conn4);
    await using v6 = await createConnection(["::1", port]);
    const [conn6, peer6] = await server.accept();
    await using _conn6 = conn6;
    assert.deepEqual(peer6, v6.getsockname());
    await roundTrip(v6, conn6);
  });

  test("on Deno, IPV6_V6ONLY 1 raises ENOPROTOOPT and AF_INET6 servers stay dual-stack", {
    skip: !ON_DENO && "Deno only",
  }, async () => {
    using sock = socket(AF_INET6);
    assert.throws(
      () => sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1),
      (e: SocketError) => e.code === "ENOPROTOOPT",
    );
    await using server = await createServer(["::", 0], { family: AF_INET6 });
    assert.equal(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY), 0);
    const [, port] = server.getsockname() as [string, number];
    await using client = socket(AF_INET);
    await client.connect(["127.0.0.1", port]);
  });

  test("an AF_INET6 server without dualstackIpv6 refuses IPv4 clients", {
    skip: ON_DENO && "Deno's listen ignores IPV6_V6ONLY (the test above)",
  }, async () => {
    await using server = await createServer(["::", 0], { family: AF_INET6 });
    assert.equal(server.getsockopt(IPPROTO_IPV6, IPV6_V6ONLY), 1);
    const [, port] = server.getsockname() as [string, number];
    await using client = socket(AF_INET);
    await assert.rejects(
      client.connect(["127.0.0.1", port]),
      isCode(ConnectionRefusedError, "ECONNREFUSED"),
    );
  });

  test("refuses dualstackIpv6 without family AF_INET6 with RangeError", async () => {
    await assert.rejects(createServer(["127.0.0.1", 0], { dualstackIpv6: true }), RangeError);
  });
});

describe("hasDualstackIpv6", () => {
  test("agrees with CPython's socket.has_dualstack_ipv6()", async () => {
    const peer = python("import socket; print(socket.has_dualstack_ipv6())");
    const { code, stdout } = await peer.done();
    assert.equal(code, 0);
    assert.equal(hasDualstackIpv6(), stdout.trim() === "True");
  });
});

// --- socketpair --------------------------------------------------------------------------------

describe("socketpair", () => {
  test("gives two connected AF_UNIX sockets by default", async () => {
    const [a, b] = await socketpair();
    await using _a = a;
    await using _b = b;
    assert.equal(a.family, AF_UNIX);
    assert.equal(b.family, AF_UNIX);
    await roundTrip(a, b);
  });

  for (const [family, name] of [
    [AF_INET, "AF_INET"],
    [AF_INET6, "AF_INET6"],
  ] as const) {
    test(`gives two connected ${name} sockets over loopback`, async () => {
      const [a, b] = await socketpair(family);
      await using _a = a;
      await using _b = b;
      assert.equal(a.family, family);
      assert.deepEqual(a.getpeername(), b.getsockname());
      assert.deepEqual(b.getpeername(), a.getsockname());
      await roundTrip(a, b);
    });
  }

  for (const [family, name] of [
    [AF_UNIX, "AF_UNIX"],
    [AF_INET, "AF_INET"],
    [AF_INET6, "AF_INET6"],
  ] as const) {
    test(`an ${name} pair keeps working one way after the other way is shut`, async () => {
      const [a, b] = await socketpair(family);
      await using _a = a;
      await using _b = b;
      await a.sendAll("last words");
      a.shutdown(SHUT_WR);
      assert.equal(String(await b.recvExactly(10)), "last words");
      assert.equal((await b.recv(16)).length, 0);
      await b.sendAll("reply");
      assert.equal(String(await a.recvExactly(5)), "reply");
      b.shutdown(SHUT_WR);
      assert.equal((await a.recv(16)).length, 0);
    });
  }
});
