/**
 * File objects (`makefile`): Python's buffered file semantics over a socket, under the socket's
 * mode, with nothing lost to a timeout, an abort or a non-blocking miss. Text decoding and
 * newlines are in file-text.test.ts.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type BinaryFile,
  BlockingIOError,
  SHUT_WR,
  SO_SNDBUF,
  SOL_SOCKET,
  SocketError,
  socket,
  socketpair,
  TimeoutError,
  UnsupportedOperation,
} from "../src/index.js";
import { descriptorOf } from "../src/socket/socket.js";
import { checkLeaks, isCode, nextTurn, sleep, tcpPair, track } from "./helpers.js";

checkLeaks();

const T = { timeout: 10_000 };

/** A connected pair with `text` already sent and the sender's side shut. */
async function ended(text: string | Uint8Array) {
  const [a, b] = await socketpair();
  await a.sendAll(text);
  a.shutdown(SHUT_WR);
  return {
    a,
    b,
    [Symbol.dispose]() {
      a.close();
      b.close();
    },
  };
}

test(
  "readline returns each line with its newline, then the rest, then empty at end of stream",
  T,
  async () => {
    using p = await ended("one\ntwo\n\nlast");
    const f = p.b.makefile("rb");
    assert.equal((await f.readline()).toString(), "one\n");
    assert.equal((await f.readline()).toString(), "two\n");
    assert.equal((await f.readline()).toString(), "\n");
    assert.equal((await f.readline()).toString(), "last");
    assert.equal((await f.readline()).length, 0);
    assert.equal((await f.readline()).length, 0);
  },
);

test("readline(limit) stops after limit bytes and the next call goes on", T, async () => {
  using p = await ended("abcdefgh\nxy\n");
  const f = p.b.makefile("rb");
  assert.equal((await f.readline(3)).toString(), "abc");
  assert.equal((await f.readline(6)).toString(), "defgh\n");
  assert.equal((await f.readline(0)).toString(), "");
  assert.equal((await f.readline(-1)).toString(), "xy\n");
  assert.equal((await f.readline(null)).toString(), "");
});

test(
  "read(n) waits for n bytes, returns fewer only at end of stream; read() reads to the end",
  T,
  async () => {
    await using pair = await tcpPair();
    const f = pair.server.makefile("rb");
    await pair.client.sendAll("abc");
    const reading = track(f.read(5));
    await sleep(20);
    assert.equal(reading.settled(), false, "read(5) must wait for 5 bytes");
    await pair.client.sendAll("defg");
    assert.equal((await reading.promise).toString(), "abcde");
    await pair.client.sendAll("hij");
    const rest = track(f.read());
    await sleep(20);
    assert.equal(rest.settled(), false, "read() must wait for end of stream");
    pair.client.shutdown(SHUT_WR);
    assert.equal((await rest.promise).toString(), "fghij");
    assert.equal((await f.read(3)).length, 0);
  },
);

test(
  "read1 returns what has arrived without waiting for more, and waits only when nothing has",
  T,
  async () => {
    await using pair = await tcpPair();
    const f = pair.server.makefile("rb");
    await pair.client.sendAll("abc");
    await sleep(10);
    assert.equal((await f.read1(100)).toString(), "abc");
    const next = f.read1();
    await pair.client.sendAll("de");
    assert.equal((await next).toString(), "de");
    assert.equal((await f.read1(0)).length, 0);
  },
);

test("readinto fills the buffer, or returns fewer bytes at end of stream", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("rb");
  const buffer = Buffer.alloc(6, ".");
  const filling = track(f.readinto(buffer));
  await pair.client.sendAll("abc");
  await sleep(20);
  assert.equal(filling.settled(), false);
  await pair.client.sendAll("defgh");
  assert.equal(await filling.promise, 6);
  assert.equal(buffer.toString(), "abcdef");
  pair.client.shutdown(SHUT_WR);
  assert.equal(await f.readinto(buffer), 2);
  assert.equal(buffer.subarray(0, 2).toString(), "gh");
  assert.equal(await f.readinto(buffer), 0);
});

test(
  "readlines reads every line to end of stream, or stops once a hint is reached",
  T,
  async () => {
    using p = await ended("a\nbb\nccc\ndddd");
    const f = p.b.makefile("rb");
    assert.deepEqual(
      (await f.readlines(4)).map((l) => l.toString()), // 2 + 3 > 4
      ["a\n", "bb\n"],
    );
    assert.deepEqual(
      (await f.readlines()).map((l) => l.toString()),
      ["ccc\n", "dddd"],
    );
    assert.deepEqual(await f.readlines(), []);
  },
);

