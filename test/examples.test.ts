/** The examples run as a user would run them. */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { checkLeaks, python, pythonFixture } from "./helpers.js";

checkLeaks();

const run = promisify(execFile);
const example = (name: string): string =>
  fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url));
const fixture = (name: string): string =>
  fileURLToPath(new URL(`../../test/fixtures/${name}`, import.meta.url));

test("the binary-data example sends a struct-packed record and unpacks it on the other side", async () => {
  const { stdout } = await run(process.execPath, [example("binary-data")]);
  assert.match(stdout, /sending 0100000061620000cdcc2c40 \(1, b'ab', 2\.7\)/);
  assert.match(stdout, /received 0100000061620000cdcc2c40/);
  assert.match(stdout, /unpacked: \(1, b'ab', 2\.700000047683716\)/);
});

test("the binary-data server unpacks what a CPython client packed", async () => {
  const { spawn } = await import("node:child_process");
  const server = spawn(process.execPath, [example("binary-data"), "server", "0"]);
  const closed = new Promise((resolve) => server.once("close", resolve));
  let out = "";
  server.stdout.setEncoding("utf8");
  const port = await new Promise<string>((resolve) => {
    server.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
  });
  const client = python(
    `
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(struct.Struct("I 2s f").pack(1, b"ab", 2.7))
s.close()
`,
    [port],
  );
  assert.equal((await client.done()).code, 0);
  await closed;
  assert.match(out, /unpacked: \(1, b'ab', 2\.700000047683716\)/);
});

/** Starts a server program and resolves to its port once it prints "listening on port N". */
async function listening(
  command: string,
  args: string[],
): Promise<{ port: string; output: () => string; done: Promise<number | null> }> {
  const { spawn } = await import("node:child_process");
  const child = spawn(command, args);
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    out += chunk;
  });
  const done = new Promise<number | null>((resolve) => child.once("close", resolve));
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const match = /listening on port (\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    void done.then(() => reject(new Error(`the server ended before listening:\n${out}`)));
  });
  return { port, output: () => out, done };
}

const ECHOED = [
  "received b'This is the mess'",
  "received b'age.  It will be'",
  "received b' repeated.'",
];

for (const [server, client] of [
  ["sockit/sync", "sockit/sync"],
  ["sockit/sync", "CPython"],
  ["CPython", "sockit/sync"],
] as const) {
  test(`PyMOTW's blocking echo pair: a ${server} server and a ${client} client`, async () => {
    const running =
      server === "CPython"
        ? await listening("python3", ["-u", fixture("blocking_echo_server.py"), "0"])
        : await listening(process.execPath, [
            example("blocking-echo-server"),
            "localhost",
            "0",
            "--once",
          ]);
    const { stdout } =
      client === "CPython"
        ? await run("python3", [fixture("blocking_echo_client.py"), running.port])
        : await run(process.execPath, [example("blocking-echo-client"), "localhost", running.port]);
    assert.equal(await running.done, 0, running.output());
    // The client sees the message come back in 16-byte pieces, whichever side is Python.
    const pieces = stdout.split("\n").filter((line) => line.startsWith("received"));
    assert.deepEqual(
      pieces.map((line) => line.replace(/^received "(.*)"$/, "received b'$1'")),
      ECHOED,
    );
    assert.match(running.output(), /no data from/);
  });
}

test("the line client talks to a CPython socketserver through a file object, across a timeout", {
  timeout: 30_000,
}, async () => {
  const server = pythonFixture("line_server.py", ["0"]);
  try {
    const port = /listening on 127\.0\.0\.1 (\d+)/.exec(await server.firstLine)?.[1];
    assert.ok(port !== undefined);
    const { stdout } = await run(process.execPath, [example("line-client"), "127.0.0.1", port]);
    assert.deepEqual(stdout.trimEnd().split("\n"), [
      "> ECHO hello, socketserver",
      "< hello, socketserver",
      "> UPPER sockit",
      "< SOCKIT",
      "> SUM 1 2 3 4",
      "< 10",
      "  (readline timed out after 0.1 s with half a line buffered; reading again)",
      "> SLOW half and half",
      "< half and half",
      "> QUIT",
      "< BYE",
      'end of stream: ""',
    ]);
    const { code, stdout: seen } = await server.done();
    assert.equal(code, 0);
    assert.match(seen, /server: SLOW half and half\nserver: QUIT\n$/);
  } finally {
    server.kill();
  }
});
