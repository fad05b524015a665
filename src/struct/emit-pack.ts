// Generates the source that packs a struct's values into `u` from index `base`. Straight-line code
// per field, with a fast path for the common value type; anything else goes to the runtime slow
// paths, which raise CPython's errors. Values are packed in format order, so a failing value
// leaves the earlier ones written, as in CPython.
import { type At, forEachItem, int, memoryIndex, offsetExpr, scratchIndex } from "./emit-common.js";
import type { Plan, PlannedField } from "./plan.js";
import type { IntegerRule } from "./rules.js";

/** Bytes of an `s`/`p` field copied one by one; above this a field uses set/fill. */
const INLINE_COPY = 16;

/** How the generated code sees its input. */
export interface PackShape {
  /** Source expression of the struct's first byte in `u` ("0" folds offsets into constants). */
  readonly base: string;
  /** Values as named parameters `a0, a1...` (all items unrolled) or as an array `a`. */
  readonly args: "params" | "array";
}

interface Context {
  readonly shape: PackShape;
  readonly zeroed: boolean;
  readonly ruleRef: string;
}

function fullRange(rule: IntegerRule, size: number, signed: boolean): boolean {
  const bits = BigInt(size * 8);
  return signed
    ? rule.min === -(1n << (bits - 1n)) && rule.max === (1n << (bits - 1n)) - 1n
    : rule.min === 0n && rule.max === (1n << bits) - 1n;
}

/** A condition true for a number `v` that is an integer the field accepts as it is. */
function numberFits(rule: IntegerRule, size: number): string {
  const signed = rule.min < 0n;
  if (fullRange(rule, size, signed)) {
    const shift = 32 - size * 8;
    if (signed) return size === 4 ? "(v | 0) === v" : `(v << ${shift} >> ${shift}) === v`;
    return size === 4 ? "(v >>> 0) === v" : `(v & ${int(2 ** (size * 8) - 1)}) === v`;
  }
  return `Number.isInteger(v) && v >= ${rule.min} && v <= ${rule.max}`;
}

/** A condition true for a bigint `v` that the field accepts. */
function bigintFits(rule: IntegerRule): string {
  if (fullRange(rule, 8, true)) return "BigInt.asIntN(64, v) === v";
  if (fullRange(rule, 8, false)) return "BigInt.asUintN(64, v) === v";
  return `v >= ${rule.min}n && v <= ${rule.max}n`;
}

function storeInteger(field: PlannedField, at: At, name: "v" | "x"): string {
  let out = "";
  for (let s = 0; s < field.size; s++) {
    const value = s === 0 ? name : `${name} >>> ${s * 8}`;
    out += `u[${at(memoryIndex(field, field.size, s))}] = ${value};\n`;
  }
  return out;
}

/** Copies `width` bytes of the scratch (low bytes first) into the item. */
function storeScratch(field: PlannedField, at: At, width: number): string {
  let out = "";
  for (let s = 0; s < field.size; s++) {
    out += `u[${at(memoryIndex(field, field.size, s))}] = g[${scratchIndex(width, s)}];\n`;
  }
  return out;
}

/**
 * Copies the first `m` bytes of `v` to `start` and zero-fills the rest of the `length` bytes,
 * unless the struct was zeroed first (then only the `m` bytes are written, as CPython does).
 */
function copyBytes(start: string, length: number, zeroed: boolean): string {
  if (length <= INLINE_COPY) {
    let out = "";
    for (let k = 0; k < length; k++) {
      out += zeroed
        ? `if (m > ${k}) u[${offsetExpr(start, k)}] = v[${k}];\n`
        : `u[${offsetExpr(start, k)}] = m > ${k} ? v[${k}] : 0;\n`;
    }
    return out;
  }
  const copy = `if (m > 0) u.set(m === v.length ? v : new U8(v.buffer, v.byteOffset, m), ${start});\n`;
  if (zeroed) return copy;
  return `${copy}if (m < ${int(length)}) u.fill(0, ${start} + m, ${offsetExpr(start, length)});\n`;
}

