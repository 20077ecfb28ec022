/**
 * A plain-text table: the first column left-aligned, the others right-aligned
 * (they hold numbers), a rule under the header.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** {@link renderTable} ending with a newline, ready to write. */
export function tableText(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return renderTable(header, rows) + '\n';
}
