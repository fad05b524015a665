// The two implementations of a format, generated code and the interpreter it falls back to where
// code generation is not allowed, must agree byte for byte and error for error; and the
// sockit/struct entry point must stay free of networking code.
import * as assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Codec, compile } from "../src/struct/compile.js";
import { parseFormat } from "../src/struct/format.js";
import { Random, randomArgs, randomFormat } from "./fixtures/struct-random.js";
import { checkLeaks } from "./helpers.js";

checkLeaks();

const SEED = Number(process.env.STRUCT_SEED ?? 7);
const STRUCT_MODULE = fileURLToPath(new URL("../src/struct/index.js", import.meta.url));

type Result = { ok: true; value: unknown } | { ok: false; error: string };

function attempt(run: () => unknown): Result {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error: `${(error as Error).name}: ${(error as Error).message}` };
  }
}

/** Packs into a copy of `data` at `at` and returns what the bytes look like afterwards. */
function writeInto(codec: Codec, size: number, data: Buffer, at: number, values: unknown[]) {
  const copy = Buffer.from(data);
  copy.fill(0, at, at + size);
  const outcome = attempt(() => codec.write(copy, at, values));
  return { outcome, bytes: copy.toString("hex") };
}

describe("struct: generated code and the interpreter", () => {
  test("random formats pack, unpack and fail the same way through both", () => {
    const r = new Random(SEED);
    let compared = 0;
    for (let i = 0; i < 1500; i++) {
      const format = randomFormat(r);
      let parsed: ReturnType<typeof parseFormat>;
      try {
        parsed = parseFormat(format.fmt);
      } catch {
        continue;
      }
      const generated = compile(parsed);
      const interpreted = compile(parsed, { interpret: true });
      const values = randomArgs(r, format).map((a) => a.value);
      const label = `${JSON.stringify(format.fmt)} seed ${SEED}`;

      const packed = attempt(() => generated.pack(...values));
      assert.deepEqual(
        packed,
        attempt(() => interpreted.pack(...values)),
        `pack ${label}`,
      );

      const data = Buffer.from(r.bytes(parsed.size + 6));
      const at = r.int(0, 6);
      assert.deepEqual(
        writeInto(generated, parsed.size, data, at, values),
        writeInto(interpreted, parsed.size, data, at, values),
        `write ${label}`,
      );
      assert.deepEqual(
        attempt(() => generated.read(data, at)),
        attempt(() => interpreted.read(data, at)),
        `read ${label}`,
      );
      const exact = data.subarray(0, parsed.size);
      assert.deepEqual(
        attempt(() => generated.unpack(exact)),
        attempt(() => interpreted.unpack(exact)),
        `unpack ${label}`,
      );
      compared++;
    }
    assert.ok(compared > 1000, `compared ${compared} formats`);
  });

  test("packing writes every byte of the struct, so pack may start from uninitialised memory", () => {
    const r = new Random(SEED + 1);
    let compared = 0;
    for (let i = 0; i < 1500; i++) {
      const format = randomFormat(r);
      let parsed: ReturnType<typeof parseFormat>;
      try {
        parsed = parseFormat(format.fmt);
      } catch {
        continue;
      }
      const values = randomArgs(r, format).map((a) => a.value);
      for (const codec of [compile(parsed), compile(parsed, { interpret: true })]) {
        const zeros = Buffer.alloc(parsed.size);
        const garbage = Buffer.alloc(parsed.size, 0xa5);
        const first = attempt(() => codec.write(zeros, 0, values));
        if (!first.ok) continue;
        codec.write(garbage, 0, values);
        assert.deepEqual(garbage, zeros, `${JSON.stringify(format.fmt)} seed ${SEED + 1}`);
        compared++;
      }
    }
    assert.ok(compared > 500, `compared ${compared} packs`);
  });

  test("sockit/struct still works where code generation from strings is disallowed", () => {
    const script = `
      const { pack, unpack, Struct } = await import(${JSON.stringify(STRUCT_MODULE)});
      let generated = true;
      try { new Function("return 1"); } catch { generated = false; }
      const s = new Struct(">IHq2s");
      const out = s.pack(1, 2, -3n, Buffer.from("ab"));
      console.log(JSON.stringify({ generated, hex: out.toString("hex"),
        back: unpack(">IHq2s", out).map(String), half: pack("<e", 1).toString("hex") }));
    `;
    const child = spawnSync(
      process.execPath,
      ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script],
      { encoding: "utf8", timeout: 20_000 },
    );
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout), {
      generated: false,
      hex: "000000010002fffffffffffffffd6162",
      back: ["1", "2", "-3", "ab"],
      half: "003c",
    });
  });

  test("importing sockit/struct loads no networking module", () => {
    const script = `
      const before = new Set(process.moduleLoadList);
      const struct = await import(${JSON.stringify(STRUCT_MODULE)});
      struct.pack("<I", 1);
      const added = process.moduleLoadList.filter((name) => !before.has(name));
      const { writeSync } = await import("node:fs");
      writeSync(1, JSON.stringify(added));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(child.status, 0, child.stderr);
    const added = JSON.parse(child.stdout) as string[];
    const networking = added.filter((name) => /\b(net|dgram|tls|http|dns)\b/.test(name));
    assert.deepEqual(networking, []);
  });
});
