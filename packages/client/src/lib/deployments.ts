import type { Deployment, DeploymentCreateRequest, DeploymentUpdateRequest, Page, Prediction } from '@replicant/protocol';
import { modelPath } from './identifier.js';
import { withoutUndefined } from './models.js';
import { type Context, createPrediction, type PredictionOptions } from './predictions.js';

/** `replicate.deployments`: named, configured releases of a model version. */
export interface DeploymentsResource {
  /** One deployment (`GET /v1/deployments/{owner}/{name}`). */
  get(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<Deployment>;
  /** A page of your deployments (`GET /v1/deployments`). */
  list(options?: { signal?: AbortSignal }): Promise<Page<Deployment>>;
  /** Creates a deployment (`POST /v1/deployments`): name, model, version, hardware, min and max instances. */
  create(config: DeploymentCreateRequest, options?: { signal?: AbortSignal }): Promise<Deployment>;
  /** Changes a deployment (`PATCH /v1/deployments/{owner}/{name}`); the release number goes up. */
  update(owner: string, name: string, config: DeploymentUpdateRequest, options?: { signal?: AbortSignal }): Promise<Deployment>;
  /** Deletes a deployment (`DELETE /v1/deployments/{owner}/{name}`); true when the server answered 204. */
  delete(owner: string, name: string, options?: { signal?: AbortSignal }): Promise<boolean>;
  predictions: {
    /** Runs the deployment (`POST /v1/deployments/{owner}/{name}/predictions`). */
    create(owner: string, name: string, options: PredictionOptions): Promise<Prediction>;
  };
}

export function deploymentsResource(ctx: Context): DeploymentsResource {
  const { http } = ctx;
  return {
    get: async (owner, name, { signal } = {}) => http.json<Deployment>(`/deployments/${modelPath(owner, name)}`, { signal }),
    list: async ({ signal } = {}) => http.json<Page<Deployment>>('/deployments', { signal }),
    async create(config, { signal } = {}) {
      const { name, model, version, hardware, min_instances, max_instances } = config;
      const body = { name, model, version, hardware, min_instances, max_instances };
      return http.json<Deployment>('/deployments', { method: 'POST', json: withoutUndefined(body), signal });
    },
    async update(owner, name, config, { signal } = {}) {
      const { version, hardware, min_instances, max_instances } = config;
      const body = withoutUndefined({ version, hardware, min_instances, max_instances });
      if (Object.keys(body).length === 0)
        throw new TypeError('deployments.update needs at least one of version, hardware, min_instances, max_instances');
      return http.json<Deployment>(`/deployments/${modelPath(owner, name)}`, { method: 'PATCH', json: body, signal });
    },
    async delete(owner, name, { signal } = {}) {
      const response = await http.request(`/deployments/${modelPath(owner, name)}`, { method: 'DELETE', signal });
      await response.body?.cancel().catch(() => undefined);
      return response.status === 204;
    },
    predictions: {
      create: async (owner, name, options) => createPrediction(ctx, `/deployments/${modelPath(owner, name)}/predictions`, options),
    },
  };
}
