import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';
import { packFolder } from '../package-model.js';
import { printJson } from '../print.js';
import { formatBytes } from '../terminal.js';

const HELP = `Usage: replicant build [DIR] [-o FILE] [--json]

Package the model in DIR (default: the current folder) and print its version id, without
contacting a server. The package is a gzipped tar of the folder's files, made canonically
(sorted, mtime 0, owner 0, mode 0644 or 0755), so its id — the sha256 of the tar — is the
version id the server assigns when the folder is pushed: an unchanged folder keeps its id.

Left out: .git, node_modules, caches, and what .dockerignore / .cogignore exclude.

Options:
  -o, --output FILE   also write the package (.tar.gz) to FILE
      --json          print {"id", "files", "size", "archive_size", "output"}

Examples:
  replicant build
  replicant build examples/hello-world -o hello-world.tar.gz
  replicant build --json | jq -r .id
`;

export const buildCommand: Command = {
  summary: 'package a model folder and print its version id (offline)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { output: { type: 'string', short: 'o' }, json: { type: 'boolean', default: false } },
    });
    if (positionals.length > 1) throw new CliError('expected at most one model folder', 2);
    const dir = positionals[0] ?? '.';
    const packed = await packFolder(dir);
    if (values.output !== undefined) await writeFile(values.output, packed.archive);
    if (values.json) {
      printJson({
        id: packed.id,
        files: packed.files,
        size: packed.size,
        archive_size: packed.archive.length,
        output: values.output ?? null,
      });
      return 0;
    }
    const written = values.output !== undefined ? `, written to ${values.output}` : '';
    process.stderr.write(
      `Packed ${packed.files.length} files (${formatBytes(packed.size)}) into ${formatBytes(packed.archive.length)}${written}\n`,
    );
    process.stdout.write(`${packed.id}\n`);
    return 0;
  },
};
