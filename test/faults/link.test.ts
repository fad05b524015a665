/**
 * A slow link: two network namespaces joined by a veth pair whose both ends are rate-limited
 * (`tc qdisc … tbf`), a sockit process in each, sending to each other at once with a random
 * 1-20 ms timeout on every call. Everything arrives, in order, checksummed. Needs root and
 * iproute2; skipped (with the reason) where the machine does not allow it.
 */

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { checkLeaks } from "../helpers.js";
import { child, pattern, sha256 } from "./peers.js";

checkLeaks();

const RATE = "4mbit";
const SIZE = 384 * 1024;
const SUBNET = "10.213.77";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Sets the namespaces up; returns why it cannot, or undefined. */
function setUp(a: string, b: string): string | undefined {
  if (process.platform !== "linux") return "network namespaces are Linux only";
  if (process.getuid?.() !== 0) return "needs root for ip netns and tc";
  try {
    ip("netns", "add", a);
    ip("netns", "add", b);
    ip("link", "add", `${a}v`, "netns", a, "type", "veth", "peer", "name", `${b}v`, "netns", b);
    for (const [ns, n] of [
      [a, 1],
      [b, 2],
    ] as const) {
      ip("-n", ns, "addr", "add", `${SUBNET}.${n}/24`, "dev", `${ns}v`);
      ip("-n", ns, "link", "set", `${ns}v`, "up");
      ip("-n", ns, "link", "set", "lo", "up");
      execFileSync("tc", [
        ...["-n", ns, "qdisc", "add", "dev", `${ns}v`, "root", "tbf"],
        ...["rate", RATE, "burst", "32kbit", "latency", "400ms"],
      ]);
    }
    return undefined;
  } catch (error) {
    tearDown(a, b);
    return `cannot set up network namespaces here: ${String(error).split("\n")[0]}`;
  }
}

function tearDown(a: string, b: string): void {
  for (const ns of [a, b]) {
    try {
      ip("netns", "del", ns);
    } catch {
      // not made
    }
  }
}

const a = `skt${process.pid % 100000}a`;
const b = `skt${process.pid % 100000}b`;
const reason = setUp(a, b);

test(`a ${RATE} link, random 1-20 ms timeouts on both sides: every byte arrives`, {
  skip: reason ?? false,
  timeout: 60_000,
}, async () => {
  try {
    const seed = Number(process.env.SOCKIT_SEED ?? 11);
    const expected = sha256(pattern(0, SIZE));
    const host = `${SUBNET}.2`;
    using serverSide = child("link-child", ["server", host, String(SIZE), String(seed)], {
      netns: b,
    });
    const { port } = (await serverSide.next()) as { port: number };
    using clientSide = child(
      "link-child",
      ["client", host, String(port), String(SIZE), String(seed + 1)],
      { netns: a },
    );
    for (const side of [serverSide, clientSide]) {
      const report = (await side.next()) as {
        sent: number;
        received: number;
        sha256: string;
        timeouts: Record<string, number>;
      };
      assert.equal(report.sent, SIZE);
      assert.equal(report.received, SIZE);
      assert.equal(report.sha256, expected);
      assert.ok(report.timeouts.recv! > 0, "the timeouts did fire");
      assert.equal((await side.exit(10_000)).code, 0, side.stderr());
    }
  } finally {
    tearDown(a, b);
  }
});
