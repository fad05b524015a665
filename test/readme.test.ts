/**
 * The README's code runs as written, so it cannot rot: every fenced block marked `js` (or
 * `javascript`, `mjs`) or `ts` (`typescript`) is extracted and run on this Node.js, JavaScript
 * as it is (no `using` on Node.js 20) and TypeScript once the compiler has type-checked it with
 * the project's strict options. A snippet imports the package by name (`"sockit"`,
 * `"sockit/struct"`, `"sockit/sync"`: the built dist/, as a user's project gets it), must end by
 * itself within 20 s with status 0, and starts any server it needs. A block whose info string
 * also says `no-run` (```` ```ts no-run ````) is only compiled or syntax-checked. The commands
 * the README names (`node build/examples/…`) must exist once `npm run examples` has run.
 */

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { checkLeaks, ON_BUN } from "./helpers.js";

checkLeaks();

const run = promisify(execFile);

/** The package root: the nearest directory above this file with a package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

const ROOT = packageRoot();
const README = readFileSync(join(ROOT, "README.md"), "utf8");
/** Inside the package, so `import "sockit"` resolves to it (a package may import itself). */
const OUT = join(ROOT, "build", "readme");

interface Snippet {
  /** Where it starts in the README (1-based line), for messages. */
  line: number;
  language: "js" | "ts";
  run: boolean;
  code: string;
}

/** Every ```js / ```ts block of `markdown`. */
function snippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const fence = /^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm;
  for (const match of markdown.matchAll(fence)) {
    const [language = "", ...flags] = (match[1] ?? "").trim().split(/\s+/);
    const kind = ["js", "javascript", "mjs"].includes(language)
      ? "js"
      : ["ts", "typescript"].includes(language)
        ? "ts"
        : undefined;
    if (kind === undefined) continue;
    const line = markdown.slice(0, match.index).split("\n").length;
    out.push({ line, language: kind, run: !flags.includes("no-run"), code: match[2] ?? "" });
  }
  return out;
}

const found = snippets(README);

/** Compiles the TypeScript snippets with the project's options; returns the diagnostics. */
function compile(files: string[]): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2023.d.ts", "lib.esnext.disposable.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    types: ["node"],
    typeRoots: [join(ROOT, "node_modules", "@types")],
    skipLibCheck: true,
    outDir: OUT,
    rootDir: OUT,
  };
  const program = ts.createProgram(files, options);
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
    const where =
      d.file === undefined
        ? ""
        : `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}: `;
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

describe("the README's code", { timeout: 120_000 }, () => {
  test("has snippets to run (the extraction finds them)", () => {
    assert.ok(found.filter((s) => s.language === "ts").length >= 3);
    assert.ok(found.some((s) => s.language === "js"));
  });

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // No package.json of their own: the package's (an ES module package named sockit) applies.
  const files = found.map((snippet) => {
    const name = `line-${snippet.line}`;
    const source = join(OUT, `${name}.${snippet.language === "ts" ? "ts" : "js"}`);
    writeFileSync(source, snippet.code);
    return { snippet, source, runnable: join(OUT, `${name}.js`) };
  });

  test("TypeScript snippets type-check with the project's strict options", () => {
    const diagnostics = compile(
      files.filter((f) => f.snippet.language === "ts").map((f) => f.source),
    );
    assert.deepEqual(diagnostics, []);
  });

  for (const { snippet, runnable } of files) {
    const what = `the ${snippet.language === "ts" ? "TypeScript" : "JavaScript"} snippet at README.md line ${snippet.line}`;
    test(`${what} ${snippet.run ? "runs to the end" : "compiles"}`, async () => {
      if (snippet.language === "js") {
        assert.doesNotMatch(
          snippet.code,
          /\b(await\s+)?using\s+\w+\s*=/,
          "Node.js 20 has no using",
        );
      }
      // Bun has no --check: it would run the file. The compiler has checked it already.
      if (!snippet.run && ON_BUN) return;
      const args = snippet.run ? [runnable] : ["--check", runnable];
      try {
        await run(process.execPath, args, { cwd: OUT, timeout: 20_000 });
      } catch (error) {
        const { code, signal, stderr } = error as {
          code?: unknown;
          signal?: unknown;
          stderr?: unknown;
        };
        assert.fail(
          `${what} failed (status ${String(code)}, ${String(signal)}):\n${String(stderr)}`,
        );
      }
    });
  }

  test("the example programs it names exist after `npm run examples`", () => {
    const named = [...README.matchAll(/node (build\/examples\/[\w.-]+\.js)/g)].map((m) => m[1]!);
    assert.ok(named.length > 0);
    assert.match(README, /npm run examples/);
    const scripts = (
      JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    assert.match(scripts.examples ?? "", /tsc -p tsconfig\.test\.json/);
    // This suite was compiled by that same command, so the programs are here now.
    for (const path of named) assert.ok(existsSync(join(ROOT, path)), `${path} does not exist`);
  });
});
