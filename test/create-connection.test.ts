import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { describe, test } from "node:test";
import {
  AddressInfoError,
  AF_INET,
  AF_INET6,
  BlockingIOError,
  ConnectionRefusedError,
  createConnection,
  createServer,
  getDefaultTimeout,
  HAPPY_EYEBALLS_DELAY_MS,
  type SocketError,
  TimeoutError,
} from "../src/index.js";
import { type LookupAnswer, setNameLookup, systemLookup } from "../src/net/resolve.js";
import {
  checkLeaks,
  isCode,
  nextTurn,
  pythonFixture,
  roundTrip,
  sleep,
  track,
  useFakeClock,
  within,
} from "./helpers.js";

checkLeaks();

// --- fixtures ----------------------------------------------------------------------------------

/**
 * Sockets a python3 process holds on ONE port number across loopback addresses (see
 * test/fixtures/loopback_ports.py): `listen`, `refuse` (bound, not listening) or `blackhole`
 * (a full backlog: connecting hangs).
 */
async function hold(...roles: string[]): Promise<{ port: number } & AsyncDisposable> {
  const peer = pythonFixture("loopback_ports.py", roles);
  const line = await Promise.race([
    peer.firstLine,
    peer.done().then(({ code, stderr }) => {
      throw new Error(`loopback_ports.py exited with ${code}: ${stderr}`);
    }),
  ]);
  const { port } = JSON.parse(line) as { port: number };
  return {
    port,
    async [Symbol.asyncDispose]() {
      peer.child.stdin?.end();
      await peer.done();
    },
  };
}

type Answer = LookupAnswer[];

/**
 * Makes the resolver answer `names` (every other name still resolves for real), through
 * sockit's resolver seam. `lookups` lists the names asked for.
 */
function fakeNames(names: Record<string, () => Answer | Promise<Answer>>): {
  lookups: string[];
} & Disposable {
  const lookups: string[] = [];
  setNameLookup(async (host, family) => {
    const answer = names[host];
    if (answer === undefined) return systemLookup(host, family);
    lookups.push(host);
    const all = await answer();
    return all.filter((a) => family === 0 || a.family === family);
  });
  return {
    lookups,
    [Symbol.dispose]() {
      setNameLookup(null);
    },
  };
}

const V6 = { address: "::1", family: 6 };
const V4 = { address: "127.0.0.1", family: 4 };

/** A promise that can be settled from outside (a resolver that answers when told). */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

// --- createConnection --------------------------------------------------------------------------
// --- createConnection --------------------------------------------------------------------------

describe("createConnection", () => {
  test("connects and returns a socket in the default mode", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    await using client = await createConnection(["127.0.0.1", port]);
    const [conn] = await server.accept();
    await using _conn = conn;
    assert.equal(client.family, AF_INET);
    assert.deepEqual(client.getpeername(), ["127.0.0.1", port]);
    assert.equal(client.getTimeout(), getDefaultTimeout());
    await roundTrip(client, conn);
  });

  test("keeps the timeout on the returned socket", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    await using client = await createConnection(["127.0.0.1", port], { timeout: 2.5 });
    assert.equal(client.getTimeout(), 2.5);
    const [conn] = await server.accept();
    conn.close();
  });

  test("raises ConnectionRefusedError when nothing listens", async () => {
    await using held = await hold("refuse@127.0.0.1");
    await assert.rejects(
      createConnection(["127.0.0.1", held.port]),
      isCode(ConnectionRefusedError, "ECONNREFUSED"),
    );
  });

  test("raises AddressInfoError when the name does not resolve", async () => {
    using _names = fakeNames({
      "gone.sockit.test": () => {
        throw Object.assign(new Error("getaddrinfo ENOTFOUND"), {
          code: "ENOTFOUND",
          syscall: "getaddrinfo",
        });
      },
    });
    await assert.rejects(
      createConnection(["gone.sockit.test", 80]),
      isCode(AddressInfoError, "EAI_NONAME"),
    );
  });

  test("with allErrors raises an AggregateError of every attempt", async () => {
    using _names = fakeNames({ "both.sockit.test": () => [V6, V4] });
    await using held = await hold("refuse@::1", "refuse@127.0.0.1");
    const error = await createConnection(["both.sockit.test", held.port], {
      allErrors: true,
    }).then(
      () => assert.fail("connected"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AggregateError);
    assert.equal(error.errors.length, 2);
    for (const e of error.errors) isCode(ConnectionRefusedError, "ECONNREFUSED")(e);
    // Without allErrors: the last attempt's error, as CPython raises.
    await assert.rejects(createConnection(["both.sockit.test", held.port]), (e: unknown) => {
      isCode(ConnectionRefusedError, "ECONNREFUSED")(e);
      assert.equal((e as SocketError).address, `127.0.0.1:${held.port}`);
      return true;
    });
  });

  test("with allErrors and a single address raises an AggregateError of one", async () => {
    await using held = await hold("refuse@127.0.0.1");
    await assert.rejects(createConnection(["127.0.0.1", held.port], { allErrors: true }), (e) => {
      assert.ok(e instanceof AggregateError);
      assert.equal(e.errors.length, 1);
      return isCode(ConnectionRefusedError, "ECONNREFUSED")(e.errors[0]);
    });
  });

  test("with timeout 0 fails at once with BlockingIOError EINPROGRESS, as CPython", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    await assert.rejects(
      createConnection(server.getsockname() as [string, number], { timeout: 0 }),
      isCode(BlockingIOError, "EINPROGRESS"),
    );
  });

  test("rejects an address that is not [host, port] with TypeError", async () => {
    await assert.rejects(
      createConnection("127.0.0.1:80" as unknown as [string, number]),
      TypeError,
    );
  });

  test("binds sourceAddress before connecting", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    await using client = await createConnection(["127.0.0.1", port], {
      sourceAddress: ["127.0.0.2", 0],
    });
    const [conn, peer] = await server.accept();
    conn.close();
    assert.equal((client.getsockname() as [string, number])[0], "127.0.0.2");
    assert.deepEqual(peer, client.getsockname());
  });
});

