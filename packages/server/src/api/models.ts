import type { ServerConfig } from '../config.js';
import { ApiError } from '../errors.js';
import { HARDWARE, presentAccount, presentModel, presentVersion } from '../presenters.js';
import type { ModelService } from '../services/models.js';
import type { ModelRecord } from '../store/models.js';
import { type Request, type Router, readBody, readJson } from './http.js';
import { cursorOf, PAGE_SIZE, pageOf } from './paging.js';

/** Account, hardware, models and versions, and the package upload that makes versions. */
export function modelRoutes(router: Router, deps: { config: ServerConfig; models: ModelService }): void {
  const { models, config } = deps;
  const owner = (r: Request) => r.params.owner as string;
  const name = (r: Request) => r.params.name as string;
  const present = async (r: Request, model: ModelRecord) => presentModel(model, r.baseUrl, await models.latestVersion(model));

  router.add('GET', '/v1/account', async (r) => ({ status: 200, body: presentAccount(r.account) }));
  router.add('GET', '/v1/hardware', async () => ({ status: 200, body: HARDWARE }));
  router.add('GET', '/v1/webhooks/default/secret', async (r) => ({ status: 200, body: { key: r.account.webhookSecret } }));

  router.add('GET', '/v1/models', async (r) => {
    const { next, items } = pageOf(r, await models.list(r.account, cursorOf(r), PAGE_SIZE + 1));
    return { status: 200, body: { next, previous: null, results: await Promise.all(items.map((m) => present(r, m))) } };
  });

  router.add('QUERY', '/v1/models', async (r) => {
    // The JS client sends JSON.stringify(query) as text/plain, the Python one the raw text.
    let query = (await readBody(r.raw, 64 * 1024)).toString('utf8').trim();
    try {
      const parsed = JSON.parse(query) as unknown;
      if (typeof parsed === 'string') query = parsed;
    } catch {
      // raw text
    }
    const needle = query.toLowerCase();
    const all = await models.list(r.account, undefined, 1000);
    const hits = all.filter((m) => `${m.owner}/${m.name} ${m.description ?? ''}`.toLowerCase().includes(needle));
    return { status: 200, body: { next: null, previous: null, results: await Promise.all(hits.map((m) => present(r, m))) } };
  });

  router.add('POST', '/v1/models', async (r) => {
    const body = await readJson(r, config.maxBodyBytes);
    const { owner: o, name: n, visibility, hardware } = body;
    if (typeof o !== 'string' || typeof n !== 'string') throw new ApiError('REQUEST_INVALID', '"owner" and "name" are required.');
    if (visibility !== undefined && visibility !== 'public' && visibility !== 'private') {
      throw new ApiError('REQUEST_INVALID', '"visibility" must be "public" or "private".');
    }
    if (hardware !== undefined && !HARDWARE.some((h) => h.sku === hardware)) {
      throw new ApiError('REQUEST_INVALID', `"hardware" must be one of ${HARDWARE.map((h) => h.sku).join(', ')}.`);
    }
    const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : null);
    const model = await models.create(r.account, o, {
      name: n,
      ...(visibility !== undefined && { visibility: visibility as 'public' | 'private' }),
      ...(typeof hardware === 'string' && { hardware }),
      description: text('description'),
      github_url: text('github_url'),
      paper_url: text('paper_url'),
      license_url: text('license_url'),
      cover_image_url: text('cover_image_url'),
    });
    return { status: 201, body: await present(r, model) };
  });

  router.add('GET', '/v1/models/{owner}/{name}', async (r) => ({
    status: 200,
    body: await present(r, await models.get(r.account, owner(r), name(r))),
  }));

  router.add('DELETE', '/v1/models/{owner}/{name}', async (r) => {
    await models.delete(r.account, owner(r), name(r));
    return { status: 204 };
  });

  router.add('GET', '/v1/models/{owner}/{name}/versions', async (r) => {
    const model = await models.get(r.account, owner(r), name(r));
    const { next, items } = pageOf(r, await models.listVersions(model, cursorOf(r), PAGE_SIZE + 1));
    return { status: 200, body: { next, previous: null, results: items.map(presentVersion) } };
  });

  // Our extension: upload a model package (a gzipped tar of the model folder) to make a version.
  router.add('POST', '/v1/models/{owner}/{name}/versions', async (r) => {
    const archive = await readBody(r.raw, config.maxPackageBytes);
    if (archive.length === 0)
      throw new ApiError('PACKAGE_INVALID', 'Send the model package (a gzipped tar of the model folder) as the request body.');
    const { version, created } = await models.upload(r.account, owner(r), name(r), archive, config.maxPackageBytes);
    return { status: created ? 201 : 200, body: presentVersion(version) };
  });

  router.add('GET', '/v1/models/{owner}/{name}/versions/{id}', async (r) => {
    const model = await models.get(r.account, owner(r), name(r));
    return { status: 200, body: presentVersion(await models.version(model, r.params.id as string)) };
  });

  router.add('DELETE', '/v1/models/{owner}/{name}/versions/{id}', async (r) => {
    await models.deleteVersion(r.account, owner(r), name(r), r.params.id as string);
    return { status: 202 };
  });
}
