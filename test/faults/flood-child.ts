/**
 * A flood made with plain `node:net`: connects to 127.0.0.1:PORT and writes BLOCKS times the
 * 1 MiB block of the fault tests' pattern as fast as the connection takes it, then ends.
 * Usage: node flood-child.js PORT BLOCKS
 */

import { connect } from "node:net";
import { pattern } from "./peers.js";

const BLOCK = pattern(0, 1 << 20);
let left = Number(process.argv[3]);
const sock = connect({ port: Number(process.argv[2]), host: "127.0.0.1" });
function pump(): void {
  while (left > 0) {
    left--;
    if (!sock.write(BLOCK)) {
      sock.once("drain", pump);
      return;
    }
  }
  sock.end();
}
sock.on("connect", pump);
sock.on("error", (error) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
