import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { OpenApiDocument } from '@replicant/protocol';
import { RUNTIME_MAIN } from '@replicant/runtime/server';
import type { Clock } from '../clock.js';
import type { PackageCache } from '../director/package-cache.js';
import { instanceEnvironment } from '../environment.js';
import { ApiError } from '../errors.js';
import type { BlobStore } from '../files/blob-store.js';
import { randomId } from '../ids.js';
import { PackagingError, packModel, unpackModel } from '../packaging/index.js';
import type { AccountRecord } from '../store/accounts.js';
import type { Position } from '../store/cursor.js';
import type { Db } from '../store/db.js';
import { deleteModel, findModel, getModelById, insertModel, listModels, type ModelRecord, setLatestVersion } from '../store/models.js';
import {
  countVersions,
  deleteVersion,
  findVersionsById,
  getVersion,
  insertVersion,
  listVersions,
  type VersionRecord,
} from '../store/versions.js';

const run = promisify(execFile);
const NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** What `POST /v1/models` takes. */
export interface CreateModel {
  name: string;
  visibility?: 'public' | 'private';
  hardware?: string;
  description?: string | null;
  github_url?: string | null;
  paper_url?: string | null;
  license_url?: string | null;
  cover_image_url?: string | null;
}

/** Models and their versions: content-addressed packages with the schema their predictor declares. */
export class ModelService {
  readonly #db: Db;
  readonly #blobs: BlobStore;
  readonly #clock: Clock;
  readonly #packages: PackageCache;

  constructor(deps: { db: Db; blobs: BlobStore; clock: Clock; packages: PackageCache }) {
    this.#db = deps.db;
    this.#blobs = deps.blobs;
    this.#clock = deps.clock;
    this.#packages = deps.packages;
  }

