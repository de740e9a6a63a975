// Writes the password blocklist: the "passwords" frequency list of zxcvbn
// (drawn from breached password corpora), lower-cased, unique, sorted
// bytewise so the C side can binary-search it. Generated at build time from
// the npm package; never edited by hand.
'use strict';
const fs = require('fs');
const lists = require('zxcvbn/lib/frequency_lists.js');
const out = process.argv[2];
const words = new Set(lists.passwords.map((w) => w.toLowerCase()));
const sorted = [...words].filter((w) => w.length > 0)
  .sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
fs.writeFileSync(out, sorted.join('\n') + '\n');
