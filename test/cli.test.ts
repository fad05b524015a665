/**
 * The `sockit` command, run as a user runs it: a real process, real sockets, real exit codes.
 */

import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createServer, SHUT_WR, socket } from "../src/index.js";
import { checkLeaks, ON_BUN, ON_DENO, python } from "./helpers.js";

checkLeaks();

/** The start of every ANSI colour sequence. */
const ESC = "\u001b[";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  const base = { ...process.env };
  delete base.NO_COLOR;
  delete base.FORCE_COLOR;
  return spawn(process.execPath, [CLI, ...args], { env: { ...base, ...env } });
}

async function run(
  args: string[],
  input?: string | Buffer,
  env?: Record<string, string>,
): Promise<Run> {
  const child = start(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("latin1").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  if (input !== undefined) child.stdin.end(input);
  const [status] = (await once(child, "close")) as [number | null];
  return { status, stdout, stderr };
}

/** Starts `sockit echo-server` and resolves to its port once it listens. */
async function echoServer(
  mode: string,
): Promise<{ child: ChildProcessWithoutNullStreams; port: number }> {
  const child = start(["echo-server", "--port", "0", "--mode", mode]);
  let out = "";
  child.stdout.setEncoding("utf8");
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once("exit", () => reject(new Error(`echo-server exited: ${out}`)));
  });
  return { child, port };
}

const PY_ECHO = `
import socket, sys
srv = socket.create_server(("127.0.0.1", 0))
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept()
while True:
    data = conn.recv(65536)
    if not data:
        break
    conn.sendall(data)
conn.close()
`;

describe("sockit", () => {
  test("prints its version and help, and exits 0", async () => {
    const version = await run(["--version"]);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const help = await run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /demo/);
    for (const command of ["demo", "echo-server", "connect", "bench"]) {
      const sub = await run([command, "--help"]);
      assert.equal(sub.status, 0, command);
      assert.match(sub.stdout, new RegExp(`usage: sockit ${command}`));
    }
  });

  test("exits 2 with usage on stderr for unknown commands and flags", async () => {
    for (const args of [
      ["frobnicate"],
      ["demo", "--frob"],
      ["connect", "127.0.0.1"],
      ["echo-server", "--mode", "x"],
      ["demo", "nope"],
    ]) {
      const result = await run(args);
      assert.equal(result.status, 2, args.join(" "));
      assert.match(result.stderr, /usage: sockit/);
      assert.equal(result.stdout, "");
    }
  });
});

describe("sockit demo", () => {
  test("lists the scenarios", async () => {
    const result = await run(["demo", "--list"]);
    assert.equal(result.status, 0);
    for (const name of ["blocking", "nonblocking", "timeouts", "deadlock", "binary", "sync"]) {
      assert.match(result.stdout, new RegExp(`^${name}\\b`, "m"));
    }
  });

  test("plays every scenario with elapsed times and no colour off a terminal", async () => {
    const result = await run(["demo"]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /\[\+\d+\.\d{3}s\]/);
    assert.match(result.stdout, /BlockingIOError \(EAGAIN\)/);
    assert.match(result.stdout, /TimeoutError \(ETIMEDOUT\)/);
    assert.match(result.stdout, /bytesSent = /);
    assert.match(result.stdout, /01 00 00 00 61 62 00 00 cd cc 2c 40/);
    assert.ok(!result.stdout.includes(ESC), "no ANSI escapes off a terminal");
  });

  test("shows a synchronous recv stopping the program: the due timer fires after it", async () => {
    const result = await run(["demo", "sync"]);
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.split("\n");
    const returned = lines.findIndex((line) => line.includes("recv returned"));
    const fired = lines.findIndex((line) => line.includes("fired (it was due at +0.1 s)"));
    assert.ok(returned > 0 && fired > returned, result.stdout);
    const seconds = (line: string): number => Number(/\[\+(\d+\.\d+)s\]/.exec(line)?.[1]);
    assert.ok(seconds(lines[returned]!) - seconds(lines[returned - 1]!) >= 0.35, result.stdout);
  });

  test("uses colour when forced, and never with NO_COLOR", async () => {
    const coloured = await run(["demo", "binary"], undefined, { FORCE_COLOR: "1" });
    assert.ok(coloured.stdout.includes(ESC));
    const plain = await run(["demo", "binary"], undefined, { FORCE_COLOR: "1", NO_COLOR: "1" });
    assert.ok(!plain.stdout.includes(ESC));
  });
});

