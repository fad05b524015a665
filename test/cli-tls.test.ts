/**
 * The `sockit` command with TLS: `echo-server --tls --cert F --key F` and `connect --tls
 * [--cafile F] [--insecure]`, run as real processes, with each other and with CPython.
 */

import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkLeaks, ON_BUN, pythonFixture, within } from "./helpers.js";
import { HAVE_OPENSSL, testCertificates } from "./tls-certs.js";

checkLeaks();

const T = { timeout: 20_000, skip: HAVE_OPENSSL ? false : "needs the openssl command" };

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

async function run(args: string[], input?: string): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("latin1").on("data", (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    stderr += c;
  });
  child.stdin.end(input);
  const [status] = (await once(child, "close")) as [number | null];
  return { status, stdout, stderr };
}

/** `sockit echo-server --tls` with the test server's (or another) certificate. */
async function tlsEchoServer(
  mode: string,
  issued: "server" | "stranger" = "server",
): Promise<{ child: ChildProcessWithoutNullStreams; port: number; stop(): Promise<void> }> {
  const certs = testCertificates()[issued];
  const child = spawn(process.execPath, [
    CLI,
    "echo-server",
    "--port",
    "0",
    "--mode",
    mode,
    "--tls",
    "--cert",
    certs.certFile,
    "--key",
    certs.keyFile,
  ]);
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
  return {
    child,
    port,
    async stop() {
      const closed = once(child, "close");
      child.kill("SIGTERM");
      await within(closed, 5000);
    },
  };
}

for (const mode of ["blocking", "selectors", "threads"]) {
  // Threads mode passes each connection to a worker thread (README, Runtimes).
  const skip = mode === "threads" && ON_BUN ? "threads cannot share sockets on Bun" : T.skip;
  describe(`sockit echo-server --tls --mode ${mode}`, { skip }, () => {
    let server: Awaited<ReturnType<typeof tlsEchoServer>>;
    before(async () => {
      if (HAVE_OPENSSL && skip === false) server = await tlsEchoServer(mode);
    });
    after(async () => server?.stop());

    test("echoes to sockit connect --tls --cafile", T, async () => {
      const { ca } = testCertificates();
      const result = await run(
        [
          "connect",
          "--tls",
          "--cafile",
          ca.certFile,
          "--timeout",
          "10",
          "127.0.0.1",
          String(server.port),
        ],
        "hello over TLS\n",
      );
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "hello over TLS\n");
    });

    test("echoes to a CPython ssl client that verifies it", T, async () => {
      const { ca } = testCertificates();
      const peer = pythonFixture("tls_peer.py", [
        "client",
        JSON.stringify({ ca: ca.certFile, hostname: "localhost" }),
        String(server.port),
      ]);
      const { code, stdout, stderr } = await within(peer.done(), 10_000);
      assert.equal(code, 0, stderr);
      const reports = stdout
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as { event: string; data?: string });
      assert.deepEqual(
        reports.map((r) => r.event),
        ["handshake", "received"],
      );
      assert.equal(reports[1]?.data, "hello\n");
    });

    test("survives a client that fails its handshake", T, async () => {
      const refused = await run(
        ["connect", "--tls", "--timeout", "10", "127.0.0.1", String(server.port)],
        "x",
      );
      assert.equal(refused.status, 1);
      const { ca } = testCertificates();
      const result = await run(
        [
          "connect",
          "--tls",
          "--cafile",
          ca.certFile,
          "--timeout",
          "10",
          "127.0.0.1",
          String(server.port),
        ],
        "still up\n",
      );
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "still up\n");
    });
  });
}

describe("sockit connect --tls", () => {
  test(
    "refuses a certificate it cannot verify (exit status 1), and --insecure accepts it",
    T,
    async () => {
      const server = await tlsEchoServer("blocking", "stranger");
      try {
        const { ca } = testCertificates();
        const args = ["--timeout", "10", "127.0.0.1", String(server.port)];
        const refused = await run(["connect", "--tls", "--cafile", ca.certFile, ...args], "x");
        assert.equal(refused.status, 1);
        assert.ok(refused.stderr.length > 0);
        const insecure = await run(["connect", "--tls", "--insecure", ...args], "trusted anyway\n");
        assert.equal(insecure.status, 0, insecure.stderr);
        assert.equal(insecure.stdout, "trusted anyway\n");
      } finally {
        await server.stop();
      }
    },
  );

  test("bad usage is exit status 2; a key that does not match is status 1", T, async () => {
    const { server, client } = testCertificates();
    for (const args of [
      ["connect", "--cafile", server.certFile, "127.0.0.1", "1"],
      ["connect", "--insecure", "127.0.0.1", "1"],
      ["connect", "--tls", "--unix", "/tmp/x"],
      ["echo-server", "--tls"],
      ["echo-server", "--cert", server.certFile, "--key", server.keyFile],
    ]) {
      assert.equal((await run(args)).status, 2, args.join(" "));
    }
    const mismatch = await run([
      "echo-server",
      "--tls",
      "--cert",
      server.certFile,
      "--key",
      client.keyFile,
    ]);
    assert.equal(mismatch.status, 1);
  });
});
