/**
 * The options of datagram sockets: defaults and values read back, values set before bind
 * applied once bound, broadcast, multicast on loopback (one sender, two receivers), group
 * membership and its errors, and ENOPROTOOPT where an option does not apply.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  AF_INET,
  AF_INET6,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_UNICAST_HOPS,
  type IPv4Address,
  inetAton,
  inetPton,
  SO_BROADCAST,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  SO_TYPE,
  SOCK_DGRAM,
  SOL_SOCKET,
  type Socket,
  SocketError,
  socket,
  TCP_NODELAY,
} from "../src/index.js";
import { checkLeaks, isCode } from "./helpers.js";

checkLeaks();

const GROUP = "239.255.42.99";

function udp(family = AF_INET): Socket & Disposable {
  return socket(family, SOCK_DGRAM) as Socket & Disposable;
}

const mreq = (group: string, iface = "0.0.0.0") =>
  Buffer.concat([inetAton(group), inetAton(iface)]);

const mreq6 = (group: string, index = 0) => {
  const bytes = Buffer.alloc(20);
  inetPton(AF_INET6, group).copy(bytes);
  bytes.writeUInt32LE(index, 16);
  return bytes;
};

describe("reading and setting", () => {
  test("defaults are Linux's, and values read back are what was set, before and after bind", async () => {
    using sock = udp();
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_BROADCAST), 0);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_TTL), 64);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL), 1);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP), 1);
    sock.setsockopt(IPPROTO_IP, IP_TTL, 7);
    sock.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 3);
    sock.setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, false);
    sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
    await sock.bind(["127.0.0.1", 0]);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_TTL), 7);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_TTL), 3);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_MULTICAST_LOOP), 0);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
    sock.setsockopt(IPPROTO_IP, IP_TTL, 255);
    assert.equal(sock.getsockopt(IPPROTO_IP, IP_TTL), 255);
    sock.setsockopt(SOL_SOCKET, SO_RCVBUF, 5000);
    sock.setsockopt(SOL_SOCKET, SO_SNDBUF, 6000);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_RCVBUF), 5000);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_SNDBUF), 6000);
  });

  test("IPv6 sockets have the IPv6 twins", async () => {
    using sock = udp(AF_INET6);
    assert.equal(sock.getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS), 64);
    assert.equal(sock.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 1);
    assert.equal(sock.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 1);
    await sock.bind(["::1", 0]);
    sock.setsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9);
    sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 2);
    sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0);
    sock.setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_IF, 0);
    assert.equal(sock.getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS), 9);
    assert.equal(sock.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS), 2);
    assert.equal(sock.getsockopt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP), 0);
    // IPv4 options on an AF_INET6 socket, and the other way round, cannot be honoured.
    assert.throws(() => sock.setsockopt(IPPROTO_IP, IP_TTL, 5), isCode(SocketError, "ENOPROTOOPT"));
    using v4 = udp();
    assert.throws(
      () => v4.getsockopt(IPPROTO_IPV6, IPV6_UNICAST_HOPS),
      isCode(SocketError, "ENOPROTOOPT"),
    );
  });

  test("out-of-range and mistyped values are RangeError and TypeError", () => {
    using sock = udp();
    assert.throws(() => sock.setsockopt(IPPROTO_IP, IP_TTL, 0), RangeError);
    assert.throws(() => sock.setsockopt(IPPROTO_IP, IP_TTL, 256), RangeError);
    assert.throws(() => sock.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, -1), RangeError);
    assert.throws(() => sock.setsockopt(IPPROTO_IP, IP_TTL, 1.5), TypeError);
    assert.throws(() => sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, 5), TypeError);
    assert.throws(
      () => sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, inetAton(GROUP)),
      RangeError,
    );
    assert.throws(
      () => sock.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, "127.0.0.1" as never),
      TypeError,
    );
  });

  test("datagram options on a stream socket, and TCP options on a datagram socket, are ENOPROTOOPT", () => {
    using tcp = socket() as Socket & Disposable;
    assert.throws(
      () => tcp.setsockopt(SOL_SOCKET, SO_BROADCAST, 1),
      isCode(SocketError, "ENOPROTOOPT"),
    );
    assert.throws(() => tcp.getsockopt(IPPROTO_IP, IP_TTL), isCode(SocketError, "ENOPROTOOPT"));
    using sock = udp();
    assert.throws(
      () => sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1),
      isCode(SocketError, "ENOPROTOOPT"),
    );
    // libuv sets SO_REUSEADDR only on TCP listeners: a datagram socket may clear it.
    sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 0);
    assert.equal(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 0);
  });

  test("SO_REUSEADDR lets two datagram sockets bind one port", async () => {
    using a = udp();
    using b = udp();
    a.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    b.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    await a.bind(["127.0.0.1", 0]);
    await b.bind(a.getsockname());
    assert.deepEqual(b.getsockname(), a.getsockname());
  });
});

describe("broadcast", () => {
  test("without SO_BROADCAST a broadcast is EACCES; with it, it is delivered", async () => {
    using receiver = udp();
    await receiver.bind(["0.0.0.0", 0]);
    const port = (receiver.getsockname() as IPv4Address)[1];
    using sender = udp();
    await sender.bind(["127.0.0.1", 0]);
    // The kernel's refusal is raised by the sendTo (or, where Node reports it later, by the
    // next call).
    const refused = (async () => {
      await sender.sendTo("to all", ["127.255.255.255", port]);
      await sender.recv(10, { timeout: 5 });
    })();
    await assert.rejects(refused, isCode(SocketError, "EACCES"));
    sender.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
    await sender.sendTo("to all", ["127.255.255.255", port]);
    const [data] = await receiver.recvFrom(100, { timeout: 5 });
    assert.equal(data.toString(), "to all");
  });
});

describe("multicast on loopback", () => {
  /** Two receivers sharing a port in GROUP (joined on 127.0.0.1) and a sender. */
  async function group(): Promise<
    { receivers: Socket[]; sender: Socket; port: number } & Disposable
  > {
    const receivers = [udp(), udp()];
    let port = 0;
    for (const r of receivers) {
      r.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
      await r.bind(["0.0.0.0", port]);
      port = (r.getsockname() as IPv4Address)[1];
      r.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq(GROUP, "127.0.0.1"));
    }
    const sender = udp();
    sender.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, inetAton("127.0.0.1"));
    return {
      receivers,
      sender,
      port,
      [Symbol.dispose]() {
        for (const s of [...receivers, sender]) s.close();
      },
    };
  }

  test("one datagram to the group reaches both receivers", { timeout: 10_000 }, async () => {
    using g = await group();
    await g.sender.sendTo("hello, group", [GROUP, g.port]);
    for (const r of g.receivers) {
      const [data, from] = await r.recvFrom(100, { timeout: 5 });
      assert.equal(data.toString(), "hello, group");
      assert.equal(from[1], (g.sender.getsockname() as IPv4Address)[1]);
    }
  });

  test("a receiver that left the group gets nothing more", { timeout: 10_000 }, async () => {
    // Alone in the group: Linux delivers a group's datagrams to every socket bound to the
    // wildcard address and port while any socket on the host is a member (IP_MULTICAST_ALL).
    using receiver = udp();
    await receiver.bind(["0.0.0.0", 0]);
    const to: IPv4Address = [GROUP, (receiver.getsockname() as IPv4Address)[1]];
    receiver.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq(GROUP, "127.0.0.1"));
    using sender = udp();
    sender.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, inetAton("127.0.0.1"));
    await sender.sendTo("before", to);
    assert.equal((await receiver.recv(100, { timeout: 5 })).toString(), "before");
    receiver.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq(GROUP, "127.0.0.1"));
    await sender.sendTo("after", to);
    await assert.rejects(receiver.recv(100, { timeout: 0.1 }), isCode(SocketError, "ETIMEDOUT"));
  });

  test("joining twice is EADDRINUSE, leaving a group not joined EADDRNOTAVAIL, a unicast group EINVAL", async () => {
    for (const bound of [false, true]) {
      using sock = udp();
      if (bound) await sock.bind(["0.0.0.0", 0]);
      sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq(GROUP));
      assert.throws(
        () => sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq(GROUP)),
        isCode(SocketError, "EADDRINUSE"),
      );
      sock.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq(GROUP));
      assert.throws(
        () => sock.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq(GROUP)),
        isCode(SocketError, "EADDRNOTAVAIL"),
      );
      assert.throws(
        () => sock.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq("10.0.0.1")),
        isCode(SocketError, "EINVAL"),
      );
      assert.throws(
        () => sock.getsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP),
        isCode(SocketError, "ENOPROTOOPT"),
      );
    }
  });

  test("a membership set before bind takes effect once bound", { timeout: 10_000 }, async () => {
    using receiver = udp();
    receiver.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq(GROUP, "127.0.0.1"));
    await receiver.bind(["0.0.0.0", 0]);
    using sender = udp();
    sender.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, inetAton("127.0.0.1"));
    await sender.sendTo("joined early", [GROUP, (receiver.getsockname() as IPv4Address)[1]]);
    assert.equal((await receiver.recv(100, { timeout: 5 })).toString(), "joined early");
  });

  test("IPv6 groups are joined and left with IPV6_JOIN_GROUP and IPV6_LEAVE_GROUP", async () => {
    using sock = udp(AF_INET6);
    await sock.bind(["::", 0]);
    sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq6("ff02::1:3", 1));
    assert.throws(
      () => sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq6("ff02::1:3", 1)),
      isCode(SocketError, "EADDRINUSE"),
    );
    sock.setsockopt(IPPROTO_IPV6, IPV6_LEAVE_GROUP, mreq6("ff02::1:3", 1));
    assert.throws(
      () => sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq6("fe80::1")),
      isCode(SocketError, "EINVAL"),
    );
    assert.throws(() => sock.setsockopt(IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq(GROUP)), RangeError);
  });
});
