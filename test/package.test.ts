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
