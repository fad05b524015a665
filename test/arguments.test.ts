/**
 * Python's positional arguments are taken where they are unambiguous and refused elsewhere,
 * never ignored; a bad argument's error names the parameter and shows what was given. Both
 * flavours. (The seeded fuzz in faults/fuzz.test.ts throws thousands of bad arguments at every
 * function; these are the cases a Python user writes.)
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as asyncApi from "../src/index.js";
import * as syncApi from "../src/sync/index.js";
import { checkLeaks } from "./helpers.js";

checkLeaks();

type Api = typeof asyncApi;
type AnySocket = asyncApi.Socket;

/** Runs `call` (either flavour) and returns what it threw or rejected with. */
async function failure(call: () => unknown): Promise<Error> {
  try {
    await call();
  } catch (error) {
    return error as Error;
  }
  return assert.fail("the call succeeded");
}

/** Asserts a TypeError or RangeError whose message names `parameter` and shows `given`. */
async function refused(
  call: () => unknown,
  Class: typeof TypeError | typeof RangeError,
  parameter: RegExp,
  given: RegExp,
): Promise<void> {
  const error = await failure(call);
  assert.ok(error instanceof Class, `expected ${Class.name}, got ${String(error)}`);
  assert.match(error.message, parameter, "the message names the parameter");
  assert.match(error.message, given, "the message shows what was given");
}

for (const [flavour, api] of [
  ["sockit", asyncApi],
  ["sockit/sync", syncApi as unknown as Api],
] as const) {
  describe(`${flavour}: Python's positional arguments`, { timeout: 20_000 }, () => {
    async function pair(): Promise<[AnySocket, AnySocket] & { close(): void }> {
      const [a, b] = await api.socketpair(api.AF_INET);
      return Object.assign([a, b] as [AnySocket, AnySocket], {
        close() {
          a.close();
          b.close();
        },
      });
    }

    test("recv(n, MSG_PEEK) and recvInto(buf, nbytes, MSG_PEEK) peek; send(data, 0) sends", async () => {
      const p = await pair();
      try {
        assert.equal(await p[0].send("peek", 0), 4);
        assert.equal((await p[1].recv(5, api.MSG_PEEK)).toString(), "peek");
        const buffer = Buffer.alloc(4);
        assert.equal(await p[1].recvInto(buffer, 2, api.MSG_PEEK), 2);
        assert.equal((await p[1].recv(5)).toString(), "peek", "nothing was consumed");
        await p[0].sendAll("x", 0);
        assert.equal((await p[1].recv(5)).toString(), "x");
      } finally {
        p.close();
      }
    });

    test("flags a socket cannot honour are EOPNOTSUPP, not ignored", async () => {
      const p = await pair();
      try {
        for (const call of [() => p[0].send("x", 1), () => p[1].recv(5, 0x40)]) {
          const error = await failure(call);
          assert.ok(error instanceof api.SocketError && error.code === "EOPNOTSUPP", String(error));
        }
      } finally {
        p.close();
      }
    });

    test("positional forms Python does not have are refused with the right spelling", async () => {
      const server = await api.createServer(["127.0.0.1", 0]);
      const p = await pair();
      try {
        await refused(() => server.accept(5 as never), TypeError, /accept\(\): options/, /5/);
        await refused(
          () => api.createConnection(server.getsockname() as [string, number], 5 as never),
          TypeError,
          /options/,
          /\{ timeout: 5 \}/,
        );
        await refused(
          () => p[1].recvInto(Buffer.alloc(4), ["x"] as never),
          TypeError,
          /recvInto\(\): options/,
          /Array/,
        );
        await refused(
          () => api.getaddrinfo("127.0.0.1", 80, "x" as never),
          TypeError,
          /family/,
          /"x"/,
        );
      } finally {
        p.close();
        server.close();
      }
    });

    test("setBlocking takes a boolean or 0/1: the string 'false' is refused", async () => {
      const sock = api.socket();
      try {
        await refused(() => sock.setBlocking("false" as never), TypeError, /flag/, /"false"/);
        sock.setBlocking(0 as never);
        assert.equal(sock.getTimeout(), 0);
        sock.setBlocking(1 as never);
        assert.equal(sock.getTimeout(), null);
      } finally {
        sock.close();
      }
    });
  });

  describe(`${flavour}: bad arguments say what was wrong`, { timeout: 20_000 }, () => {
    test("a Symbol, a null-prototype object and null are shown, not choked on", async () => {
      await refused(() => api.socket(Symbol("s") as never), TypeError, /family/, /Symbol\(s\)/);
      const hostile = new Proxy(
        {},
        {
          get() {
            throw new Error("a trap");
          },
        },
      );
      await refused(() => api.socket(hostile as never), TypeError, /family/, /object/);
      const sock = api.socket();
      try {
        await refused(() => sock.shutdown(Object.create(null)), RangeError, /how/, /object/);
        await refused(() => sock.setTimeout(Symbol("t") as never), TypeError, /timeout/, /Symbol/);
      } finally {
        sock.close();
      }
      await refused(
        () => api.createConnection(["127.0.0.1", 9], null as never),
        TypeError,
        /options/,
        /null/,
      );
      await refused(
        () => api.createServer(["127.0.0.1", 0], { reusePort: "yes" } as never),
        TypeError,
        /reusePort/,
        /"yes"/,
      );
    });
  });
}
