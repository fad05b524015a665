/**
 * A line-protocol client: each request is one line, each reply one line, read and written
 * through a file object (`makefile`), as a Python client would with `rfile`/`wfile`. It talks
 * to test/fixtures/line_server.py, a CPython `socketserver.StreamRequestHandler` server:
 *
 *   python3 test/fixtures/line_server.py 10000 &
 *   node build/examples/line-client.js 127.0.0.1 10000
 *
 * The SLOW request shows what a sockit file object does that CPython's cannot: its reply comes
 * in two halves 0.3 s apart, a readline with a 0.1 s timeout fails with TimeoutError after the
 * first half, and the next readline still returns the whole line. (A CPython file object is
 * unusable after a timeout; here nothing was consumed.)
 */

import { createConnection, TimeoutError } from "../src/index.js";

async function main(host: string, port: number): Promise<void> {
  await using sock = await createConnection([host, port], { timeout: 5 });
  // Text, UTF-8, lines ending in "\n"; sockit's own file objects survive timeouts.
  await using f = sock.makefile("rw", { newline: "\n" });

  async function request(line: string): Promise<string> {
    await f.write(`${line}\n`);
    await f.flush();
    const reply = await f.readline();
    console.log(`> ${line}\n< ${reply.trimEnd()}`);
    return reply;
  }

  await request("ECHO hello, socketserver");
  await request("UPPER sockit");
  await request("SUM 1 2 3 4");

  await f.write("SLOW half and half\n");
  await f.flush();
  try {
    await f.readline({ timeout: 0.1 });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log("  (readline timed out after 0.1 s with half a line buffered; reading again)");
  }
  console.log(`> SLOW half and half\n< ${(await f.readline()).trimEnd()}`);

  await request("QUIT");
  console.log(`end of stream: ${JSON.stringify(await f.readline())}`);
}

const [host = "127.0.0.1", port = "10000"] = process.argv.slice(2);
main(host, Number(port)).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
