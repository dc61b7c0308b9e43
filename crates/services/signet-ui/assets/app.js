// signet log explorer: in-browser file hashing and inclusion verification.
// Hand-written, no dependencies. Everything is checked with WebCrypto against the log key
// of the instance's trusted root (/signet/v1/trust_config.json), never a key from the page.
'use strict';
(function () {
  const TRUST_URL = '/signet/v1/trust_config.json';
  const subtle = window.crypto && window.crypto.subtle;

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  function unhex(s) {
    if (typeof s !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(s)) throw new Error('not hexadecimal');
    const out = new Uint8Array(s.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(i * 2, 2), 16);
    return out;
  }
  function unb64(s) {
    if (typeof s !== 'string') throw new Error('not base64');
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  }
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  const sha256 = async (bytes) => new Uint8Array(await subtle.digest('SHA-256', bytes));
  // RFC 6962 hashes.
  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

  // RFC 9162 section 2.1.3.2: the root an inclusion proof leads to.
  async function rootFromProof(index, size, leaf, path) {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
      throw new Error('leaf index ' + index + ' is not inside tree size ' + size);
    }
    let fn = index, sn = size - 1, r = leaf;
    for (const p of path) {
      if (p.length !== 32) throw new Error('an audit path hash is not 32 bytes');
      if (sn === 0) throw new Error('the audit path is longer than the tree needs');
      if (fn % 2 === 1 || fn === sn) {
        r = await nodeHash(p, r);
        if (fn % 2 === 0) {
          while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error('the audit path is shorter than the tree needs');
    return r;
  }

  // ASN.1 DER ECDSA-Sig-Value -> the fixed-size r||s WebCrypto takes (P-256: 64 bytes).
  function derToP1363(der) {
    let at = 0;
    const take = () => { if (at >= der.length) throw new Error('truncated signature'); return der[at++]; };
    const len = () => { const l = take(); if (l & 0x80) throw new Error('signature length form'); return l; };
    if (take() !== 0x30) throw new Error('signature is not a DER SEQUENCE');
    if (len() !== der.length - 2) throw new Error('signature length mismatch');
    const int = () => {
      if (take() !== 0x02) throw new Error('signature part is not an INTEGER');
      const l = len();
      let v = der.slice(at, at + l); at += l;
      if (v.length !== l) throw new Error('truncated signature');
      while (v.length > 32 && v[0] === 0) v = v.slice(1);
      if (v.length > 32) throw new Error('signature integer too long for P-256');
      return concat(new Uint8Array(32 - v.length), v);
    };
    const r = int(), s = int();
    if (at !== der.length) throw new Error('trailing bytes after the signature');
    return concat(r, s);
  }

  // A signed note (checkpoint): text, origin, size, root and signature lines.
  function parseCheckpoint(note) {
    const split = note.indexOf('\n\n');
    if (split < 0) throw new Error('checkpoint has no signature block');
    const text = note.slice(0, split + 1);
    const lines = text.split('\n');
    if (lines.length < 4) throw new Error('checkpoint has fewer than three lines');
    if (!/^[0-9]+$/.test(lines[1])) throw new Error('checkpoint size is not a number');
    const sigs = note.slice(split + 2).split('\n').filter((l) => l.length > 0).map((l) => {
      if (!l.startsWith('\u2014 ')) throw new Error('checkpoint signature line does not start with an em dash');
      const parts = l.slice(2).split(' ');
      if (parts.length !== 2) throw new Error('checkpoint signature line is not "name signature"');
      const raw = unb64(parts[1]);
      if (raw.length < 5) throw new Error('checkpoint signature too short');
      return { name: parts[0], hint: raw.slice(0, 4), sig: raw.slice(4) };
    });
    return { text, origin: lines[0], size: Number(lines[1]), root: unb64(lines[2]), sigs };
  }

  async function fetchJson(url) {
    const r = await fetch(url, { credentials: 'omit', cache: 'no-store' });
    if (!r.ok) throw new Error(url + ' answered HTTP ' + r.status);
    return r.json();
  }

  // The log key for `logIdHex` from the instance's trusted root.
  async function logKey(logIdHex) {
    const trust = await fetchJson(TRUST_URL);
    const root = trust.trustedRoot || trust;
    const tlogs = Array.isArray(root.tlogs) ? root.tlogs : [];
    for (const t of tlogs) {
      if (!t.logId || !t.publicKey || !t.publicKey.rawBytes) continue;
      if (hex(unb64(t.logId.keyId)) !== logIdHex) continue;
      if (t.publicKey.keyDetails !== 'PKIX_ECDSA_P256_SHA_256') {
        throw new Error('the trusted root lists this log with key type ' + t.publicKey.keyDetails + ', which this page does not check');
      }
      const spki = unb64(t.publicKey.rawBytes);
      const key = await subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
      return { key, spki, baseUrl: t.baseUrl };
    }
    throw new Error('the instance\'s trusted root lists no log with ID ' + logIdHex);
  }

  const ecdsa = (key, sigDer, data) =>
    subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, derToP1363(sigDer), data);

  async function verifyEntry(section, done) {
    const uuid = section.dataset.uuid;
    const entryId = section.dataset.entry;
    if (!subtle) throw new Error('this browser has no WebCrypto (the page must be served over HTTPS or from localhost)');
    const entries = await fetchJson('/api/v1/log/entries/' + encodeURIComponent(entryId));
    const anon = entries[entryId] || Object.values(entries)[0];
    if (!anon || typeof anon.body !== 'string') throw new Error('the log served no entry body');
    const body = unb64(anon.body);
    const leaf = await leafHash(body);
    if (hex(leaf) !== uuid) throw new Error('the leaf hash of the served body is not this entry\'s UUID');
    done('The leaf hash of the body, SHA-256(0x00 || body), is the entry\'s UUID ' + uuid + '.');

    const ver = anon.verification || {};
    const p = ver.inclusionProof;
    if (!p) throw new Error('the log served no inclusion proof');
    const path = (p.hashes || []).map(unhex);
    const root = await rootFromProof(p.logIndex, p.treeSize, leaf, path);
    if (!same(root, unhex(p.rootHash))) throw new Error('the inclusion proof leads to root ' + hex(root) + ', not the proof\'s root hash ' + p.rootHash);
    done('The audit path (' + path.length + ' hashes) leads from the leaf at index ' + p.logIndex + ' to root ' + p.rootHash + ' of a tree of ' + p.treeSize + ' entries.');

    const cp = parseCheckpoint(p.checkpoint || '');
    if (cp.size !== p.treeSize || !same(cp.root, unhex(p.rootHash))) throw new Error('the checkpoint is for another tree (size ' + cp.size + ') or root than the proof');
    const { key, spki } = await logKey(anon.logID);
    const keyId = await sha256(spki);
    if (hex(keyId) !== anon.logID) throw new Error('the log ID is not the SHA-256 of the trusted key');
    const hint = keyId.slice(0, 4);
    let signed = false;
    for (const s of cp.sigs) {
      if (same(s.hint, hint) && await ecdsa(key, s.sig, new TextEncoder().encode(cp.text))) { signed = true; break; }
    }
    if (!signed) throw new Error('no checkpoint signature verifies with the log key of the instance\'s trusted root');
    done('The checkpoint for that root ("' + cp.origin + '", size ' + cp.size + ') is signed by the log key of this instance\'s trusted root (ECDSA P-256).');

    if (ver.signedEntryTimestamp) {
      // The SET signs the RFC 8785 canonical JSON of these four fields (keys in this order).
      const payload = JSON.stringify({ body: anon.body, integratedTime: anon.integratedTime, logID: anon.logID, logIndex: anon.logIndex });
      if (!await ecdsa(key, unb64(ver.signedEntryTimestamp), new TextEncoder().encode(payload))) {
        throw new Error('the signed entry timestamp does not verify with the log key');
      }
      done('The signed entry timestamp (integrated time ' + anon.integratedTime + ', index ' + anon.logIndex + ') verifies with the same key.');
    }
  }

  function setupVerification() {
    const section = document.getElementById('verification');
    if (!section) return;
    const status = document.getElementById('inclusion-status');
    const list = document.getElementById('inclusion-checks');
    const done = (text) => { const li = document.createElement('li'); li.textContent = text; list.appendChild(li); };
    status.textContent = 'Checking inclusion in your browser\u2026';
    verifyEntry(section, done).then(() => {
      status.textContent = 'Inclusion verified in your browser';
      status.className = 'ok';
      document.body.dataset.inclusion = 'verified';
    }, (e) => {
      status.textContent = 'Inclusion NOT verified: ' + (e && e.message ? e.message : String(e));
      status.className = 'bad';
      document.body.dataset.inclusion = 'failed';
    });
  }

  function setupDrop() {
    const input = document.getElementById('file');
    const zone = document.getElementById('dropzone');
    const status = document.getElementById('file-status');
    if (!input || !zone) return;
    async function hashFile(file) {
      if (!subtle) { status.textContent = 'This browser has no WebCrypto; search by SHA-256 instead.'; return; }
      status.textContent = 'Hashing ' + file.name + ' in your browser\u2026';
      const digest = hex(await sha256(new Uint8Array(await file.arrayBuffer())));
      status.textContent = file.name + ': sha256:' + digest;
      window.location.assign('/ui/?by=hash&q=sha256%3A' + digest);
    }
    const fail = (e) => { status.textContent = 'Could not hash the file: ' + e.message; };
    input.addEventListener('change', () => { if (input.files && input.files[0]) hashFile(input.files[0]).catch(fail); });
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (f) hashFile(f).catch(fail);
    });
    zone.addEventListener('keydown', (e) => {
      if (e.target === zone && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); input.click(); }
    });
  }

  document.addEventListener('DOMContentLoaded', () => { setupVerification(); setupDrop(); });
})();
