/**
 * Markdown tables and number formatting for results on stdout.
 */

/** A Markdown table; numeric-looking columns are right-aligned. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const numeric = header.map((_, c) =>
    rows.every((row) => /^[-+]?[\d.,]+\s*(×|%|[a-zA-Zµ/]+)?$|^—$/.test((row[c] ?? "").trim())),
  );
  const widths = header.map((h, c) =>
    Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join(" | ")} |`;
  const rule = `|${widths.map((w, c) => (numeric[c] ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** A number with `digits` significant-looking decimals, thousands separated. */
export function fmt(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return "—";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A ratio such as `1.03×`. */
export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(3)}×` : "—";
}

/** A fraction as a percentage, e.g. `3.1%`. */
export function fmtPercent(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "—";
}

/** Bytes in binary units (`2 GiB`, `64 KiB`). */
export function fmtBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
