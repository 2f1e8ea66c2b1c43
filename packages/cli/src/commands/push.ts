import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ApiError, type Replicate } from '@replicant/client';
import { visibilityFlag } from '../args.js';
import { connect, type OptionsConfig, SERVER_HELP, SERVER_OPTIONS } from '../connect.js';
import { CliError } from '../errors.js';
import type { Command } from '../main.js';
import { packFolder } from '../package-model.js';
import { printJson } from '../print.js';
import { exampleInputs, parseModelName, versionSchema } from '../remote-model.js';
import { formatBytes, ProgressBar } from '../terminal.js';

const HELP = `Usage: replicant push [OWNER/NAME] [--dir DIR] [options]

Package the model folder (as "replicant build" does) and upload it as a new version of
OWNER/NAME — by default <your username>/<the folder's name>. A model that does not exist yet
is created first (private, on cpu unless --visibility / --hardware say otherwise). Pushing an
unchanged folder again gives the same version.

It prints the version id and a command that runs it.

Options:
      --dir DIR            the model folder (default: the current folder)
      --visibility V       for a new model: private (default) or public
      --hardware SKU       for a new model: what it runs on (default cpu)
${SERVER_HELP}

Examples:
  replicant init my-model && cd my-model && replicant push
  replicant push acme/hello-world --dir examples/hello-world
  replicant push --json | jq -r .version
`;

const OPTIONS = {
  ...SERVER_OPTIONS,
  dir: { type: 'string', default: '.' },
  visibility: { type: 'string', default: 'private' },
  hardware: { type: 'string', default: 'cpu' },
} satisfies OptionsConfig;

export const pushCommand: Command = {
  summary: 'upload a model folder as a new version (creating the model if needed)',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
    if (positionals.length > 1) throw new CliError(`unexpected argument "${positionals[1]}"`, 2);
    const visibility = visibilityFlag(values.visibility);
    // Packing first: a folder that cannot be packed fails before anything is sent.
    const packed = await packFolder(values.dir);
    const replicate = await connect(values);
    const { owner, name } =
      positionals[0] !== undefined
        ? parseModelName(positionals[0])
        : { owner: (await replicate.accounts.current()).username, name: basename(resolve(values.dir)) };
    const created = await ensureModel(replicate, owner, name, { visibility, hardware: values.hardware });
    if (created && !values.json) process.stderr.write(`Created ${owner}/${name} (${visibility}, ${values.hardware})\n`);

    const bar = new ProgressBar(`Uploading ${formatBytes(packed.archive.length)}`);
    if (!bar.enabled && !values.json)
      process.stderr.write(`Uploading ${packed.files.length} files (${formatBytes(packed.archive.length)})...\n`);
    const version = await replicate.models.versions.create(owner, name, packed.archive, {
      ...(bar.enabled && { onProgress: (sent: number, total: number) => bar.update(sent, total) }),
    });
    bar.finish();
    const run = ['replicant run', `${owner}/${name}`, ...exampleInputs(versionSchema(version))].join(' ');
    if (values.json) {
      printJson({ model: `${owner}/${name}`, version: version.id, created_model: created, run });
      return 0;
    }
    if (version.id !== packed.id) {
      // The server repacks what it receives; a different id means it stored something other than what was built.
      process.stderr.write(`Note: the server's version id differs from the local build (${packed.id})\n`);
    }
    process.stdout.write(`Pushed ${owner}/${name}:${version.id}\n\nRun it:\n  ${run}\n`);
    return 0;
  },
};

/** Creates the model when it does not exist; answers whether it did. */
async function ensureModel(
  replicate: Replicate,
  owner: string,
  name: string,
  options: { visibility: 'private' | 'public'; hardware: string },
): Promise<boolean> {
  try {
    await replicate.models.get(owner, name);
    return false;
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  await replicate.models.create(owner, name, options);
  return true;
}
