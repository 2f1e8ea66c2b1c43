import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { extensionOf, type OpenApiDocument, type SchemaObject } from '@replicant/protocol';
import { CliError } from './errors.js';
import { printWithFiles, printWritten, type SaveFileField } from './print.js';
import { fileFields, isFile } from './schema.js';

/** Bytes and a file extension for a file output (a data URI or a URL). */
async function fetchFile(value: string): Promise<{ bytes: Buffer; ext: string }> {
  if (value.startsWith('data:')) {
    const comma = value.indexOf(',');
    const meta = value.slice(5, comma);
    const data = value.slice(comma + 1);
    const bytes = meta.includes(';base64') ? Buffer.from(data, 'base64') : Buffer.from(decodeURIComponent(data));
    return { bytes, ext: extensionOf(meta.split(';')[0] ?? '') };
  }
  const response = await fetch(value);
  if (!response.ok) throw new CliError(`could not download the output ${value}: HTTP ${response.status}`);
  return { bytes: Buffer.from(await response.arrayBuffer()), ext: extname(new URL(value).pathname) };
}

/** Where the `i`-th file of an output goes: `-o PATH` or `output<ext>`, numbered for lists. */
function fileName(base: string | undefined, ext: string, index: number | undefined): string {
  if (base === undefined) return index === undefined ? `output${ext}` : `output.${index}${ext}`;
  if (index === undefined) return base;
  return `${stem(base)}.${index}${extname(base) || ext}`;
}

/** `path` without its extension. */
function stem(path: string): string {
  return path.slice(0, path.length - extname(path).length);
}

/**
 * Shows a finished prediction's output as `cog predict` does: files are written to disk (and
 * their names printed), text is printed raw, text streams joined, anything else as JSON.
 */
export async function presentOutput(schema: OpenApiDocument, output: unknown, outPath: string | undefined): Promise<string[]> {
  const spec: SchemaObject = schema.components.schemas.Output ?? {};
  const written: string[] = [];
  const filesInObject = fileFields(spec, schema);
  const save = async (value: unknown, index: number | undefined) => {
    if (typeof value !== 'string') return;
    const { bytes, ext } = await fetchFile(value);
    const name = fileName(outPath, ext, index);
    await writeFile(name, bytes);
    written.push(name);
  };
  if (output === null || output === undefined) {
    process.stderr.write('No output generated\n');
  } else if (isFile(spec)) {
    await save(output, undefined);
  } else if (spec.type === 'array' && isFile(spec.items) && Array.isArray(output)) {
    for (const [i, value] of output.entries()) await save(value, i);
  } else if (filesInObject.length > 0 && typeof output === 'object' && !Array.isArray(output)) {
    // Files inside an object (a BaseModel output) are written too, named after their field, and
    // the object is shown with the file names instead of pages of base64.
    const saveField: SaveFileField = async (items, field, listed) => {
      const base = outPath === undefined ? field : `${stem(outPath)}.${field}`;
      // Fetched in parallel, listed in the output's order; values that are not files stay as they are.
      const shown = await Promise.all(
        items.map(async (item, i) => {
          if (typeof item !== 'string') return item;
          const { bytes, ext } = await fetchFile(item);
          const name = listed ? `${base}.${i}${ext}` : `${base}${ext}`;
          await writeFile(name, bytes);
          return name;
        }),
      );
      return { shown, written: shown.filter((_, i) => typeof items[i] === 'string') as string[] };
    };
    written.push(...(await printWithFiles(output as Record<string, unknown>, filesInObject, saveField)));
  } else if (spec['x-cog-array-display'] === 'concatenate' && Array.isArray(output)) {
    process.stdout.write(`${output.join('')}\n`);
  } else if (typeof output === 'string') {
    process.stdout.write(`${output}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  }
  printWritten(written);
  return written;
}