test("a file object iterates over its lines until end of stream", T, async () => {
  using p = await ended("x\ny\nz");
  const lines: string[] = [];
  for await (const line of p.b.makefile()) lines.push(line);
  assert.deepEqual(lines, ["x\n", "y\n", "z"]);
});

test(
  "a readline that times out consumes nothing: the next one returns the whole line",
  T,
  async () => {
    await using pair = await tcpPair();
    pair.server.setTimeout(0.05);
    const f = pair.server.makefile("r");
    await pair.client.sendAll("first half ");
    await assert.rejects(f.readline(), isCode(TimeoutError, "ETIMEDOUT"));
    await pair.client.sendAll("and second half\nnext");
    assert.equal(await f.readline(), "first half and second half\n");
    await assert.rejects(f.readline(), isCode(TimeoutError, "ETIMEDOUT"));
    pair.client.shutdown(SHUT_WR);
    assert.equal(await f.readline(), "next");
  },
);

test(
  "reads of every kind survive timeouts, aborts and non-blocking misses with nothing lost",
  T,
  async () => {
    await using pair = await tcpPair();
    const f = pair.server.makefile("rb");
    const fails = [
      () => f.read(4, { timeout: 0 }),
      () => f.readline({ timeout: 0.01 }),
      () => f.readinto(Buffer.alloc(4), { signal: AbortSignal.timeout(10) }),
      () => f.readlines(-1, { timeout: 0.01 }),
      () => f.read(undefined, { timeout: 0 }),
    ];
    await pair.client.sendAll("ab");
    for (const fail of fails) {
      await assert.rejects(fail(), (error: unknown) => {
        assert.ok(
          error instanceof TimeoutError ||
            error instanceof BlockingIOError ||
            (error as Error).name === "TimeoutError",
        );
        return true;
      });
    }
    pair.client.shutdown(SHUT_WR);
    assert.equal((await f.read()).toString(), "ab");
  },
);

test(
  "a non-blocking socket's file fails at once with BlockingIOError and keeps the data",
  T,
  async () => {
    await using pair = await tcpPair();
    pair.server.setBlocking(false);
    const f = pair.server.makefile("rb");
    await assert.rejects(f.readline(), isCode(BlockingIOError, "EAGAIN"));
    await pair.client.sendAll("partial");
    await sleep(10);
    await assert.rejects(f.readline(), isCode(BlockingIOError, "EAGAIN"));
    await pair.client.sendAll(" line\n");
    await sleep(10);
    assert.equal((await f.readline()).toString(), "partial line\n");
  },
);

test("the file and the socket read the same bytes in order", T, async () => {
  using p = await ended("line one\nRAW12line two\n");
  const f = p.b.makefile("rb");
  assert.equal((await f.readline()).toString(), "line one\n");
  assert.equal((await p.b.recvExactly(5)).toString(), "RAW12");
  assert.equal((await f.readline()).toString(), "line two\n");
});

test("closing the file leaves the socket open and its unread data in the socket", T, async () => {
  using p = await ended("a\nb\n");
  const f = p.b.makefile("rb");
  assert.equal((await f.readline()).toString(), "a\n");
  await f.close();
  assert.equal(f.closed, true);
  assert.equal(p.b.closed, false);
  assert.equal((await p.b.recv(10)).toString(), "b\n");
  await assert.rejects(f.readline(), isCode(SocketError, "EBADF"));
  await f.close(); // twice is harmless
});

test("closing a file fails its waiting reads with EBADF at once", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("rb");
  const waiting = f.readline();
  await nextTurn();
  await f.close();
  await assert.rejects(waiting, isCode(SocketError, "EBADF"));
  assert.equal(pair.server.closed, false);
});

test(
  "closing the socket sends what a file still held, then the file's calls fail with EBADF",
  T,
  async () => {
    const [a, b] = await socketpair();
    try {
      const f = b.makefile("rw");
      assert.equal(await f.write("held in the buffer\n"), 19);
      b.close();
      await assert.rejects(f.readline(), isCode(SocketError, "EBADF"));
      await assert.rejects(f.write("x"), isCode(SocketError, "EBADF"));
      await assert.rejects(f.flush(), isCode(SocketError, "EBADF"));
      await f.close();
      assert.equal((await a.recv(100)).toString(), "held in the buffer\n");
      assert.equal((await a.recv(100)).length, 0);
    } finally {
      a.close();
      b.close();
    }
  },
);

