// sigstore-js verifies a bundle against an explicit trusted root, as `sigstore.verify` does after
// fetching the root over TUF (sigstore/dist/sigstore.js createVerifier): toTrustMaterial +
// Verifier with tlog/ctlog thresholds + a certificate identity/issuer policy (or a public key for
// managed-key bundles). Exit 0 = verified.
//
//   node verify.mjs --bundle B --trusted-root T [--artifact FILE]
//        (--identity SAN --issuer URL | --key PEM) [--subject FILE]... [--subject-digest sha256:HEX]
//
// --artifact is required for message signatures (sigstore-js hashes it); for DSSE bundles the
// signature covers the envelope, and each --subject FILE must be named, with its sha256, by the
// in-toto statement (what npm does with provenance subjects); --subject-digest names a subject
// by digest alone (a container image's manifest digest, as cosign v3's bundles do).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bundle, core, specs, verify, run } from './peer.mjs';

const { values: a } = parseArgs({
  options: {
    bundle: { type: 'string' },
    'trusted-root': { type: 'string' },
    artifact: { type: 'string' },
    identity: { type: 'string' },
    issuer: { type: 'string' },
    key: { type: 'string' },
    subject: { type: 'string', multiple: true, default: [] },
    'subject-digest': { type: 'string' },
  },
});

run(async () => {
  if (!a.bundle || !a['trusted-root']) throw new Error('--bundle and --trusted-root are required');
  if (!a.key && !(a.identity && a.issuer)) throw new Error('need --key, or --identity and --issuer');
  const trustedRoot = specs.TrustedRoot.fromJSON(JSON.parse(readFileSync(a['trusted-root'], 'utf8')));
  let keys;
  if (a.key) {
    const pem = readFileSync(a.key, 'utf8'); // a string: a Buffer would be read as DER
    // A KeyFinderFunc as sigstore's createKeyFinder builds from a keySelector.
    keys = () => ({ publicKey: core.crypto.createPublicKey(pem), validFor: () => true });
  }
  const trust = verify.toTrustMaterial(trustedRoot, keys);
  const verifier = new verify.Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1 });
  const b = bundle.bundleFromJSON(JSON.parse(readFileSync(a.bundle, 'utf8')));
  const data = a.artifact ? readFileSync(a.artifact) : undefined;
  const policy = a.key ? {} : { subjectAlternativeName: a.identity, extensions: { issuer: a.issuer } };
  const signer = verifier.verify(verify.toSignedEntity(b, data), policy);

  if (a.subject.length > 0) {
    if (b.content.$case !== 'dsseEnvelope') throw new Error('--subject needs a DSSE bundle');
    const statement = JSON.parse(b.content.dsseEnvelope.payload.toString('utf8'));
    for (const file of a.subject) {
      const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
      const name = path.basename(file);
      const hit = (statement.subject ?? []).find((s) => s.name === name);
      if (!hit) throw new Error(`statement names no subject ${name}`);
      if (hit.digest?.sha256 !== digest) throw new Error(`subject ${name}: sha256 differs`);
    }
  }
  if (a['subject-digest']) {
    if (b.content.$case !== 'dsseEnvelope') throw new Error('--subject-digest needs a DSSE bundle');
    const statement = JSON.parse(b.content.dsseEnvelope.payload.toString('utf8'));
    const hex = a['subject-digest'].replace(/^sha256:/, '');
    if (!(statement.subject ?? []).some((s) => s.digest?.sha256 === hex)) {
      throw new Error(`statement names no subject with sha256 ${hex}`);
    }
  }
  const who = signer.identity?.subjectAlternativeName ?? 'public key';
  console.log(`verified: ${a.bundle} (${who})`);
});
