// Compiles a parsed format once into specialised pack and unpack functions. The source is built
// only from the parser's output (code letters from a fixed table, counts and offsets checked to be
// integers), never from the format text itself. Where code generation is not allowed (Node's
// --disallow-code-generation-from-strings, a strict CSP), it falls back to an interpreter of the
// same plan, which behaves the same but runs slower.
import { Buffer } from "node:buffer";
import { bytesOf } from "./buffers.js";
import { int } from "./emit-common.js";
import { packSource, parameterList } from "./emit-pack.js";
import { unpackSource } from "./emit-unpack.js";
import type { ParsedFormat } from "./format.js";
import { interpretPack, interpretUnpack } from "./interpret.js";
import { makePlan, type Plan } from "./plan.js";
import type { IntegerRule } from "./rules.js";
import {
  bytesArgument,
  charArgument,
  copyBytes,
  floatOverflow,
  halfToNumber,
  newBuffer,
  packCountError,
  pascalString,
  SCRATCH,
  toBigInteger,
  toFloat,
  toHalf,
  toSmallInteger,
  type UnpackedValue,
  unpackSizeError,
} from "./runtime.js";

export type WriteFunction = (target: Uint8Array, base: number, values: readonly unknown[]) => void;
export type ReadFunction = (source: Uint8Array, base: number) => UnpackedValue[];

/** A format compiled four ways: the public fast paths and the offset-taking building blocks. */
export interface Codec {
  /** Packs `values` into `target` from `base` (bounds already checked). */
  readonly write: WriteFunction;
  /** Unpacks the struct in `source` at `base` (bounds already checked). */
  readonly read: ReadFunction;
  /** Checks the value count, packs into a new Buffer. */
  readonly pack: (...values: unknown[]) => Buffer;
  /** Checks the buffer (type and size), unpacks it. */
  readonly unpack: (buffer: unknown) => UnpackedValue[];
}

// Names the generated code sees, bound once per compiled format.
const RUNTIME = {
  U8: Uint8Array,
  A: newBuffer,
  V: bytesOf,
  EP: packCountError,
  EU: unpackSizeError,
  g: SCRATCH.bytes,
  F32: SCRATCH.f32,
  F64: SCRATCH.f64,
  I64: SCRATCH.i64,
  U64: SCRATCH.u64,
  I: toSmallInteger,
  J: toBigInteger,
  F: toFloat,
  O: floatOverflow,
  H: toHalf,
  HN: halfToNumber,
  C: charArgument,
  S: bytesArgument,
  Y: copyBytes,
  Q: pascalString,
};
const NAMES = Object.keys(RUNTIME);
const VALUES = Object.values(RUNTIME);

/** Above this many values, `pack` takes a rest array instead of one parameter per value. */
const MAX_PARAMETERS = 64;

let codeGeneration: boolean | undefined;

/** Whether `new Function` works here (checked once). */
function canGenerate(): boolean {
  if (codeGeneration === undefined) {
    try {
      codeGeneration = new Function("return true")() === true;
    } catch {
      codeGeneration = false;
    }
  }
  return codeGeneration;
}

function generatedSource(plan: Plan, rules: IntegerRule[]): string {
  const { size, itemCount } = plan;
  const params = itemCount <= MAX_PARAMETERS;
  const packHead = params
    ? `function pack(${parameterList(itemCount)}) {\n` +
      `if (arguments.length !== ${int(itemCount)}) EP(${int(itemCount)}, arguments.length);\n`
    : `function pack(...a) {\nif (a.length !== ${int(itemCount)}) EP(${int(itemCount)}, a.length);\n`;
  return [
    `"use strict";`,
    `function write(u, b, a) {\n${packSource(plan, rules, { base: "b", args: "array" })}\n}`,
    `${packHead}const u = A(${int(size)});\n` +
      `${packSource(plan, rules, { base: "0", args: params ? "params" : "array" })}\nreturn u;\n}`,
    `function read(u, b) {\n${unpackSource(plan, "b")}\n}`,
    "function unpack(x) {\nconst u = x instanceof U8 ? x : V(x);\n" +
      `if (u.length !== ${int(size)}) EU(${int(size)});\n${unpackSource(plan, "0")}\n}`,
    "return { write, pack, read, unpack };",
  ].join("\n");
}

function interpreted(plan: Plan): Codec {
  const write: WriteFunction = (target, base, values) => interpretPack(plan, target, base, values);
  const read: ReadFunction = (source, base) => interpretUnpack(plan, source, base);
  return {
    write,
    read,
    pack: (...values) => {
      if (values.length !== plan.itemCount) packCountError(plan.itemCount, values.length);
      const out = Buffer.allocUnsafe(plan.size);
      write(out, 0, values);
      return out;
    },
    unpack: (buffer) => {
      const bytes = bytesOf(buffer);
      if (bytes.length !== plan.size) unpackSizeError(plan.size);
      return read(bytes, 0);
    },
  };
}

/** Compiles a parsed format; `interpret` forces the interpreter (for tests). */
export function compile(parsed: ParsedFormat, options: { interpret?: boolean } = {}): Codec {
  const plan = makePlan(parsed);
  if (options.interpret === true || !canGenerate()) return interpreted(plan);
  const rules: IntegerRule[] = [];
  const source = generatedSource(plan, rules);
  const factory = new Function(...NAMES, "R", source) as (...args: unknown[]) => Codec;
  return factory(...VALUES, rules);
}
