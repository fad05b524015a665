/**
 * The CPython `ssl` peer: runs bench/fixtures/ssl_peer.py (same role, benchmark, parameters and
 * port) and passes the JSON lines it prints on to the benchmark script. This process only waits
 * meanwhile; python3 inherits its CPU pinning, and reports its own CPU time.
 */

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { isPeerMessage, type PeerMessage } from "../lib/protocol.js";

const script = fileURLToPath(new URL("../../../bench/fixtures/ssl_peer.py", import.meta.url));
const python = spawn("python3", ["-u", script, ...process.argv.slice(2)], {
  stdio: ["ignore", "pipe", "inherit"],
});
process.on("disconnect", () => python.kill("SIGKILL"));

const sent: Promise<void>[] = [];
function send(message: PeerMessage): void {
  sent.push(
    new Promise((resolve) => {
      if (process.send === undefined) {
        process.stdout.write(`${JSON.stringify(message)}\n`);
        resolve();
      } else process.send(message, undefined, {}, () => resolve());
    }),
  );
}

let partial = "";
python.stdout.setEncoding("utf8");
python.stdout.on("data", (chunk: string) => {
  const lines = (partial + chunk).split("\n");
  partial = lines.pop() ?? "";
  for (const line of lines) {
    const message: unknown = JSON.parse(line);
    if (isPeerMessage(message)) send(message);
  }
});
python.on("exit", async (code) => {
  await Promise.all(sent);
  process.exit(code ?? 1);
});
