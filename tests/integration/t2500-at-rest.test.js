// What the ID service keeps on disk: argon2id hashes with the configured
// parameters (upgraded on sign-in when they change), secret tokens only as
// hashes, and everything survives a restart.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const L = require('./lib.js');

let dataDir;
let srv;
let acct;	// { email, password, persistent: Client }

test.before(async () => {
	dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onepass-rest-'));
	srv = await L.startServer({ dataDir });
	acct = await L.newAccount(srv, 'rest');
	acct.persistent = acct.c;
	const r = await L.signIn(acct.c, acct.email, acct.password, 'password');
	assert.equal(r.status, 303);
});

test.after(async () => {
	try {
		if (srv)
			await srv.stop();
	} finally {
		fs.rmSync(dataDir, { recursive: true, force: true });
	}
});

// Every byte the service stored outside the outgoing mail, as latin1 text
// (the database, its WAL, keys...).
function storedBytes() {
	let out = '';
	const walk = (dir) => {
		for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
			const p = path.join(dir, e.name);
			if (e.isDirectory()) {
				if (p !== path.join(dataDir, 'mail'))
					walk(p);
			} else if (e.isFile()) {
				out += fs.readFileSync(p).toString('latin1');
			}
		}
	};
	walk(dataDir);
	return out;
}

async function restart(env = {}) {
	await srv.stop();
	srv = await L.startServer({ dataDir, env });
}

// A client for the restarted server (new port) carrying c's cookies.
function carry(c) {
	const n = new L.Client(srv.url);
	n.jar = new Map(c.jar);
	return n;
}

test('passwords are stored as argon2id with the configured parameters, ' +
    'never in clear', async () => {
	const bytes = storedBytes();
	assert.match(bytes, /\$argon2id\$v=19\$m=19456,t=2,p=1\$/,
	    'an argon2id hash with m=19456 KiB, t=2, p=1');
	assert.ok(!bytes.includes(acct.password), 'the password in clear');
});

test('session tokens are stored only as hashes', async () => {
	const tokens = [];
	for (const ck of acct.persistent.jar.values())
		tokens.push(ck.value);
	const b = new L.Client(srv.url);
	await L.signIn(b, acct.email, acct.password, 'never');
	for (const ck of b.jar.values())
		tokens.push(ck.value);
	const live = tokens.filter((x) => /^[A-Za-z0-9_-]{43}$/.test(x));
	assert.ok(live.length >= 2, 'two session tokens');
	const bytes = storedBytes();
	for (const t of live)
		assert.ok(!bytes.includes(t), `cookie token ${t.slice(0, 8)}... ` +
		    'stored in clear');
});

test('link tokens (verification, reset) are not kept in clear once the ' +
    'mail is delivered', async () => {
	const c = new L.Client(srv.url);
	await c.submit('/password/forgot', { email: acct.email });
	const msgs = await srv.mailTo(acct.email, 2);
	const tokens = [];
	for (const m of msgs)
		for (const l of m.links) {
			const t = new URL(l).searchParams.get('token');
			if (t)
				tokens.push([new URL(l).pathname, t]);
		}
	assert.ok(tokens.length >= 2, 'a verification and a reset token');
	await L.sleep(300);
	const bytes = storedBytes();
	const kept = tokens.filter(([, t]) => bytes.includes(t));
	assert.deepEqual(kept.map(([p]) => p), [], 'live link tokens found ' +
	    'in clear in the data directory (outside mail/): SPEC "every ' +
	    'secret token ... stored only as a hash"');
});

test('`onepass mail list` lists the messages sent', async () => {
	const r = await srv.cli(['mail', 'list']);
	assert.ok(r.stdout.includes(acct.email), r.stdout);
});

test('a restart keeps the IDs and the saved sign-ins', async () => {
	const before = await srv.userList();
	await restart();
	assert.equal(await srv.userList(), before);
	assert.equal(await L.isSignedIn(carry(acct.persistent)), true,
	    'the saved sign-in survives');
	const c = new L.Client(srv.url);
	const r = await L.signIn(c, acct.email, acct.password, 'never');
	assert.equal(r.status, 303);
});

test('with stronger argon2 parameters the hash is upgraded on sign-in',
    async () => {
	await restart({ ONEPASS_PASSWORD_ARGON2_PASSES: '3' });
	assert.doesNotMatch(storedBytes(), /\$argon2id\$v=19\$m=19456,t=3,p=1\$/);
	const c = new L.Client(srv.url);
	const r = await L.signIn(c, acct.email, acct.password, 'never');
	assert.equal(r.status, 303, 'the old hash still verifies');
	await L.sleep(200);
	assert.match(storedBytes(), /\$argon2id\$v=19\$m=19456,t=3,p=1\$/,
	    'rehashed with t=3');
	const c2 = new L.Client(srv.url);
	const r2 = await L.signIn(c2, acct.email, acct.password, 'never');
	assert.equal(r2.status, 303, 'the new hash verifies');
	const wrong = await L.signIn(new L.Client(srv.url), acct.email,
	    acct.password + 'x');
	assert.notEqual(wrong.status, 303);
});
