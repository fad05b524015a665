import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
  bin: { sockit: string };
};

test("the built package imports by its name", async () => {
  const sockit = await import("sockit");
  assert.equal(typeof sockit.socket, "function");
  assert.equal(sockit.AF_INET, 2);
  assert.equal(sockit.SOCK_STREAM, 1);
  using sock = sockit.socket();
  assert.equal(sock.getTimeout(), null);
});

test("the sockit command prints its version and help", () => {
  const bin = new URL(`../../${pkg.bin.sockit}`, import.meta.url).pathname;
  assert.equal(
    execFileSync(process.execPath, [bin, "--version"], { encoding: "utf8" }).trim(),
    pkg.version,
  );
  assert.match(
    execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" }),
    /usage: sockit/,
  );
});

test("the published Socket type shows only the public API", () => {
  // Internals live in #private fields or non-exported modules; a symbol-keyed member the
  // selectors use is marked @internal and stripped. Editors complete from this file.
  const declaration = readFileSync(
    new URL("../../dist/socket/socket.d.ts", import.meta.url),
    "utf8",
  );
  const body = declaration.slice(declaration.indexOf("export declare class Socket"));
  const members = [...body.matchAll(/^ {4}(?:get |static |readonly )?([#\w[\].]+)[(:;?]/gm)].map(
    (match) => match[1],
  );
  assert.deepEqual(
    members.filter((name) => name !== undefined && !PUBLIC_SOCKET_MEMBERS.has(name)),
    ["#private"],
  );
});

const PUBLIC_SOCKET_MEMBERS = new Set([
  "constructor",
  "family",
  "type",
  "closed",
  "timeout",
  "setTimeout",
  "getTimeout",
  "setBlocking",
  "getBlocking",
  "setDeadline",
  "setReadDeadline",
  "setWriteDeadline",
  "bind",
  "listen",
  "accept",
  "connect",
  "connectEx",
  "send",
  "sendAll",
  "recv",
  "recvInto",
  "recvExactly",
  "recvUntil",
  "sendTo",
  "recvFrom",
  "recvFromInto",
  "dropped",
  "shutdown",
  "close",
  "[Symbol.dispose]",
  "[Symbol.asyncDispose]",
  "getsockname",
  "getpeername",
  "fileno",
  "setsockopt",
  "getsockopt",
  "makefile",
  "toDuplex",
  "readable",
  "writable",
  "[Symbol.asyncIterator]",
]);