describe("createConnection with Happy Eyeballs", () => {
  for (const [listening, refusing, family] of [
    ["127.0.0.1", "::1", AF_INET],
    ["::1", "127.0.0.1", AF_INET6],
  ] as const) {
    test(`reaches ${listening} when the name also has ${refusing}, which refuses`, async () => {
      using _names = fakeNames({ "both.sockit.test": () => [V6, V4] });
      // Time never moves: a refused attempt must hand over at once, not after the delay.
      using _clock = useFakeClock();
      await using held = await hold(`refuse@${refusing}`, `listen@${listening}`);
      await using sock = await within(createConnection(["both.sockit.test", held.port]), 5000);
      assert.equal(sock.family, family);
      assert.equal((sock.getpeername() as [string, number])[0], listening);
    });
  }

  test("reaches the family that listens when localhost has ::1 and 127.0.0.1", async (t) => {
    const answers = await lookup("localhost", { all: true });
    const families = new Set(answers.map((a) => a.address));
    if (!families.has("::1") || !families.has("127.0.0.1")) {
      t.skip("localhost does not resolve to both ::1 and 127.0.0.1 here (see /etc/hosts)");
      return;
    }
    await using held = await hold("refuse@::1", "listen@127.0.0.1");
    await using sock = await createConnection(["localhost", held.port]);
    assert.equal(sock.family, AF_INET);
  });

  test("tries the next address only after 250 ms while the first hangs (fake clock)", async () => {
    using names = fakeNames({ "both.sockit.test": () => [V6, V4] });
    using clock = useFakeClock();
    await using held = await hold("blackhole@::1", "listen@127.0.0.1");
    const connecting = track(createConnection(["both.sockit.test", held.port]));
    await nextTurn(); // resolution done, the ::1 attempt started
    assert.deepEqual(names.lookups, ["both.sockit.test"]);
    clock.advance(HAPPY_EYEBALLS_DELAY_MS - 1);
    // Proving that nothing starts early needs a window: a loopback connect takes well under it.
    await sleep(50);
    assert.equal(connecting.settled(), false);
    clock.advance(1);
    await using sock = await within(connecting.promise, 5000);
    assert.equal(sock.family, AF_INET);
    assert.deepEqual(sock.getpeername(), ["127.0.0.1", held.port]);
  });

  test("tries the next address no earlier than 250 ms in real time", async () => {
    using _names = fakeNames({ "both.sockit.test": () => [V6, V4] });
    await using held = await hold("blackhole@::1", "listen@127.0.0.1");
    const start = performance.now();
    await using sock = await createConnection(["both.sockit.test", held.port]);
    const elapsed = performance.now() - start;
    assert.equal(sock.family, AF_INET);
    assert.ok(elapsed >= HAPPY_EYEBALLS_DELAY_MS, `connected after ${elapsed} ms`);
    assert.ok(elapsed < 5000, `connected after ${elapsed} ms`);
  });

  test("interleaves the families, starting with the first answer's", async () => {
    using _names = fakeNames({
      "many.sockit.test": () => [
        V6,
        { address: "::ffff:127.0.0.2", family: 6 },
        V4,
        { address: "127.0.0.3", family: 4 },
      ],
    });
    await using held = await hold(
      "refuse@::1",
      "refuse@127.0.0.1",
      "refuse@127.0.0.2",
      "refuse@127.0.0.3",
    );
    const error = await createConnection(["many.sockit.test", held.port], {
      allErrors: true,
    }).then(
      () => assert.fail("connected"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof AggregateError);
    const p = held.port;
    assert.deepEqual(
      error.errors.map((e: SocketError) => e.address),
      [`[::1]:${p}`, `127.0.0.1:${p}`, `[::ffff:127.0.0.2]:${p}`, `127.0.0.3:${p}`],
    );
  });
});

describe("createConnection timeouts and abort", () => {
  test("times out while resolving (fake clock)", async () => {
    const answer = deferred<Answer>();
    using _names = fakeNames({ "slow.sockit.test": () => answer.promise });
    using clock = useFakeClock();
    const connecting = track(createConnection(["slow.sockit.test", 80], { timeout: 0.5 }));
    await nextTurn();
    clock.advance(499);
    await nextTurn();
    assert.equal(connecting.settled(), false);
    clock.advance(1);
    await assert.rejects(within(connecting.promise, 5000), isCode(TimeoutError, "ETIMEDOUT"));
    answer.resolve([V4]);
  });

  test("counts resolution and connecting against one timeout (fake clock)", async () => {
    const answer = deferred<Answer>();
    using _names = fakeNames({ "slow.sockit.test": () => answer.promise });
    using clock = useFakeClock();
    await using held = await hold("blackhole@127.0.0.1");
    const connecting = track(createConnection(["slow.sockit.test", held.port], { timeout: 1 }));
    await nextTurn();
    clock.advance(600);
    answer.resolve([V4]);
    await nextTurn(); // the attempt has started with 400 ms left
    clock.advance(399);
    await nextTurn();
    assert.equal(connecting.settled(), false);
    clock.advance(1);
    await assert.rejects(within(connecting.promise, 5000), isCode(TimeoutError, "ETIMEDOUT"));
  });

  test("times out connecting no earlier than the timeout in real time", async () => {
    await using held = await hold("blackhole@127.0.0.1");
    const start = performance.now();
    await assert.rejects(
      createConnection(["127.0.0.1", held.port], { timeout: 0.3 }),
      isCode(TimeoutError, "ETIMEDOUT"),
    );
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 300, `timed out after ${elapsed} ms`);
    assert.ok(elapsed < 5000, `timed out after ${elapsed} ms`);
  });

  test("an already-aborted signal rejects at once with its reason, before resolving", async () => {
    using names = fakeNames({ "both.sockit.test": () => [V6, V4] });
    const reason = new Error("stop");
    await assert.rejects(
      createConnection(["both.sockit.test", 80], { signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.deepEqual(names.lookups, []);
  });

  test("aborting while resolving rejects with the signal's reason", async () => {
    const answer = deferred<Answer>();
    using _names = fakeNames({ "slow.sockit.test": () => answer.promise });
    const controller = new AbortController();
    const connecting = createConnection(["slow.sockit.test", 80], { signal: controller.signal });
    await nextTurn();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(within(connecting, 5000), (error) => error === reason);
    answer.resolve([V4]);
  });

  test("aborting while attempts are under way rejects with the reason", async () => {
    using _names = fakeNames({ "both.sockit.test": () => [V6, V4] });
    await using held = await hold("blackhole@::1", "blackhole@127.0.0.1");
    const controller = new AbortController();
    const connecting = createConnection(["both.sockit.test", held.port], {
      signal: controller.signal,
    });
    await nextTurn();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(within(connecting, 5000), (error) => error === reason);
  });

  test("aborting while the only attempt is under way rejects with the reason", async () => {
    await using held = await hold("blackhole@127.0.0.1");
    const controller = new AbortController();
    const connecting = createConnection(["127.0.0.1", held.port], { signal: controller.signal });
    await nextTurn();
    const reason = new Error("stop");
    controller.abort(reason);
    await assert.rejects(within(connecting, 5000), (error) => error === reason);
  });

  test("aborting after the connection is made leaves it working", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    const controller = new AbortController();
    await using client = await createConnection(["127.0.0.1", port], {
      signal: controller.signal,
    });
    const [conn] = await server.accept();
    await using _conn = conn;
    controller.abort(new Error("too late"));
    await roundTrip(client, conn);
    assert.deepEqual(client.getpeername(), ["127.0.0.1", port]);
  });
});

// --- createServer ------------------------------------------------------------------------------
