#!/usr/bin/env node
/**
 * The `sockit` command: `demo`, `echo-server`, `connect` and `bench`. It only calls the public
 * library; arguments are parsed with `util.parseArgs`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BENCH_USAGE, bench } from "./bench.js";
import { CONNECT_USAGE, connect, describeFailure } from "./connect.js";
import { DEMO_USAGE, demo } from "./demo.js";
import { ECHO_SERVER_USAGE, echoServer } from "./echo-server.js";
import { udpConnect, udpEchoServer } from "./udp.js";
import { UsageError } from "./usage.js";

const USAGE = `usage: sockit <command> [options]

Python's socket, selectors and struct model for TypeScript, live on your machine.

Commands:
  demo [NAME]       play PyMOTW's socket scenarios (blocking, non-blocking, timeouts, deadlock, binary)
  echo-server       echo every connection (--host, --port, --mode blocking|selectors|threads, --tls, --udp)
  connect HOST PORT like netcat: stdin to the socket, the socket to stdout (--tls; --udp: lines as datagrams)
  bench             run the benchmarks and print the results table

Options:
  -h, --help        show help (also after a command)
  -V, --version     show the version`;

function version(): string {
  const url = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(url, "utf8")) as { version: string }).version;
}

/** Runs `parseArgs`, turning its errors into usage errors (exit status 2). */
function guard<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

const HELP = { help: { type: "boolean", short: "h" } } as const;

function number(value: string | boolean | undefined, what: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new UsageError(`${what} must be a number >= 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "-h":
    case "--help":
      console.log(USAGE);
      return 0;
    case "-V":
    case "--version":
      console.log(version());
      return 0;
    case "demo": {
      const { values, positionals } = guard(() =>
        parseArgs({
          args: rest,
          allowPositionals: true,
          options: { ...HELP, list: { type: "boolean" } },
        }),
      );
      if (values.help) return help(DEMO_USAGE);
      if (positionals.length > 1) throw new UsageError("demo takes at most one scenario name");
      return demo({ list: values.list === true, name: positionals[0] });
    }
    case "echo-server": {
      const { values, positionals } = guard(() =>
        parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            ...HELP,
            host: { type: "string", default: "127.0.0.1" },
            port: { type: "string", default: "0" },
            mode: { type: "string", default: "blocking" },
            tls: { type: "boolean" },
            cert: { type: "string" },
            key: { type: "string" },
            udp: { type: "boolean" },
          },
        }),
      );
      if (values.help) return help(ECHO_SERVER_USAGE);
      if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
      const port = number(values.port, "--port", 0);
      if (!Number.isInteger(port) || port > 65535) throw new UsageError("--port must be 0-65535");
      if (values.udp === true && values.tls === true) {
        throw new UsageError("--tls and --udp do not go together");
      }
      if (values.udp === true) return udpEchoServer({ host: String(values.host), port });
      if (values.mode !== "blocking" && values.mode !== "selectors" && values.mode !== "threads") {
        throw new UsageError("--mode must be blocking, selectors or threads");
      }
      let tls: { cert: string; key: string } | undefined;
      if (values.tls === true) {
        if (values.cert === undefined || values.key === undefined) {
          throw new UsageError("--tls needs --cert FILE and --key FILE");
        }
        tls = { cert: values.cert, key: values.key };
      } else if (values.cert !== undefined || values.key !== undefined) {
        throw new UsageError("--cert and --key go with --tls");
      }
      return echoServer({ host: String(values.host), port, mode: values.mode, tls });
    }
    case "connect": {
      const { values, positionals } = guard(() =>
        parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            ...HELP,
            timeout: { type: "string" },
            nonblocking: { type: "boolean" },
            unix: { type: "string" },
            tls: { type: "boolean" },
            cafile: { type: "string" },
            insecure: { type: "boolean" },
            udp: { type: "boolean" },
          },
        }),
      );
      if (values.tls !== true && (values.cafile !== undefined || values.insecure === true)) {
        throw new UsageError("--cafile and --insecure go with --tls");
      }
      if (values.tls === true && values.unix !== undefined) {
        throw new UsageError("--tls needs HOST PORT, not --unix");
      }
      if (values.tls === true && values.udp === true) {
        throw new UsageError("--tls and --udp do not go together");
      }
      if (values.help) return help(CONNECT_USAGE);
      const timeout = values.timeout === undefined ? null : number(values.timeout, "--timeout", 0);
      let target: { host: string; port: number } | { path: string };
      if (values.unix !== undefined) {
        if (positionals.length > 0) throw new UsageError("--unix takes no HOST PORT");
        if (values.udp === true) throw new UsageError("--udp and --unix do not go together");
        target = { path: String(values.unix) };
      } else {
        const [host, portText] = positionals;
        if (host === undefined || portText === undefined || positionals.length > 2) {
          throw new UsageError("connect needs HOST PORT (or --unix PATH)");
        }
        const port = number(portText, "PORT", 0);
        if (!Number.isInteger(port) || port < 1 || port > 65535)
          throw new UsageError("PORT must be 1-65535");
        target = { host, port };
        if (values.udp === true) {
          return udpConnect({ host, port, timeout, nonblocking: values.nonblocking === true });
        }
      }
      const tls =
        values.tls === true
          ? { cafile: values.cafile, insecure: values.insecure === true }
          : undefined;
      return connect({ target, timeout, nonblocking: values.nonblocking === true, tls });
    }
    case "bench": {
      const passOn = rest.filter((a) => a !== "--help" && a !== "-h");
      if (passOn.length !== rest.length) return help(BENCH_USAGE);
      return bench(passOn);
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

function help(text: string): number {
  console.log(text);
  return 0;
}

main(process.argv.slice(2))
  .then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`sockit: ${error.message}\n\n${USAGE}`);
        process.exitCode = 2;
        return;
      }
      const { status, line } = describeFailure(error);
      console.error(`sockit: ${line}`);
      process.exitCode = status;
    },
  )
  .finally(() => {
    // The command is over. Deno keeps a pending read of a destroyed stdin alive (`connect` with
    // input still open), so once what we wrote has left, end the process if something still
    // holds it after a moment. The timer is unref'd: where nothing does (Node.js, Bun), the
    // process has exited before it fires.
    const exitSoon = () => setTimeout(() => process.exit(), 200).unref();
    process.stdout.write("", () => process.stderr.write("", exitSoon));
  });
