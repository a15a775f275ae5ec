import { join } from 'node:path';
import { serveStatic } from '../lib/http/static';

/**
 * The web console (/console/) and the API reference (/docs/): public, built files, no database.
 * dist/web sits beside functions/ in the source tree, in the local bundle and in the AWS package.
 */
export const handler = serveStatic(join(__dirname, '..', 'dist', 'web'));