test("writes wait in the write buffer until flush, or until it would overflow", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("wb", { buffering: 8 });
  assert.equal(await f.write(Buffer.from("abc")), 3);
  assert.equal(await f.write(Buffer.from("def")), 3);
  await assert.rejects(pair.client.recv(10, { timeout: 0.02 }), isCode(TimeoutError, "ETIMEDOUT"));
  assert.equal(await f.write(Buffer.from("ghi")), 3); // 9 > 8: everything goes
  assert.equal((await pair.client.recvExactly(9)).toString(), "abcdefghi");
  await f.writelines([Buffer.from("j"), Buffer.from("k\n")]);
  await f.flush();
  assert.equal((await pair.client.recvExactly(3)).toString(), "jk\n");
  await f.write(Buffer.from("closing flushes"));
  await f.close();
  assert.equal((await pair.client.recvExactly(15)).toString(), "closing flushes");
  assert.equal(pair.server.closed, false);
});

test(
  "a write that times out takes what fits and says how much; the rest is the caller's",
  T,
  async () => {
    const [a, b] = await socketpair();
    try {
      a.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096); // a small send buffer fills fast
      a.setTimeout(0.05);
      const f = a.makefile("wb", { buffering: 1000 });
      const block = Buffer.alloc(256 * 1024, 7);
      let taken = 0;
      let failures = 0;
      for (let round = 0; round < 64 && failures === 0; round++) {
        try {
          taken += await f.write(block);
        } catch (error) {
          assert.ok(error instanceof TimeoutError);
          assert.ok(error.charactersWritten !== undefined);
          assert.ok(error.charactersWritten < block.length);
          taken += error.charactersWritten;
          failures++;
        }
      }
      assert.equal(failures, 1, "the peer does not read: a write must time out");
      // Nothing lost: everything taken arrives once the peer reads and the file is flushed.
      const draining = (async () => {
        let got = 0;
        for (;;) {
          const chunk = await b.recv(1 << 20);
          if (chunk.length === 0) return got;
          assert.ok(chunk.every((byte) => byte === 7));
          got += chunk.length;
        }
      })();
      a.setTimeout(null);
      await f.close();
      a.shutdown(SHUT_WR);
      assert.equal(await draining, taken);
    } finally {
      a.close();
      b.close();
    }
  },
);

test("a flush that fails keeps its data: flushing again completes the stream", T, async () => {
  const [a, b] = await socketpair();
  try {
    a.setsockopt(SOL_SOCKET, SO_SNDBUF, 4096);
    const f = a.makefile("wb", { buffering: 1 << 20 });
    const data = Buffer.alloc(1 << 20, 3);
    await f.write(data);
    await assert.rejects(f.flush({ timeout: 0.02 }), isCode(TimeoutError, "ETIMEDOUT"));
    const reading = b.recvExactly(data.length);
    await f.flush();
    assert.ok((await reading).equals(data));
  } finally {
    a.close();
    b.close();
  }
});

test("an unbuffered binary file makes one socket call per read and write", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("rwb", { buffering: 0 });
  await pair.client.sendAll("abc");
  await sleep(10);
  assert.equal((await f.read(10)).toString(), "abc", "one recv: a short read");
  assert.equal(await f.write(Buffer.from("xyz")), 3);
  assert.equal((await pair.client.recvExactly(3)).toString(), "xyz");
  await pair.client.sendAll("12");
  const into = Buffer.alloc(10);
  assert.equal(await f.readinto(into), 2);
  await assert.rejects(f.read1(), isCode(UnsupportedOperation, "EOPNOTSUPP"));
});

test("a file opened for one direction refuses the other with UnsupportedOperation", T, async () => {
  await using pair = await tcpPair();
  const reader = pair.server.makefile("rb");
  const writer = pair.server.makefile("w");
  await assert.rejects(reader.write(Buffer.from("x")), isCode(UnsupportedOperation, "EOPNOTSUPP"));
  await assert.rejects(writer.readline(), isCode(UnsupportedOperation, "EOPNOTSUPP"));
  await assert.rejects(writer.read(), isCode(UnsupportedOperation, "EOPNOTSUPP"));
  assert.equal(reader.readable(), true);
  assert.equal(reader.writable(), false);
  assert.equal(writer.writable(), true);
  await reader.flush(); // a reader's flush does nothing, as in Python
  assert.equal(await writer.write("still works\n"), 12);
  await writer.flush();
  assert.equal((await pair.client.recvUntil("\n")).toString(), "still works\n");
});

