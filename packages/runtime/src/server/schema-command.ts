import { resolve } from 'node:path';
import { readCogConfig } from '../config.js';
import { loadPredictor } from '../loader.js';
import { isPythonRef, readModelPythonSchema } from '../python/schema.js';
import { buildOpenApi } from '../schema.js';

/**
 * `schema [DIR]`: prints the OpenAPI schema of the model in DIR without running setup. The
 * platform runs it in a child process when it makes a version, so no model code ever runs in
 * the platform's own process.
 */
export async function schemaCommand(args: string[]): Promise<number> {
  if (args.length > 1) throw new Error('expected at most one model folder');
  const dir = resolve(args[0] ?? '.');
  const config = await readCogConfig(dir);
  if (config.predict && isPythonRef(config.predict)) {
    // Read from the source: the model's environment need not exist yet.
    process.stdout.write(`${JSON.stringify(await readModelPythonSchema(dir, config, config.predict), null, 2)}\n`);
    return 0;
  }
  const predictor = await loadPredictor(dir, config);
  process.stdout.write(`${JSON.stringify(buildOpenApi(predictor.inputs, predictor.output), null, 2)}\n`);
  return 0;
}
