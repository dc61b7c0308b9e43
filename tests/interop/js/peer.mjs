// Loads the pinned sigstore-js packages from the folder `npm ci` installed them into
// ($SIGNET_INTEROP_NPM, e.g. target/interop-npm; see package.json here), so these scripts need no
// node_modules next to them and no build step.
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = process.env.SIGNET_INTEROP_NPM;
if (!dir) {
  console.error('SIGNET_INTEROP_NPM must name the folder holding node_modules (npm ci --prefix DIR)');
  process.exit(2);
}
const require = createRequire(path.resolve(dir, 'package.json'));

export const bundle = require('@sigstore/bundle');
export const core = require('@sigstore/core');
export const specs = require('@sigstore/protobuf-specs');
export const sign = require('@sigstore/sign');
export const verify = require('@sigstore/verify');

// Runs main(), prints any error on stderr and exits non-zero: the shell driver reads the exit code.
export function run(main) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(`${err?.code ?? err?.name ?? 'Error'}: ${err?.message ?? err}`);
      if (err?.cause) console.error(`  cause: ${err.cause?.message ?? err.cause}`);
      process.exit(1);
    },
  );
}
