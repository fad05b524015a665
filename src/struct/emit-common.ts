// Shared pieces of the pack and unpack code generators.
import { hostLittleEndian } from "./layout.js";
import type { PlannedField } from "./plan.js";

/** Items of one field written out one by one; above this a field becomes a loop. */
export const UNROLL = 8;

/** 8-byte slots in the scratch (see runtime.ts), one per float or 64-bit item an unpack reads. */
export const SCRATCH_SLOTS = 64;

/** An expression for the position of byte `k` (in memory order) of the current item. */
export type At = (k: number) => string;

/** Memory index, within an item of `size` bytes, of the byte of significance `s` (0 = lowest). */
export function memoryIndex(field: PlannedField, size: number, s: number): number {
  return field.little ? s : size - 1 - s;
}

/** Index in the scratch bytes of significance `s` of a scratch value `width` bytes wide. */
export function scratchIndex(width: number, s: number): number {
  return hostLittleEndian ? s : width - 1 - s;
}

/** Guards that only numbers computed by the parser reach generated source. */
export function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not an integer for generated code: ${n}`);
  return String(n);
}

/** `base + n` as source; a base of "0" folds into a constant. */
export function offsetExpr(base: string, n: number): string {
  if (base === "0") return int(n);
  return n === 0 ? base : `${base} + ${int(n)}`;
}

/**
 * Emits the items of a repeated field: unrolled (each item at a constant offset from `base`) when
 * the count is small or `unrollAll` is set, else as a loop whose item position is `p`.
 */
export function forEachItem(
  field: PlannedField,
  base: string,
  unrollAll: boolean,
  unrolled: (i: number, at: At) => string,
  looped: (index: string, at: At) => string,
): string {
  const { count, size, offset } = field;
  if (count <= UNROLL || unrollAll) {
    let out = "";
    for (let i = 0; i < count; i++) {
      const start = offset + i * size;
      out += unrolled(i, (k) => offsetExpr(base, start + k));
    }
    return out;
  }
  const body = looped("i", (k) => offsetExpr("p", k));
  return (
    `for (let i = 0, p = ${offsetExpr(base, offset)}; i < ${int(count)}; i++, p += ${int(size)}) {\n` +
    `${body}}\n`
  );
}
