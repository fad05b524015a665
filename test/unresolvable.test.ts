/**
 * A host name that does not resolve is Python's `gaierror` from every call that resolves one:
 * `AddressInfoError` with the `EAI_*` code, from `connect`, `bind` + `listen`, `createServer`
 * and `createConnection` of both flavours, and the CLI says so in words.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AddressInfoError, createConnection, createServer, socket } from "../src/index.js";
import * as sync from "../src/sync/index.js";
import { checkLeaks, isCode } from "./helpers.js";

checkLeaks();

/** A name under `.invalid` (RFC 6761) never resolves. */
const NOWHERE = "no-such-host.sockit.invalid";

const notFound = isCode(AddressInfoError, "EAI_NONAME");

describe("an unresolvable host name is AddressInfoError EAI_NONAME", { timeout: 20_000 }, () => {
  test("from connect", async () => {
    await using sock = socket();
    await assert.rejects(sock.connect([NOWHERE, 80]), (error: unknown) => {
      notFound(error);
      assert.equal((error as AddressInfoError).errno, -2, "glibc's EAI_NONAME");
      assert.equal((error as AddressInfoError).op, "connect");
      return true;
    });
  });

  test("from connectEx, which raises it as CPython's connect_ex does", async () => {
    await using sock = socket();
    await assert.rejects(sock.connectEx([NOWHERE, 80]), notFound);
  });

  test("from listen after bind (bind records the address)", async () => {
    await using sock = socket();
    await sock.bind([NOWHERE, 0]);
    await assert.rejects(sock.listen(), notFound);
  });

  test("from createServer and createConnection", async () => {
    await assert.rejects(createServer([NOWHERE, 0]), notFound);
    await assert.rejects(createConnection([NOWHERE, 80]), notFound);
  });

  test("from the synchronous flavour's calls", () => {
    const sock = sync.socket();
    try {
      assert.throws(() => sock.connect([NOWHERE, 80]), notFound);
    } finally {
      sock.close();
    }
    assert.throws(() => sync.createConnection([NOWHERE, 80]), notFound);
  });

  test("and the CLI names the host and the reason", async () => {
    const cli = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
    const child = spawn(process.execPath, [cli, "connect", NOWHERE, "80"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const [status] = (await once(child, "close")) as [number | null];
    assert.equal(status, 1);
    assert.match(stderr, new RegExp(`^sockit: \\w+ ${NOWHERE.replaceAll(".", "\\.")}(:80)?: \\w`));
    assert.doesNotMatch(stderr, /ENOTFOUND|: $/m);
  });
});
