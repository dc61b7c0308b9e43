// sigstore-js signs against a signet instance with a token from signet's dev OIDC issuer:
// FulcioSigner (ephemeral key + certificate from signet's CA) and RekorWitness (signet's log),
// assembled the way `sigstore.sign` / `sigstore.attest` assemble them (sigstore/dist/config.js).
// Writes the bundle JSON. Exit 0 = signed.
//
//   node sign.mjs --kind KIND --artifact FILE --token FILE --out BUNDLE
//        (--fulcio URL --rekor URL | --signing-config signing_config.json)
//
//        [--image-digest sha256:HEX]   (dsse: the statement is cosign v3's image signature
//                                       over that image digest, predicate
//                                       https://sigstore.dev/cosign/sign/v1; --artifact unused)
// KIND: message  (MessageSignatureBundleBuilder, hashedrekord entry)
//       dsse     (DSSEBundleBuilder, an in-toto statement naming FILE by its sha256; dsse entry)
//       intoto   (the same statement, logged as an intoto v0.0.2 entry: npm's legacy format)
// With --signing-config the builder comes from @sigstore/sign's bundleBuilderFromSigningConfig,
// reading the instance's signing_config.json (CA and log URLs) the way sigstore-js clients do.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundle, sign, specs, run } from './peer.mjs';

const { values: a } = parseArgs({
  options: {
    kind: { type: 'string' },
    artifact: { type: 'string' },
    token: { type: 'string' },
    out: { type: 'string' },
    fulcio: { type: 'string' },
    rekor: { type: 'string' },
    'signing-config': { type: 'string' },
    'image-digest': { type: 'string' },
  },
});

const fetchOptions = { retry: { retries: 0 }, timeout: 10000 };

function builder(kind, identityProvider) {
  const bundleType = kind === 'message' ? 'messageSignature' : 'dsseEnvelope';
  if (a['signing-config']) {
    if (kind === 'intoto') throw new Error('a signing config cannot choose the intoto entry type');
    const signingConfig = specs.SigningConfig.fromJSON(JSON.parse(readFileSync(a['signing-config'], 'utf8')));
    return sign.bundleBuilderFromSigningConfig({ signingConfig, identityProvider, bundleType, fetchOptions });
  }
  if (!a.fulcio || !a.rekor) throw new Error('need --fulcio and --rekor, or --signing-config');
  const signer = new sign.FulcioSigner({ fulcioBaseURL: a.fulcio, identityProvider, ...fetchOptions });
  const witnesses = [
    new sign.RekorWitness({
      rekorBaseURL: a.rekor,
      entryType: kind === 'intoto' ? 'intoto' : 'dsse',
      fetchOnConflict: false,
      ...fetchOptions,
    }),
  ];
  return kind === 'message'
    ? new sign.MessageSignatureBundleBuilder({ signer, witnesses })
    : new sign.DSSEBundleBuilder({ signer, witnesses });
}

run(async () => {
  if (!['message', 'dsse', 'intoto'].includes(a.kind)) throw new Error('--kind message|dsse|intoto');
  if (!(a.artifact || a['image-digest']) || !a.token || !a.out) {
    throw new Error('--artifact (or --image-digest), --token and --out are required');
  }
  const token = readFileSync(a.token, 'utf8').trim();
  const identityProvider = { getToken: () => Promise.resolve(token) };
  let input;
  if (a['image-digest']) {
    const [alg, hex] = a['image-digest'].split(':');
    if (alg !== 'sha256' || !/^[0-9a-f]{64}$/.test(hex ?? '')) throw new Error('--image-digest sha256:<hex>');
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ digest: { sha256: hex }, annotations: {} }],
      predicateType: 'https://sigstore.dev/cosign/sign/v1',
      predicate: {},
    };
    input = { data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' };
  } else if (a.kind === 'message') {
    const artifact = readFileSync(a.artifact);
    input = { data: artifact };
  } else {
    const artifact = readFileSync(a.artifact);
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [
        {
          name: path.basename(a.artifact),
          digest: { sha256: createHash('sha256').update(artifact).digest('hex') },
        },
      ],
      predicateType: 'https://signet.dev/interop/js/v1',
      predicate: { signer: 'sigstore-js' },
    };
    input = { data: Buffer.from(JSON.stringify(statement)), type: 'application/vnd.in-toto+json' };
  }
  const b = await builder(a.kind, identityProvider).create(input);
  writeFileSync(a.out, JSON.stringify(bundle.bundleToJSON(b)));
  const entry = b.verificationMaterial.tlogEntries[0];
  console.log(`signed: ${a.out} (${entry?.kindVersion?.kind} entry, index ${entry?.logIndex})`);
});
