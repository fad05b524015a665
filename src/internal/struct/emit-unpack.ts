// Generates the source that returns the values of a struct stored in the bytes `u` from index
// `base` (the caller has checked the bounds). Small formats become one array literal; long
// repeat counts become loops.
import {
  type At,
  forEachItem,
  int,
  memoryIndex,
  offsetExpr,
  scratchIndex,
  UNROLL,
} from "./emit-common.js";
import type { Plan, PlannedField } from "./plan.js";

/** Items unpacked through one array literal at most; beyond this the result is filled in. */
const LITERAL_ITEMS = 64;

/** The item's bytes combined into an int32 (or uint32 when `unsigned`) expression. */
function readInteger(field: PlannedField, at: At, size: number, signed: boolean): string {
  const parts: string[] = [];
  for (let s = 0; s < size; s++) {
    const byte = `u[${at(memoryIndex(field, size, s))}]`;
    parts.push(s === 0 ? byte : `${byte} << ${s * 8}`);
  }
  const joined = parts.join(" | ");
  if (size === 4) return signed ? `(${joined})` : `((${joined}) >>> 0)`;
  if (!signed) return size === 1 ? joined : `(${joined})`;
  const shift = 32 - size * 8;
  return `((${joined}) << ${shift} >> ${shift})`;
}

/** The item's bytes copied into the scratch, then read back through `view`. */
function readScratch(field: PlannedField, at: At, width: number, view: string): string {
  const moves: string[] = [];
  for (let s = 0; s < field.size; s++) {
    moves.push(`g[${scratchIndex(width, s)}] = u[${at(memoryIndex(field, field.size, s))}]`);
  }
  return `(${moves.join(", ")}, ${view}[0])`;
}

function unpackItem(field: PlannedField, at: At): string {
  const { plan } = field;
  switch (plan.kind) {
    case "int":
      return readInteger(field, at, field.size, plan.signed);
    case "bigint":
      if (field.size === 4) return `BigInt(${readInteger(field, at, 4, plan.signed)})`;
      return readScratch(field, at, 8, plan.signed ? "I64" : "U64");
    case "float":
      if (field.size === 2) return `HN(${readInteger(field, at, 2, false)})`;
      return field.size === 4 ? readScratch(field, at, 4, "F32") : readScratch(field, at, 8, "F64");
    case "bool":
      return `u[${at(0)}] !== 0`;
    case "char":
      return `Y(u, ${at(0)}, ${at(1)})`;
    case "string":
      return `Y(u, ${at(0)}, ${at(field.count)})`;
    case "pascal":
      return `Q(u, ${at(0)}, ${int(field.count)})`;
    case "pad":
      return "";
  }
}

function singleAt(field: PlannedField, base: string): At {
  return (k) => offsetExpr(base, field.offset + k);
}

/** Source that returns the values of the struct in `u` from `base` ("0" folds offsets). */
export function unpackSource(plan: Plan, base: string): string {
  const valued = plan.fields.filter((field) => field.plan.kind !== "pad");
  const small = valued.every((f) => f.count <= UNROLL || f.code === "s" || f.code === "p");
  if (small && plan.itemCount <= LITERAL_ITEMS) {
    const items: string[] = [];
    for (const field of valued) {
      if (field.code === "s" || field.code === "p") {
        items.push(unpackItem(field, singleAt(field, base)));
        continue;
      }
      for (let i = 0; i < field.count; i++) {
        const start = field.offset + i * field.size;
        items.push(unpackItem(field, (k) => offsetExpr(base, start + k)));
      }
    }
    return `return [\n${items.join(",\n")}\n];`;
  }
  let body = `const r = new Array(${int(plan.itemCount)});\nlet j = 0;\n`;
  for (const field of valued) {
    if (field.code === "s" || field.code === "p") {
      body += `r[j++] = ${unpackItem(field, singleAt(field, base))};\n`;
      continue;
    }
    body += forEachItem(
      field,
      base,
      false,
      (_i, at) => `r[j++] = ${unpackItem(field, at)};\n`,
      (_index, at) => `r[j++] = ${unpackItem(field, at)};\n`,
    );
  }
  return `${body}return r;`;
}
