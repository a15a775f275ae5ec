/**
 * Builds the web console (web/console, Preact) and the API reference page (web/docs, Swagger UI)
 * into dist/web/, the folder `functions/serveConsole.ts` serves. Run by local/stack.ts before
 * serverless-offline starts and by `npm run package`; serverless.yml packages dist/web/** with the
 * functions. Every file but the two index pages is named by its content hash, so it can be cached
 * for a year; the index pages are revalidated on each load.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(__dirname, '..');

export const WEB_DIST = join(ROOT, 'dist', 'web');

const hashed = (name: string, body: Buffer | string) => {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
  return `${basename(name, extname(name))}-${hash}${extname(name)}`;
};

/** An index page; asset URLs are absolute, as the page is served at both `/console` and `/console/`. */
const page = (title: string, styles: string[], scripts: string[], body: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
${styles.map((href) => `<link rel="stylesheet" href="/${href}">`).join('\n')}
</head>
<body>
${body}
${scripts.map((src) => `<script src="/${src}"></script>`).join('\n')}
</body>
</html>
`;

/** Bundle one entry point (minified, no source map) and return its content. */
async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    target: ['chrome120', 'firefox120', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'warning',
  });
  return out.outputFiles[0]!.text;
}

export async function buildWeb(into = WEB_DIST): Promise<void> {
  const tmp = `${into}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const files = new Map<string, string | Buffer>();
  const add = (dir: string, name: string, body: string | Buffer) => {
    const file = hashed(name, body);
    files.set(`${dir}/${file}`, body);
    return `${dir}/${file}`;
  };

  const appJs = add('console', 'app.js', await bundle('web/console/main.tsx'));
  const appCss = add('console', 'console.css', readFileSync(join(ROOT, 'web/console/console.css')));
  files.set('console/index.html', page('CEN Console', [appCss], [appJs], '<div id="app"></div>'));

  const swagger = dirname(require.resolve('swagger-ui-dist/package.json'));
  const uiJs = add('docs', 'swagger-ui-bundle.js', readFileSync(join(swagger, 'swagger-ui-bundle.js')));
  const uiCss = add('docs', 'swagger-ui.css', readFileSync(join(swagger, 'swagger-ui.css')));
  const initJs = add('docs', 'init.js', await bundle('web/docs/init.ts'));
  files.set(
    'docs/index.html',
    page('CEN Bandwidth Service API reference', [uiCss], [uiJs, initJs], '<main id="swagger-ui"></main>'),
  );

  for (const [path, body] of files) {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), body);
  }
  // Stacks started at once build at once: every step here is a rename (atomic) or touches only
  // this build's own folders, so no build ever deletes files another one is moving in.
  const old = `${into}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(into, old);
  } catch {
    // None yet, or another build moved it aside first.
  }
  try {
    renameSync(tmp, into);
  } catch (error) {
    // Another stack's build of the same sources got there first: its output is this one's.
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(into)) throw error;
  }
  rmSync(old, { recursive: true, force: true });
}

if (require.main === module) {
  const started = Date.now();
  buildWeb().then(
    () => console.log(`web console and API reference built into dist/web (${Date.now() - started} ms)`),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