test("makefile refuses bad modes and options with errors that say what is allowed", () => {
  const sock = socket();
  try {
    for (const mode of ["x", "ra", "r+", "rt", "a"]) {
      assert.throws(() => sock.makefile(mode), RangeError, mode);
    }
    assert.throws(() => sock.makefile(1 as unknown as string), TypeError);
    assert.throws(() => sock.makefile("rb", 0 as never), TypeError);
    assert.throws(() => sock.makefile("r", { buffering: 0 }), RangeError);
    assert.throws(() => sock.makefile("rb", { buffering: 1.5 }), TypeError);
    assert.throws(() => sock.makefile("rb", { encoding: "utf-8" }), RangeError);
    assert.throws(() => sock.makefile("rb", { newline: "\n" }), RangeError);
    assert.throws(() => sock.makefile("r", { encoding: "utf-16" }), RangeError);
    assert.throws(() => sock.makefile("r", { encoding: "klingon" }), RangeError);
    assert.throws(() => sock.makefile("r", { encoding: 8 as unknown as string }), TypeError);
    assert.throws(() => sock.makefile("r", { newline: "\n\n" }), RangeError);
    assert.throws(() => sock.makefile("r", { errors: "ignore" }), RangeError);
    // Python's mode rules: letters in any order; no "r" and no "w" reads.
    assert.equal(sock.makefile("br").readable(), true);
    assert.equal(sock.makefile("").readable(), true);
    assert.equal(sock.makefile("wr").writable(), true);
  } finally {
    sock.close();
  }
  assert.throws(() => sock.makefile(), isCode(SocketError, "EBADF"));
});

test("wrong arguments to a file's calls are TypeErrors", T, async () => {
  using p = await ended("x\n");
  const f = p.b.makefile("rwb");
  const text = p.b.makefile("rw");
  await assert.rejects(f.read(1.5), TypeError);
  await assert.rejects(f.readline("3" as unknown as number), TypeError);
  await assert.rejects(f.readinto("buffer" as unknown as Uint8Array), TypeError);
  await assert.rejects(f.write("text" as unknown as Uint8Array), TypeError);
  await assert.rejects(text.write(Buffer.from("bytes") as unknown as string), TypeError);
  await assert.rejects(f.writelines(5 as unknown as Uint8Array[]), TypeError);
  assert.equal((await f.readline()).toString(), "x\n", "nothing was consumed");
});

test("a line longer than the receive buffer still arrives whole", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("rb") as BinaryFile;
  const line = Buffer.alloc(1 << 20, 0x61);
  line[line.length - 1] = 0x0a;
  const sending = pair.client.sendAll(line);
  assert.ok((await f.readline()).equals(line));
  await sending;
});

test("file reads that wait give back the receive-buffer room they asked for", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("rb") as BinaryFile;
  const stream = descriptorOf(pair.server).openStream()!;
  // More than the receive buffer holds, and no line end: the waiting readline asks for room.
  const long = Buffer.alloc(1 << 20, 0x61);
  await pair.client.sendAll(long);
  await assert.rejects(f.readline({ timeout: 0.3 }), isCode(TimeoutError, "ETIMEDOUT"));
  assert.equal(stream.demandCount, 0, "a timed-out readline gave its room back");
  const rest = pair.client.sendAll(Buffer.from("b\n"));
  const line = await f.readline();
  await rest;
  assert.equal(line.length, long.length + 2, "nothing was lost to the timeout");
  assert.equal(stream.demandCount, 0, "a readline that waited and succeeded gave its room back");
});

test("readline follows the call-start rules even when a whole line is buffered", T, async () => {
  await using pair = await tcpPair();
  const f = pair.server.makefile("r");
  const raw = pair.server.makefile("rb");
  await pair.client.sendAll("one\ntwo\nthree\n");
  await sleep(10);
  pair.server.setReadDeadline(Date.now() - 1);
  await assert.rejects(f.readline(), isCode(TimeoutError, "ETIMEDOUT"));
  await assert.rejects(raw.readline(), isCode(TimeoutError, "ETIMEDOUT"));
  pair.server.setReadDeadline(null);
  assert.equal(await f.readline(), "one\n");
  const writer = pair.server.makefile("w");
  await assert.rejects(writer.readline(), isCode(UnsupportedOperation, "EOPNOTSUPP"));
  await f.close();
  await assert.rejects(f.readline(), isCode(SocketError, "EBADF"));
  assert.equal((await raw.readline()).toString(), "two\n");
  pair.server.close();
  await assert.rejects(raw.readline(), isCode(SocketError, "EBADF"));
});
