import { parseArgs } from 'node:util';
import type { FileObject } from '@replicant/client';
import { expectPositionals, positiveInteger, subcommand } from '../args.js';
import { connect, type OptionsConfig, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import type { Command } from '../main.js';
import { collect } from '../pages.js';
import { formatTime, printFields, printJson, printTable } from '../print.js';
import { localFile, uploadFile } from '../remote-inputs.js';
import { orNotFound } from '../remote-model.js';
import { formatBytes } from '../terminal.js';

const HELP = `Usage: replicant files upload PATH [--content-type TYPE] [options]
       replicant files list [--limit N] [options]
       replicant files get ID [options]
       replicant files delete ID [options]

upload  Upload a file; its URL (urls.get) can be given to a model as an input. Uploads expire
        after 24 hours. ("replicant run -i name=@PATH" uploads for you.)
list    Your uploads, newest first.
get     One upload.
delete  Delete an upload and its bytes.

Options:
      --content-type TYPE  the file's type (default: from its extension)
      --limit N            list at most N files (default 100)
${SERVER_HELP}

Examples:
  replicant files upload photo.png
  replicant run local/upscaler -i image=$(replicant files upload photo.png --json | jq -r .urls.get)
  replicant files list
  replicant files delete 6t9gk3x2pnrj0cbh4qz7w8m5ya
`;

const UPLOAD_OPTIONS = { ...SERVER_OPTIONS, 'content-type': { type: 'string' } } satisfies OptionsConfig;
const LIST_OPTIONS = { ...SERVER_OPTIONS, limit: { type: 'string', default: '100' } } satisfies OptionsConfig;

export const filesCommand: Command = {
  summary: 'upload, list, show and delete files',
  help: HELP,
  async run(args) {
    const [sub, rest] = subcommand('files', args, ['upload', 'list', 'get', 'delete']);
    if (sub === 'upload') return upload(rest);
    if (sub === 'list') return list(rest);
    if (sub === 'get') return get(rest);
    return remove(rest);
  },
};

/** A file for people: its fields. */
function showFile(file: FileObject): void {
  printFields([
    ['id', file.id],
    ['name', file.name],
    ['content type', file.content_type],
    ['size', `${formatBytes(file.size)} (${file.size} bytes)`],
    ['sha256', file.checksums?.sha256],
    ['created', formatTime(file.created_at)],
    ['expires', formatTime(file.expires_at)],
    ['url', file.urls.get],
  ]);
}

async function upload(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: UPLOAD_OPTIONS });
  expectPositionals(positionals, 1, 'a file to upload');
  const path = positionals[0] as string;
  await localFile(path);
  const replicate = await connect(values);
  const file = await uploadFile(replicate, path, { type: values['content-type'] });
  if (values.json) printJson(file);
  else {
    process.stderr.write(`Uploaded ${path} (${formatBytes(file.size)}) as ${file.id}\n`);
    process.stdout.write(`${file.urls.get}\n`);
  }
  return 0;
}

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: LIST_OPTIONS });
  expectPositionals(positionals, 0, 'no arguments');
  const limit = positiveInteger(values.limit, '--limit');
  const replicate = await connect(values);
  const files = await collect(replicate, (o) => replicate.files.list(o), limit);
  if (values.json) printJson(files);
  else
    printTable(
      ['ID', 'NAME', 'TYPE', 'SIZE', 'CREATED'],
      files.map((f) => [f.id, f.name ?? '', f.content_type, formatBytes(f.size), formatTime(f.created_at)]),
      'No files.',
    );
  return 0;
}

async function get(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: SERVER_OPTIONS });
  expectPositionals(positionals, 1, 'a file id');
  const id = positionals[0] as string;
  const file = await orNotFound(`file ${id}`, (await connect(values)).files.get(id));
  if (values.json) printJson(file);
  else showFile(file);
  return 0;
}

async function remove(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: SERVER_OPTIONS });
  expectPositionals(positionals, 1, 'a file id');
  const id = positionals[0] as string;
  await orNotFound(`file ${id}`, (await connect(values)).files.delete(id));
  if (values.json) printJson({ id, deleted: true });
  else process.stdout.write(`Deleted ${id}\n`);
  return 0;
}
