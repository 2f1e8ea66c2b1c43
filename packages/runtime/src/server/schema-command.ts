import { resolve } from 'node:path';
import { readCogConfig, splitReference } from '../config.js';
import { loadPredictor } from '../loader.js';
import { findPython } from '../python/interpreter.js';
import { readPythonSchema } from '../python/schema.js';
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
  if (config.predict && splitReference(config.predict).file.endsWith('.py')) {
    // Read from the source: the model's environment need not exist yet.
    const python = await findPython(config.build.pythonVersion);
    process.stdout.write(`${JSON.stringify(await readPythonSchema(python.path, dir, config.predict), null, 2)}\n`);
    return 0;
  }
  const predictor = await loadPredictor(dir, config);
  process.stdout.write(`${JSON.stringify(buildOpenApi(predictor.inputs, predictor.output), null, 2)}\n`);
  return 0;
}
