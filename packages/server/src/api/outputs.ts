import { pipeline } from 'node:stream/promises';
import { ApiError } from '../errors.js';
import type { FileService } from '../services/files.js';
import type { Router } from './http.js';

/** File outputs at capability URLs: the key in the path is the credential (clients fetch them without a token). */
export function outputRoutes(router: Router, deps: { files: FileService }): void {
  router.add(
    'GET',
    '/v1/outputs/{id}/{key}/{name}',
    async (request) => {
      const opened = await deps.files.openOutput(request.params.id as string, request.params.key as string);
      if (!opened) throw new ApiError('NOT_FOUND', 'Not found.');
      request.response.writeHead(200, {
        'content-type': opened.file.contentType,
        'content-length': opened.file.size,
        'cache-control': 'private, max-age=3600',
        'x-content-type-options': 'nosniff',
        'content-disposition': `inline; filename*=UTF-8''${encodeURIComponent(opened.file.name)}`,
      });
      await pipeline(opened.data, request.response);
      return undefined;
    },
    { auth: false },
  );
}