  async create(account: AccountRecord, owner: string, request: CreateModel): Promise<ModelRecord> {
    if (owner !== account.username) throw new ApiError('REQUEST_INVALID', `You can only create models owned by ${account.username}.`);
    if (!NAME.test(request.name))
      throw new ApiError('REQUEST_INVALID', 'A model name is lowercase letters, digits, ".", "_" or "-", at most 100 characters.');
    if (await findModel(this.#db, owner, request.name))
      throw new ApiError('REQUEST_INVALID', `The model ${owner}/${request.name} already exists.`);
    const model = {
      id: randomId(),
      accountId: account.id,
      owner,
      name: request.name,
      visibility: request.visibility ?? 'private',
      hardware: request.hardware ?? 'cpu',
      description: request.description ?? null,
      githubUrl: request.github_url ?? null,
      paperUrl: request.paper_url ?? null,
      licenseUrl: request.license_url ?? null,
      coverImageUrl: request.cover_image_url ?? null,
      createdAt: new Date(this.#clock.now()).toISOString(),
    };
    await insertModel(this.#db, model);
    return { ...model, runCount: 0, latestVersionId: null };
  }

  /** A model this account may see: its own, or a public one. Others get 404. */
  async get(account: AccountRecord, owner: string, name: string): Promise<ModelRecord> {
    const model = await findModel(this.#db, owner, name);
    if (!model || (model.accountId !== account.id && model.visibility !== 'public')) throw new ApiError('MODEL_NOT_FOUND', 'Not found.');
    return model;
  }

  /** A model this account owns (to change it). */
  async own(account: AccountRecord, owner: string, name: string): Promise<ModelRecord> {
    const model = await this.get(account, owner, name);
    if (model.accountId !== account.id) throw new ApiError('MODEL_NOT_FOUND', 'Not found.');
    return model;
  }

  list(account: AccountRecord, after: Position | undefined, limit: number): Promise<ModelRecord[]> {
    return listModels(this.#db, account.id, after, limit);
  }

  async delete(account: AccountRecord, owner: string, name: string): Promise<void> {
    const model = await this.own(account, owner, name);
    if ((await countVersions(this.#db, model.id)) > 0) throw new ApiError('REQUEST_INVALID', "Delete the model's versions first.");
    await deleteModel(this.#db, model.id);
  }

  async latestVersion(model: ModelRecord): Promise<VersionRecord | undefined> {
    return model.latestVersionId ? getVersion(this.#db, model.id, model.latestVersionId) : undefined;
  }

  async version(model: ModelRecord, id: string): Promise<VersionRecord> {
    const version = await getVersion(this.#db, model.id, id);
    if (!version) throw new ApiError('VERSION_NOT_FOUND', 'Not found.');
    return version;
  }

  listVersions(model: ModelRecord, after: Position | undefined, limit: number): Promise<VersionRecord[]> {
    return listVersions(this.#db, model.id, after, limit);
  }

  async deleteVersion(account: AccountRecord, owner: string, name: string, id: string): Promise<void> {
    const model = await this.own(account, owner, name);
    await this.version(model, id);
    await deleteVersion(this.#db, model.id, id);
    if (model.latestVersionId === id)
      await setLatestVersion(this.#db, model.id, (await listVersions(this.#db, model.id, undefined, 1))[0]?.id ?? null);
  }

  /** Versions with this id, in any model (visibility is the caller's to check). */
  versionsById(id: string): Promise<VersionRecord[]> {
    return findVersionsById(this.#db, id);
  }

  async modelById(id: string): Promise<ModelRecord | undefined> {
    return getModelById(this.#db, id);
  }

  /**
   * Makes a version of a model from a model folder (`--models`), creating the model if needed.
   * An unchanged folder gives the same version id, and nothing new is stored.
   */
  async registerFolder(account: AccountRecord, dir: string): Promise<{ model: ModelRecord; version: VersionRecord; created: boolean }> {
    const name = basename(dir)
      .toLowerCase()
      .replace(/[^a-z0-9._-]/g, '-');
    const model =
      (await findModel(this.#db, account.username, name)) ??
      (await this.create(account, account.username, { name, visibility: 'private' }));
    const packed = await packModel(dir);
    return this.#addVersion(model, packed.archive, packed.id);
  }

  /**
   * Makes a version from an uploaded package (our extension: `POST /v1/models/{o}/{n}/versions`
   * with a gzipped tar). It is unpacked safely and packed again, so the id is always the hash of
   * the canonical archive of its contents.
   */
  async upload(
    account: AccountRecord,
    owner: string,
    name: string,
    archive: Buffer,
    maxBytes: number,
  ): Promise<{ version: VersionRecord; created: boolean }> {
    const model = await this.own(account, owner, name);
    const scratch = await mkdtemp(join(tmpdir(), 'replicant-upload-'));
    try {
      const dir = join(scratch, 'model');
      try {
        await unpackModel(archive, dir, { maxBytes });
        const packed = await packModel(dir, { maxBytes });
        return await this.#addVersion(model, packed.archive, packed.id);
      } catch (error) {
        if (error instanceof PackagingError) throw new ApiError('PACKAGE_INVALID', error.message);
        throw error;
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  async #addVersion(
    model: ModelRecord,
    archive: Buffer,
    id: string,
  ): Promise<{ model: ModelRecord; version: VersionRecord; created: boolean }> {
    const existing = await getVersion(this.#db, model.id, id);
    if (existing) return { model, version: existing, created: false };
    const key = `packages/${model.id}/${id}.tar.gz`;
    const draft = { modelId: model.id, id, packageKey: key };
    // The schema is read in the folder this node's instances will run from: whatever reading it
    // needs (a TypeScript model's npm dependencies) is installed once there and reused by setup,
    // never in the author's folder. The package is stored only once its schema has been read.
    const unpacked = await this.#packages.folder(draft, archive);
    let schema: OpenApiDocument;
    try {
      schema = await readSchema(unpacked);
      await this.#blobs.put(key, archive);
    } catch (error) {
      // No version: nothing of it is kept.
      await rm(unpacked, { recursive: true, force: true });
      throw error;
    }
    const version: VersionRecord = {
      ...draft,
      cogVersion: '0.1.0',
      openapiSchema: schema,
      packageSize: archive.length,
      createdAt: new Date(this.#clock.now()).toISOString(),
    };
    await insertVersion(this.#db, version);
    await setLatestVersion(this.#db, model.id, id);
    return { model: { ...model, latestVersionId: id }, version, created: true };
  }
}

/** The schema a model folder declares, read by the runtime in a child process (model code never runs here). */
async function readSchema(dir: string): Promise<OpenApiDocument> {
  try {
    const { stdout } = await run(process.execPath, [RUNTIME_MAIN, 'schema', dir], {
      env: instanceEnvironment({}),
      cwd: dir,
      // Long enough for installing a model's npm dependencies, which reading its schema may need.
      timeout: 10 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(stdout) as OpenApiDocument;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new ApiError('PACKAGE_INVALID', `The model's predictor could not be loaded: ${stderr || (error as Error).message}`);
  }
}
