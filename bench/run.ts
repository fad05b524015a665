/**
 * Runs every benchmark script in bench/ one after another: progress on stderr, results tables on
 * stdout. `npm run bench [-- [--quick] [--json] [--reps N] [--only LABELS] [--cpu-prof DIR] [FILTER…]]`.
 *
 * Scripts are the compiled `build/bench/*.js` (besides this one) plus plain `bench/*.js`/`*.mjs`
 * sources without a compiled twin (e.g. struct.js, selectors.js written in JavaScript). A FILTER
 * keeps the scripts whose name contains it. Options go to every script; `--json` collects the
 * scripts' JSON into one array. Benchmarks report, they never gate: the exit code is non-zero
 * only when a script crashed, not when a target is missed.
 */

import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { environment } from "./lib/spawn.js";

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, "..", "..", "bench");
const self = basename(fileURLToPath(import.meta.url));

/** Preferred order; anything else runs afterwards, alphabetically. */
const ORDER = [
  "bulk",
  "pingpong",
  "framed",
  "connections",
  "pipe",
  "lines",
  "tls-bulk",
  "tls-pingpong",
  "tls-handshakes",
  "struct",
  "selectors",
];

function listScripts(dir: string, extensions: readonly string[]): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && extensions.some((x) => e.name.endsWith(x)))
      .map((e) => join(dir, e.name));
  } catch {
    return [];
  }
}

function scriptName(path: string): string {
  return basename(path).replace(/\.(m?js)$/, "");
}

function discover(): string[] {
  const compiled = listScripts(here, [".js"]).filter((p) => basename(p) !== self);
  const names = new Set(compiled.map(scriptName));
  const plain = listScripts(sourceDir, [".js", ".mjs"]).filter((p) => !names.has(scriptName(p)));
  const rank = (p: string): number => {
    const i = ORDER.indexOf(scriptName(p));
    return i < 0 ? ORDER.length : i;
  };
  return [...compiled, ...plain].sort(
    (a, b) => rank(a) - rank(b) || scriptName(a).localeCompare(scriptName(b)),
  );
}

/** Splits our arguments into script filters and options passed on. */
function splitArgs(argv: readonly string[]): { filters: string[]; passOn: string[] } {
  const withValue = new Set([
    "--reps",
    "--only",
    "--impl",
    "--cpu-prof",
    "--cpu",
    "--quiet",
    "--max-foreign",
  ]);
  const filters: string[] = [];
  const passOn: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith("--")) {
      passOn.push(arg);
      if (withValue.has(arg) && argv[i + 1] !== undefined) passOn.push(argv[++i]!);
    } else {
      filters.push(arg);
    }
  }
  return { filters, passOn };
}

function runScript(
  path: string,
  args: readonly string[],
  capture: boolean,
): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => {
      if (capture) stdout += chunk.toString();
      else process.stdout.write(chunk);
    });
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout }));
  });
}

async function run(): Promise<number> {
  const { filters, passOn } = splitArgs(process.argv.slice(2));
  const json = passOn.includes("--json");
  const scripts = discover().filter(
    (p) => filters.length === 0 || filters.some((f) => scriptName(p).includes(f)),
  );
  if (scripts.length === 0) {
    process.stderr.write(`no benchmark matches ${filters.join(", ")}\n`);
    return 2;
  }
  const env = environment();
  const header = [
    `# sockit benchmarks${passOn.includes("--quick") ? " (--quick: sizes ÷ 10)" : ""}`,
    "",
    `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        " ",
      )}, peers ${env.pinned ? "pinned to CPU 0 with taskset" : "NOT pinned (no taskset)"}, open-files limit ${env.nofile}.`,
    ...env.notes.map((n) => `Note: ${n}.`),
    "",
  ].join("\n");
  if (!json) process.stdout.write(`${header}\n`);
  process.stderr.write(`running ${scripts.map(scriptName).join(", ")}\n`);

  const collected: unknown[] = [];
  let failed = 0;
  for (const path of scripts) {
    const name = scriptName(path);
    const started = Date.now();
    process.stderr.write(`\n=== ${name} ===\n`);
    const { code, stdout } = await runScript(path, passOn, json);
    process.stderr.write(
      `=== ${name}: ${code === 0 ? "done" : `exit ${code}`} in ${((Date.now() - started) / 1000).toFixed(1)} s ===\n`,
    );
    if (code !== 0) failed++;
    if (json) {
      try {
        collected.push({ script: name, exitCode: code, result: JSON.parse(stdout) as unknown });
      } catch {
        collected.push({ script: name, exitCode: code, output: stdout });
      }
    }
  }
  if (json) process.stdout.write(`${JSON.stringify(collected, null, 2)}\n`);
  return failed === 0 ? 0 : 1;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
