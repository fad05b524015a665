import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  AddressInfoError,
  type AddrInfo,
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  AI_CANONNAME,
  AI_NUMERICHOST,
  AI_NUMERICSERV,
  AI_PASSIVE,
  getaddrinfo,
  gethostname,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
  SocketError,
} from "../src/index.js";
import { checkLeaks, isCode, pythonOracle } from "./helpers.js";

checkLeaks();

interface Call {
  host: string | null;
  port: number | string | null;
  family: number;
  type: number;
  proto: number;
  flags: number;
}

type Answer = { ok: AddrInfo[] } | { err: string; code?: string };

const call = (
  host: string | null,
  port: number | string | null,
  options: Partial<Omit<Call, "host" | "port">> = {},
): Call => ({ host, port, family: 0, type: 0, proto: 0, flags: 0, ...options });

/** Local-only inputs: numeric hosts, "localhost" (/etc/hosts), null, and service names. */
function buildCalls(): Call[] {
  const calls: Call[] = [];
  const hosts = [
    "127.0.0.1",
    "::1",
    null,
    "localhost",
    "127.1",
    "0x7f.1",
    "0:0::1",
    "::FFFF:7f00:1",
  ];
  for (const host of hosts) {
    for (const port of [80, "http", "domain", null]) {
      for (const type of [0, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW])
        calls.push(call(host, port, { type }));
    }
  }
  for (const host of ["127.0.0.1", "::1", null, "localhost"]) {
    for (const family of [AF_UNSPEC, AF_INET, AF_INET6, 99]) {
      for (const flags of [0, AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, 0x10000]) {
        calls.push(call(host, 8080, { family, flags }));
      }
    }
  }
  for (const port of [
    0,
    65535,
    "0",
    "65535",
    "65536",
    "65616",
    "4294967376",
    "",
    "*",
    " 80",
    "+80",
    "-0",
    "-1",
    "80 ",
    "0x50",
    "ssh",
    "nosuchservice",
  ]) {
    calls.push(call("127.0.0.1", port));
    calls.push(call("127.0.0.1", port, { flags: AI_NUMERICSERV }));
    calls.push(call(null, port, { type: SOCK_STREAM }));
  }
  for (const [type, proto] of [
    [0, IPPROTO_TCP],
    [0, IPPROTO_UDP],
    [SOCK_STREAM, IPPROTO_UDP],
    [SOCK_DGRAM, IPPROTO_TCP],
    [SOCK_STREAM, 132],
    [0, 132],
    [5, 0],
    [0, 99],
    [SOCK_RAW, 99],
    [99, 0],
  ] as const) {
    calls.push(call("127.0.0.1", 80, { type, proto }));
    calls.push(call("127.0.0.1", null, { type, proto }));
    calls.push(call("127.0.0.1", "http", { type, proto }));
  }
  calls.push(
    call(null, null),
    call(null, null, { flags: 0x10000 }),
    call("", 80),
    call("127.1 ", 80, { flags: AI_NUMERICHOST }),
    call("::1", 80, { family: AF_INET }),
    call("127.0.0.1", 80, { family: AF_INET6 }),
    call("127.0.0.1", "nosuchservice", { family: 99 }),
    call("127.0.0.1", "nosuchservice", { type: 99 }),
    call("localhost", 80, { family: AF_INET, flags: AI_CANONNAME, type: SOCK_STREAM }),
  );
  return calls;
}

const calls = buildCalls();
let python: { gai: Answer[]; hostname: string; dualstack: boolean };

before(async () => {
  python = (await pythonOracle("gai_oracle.py", { calls })) as typeof python;
});

async function sockitAnswer(c: Call): Promise<Answer> {
  try {
    const options = { family: c.family, type: c.type, proto: c.proto, flags: c.flags };
    return { ok: await getaddrinfo(c.host, c.port, options) };
  } catch (error) {
    if (error instanceof AddressInfoError) return { err: "gaierror", code: error.code };
    if (error instanceof Error) return { err: error.name };
    throw error;
  }
}

