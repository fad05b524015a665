/**
 * PyMOTW-3's UDP echo pair (examples/udp-echo-server.ts and udp-echo-client.ts) run as a user
 * would run them, against each other and against their CPython twins (test/fixtures), both
 * ways, over IPv4 and IPv6.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkLeaks, fixturePath, type PythonPeer, peer } from "./helpers.js";

checkLeaks();

const example = (name: string): string =>
  fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url));

type Side = "sockit" | "cpython";

function start(side: Side, role: "server" | "client", args: string[]): PythonPeer {
  return side === "sockit"
    ? peer(process.execPath, [example(`udp-echo-${role}`), ...args])
    : peer("python3", ["-u", fixturePath(`udp_echo_${role}.py`), ...args]);
}

async function echo(server: Side, client: Side, host: string): Promise<void> {
  const serving = start(server, "server", [host, "0"]);
  try {
    const match = /^starting up on (\S+) port (\d+)$/.exec(await serving.firstLine);
    assert.ok(match, "the server says where it listens");
    assert.equal(match[1], host);
    const message = `hello from ${client} to ${server} over ${host}`;
    const talking = start(client, "client", [host, match[2]!, message]);
    const { code, stdout } = await talking.done();
    assert.equal(code, 0);
    assert.deepEqual(stdout.trim().split("\n"), [
      `sending ${JSON.stringify(message)}`,
      "waiting to receive",
      `received ${JSON.stringify(message)}`,
      "closing socket",
    ]);
  } finally {
    serving.kill();
    await serving.done();
  }
}

for (const [server, client] of [
  ["sockit", "sockit"],
  ["sockit", "cpython"],
  ["cpython", "sockit"],
] as const) {
  test(
    `a ${client} client gets its datagram back from a ${server} server`,
    { timeout: 20_000 },
    () => echo(server, client, "127.0.0.1"),
  );
}

test("the pair works over IPv6 with CPython on either side", { timeout: 20_000 }, async () => {
  await echo("sockit", "cpython", "::1");
  await echo("cpython", "sockit", "::1");
});

test("the sockit server reports each datagram as the CPython one does", {
  timeout: 20_000,
}, async () => {
  const outputs: string[] = [];
  for (const side of ["sockit", "cpython"] as const) {
    const serving = start(side, "server", ["127.0.0.1", "0"]);
    try {
      const port = /port (\d+)$/.exec(await serving.firstLine)![1]!;
      await start("cpython", "client", ["127.0.0.1", port, "twelve bytes"]).done();
    } finally {
      serving.kill();
    }
    const { stdout } = await serving.done();
    outputs.push(
      stdout
        .split("\n")
        .filter((line) => /^(received|sent) /.test(line))
        // Ports differ; Python prints tuples, the example JSON arrays.
        .map((line) => line.replace(/[([]['"]127\.0\.0\.1['"], ?\d+[)\]]/, "ADDRESS"))
        .join("\n"),
    );
  }
  assert.equal(outputs[0], outputs[1]);
  assert.match(outputs[0]!, /received 12 bytes from ADDRESS\nsent 12 bytes back to ADDRESS/);
});
