import { resolve } from 'node:path';
import { PackagingError, type PackedModel, packModel } from '@replicant/server/packaging';
import { CliError } from './errors.js';

/**
 * Packs a model folder into the canonical package the server stores: the same bytes, so the
 * same version id (the sha256 of the tar), that the server assigns when the folder is pushed.
 */
export async function packFolder(dir: string): Promise<PackedModel> {
  try {
    return await packModel(resolve(dir));
  } catch (error) {
    if (error instanceof PackagingError) throw new CliError(error.message);
    throw error;
  }
}