describe("sockit echo-server", () => {
  for (const mode of ["blocking", "selectors", "threads"]) {
    const noThreads = mode === "threads" && (ON_BUN || ON_DENO);
    test(`echoes connections in ${mode} mode and stops cleanly on SIGTERM`, {
      // Threads cannot pass a socket to each other there (README, Runtimes); the CLI refuses.
      skip: noThreads ? "no socket passing between threads on Bun and Deno" : false,
    }, async () => {
      const { child, port } = await echoServer(mode);
      try {
        const clients = await Promise.all(
          [0, 1, 2].map(async (i) => {
            using sock = socket();
            await sock.connect(["127.0.0.1", port]);
            const payload = Buffer.alloc(100_000 + i, i + 1);
            const [, echoed] = await Promise.all([
              sock.sendAll(payload),
              sock.recvExactly(payload.length),
            ]);
            return echoed.equals(payload);
          }),
        );
        assert.deepEqual(clients, [true, true, true]);
      } finally {
        child.kill("SIGTERM");
      }
      const [code] = (await once(child, "exit")) as [number | null];
      assert.equal(code, 0);
    });
  }

  test("refuses threads mode where threads cannot pass sockets", {
    skip: ON_BUN || ON_DENO ? false : "Node.js passes sockets between threads",
  }, async () => {
    const result = await run(["echo-server", "--port", "0", "--mode", "threads"]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout, "", "it never listens");
    assert.notEqual(result.stderr, "");
  });

  test("serves a CPython client byte for byte", async () => {
    const { child, port } = await echoServer("selectors");
    try {
      const peer = python(
        `
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data = bytes(range(256)) * 1000
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    got += chunk
print("same" if got == data else "different")
`,
        [String(port)],
      );
      const { code, stdout } = await peer.done();
      assert.equal(code, 0);
      assert.equal(stdout.trim(), "same");
    } finally {
      child.kill("SIGTERM");
      await once(child, "exit");
    }
  });
});

describe("sockit connect", () => {
  for (const flags of [[], ["--nonblocking"]]) {
    test(`copies stdin to a CPython echo server and its answer to stdout ${flags.join(" ")}`, async () => {
      const peer = python(PY_ECHO);
      const port = await peer.firstLine;
      const input = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff));
      const result = await run(["connect", "127.0.0.1", port, ...flags], input);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(Buffer.from(result.stdout, "latin1").equals(input));
      assert.equal((await peer.done()).code, 0);
    });
  }

  test("connects to a Unix socket path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sockit-cli-"));
    try {
      const path = join(dir, "echo.sock");
      const peer = python(
        `
import socket, sys
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1]); srv.listen()
print("ready", flush=True)
conn, _ = srv.accept()
while data := conn.recv(65536):
    conn.sendall(data)
conn.close()
`,
        [path],
      );
      await peer.firstLine;
      const result = await run(["connect", "--unix", path], "over unix\n");
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "over unix\n");
      await peer.done();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("exits 1 with one line naming the operation and address when refused", async () => {
    const probe = await createServer(["127.0.0.1", 0]);
    const [, port] = probe.getsockname() as [string, number];
    probe.close();
    const result = await run(["connect", "127.0.0.1", String(port)], "");
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `sockit: connect 127.0.0.1:${port}: connection refused\n`);
  });

  test("exits 124 when the timeout expires", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    const child = start(["connect", "127.0.0.1", String(port), "--timeout", "0.2"]);
    const [conn] = await server.accept();
    using _conn = conn;
    const [status] = (await once(child, "exit")) as [number | null];
    child.stdin.destroy();
    assert.equal(status, 124);
  });

  test("half-closes when stdin ends and exits when the peer has finished", async () => {
    await using server = await createServer(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    const child = start(["connect", "127.0.0.1", String(port)]);
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    const [conn] = await server.accept();
    using _conn = conn;
    child.stdin.end("question");
    assert.equal((await conn.recvExactly(8)).toString(), "question");
    assert.equal((await conn.recv(1)).length, 0); // the client's FIN
    await conn.sendAll("answer");
    conn.shutdown(SHUT_WR);
    const [status] = (await once(child, "exit")) as [number | null];
    assert.equal(status, 0);
    assert.equal(stdout, "answer");
  });
});
