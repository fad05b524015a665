/**
 * The `sockit` command over UDP, run as a user runs it: `echo-server --udp`, `connect --udp`
 * (lines in, datagrams out, datagrams back as lines) and the demo's UDP scenario.
 */

import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AF_INET, type IPv4Address, SOCK_DGRAM, socket } from "../src/index.js";
import { checkLeaks, python } from "./helpers.js";

checkLeaks();

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

function start(args: string[]): ChildProcessWithoutNullStreams {
  const env = { ...process.env };
  delete env.FORCE_COLOR;
  return spawn(process.execPath, [CLI, ...args], { env });
}

async function run(
  args: string[],
  input?: string,
): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const child = start(args);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  if (input !== undefined) child.stdin.end(input);
  const [status] = (await once(child, "close")) as [number | null];
  return { status, stdout, stderr, ms: performance.now() - started };
}

/** A CPython UDP echo server; its first line is its port. */
const PY_UDP_ECHO = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, peer = s.recvfrom(65535)
    if data == b"stop":
        break
    s.sendto(data, peer)
`;

describe("sockit echo-server --udp", () => {
  test("echoes datagrams to sockit and CPython clients and stops on SIGTERM", {
    timeout: 20_000,
  }, async () => {
    const child = start(["echo-server", "--udp", "--port", "0"]);
    let out = "";
    child.stdout.setEncoding("utf8");
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        out += chunk;
        const match = /listening on 127\.0\.0\.1:(\d+) \(udp\)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", () => reject(new Error(`echo-server exited: ${out}`)));
    });
    try {
      using sock = socket(AF_INET, SOCK_DGRAM) as ReturnType<typeof socket> & Disposable;
      for (const message of ["one", "", "three"]) {
        await sock.sendTo(message, ["127.0.0.1", port]);
        const [data, from] = await sock.recvFrom(100, { timeout: 5 });
        assert.equal(data.toString(), message);
        assert.deepEqual(from, ["127.0.0.1", port] satisfies IPv4Address);
      }
      const peer = python(
        `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(bytes(range(256)), ("127.0.0.1", int(sys.argv[1])))
print("same" if s.recvfrom(4096)[0] == bytes(range(256)) else "different")
`,
        [String(port)],
      );
      const { code, stdout } = await peer.done();
      assert.equal(code, 0);
      assert.equal(stdout.trim(), "same");
    } finally {
      child.kill("SIGTERM");
    }
    const [code] = (await once(child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.match(out, /server closed/);
  });
});

describe("sockit connect --udp", () => {
  for (const flags of [[], ["--nonblocking"]]) {
    test(`sends each line as a datagram and prints each answer as a line ${flags.join(" ")}`, {
      timeout: 20_000,
    }, async () => {
      const server = python(PY_UDP_ECHO);
      try {
        const port = await server.firstLine;
        const result = await run(
          ["connect", "--udp", "127.0.0.1", port, "--timeout", "0.3", ...flags],
          "first line\nsecond line\n\nlast\n",
        );
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, "first line\nsecond line\n\nlast\n");
        // It waited for answers after the input ended (0.3 s of quiet), not less.
        assert.ok(result.ms >= 300, `exited after ${result.ms} ms`);
      } finally {
        using stop = socket(AF_INET, SOCK_DGRAM) as ReturnType<typeof socket> & Disposable;
        await stop.sendTo("stop", ["127.0.0.1", Number(await server.firstLine)]);
        await server.done();
      }
    });
  }

  test("exits 1 naming the address when nobody listens (ICMP port unreachable)", {
    timeout: 20_000,
  }, async () => {
    const probe = socket(AF_INET, SOCK_DGRAM);
    await probe.bind(["127.0.0.1", 0]);
    const [, port] = probe.getsockname() as IPv4Address;
    probe.close();
    const result = await run(["connect", "--udp", "127.0.0.1", String(port)], "anyone?\n");
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(`^sockit: \\w+ 127\\.0\\.0\\.1:${port}: connection refused\\n$`),
    );
  });

  test("refuses --udp with --unix as bad usage (exit 2)", async () => {
    const result = await run(["connect", "--udp", "--unix", "/tmp/x"]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /usage: sockit/);
  });
});

test("sockit demo udp shows a non-blocking receive and a timeout", {
  timeout: 20_000,
}, async () => {
  const list = await run(["demo", "--list"]);
  assert.match(list.stdout, /^udp\b/m);
  const result = await run(["demo", "udp"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /recvFrom\(3\) → b'hel', then recvFrom\(4096\) → b'world'/);
  assert.match(result.stdout, /BlockingIOError \(EAGAIN\)/);
  assert.match(result.stdout, /TimeoutError \(ETIMEDOUT\)/);
  assert.match(result.stdout, /b'late'/);
});