function packItem(field: PlannedField, value: string, at: At, context: Context): string {
  const { plan } = field;
  const { ruleRef, zeroed } = context;
  switch (plan.kind) {
    case "int":
      return (
        `v = ${value};\n` +
        `if (typeof v !== "number" || !(${numberFits(plan.rule, field.size)})) v = I(v, ${ruleRef});\n` +
        storeInteger(field, at, "v")
      );
    case "bigint":
      return (
        `v = ${value};\n` +
        `if (typeof v !== "bigint" || !(${bigintFits(plan.rule)})) ` +
        `v = J(v, ${ruleRef}, u, ${at(0)}, ${field.little});\n` +
        `I64[0] = v;\n${storeScratch(field, at, 8)}`
      );
    case "float": {
      const read = `v = ${value};\nx = typeof v === "number" ? v : F(v);\n`;
      if (field.size === 2) return `${read}x = H(x, v);\n${storeInteger(field, at, "x")}`;
      if (field.size === 4) {
        const overflow = plan.rule.overflowFails
          ? `if (F32[0] - F32[0] !== 0 && x - x === 0) O(v, "f");\n`
          : "";
        return `${read}F32[0] = x;\n${overflow}${storeScratch(field, at, 4)}`;
      }
      return `${read}F64[0] = x;\n${storeScratch(field, at, 8)}`;
    }
    case "bool":
      return `u[${at(0)}] = ${value} ? 1 : 0;\n`;
    case "char":
      return (
        `v = ${value};\n` +
        "if (!(v instanceof U8) || v.length !== 1) v = C(v);\n" +
        `u[${at(0)}] = v[0];\n`
      );
    case "string":
      return (
        `v = ${value};\nif (!(v instanceof U8)) v = S(v, "s");\n` +
        `m = v.length > ${int(field.count)} ? ${int(field.count)} : v.length;\n` +
        copyBytes(at(0), field.count, zeroed)
      );
    case "pascal":
      if (field.count === 0) {
        // CPython writes the length byte (255, from a length of -1) even for `0p`.
        return `v = ${value};\nif (!(v instanceof U8)) v = S(v, "p");\nu[${at(0)}] = 255;\n`;
      }
      return (
        `v = ${value};\nif (!(v instanceof U8)) v = S(v, "p");\n` +
        `m = v.length > ${int(field.count - 1)} ? ${int(field.count - 1)} : v.length;\n` +
        copyBytes(offsetExpr(at(0), 1), field.count - 1, zeroed) +
        `u[${at(0)}] = m > 255 ? 255 : m;\n`
      );
    case "pad":
      return "";
  }
}

function zeroHoles(plan: Plan, base: string): string {
  if (plan.zeroFirst) return `u.fill(0, ${base}, ${offsetExpr(base, plan.size)});\n`;
  let out = "";
  for (const [start, end] of plan.holes) {
    if (end - start <= 8) {
      for (let k = start; k < end; k++) out += `u[${offsetExpr(base, k)}] = 0;\n`;
    } else {
      out += `u.fill(0, ${offsetExpr(base, start)}, ${offsetExpr(base, end)});\n`;
    }
  }
  return out;
}

/** The `index`-th value as source. */
function argument(shape: PackShape, index: number | string): string {
  return shape.args === "params" ? `a${index}` : `a[${index}]`;
}

/**
 * Source that packs the values into `u` from `shape.base`, declaring its own locals. Integer rules
 * are appended to `rules` and referred to as `R[i]`.
 */
export function packSource(plan: Plan, rules: IntegerRule[], shape: PackShape): string {
  let body = zeroHoles(plan, shape.base);
  const unrollAll = shape.args === "params";
  for (const field of plan.fields) {
    if (field.plan.kind === "pad") continue;
    let ruleRef = "";
    if (field.plan.kind === "int" || field.plan.kind === "bigint") {
      ruleRef = `R[${rules.length}]`;
      rules.push(field.plan.rule);
    }
    const context: Context = { shape, zeroed: plan.zeroFirst, ruleRef };
    if (field.code === "s" || field.code === "p") {
      const at = (k: number) => offsetExpr(shape.base, field.offset + k);
      body += packItem(field, argument(shape, int(field.argIndex)), at, context);
      continue;
    }
    body += forEachItem(
      field,
      shape.base,
      unrollAll,
      (i, at) => packItem(field, argument(shape, int(field.argIndex + i)), at, context),
      (index, at) =>
        packItem(field, argument(shape, `${int(field.argIndex)} + ${index}`), at, context),
    );
  }
  return `let v, x, m;\n${body}`;
}

/** Parameter list for the "params" shape: `a0, a1, ...`. */
export function parameterList(count: number): string {
  return Array.from({ length: count }, (_, i) => `a${i}`).join(", ");
}
