import { palette } from './terminal.js';

/** Prints `value` as indented JSON on stdout: what `--json` gives scripts. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Tells on stderr where each file output was written. */
export function printWritten(paths: readonly string[]): void {
  for (const path of paths) process.stderr.write(`Written output to ${path}\n`);
}

/**
 * How the files of one field of an object output are saved: given the field's values (one value
 * is a list of one; `listed` when the field holds a list), answers what to show in their place,
 * in order, and the files written.
 */
export type SaveFileField = (items: unknown[], field: string, listed: boolean) => Promise<{ shown: unknown[]; written: string[] }>;

/**
 * Prints an object output (a `BaseModel`) as JSON, with the values of its file `fields` saved by
 * `save` and shown as what it answers (their file names) instead of URLs or pages of base64.
 * Fields are saved one after another; answers every file written, in order.
 */
export async function printWithFiles(output: Record<string, unknown>, fields: readonly string[], save: SaveFileField): Promise<string[]> {
  const shown: Record<string, unknown> = { ...output };
  const written: string[] = [];
  for (const field of fields) {
    const value = shown[field];
    if (value === null || value === undefined) continue;
    const listed = Array.isArray(value);
    const saved = await save(listed ? value : [value], field, listed);
    shown[field] = listed ? saved.shown : saved.shown[0];
    written.push(...saved.written);
  }
  printJson(shown);
  return written;
}

/** Visible width of `text` (without SGR colour codes). */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/**
 * Prints rows as columns padded to their widest cell, with a header line (bold on a TTY); the
 * last column is not padded, so long text there does not push trailing spaces. An empty list
 * prints `empty` on stderr so that stdout stays empty for scripts.
 */
export function printTable(headers: string[], rows: string[][], empty = 'Nothing to show.'): void {
  if (rows.length === 0) {
    process.stderr.write(`${empty}\n`);
    return;
  }
  const colors = palette(process.stdout);
  const widths = headers.map((header, i) => Math.max(width(header), ...rows.map((row) => width(row[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - width(cell))))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${colors.bold(line(headers))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
}

/** Prints `label: value` lines with the values aligned; undefined and null values are left out. */
export function printFields(fields: Array<[string, string | number | boolean | null | undefined]>): void {
  const colors = palette(process.stdout);
  const shown = fields.filter((f): f is [string, string | number | boolean] => f[1] !== undefined && f[1] !== null && f[1] !== '');
  const labelWidth = Math.max(0, ...shown.map(([label]) => label.length));
  for (const [label, value] of shown) process.stdout.write(`${colors.dim(`${label}:`.padEnd(labelWidth + 1))} ${value}\n`);
}

/** An ISO timestamp as `2026-01-02 15:04:05` (UTC, shorter than ISO for tables), or empty. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
}
