// Signing key rotation while the server runs: `onepass key rotate` reaches
// the running server within its reload interval (30 s); new ID tokens
// carry the new kid, the old key stays published for tokens already out,
// and `onepass key retire` takes it out of the JWKS at the next reload.
// One test, about a minute: two reload intervals.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

const RELOAD_WAIT_MS = 35000 * L.SLOW;

let srv;

// A rotated key is published [oidc] key_activation_sec before it signs
// (120 s by default); a few seconds here keep the test short.
const ACTIVATION_SEC = 4;

test.before(async () => {
	srv = await L.startServer({
		env: { ONEPASS_OIDC_KEY_ACTIVATION_SEC: String(ACTIVATION_SEC) },
	});
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// `key list` rows: { kid, alg, status }.
async function keyList() {
	const r = await srv.cli(['key', 'list']);
	return r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
		const f = l.split('\t');
		return { kid: f[0], alg: f[1], status: f[3] };
	});
}

async function jwksKids() {
	return (await O.getJwks(srv)).keys.map((k) => k.kid);
}

test('key rotate while running: new kid within 30 s, old kid still ' +
    'published until retired', async () => {
	const cl = await O.addClient(srv, { firstParty: true });
	const rp = await O.rpFor(srv, cl);
	const person = await O.newPerson(srv);

	const before = await keyList();
	const oldRs = before.filter((k) => k.alg === 'RS256' &&
	    k.status === 'current');
	assert.equal(oldRs.length, 1, `key list:\n${JSON.stringify(before)}`);
	const oldKid = oldRs[0].kid;
	const f0 = await O.codeFlow(rp, person);
	assert.equal(O.decodeJwt(f0.tokens.id_token).header.kid, oldKid,
	    'the current key of key list does not sign');

	const rot = await srv.cli(['key', 'rotate']);
	assert.equal(rot.code, 0);
	const after = await keyList();
	// Published at once, signing only after the activation delay: the
	// old key stays current meanwhile.
	const newRs = after.find((k) => k.alg === 'RS256' &&
	    k.status === 'next');
	assert.ok(newRs && newRs.kid !== oldKid, 'rotate made no new key: ' +
	    JSON.stringify(after));
	assert.equal(after.find((k) => k.kid === oldKid).status, 'current');

	// Within the reload interval the running server signs with the new
	// key; its kid is in the JWKS, and so is the old one. (Each try is
	// a fresh relying party: openid-client refetches a JWKS for an
	// unknown kid only once its copy is 60 s old.)
	const t0 = Date.now();
	let flow;
	await L.waitFor(async () => {
		flow = await O.codeFlow(await O.rpFor(srv, cl), person);
		if (O.decodeJwt(flow.tokens.id_token).header.kid === newRs.kid)
			return true;
		await L.sleep(1000);
		return false;
	}, RELOAD_WAIT_MS, 'ID tokens signed with the new key');
	console.log(`new kid in use after ${Date.now() - t0} ms`);
	const kids = await jwksKids();
	assert.ok(kids.includes(newRs.kid), 'new kid not in the JWKS');
	assert.ok(kids.includes(oldKid), 'old kid left the JWKS too early');
	// Tokens of either key verify against the published set.
	await O.verifyWithJwks(srv, flow.tokens.id_token, 'RS256');
	await O.verifyWithJwks(srv, f0.tokens.id_token, 'RS256');
	// The other algorithms rotated too: their new keys are published.
	for (const alg of ['ES256', 'EdDSA']) {
		const fresh = after.find((k) => k.alg === alg &&
		    k.status === 'next');
		assert.ok(fresh, `${alg}: no new key after rotate`);
		assert.ok(kids.includes(fresh.kid), `${alg} new key unpublished`);
	}

	// The current key cannot be retired.
	const refuse = await srv.cli(['key', 'retire', newRs.kid],
	    { allowFail: true });
	assert.notEqual(refuse.code, 0, 'retired the current key');

	const ret = await srv.cli(['key', 'retire', oldKid]);
	assert.equal(ret.code, 0);
	await L.waitFor(async () => {
		if (!(await jwksKids()).includes(oldKid))
			return true;
		await L.sleep(1000);
		return false;
	}, RELOAD_WAIT_MS, 'the retired kid to leave the JWKS');
	assert.ok((await jwksKids()).includes(newRs.kid));
	// A token of the retired key no longer verifies; new ones do.
	await assert.rejects(O.verifyWithJwks(srv, f0.tokens.id_token,
	    'RS256'));
	const f2 = await O.codeFlow(await O.rpFor(srv, cl), person);
	assert.equal(O.decodeJwt(f2.tokens.id_token).header.kid, newRs.kid);
	// An id_token_hint signed by the retired key is no longer trusted:
	// logout asks first.
	const url = rp.C.buildEndSessionUrl(rp.config,
	    { id_token_hint: f0.tokens.id_token });
	const r = await person.c.get(url.toString());
	assert.equal(r.status, 200);
	assert.ok(L.formsOf(r.text).some((f) => f.action === '/logout/confirm'),
	    'no confirmation for a hint of a retired key');
	assert.equal(await L.isSignedIn(person.c), true);
});