describe("getaddrinfo", () => {
  test("answers what CPython answers, in the same order, for local names and services", async () => {
    const mismatches: { call: Call; cpython: Answer; sockit: Answer }[] = [];
    for (const [i, c] of calls.entries()) {
      const want = python.gai[i]!;
      const got = await sockitAnswer(c);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        mismatches.push({ call: c, cpython: want, sockit: got });
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test("answers [family, type, proto, canonname, address] in Python's address shapes", async () => {
    assert.deepEqual(await getaddrinfo("127.0.0.1", 80, { type: SOCK_STREAM }), [
      [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 80]],
    ]);
    assert.deepEqual(await getaddrinfo("::1", "80", { type: SOCK_DGRAM }), [
      [AF_INET6, SOCK_DGRAM, IPPROTO_UDP, "", ["::1", 80, 0, 0]],
    ]);
  });

  test("gives every socket type for one address when no type is asked for", async () => {
    const infos = await getaddrinfo("127.0.0.1", 443);
    assert.deepEqual(
      infos.map(([, type, proto]) => [type, proto]),
      [
        [SOCK_STREAM, IPPROTO_TCP],
        [SOCK_DGRAM, IPPROTO_UDP],
        [SOCK_RAW, 0],
      ],
    );
  });

  test("keeps only the asked family", async () => {
    for (const family of [AF_INET, AF_INET6]) {
      const infos = await getaddrinfo(null, 80, { family, type: SOCK_STREAM });
      assert.ok(infos.length > 0);
      assert.ok(infos.every(([f]) => f === family));
    }
  });

  test("gives the wildcard addresses for a null host with AI_PASSIVE and loopback without", async () => {
    const passive = await getaddrinfo(null, 8080, { type: SOCK_STREAM, flags: AI_PASSIVE });
    assert.deepEqual(
      passive.map(([, , , , address]) => address),
      [
        ["0.0.0.0", 8080],
        ["::", 8080, 0, 0],
      ],
    );
    const active = await getaddrinfo(null, 8080, { type: SOCK_STREAM });
    assert.deepEqual(
      active.map(([, , , , address]) => address),
      [
        ["::1", 8080, 0, 0],
        ["127.0.0.1", 8080],
      ],
    );
  });

  test("reads numeric hosts in inet_aton's forms and normalises IPv6 text", async () => {
    const [[, , , canon, v4]] = (await getaddrinfo("0x7f.1", 80, {
      type: SOCK_STREAM,
      flags: AI_NUMERICHOST | AI_CANONNAME,
    })) as [AddrInfo];
    assert.deepEqual(v4, ["127.0.0.1", 80]);
    assert.equal(canon, "0x7f.1");
    const [[, , , , v6]] = (await getaddrinfo("0:0:0::0:1", 80, { type: SOCK_STREAM })) as [
      AddrInfo,
    ];
    assert.deepEqual(v6, ["::1", 80, 0, 0]);
  });

  test("looks service names up in /etc/services, for the protocols that define them", async () => {
    assert.deepEqual(await getaddrinfo("127.0.0.1", "http"), [
      [AF_INET, SOCK_STREAM, IPPROTO_TCP, "", ["127.0.0.1", 80]],
    ]);
    const domain = await getaddrinfo("127.0.0.1", "domain");
    assert.deepEqual(
      domain.map(([, type, , , address]) => [type, address]),
      [
        [SOCK_STREAM, ["127.0.0.1", 53]],
        [SOCK_DGRAM, ["127.0.0.1", 53]],
      ],
    );
  });

  test("fails with EAI_NONAME for a name under .invalid", async () => {
    await assert.rejects(getaddrinfo("no-such-host.sockit.invalid", 80), (error: unknown) => {
      assert.ok(error instanceof AddressInfoError);
      assert.ok(error instanceof SocketError);
      assert.equal(error.code, "EAI_NONAME");
      assert.equal(error.errno, -2);
      return true;
    });
  });

  test("fails with EAI_NONAME for a name with AI_NUMERICHOST and for null host and port", async () => {
    for (const promise of [
      getaddrinfo("localhost", 80, { flags: AI_NUMERICHOST }),
      getaddrinfo(null, null),
    ]) {
      await assert.rejects(
        promise,
        (error: unknown) => error instanceof AddressInfoError && error.code === "EAI_NONAME",
      );
    }
  });

  test("fails with EAI_SERVICE for an unknown service or one the type does not have", async () => {
    for (const promise of [
      getaddrinfo("127.0.0.1", "no-such-service"),
      getaddrinfo("127.0.0.1", "http", { type: SOCK_DGRAM }),
      getaddrinfo("127.0.0.1", "-1"),
    ]) {
      await assert.rejects(
        promise,
        (error: unknown) => error instanceof AddressInfoError && error.code === "EAI_SERVICE",
      );
    }
  });

  test("fails with EAI_FAMILY, EAI_SOCKTYPE, EAI_BADFLAGS and EAI_ADDRFAMILY as glibc does", async () => {
    const cases: [Promise<unknown>, string][] = [
      [getaddrinfo("127.0.0.1", 80, { family: 99 }), "EAI_FAMILY"],
      [getaddrinfo("127.0.0.1", 80, { type: 99 }), "EAI_SOCKTYPE"],
      [getaddrinfo("127.0.0.1", 80, { type: SOCK_STREAM, proto: IPPROTO_UDP }), "EAI_SOCKTYPE"],
      [getaddrinfo("127.0.0.1", 80, { flags: 0x10000 }), "EAI_BADFLAGS"],
      [getaddrinfo(null, 80, { flags: AI_CANONNAME }), "EAI_BADFLAGS"],
      [getaddrinfo("::1", 80, { family: AF_INET }), "EAI_ADDRFAMILY"],
    ];
    for (const [promise, code] of cases) {
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof AddressInfoError);
        assert.equal(error.code, code);
        return true;
      });
    }
  });

  test("rejects wrong argument types with TypeError and bad port numbers with RangeError", async () => {
    await assert.rejects(getaddrinfo(127 as unknown as string, 80), TypeError);
    await assert.rejects(getaddrinfo("127.0.0.1", {} as unknown as number), TypeError);
    await assert.rejects(getaddrinfo("127.0.0.1", 65536), RangeError);
    await assert.rejects(getaddrinfo("127.0.0.1", -1), RangeError);
    await assert.rejects(getaddrinfo("127.0.0.1", 1.5), RangeError);
  });

  test("takes Python's positional filters (family, type, proto, flags) as well", async () => {
    assert.deepEqual(
      await getaddrinfo("127.0.0.1", 80, AF_INET, SOCK_STREAM),
      await getaddrinfo("127.0.0.1", 80, { family: AF_INET, type: SOCK_STREAM }),
    );
    assert.deepEqual(await getaddrinfo("127.0.0.1", 80, 0, SOCK_DGRAM, IPPROTO_UDP, 0), [
      [AF_INET, SOCK_DGRAM, IPPROTO_UDP, "", ["127.0.0.1", 80]],
    ]);
    await assert.rejects(
      getaddrinfo("::1", 80, AF_INET),
      isCode(AddressInfoError, "EAI_ADDRFAMILY"),
    );
  });

  test("refuses a filter that is not an integer, never ignoring it", async () => {
    const bad: unknown[][] = [
      ["x"],
      [AF_INET, "1"],
      [null],
      [1.5],
      [{ type: "stream" }],
      [{ family: AF_INET }, SOCK_STREAM],
      [0, 0, 0, 0, 0],
    ];
    for (const filters of bad) {
      const call = getaddrinfo as (...args: unknown[]) => Promise<unknown>;
      await assert.rejects(call("127.0.0.1", 80, ...filters), TypeError, String(filters));
    }
  });
});

describe("gethostname", () => {
  test("is the name CPython's socket.gethostname() gives", () => {
    assert.equal(gethostname(), python.hostname);
  });
});
