// serverless-esbuild's plugins (serverless.yml, custom.esbuild.plugins). Locally
// (ESBUILD_PACKAGES=external, set by local/stack.ts) every handler requires lib/ from its
// TypeScript source instead of bundling a copy of its own, so that the in-process handlers share
// one loaded lib/: one DynamoDB client, one set of caches, one JIT warm-up. serverless-offline
// then runs with `--import tsx` to load it. Packaging for AWS uses none of this.
const path = require('node:path');

const LIB = path.join(__dirname, '..', 'lib') + path.sep;

module.exports =
  process.env.ESBUILD_PACKAGES === 'external'
    ? [
        {
          name: 'shared-lib',
          setup(build) {
            build.onResolve({ filter: /^\.\.?\// }, (args) => {
              const resolved = path.resolve(args.resolveDir, args.path);
              return resolved.startsWith(LIB) ? { path: resolved, external: true } : undefined;
            });
          },
        },
      ]
    : [];
