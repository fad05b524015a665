#!/usr/bin/env node
/**
 * The `sockit` command. For now only `--version` and `--help`; the demo, echo server, netcat-like
 * client and benchmarks have their own issue.
 *
 * @module
 */

import { readFileSync } from "node:fs";

const USAGE = `usage: sockit [--help] [--version]

sockit brings Python's socket, selectors and struct model to TypeScript.
Commands (demo, echo-server, connect, bench) are coming in the next release.`;

function version(): string {
  const url = new URL("../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

const [arg] = process.argv.slice(2);
if (arg === "--version" || arg === "-V") {
  console.log(version());
} else if (arg === undefined || arg === "--help" || arg === "-h") {
  console.log(USAGE);
} else {
  console.error(`sockit: unknown command or option: ${arg}\n${USAGE}`);
  process.exitCode = 2;
}
