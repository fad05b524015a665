// The same packing and unpacking as the generated code, interpreted from the plan: the fallback
// where `new Function` is not allowed, and a second implementation the tests hold against the
// generated one. Keep the two in step: every rule here mirrors a template in emit-pack/emit-unpack.
import { memoryIndex, scratchIndex } from "./emit-common.js";
import type { Plan, PlannedField } from "./plan.js";
import {
  bytesArgument,
  charArgument,
  copyBytes,
  floatOverflow,
  halfToNumber,
  isUint8Array,
  pascalString,
  SCRATCH,
  toBigInteger,
  toFloat,
  toHalf,
  toSmallInteger,
  type UnpackedValue,
} from "./runtime.js";

function storeInteger(field: PlannedField, u: Uint8Array, at: number, x: number, size: number) {
  for (let s = 0; s < size; s++) u[at + memoryIndex(field, size, s)] = x >>> (s * 8);
}

function storeScratch(field: PlannedField, u: Uint8Array, at: number, width: number) {
  for (let s = 0; s < field.size; s++) {
    u[at + memoryIndex(field, field.size, s)] = SCRATCH.bytes[scratchIndex(width, s)] as number;
  }
}

function loadInteger(field: PlannedField, u: Uint8Array, at: number, size: number): number {
  let x = 0;
  for (let s = size - 1; s >= 0; s--) x = x * 256 + (u[at + memoryIndex(field, size, s)] as number);
  return x;
}

function loadScratch(field: PlannedField, u: Uint8Array, at: number, width: number): void {
  for (let s = 0; s < field.size; s++) {
    SCRATCH.bytes[scratchIndex(width, s)] = u[at + memoryIndex(field, field.size, s)] as number;
  }
}

/** Copies `used` bytes of `value`; zero-fills up to `length` unless the struct was zeroed first. */
function copyInto(
  u: Uint8Array,
  at: number,
  value: Uint8Array,
  used: number,
  length: number,
  zeroed: boolean,
) {
  u.set(value.subarray(0, used), at);
  if (!zeroed) u.fill(0, at + used, at + length);
}

function packOne(field: PlannedField, u: Uint8Array, at: number, v: unknown, zeroed: boolean) {
  const { plan } = field;
  switch (plan.kind) {
    case "int": {
      const { min, max } = plan.rule;
      const fits = typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
      storeInteger(field, u, at, fits ? v : toSmallInteger(v, plan.rule), field.size);
      return;
    }
    case "bigint": {
      const { min, max } = plan.rule;
      const fits = typeof v === "bigint" && v >= min && v <= max;
      SCRATCH.i64[0] = fits ? v : toBigInteger(v, plan.rule, u, at, field.little);
      storeScratch(field, u, at, 8);
      return;
    }
    case "float": {
      const x = typeof v === "number" ? v : toFloat(v);
      if (field.size === 2) {
        storeInteger(field, u, at, toHalf(x, v), 2);
      } else if (field.size === 4) {
        SCRATCH.f32[0] = x;
        const y = SCRATCH.f32[0] as number;
        if (plan.rule.overflowFails && !Number.isFinite(y) && Number.isFinite(x)) {
          floatOverflow(v, "f");
        }
        storeScratch(field, u, at, 4);
      } else {
        SCRATCH.f64[0] = x;
        storeScratch(field, u, at, 8);
      }
      return;
    }
    case "bool":
      u[at] = v ? 1 : 0;
      return;
    case "char":
      u[at] = charArgument(v)[0] as number;
      return;
    case "string": {
      const bytes = isUint8Array(v) ? v : bytesArgument(v, "s");
      copyInto(u, at, bytes, Math.min(bytes.length, field.count), field.count, zeroed);
      return;
    }
    case "pascal": {
      const bytes = isUint8Array(v) ? v : bytesArgument(v, "p");
      if (field.count === 0) {
        u[at] = 255;
        return;
      }
      const used = Math.min(bytes.length, field.count - 1);
      copyInto(u, at + 1, bytes, used, field.count - 1, zeroed);
      u[at] = Math.min(used, 255);
      return;
    }
    case "pad":
      return;
  }
}

function unpackOne(field: PlannedField, u: Uint8Array, at: number): UnpackedValue {
  const { plan } = field;
  switch (plan.kind) {
    case "int": {
      const x = loadInteger(field, u, at, field.size);
      const half = 2 ** (field.size * 8 - 1);
      return plan.signed && x >= half ? x - 2 * half : x;
    }
    case "bigint":
      if (field.size === 4) {
        const x = loadInteger(field, u, at, 4);
        return BigInt(plan.signed && x >= 2 ** 31 ? x - 2 ** 32 : x);
      }
      loadScratch(field, u, at, 8);
      return (plan.signed ? SCRATCH.i64[0] : SCRATCH.u64[0]) as bigint;
    case "float":
      if (field.size === 2) return halfToNumber(loadInteger(field, u, at, 2));
      loadScratch(field, u, at, field.size);
      return (field.size === 4 ? SCRATCH.f32[0] : SCRATCH.f64[0]) as number;
    case "bool":
      return u[at] !== 0;
    case "char":
      return copyBytes(u, at, at + 1);
    case "string":
      return copyBytes(u, at, at + field.count);
    case "pascal":
      return pascalString(u, at, field.count);
    case "pad":
      throw new Error("pads hold no value");
  }
}

function items(field: PlannedField): number {
  return field.code === "s" || field.code === "p" ? 1 : field.count;
}

export function interpretPack(plan: Plan, u: Uint8Array, b: number, a: readonly unknown[]): void {
  if (plan.zeroFirst) u.fill(0, b, b + plan.size);
  else for (const [start, end] of plan.holes) u.fill(0, b + start, b + end);
  for (const field of plan.fields) {
    if (field.plan.kind === "pad") continue;
    for (let i = 0; i < items(field); i++) {
      packOne(field, u, b + field.offset + i * field.size, a[field.argIndex + i], plan.zeroFirst);
    }
  }
}

export function interpretUnpack(plan: Plan, u: Uint8Array, b: number): UnpackedValue[] {
  const out: UnpackedValue[] = [];
  for (const field of plan.fields) {
    if (field.plan.kind === "pad") continue;
    for (let i = 0; i < items(field); i++) {
      out.push(unpackOne(field, u, b + field.offset + i * field.size));
    }
  }
  return out;
}
