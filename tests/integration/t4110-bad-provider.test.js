// CustomerSource as a client of a provider that misbehaves on purpose
// (fake-op/server.js): every ID token that is wrong in one way (audience,
// nonce, issuer, signature, alg none, HMAC, expiry, ...) is refused with a
// 400 page and no session; a provider that does not ask for the password
// again when the confirm step asks (auth_time older than the click, or
// none) cannot complete an association. A good token from the same
// provider works, so each refusal is about the token alone.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const L = require('./lib.js');
const B = require('./biz-lib.js');
const { FakeOp } = require('./fake-op/server.js');

const COMPANY = 'Example Business Solutions';
const ID_NAME = 'onepass ID';

let srv;
let op;
const client = {
	client_id: 'fake-customersource',
	client_secret: crypto.randomBytes(24).toString('base64url'),
};

test.before(async () => {
	op = new FakeOp();
	await op.start();
	const bizPort = await L.freePort();
	client.redirect_uris =
	    [`http://127.0.0.1:${bizPort}/customersource/callback`];
	op.addClient(client);
	srv = await B.startBiz({ bizPort, env: {
		ONEPASS_PORTAL_CUSTOMERSOURCE_ISSUER: op.issuer,
		ONEPASS_PORTAL_CUSTOMERSOURCE_CLIENT_ID: client.client_id,
		ONEPASS_PORTAL_CUSTOMERSOURCE_CLIENT_SECRET:
		    client.client_secret,
	} });
});

test.after(async () => {
	if (srv)
		await srv.stop();
	if (op)
		await op.stop();
});

let subSeq = 0;

// A person known to the fake provider by a fresh subject. The fake signs
// in whoever comes with the subject set last, so set it before browsing.
function fakePerson(tag) {
	subSeq++;
	const p = B.personFor(srv, `${tag}-${subSeq}@fake.example`, 'unused');
	p.sub = `fake-${tag}-${subSeq}-${crypto.randomBytes(4).toString('hex')}`;
	return p;
}

function as(p, mode = 'good') {
	op.set({ mode, sub: p.sub, email: p.email });
}

test('a good token from the fake provider signs in (PKCE, Basic auth, ' +
    'state, nonce, iss all as a real provider wants)', async () => {
	const p = fakePerson('good');
	as(p);
	const n = op.log.length;
	const b = await B.openPortal(p, '/customersource');
	assert.equal(B.pathOf(b.url), '/customersource/associate',
	    `ended at ${b.url}: ${L.textOf(b.page.text).slice(0, 300)}`);
	assert.equal(B.sessionSteps(b).length, 1, 'one session started');
	const az = op.log.slice(n).find((e) => e.path === '/authorize');
	assert.ok(az, 'the portal sent the browser to the fake provider');
	assert.equal(az.query.client_id, client.client_id);
	assert.equal(az.query.code_challenge_method, 'S256');
	assert.ok(az.query.nonce && az.query.state);
	const tk = op.log.slice(n).find((e) => e.path === '/token');
	assert.ok(tk, 'the code was exchanged');
	assert.match(String(tk.headers.authorization), /^Basic /);
	assert.deepEqual(op.errors, [], 'the token endpoint refused something');
});

test('PartnerSource, a client of the local ID service, does not take a ' +
    'session from CustomerSource\'s provider as a sign-in', async () => {
	const p = fakePerson('mixed');
	as(p);
	const b = await B.openPortal(p, '/customersource');
	assert.equal(B.sessionSteps(b).length, 1);
	const ps = await p.biz.get('/partnersource');
	assert.equal(ps.status, 302);
	const to = new URL(ps.location, srv.biz);
	assert.equal(to.origin + to.pathname, `${srv.url}/authorize`,
	    `PartnerSource sent an identity of ${op.issuer} to ${to}`);
});

const BAD = [
	['wrong-aud', 'an ID token for another client'],
	['aud-extra', 'several audiences and no azp'],
	['wrong-azp', 'azp naming another client'],
	['wrong-iss', 'another issuer'],
	['wrong-nonce', 'a nonce that is not the request\'s'],
	['no-nonce', 'no nonce'],
	['expired', 'an expired ID token'],
	['future-iat', 'an ID token issued in the future'],
	['bad-signature', 'a signature by a key not in the JWKS (same kid)'],
	['unknown-kid', 'a signature by a key not in the JWKS (unknown kid)'],
	['alg-none', 'alg none'],
	['hs256', 'HS256 with the client secret'],
	['tampered', 'a payload changed after signing'],
	['no-sub', 'no subject'],
];

for (const [mode, what] of BAD) {
	test(`the business site refuses ${what}: 400, no session`, async () => {
		const p = fakePerson(mode);
		as(p, mode);
		const errLen = srv.stderr.length;
		const b = await B.openPortal(p, '/customersource');
		as(p, 'good');
		assert.equal(b.page.status, 400, `${mode}: ${b.page.status} ` +
		    `at ${b.url}`);
		assert.ok(b.url.startsWith(`${srv.biz}/customersource/` +
		    'callback?'), `${mode}: ended at ${b.url}`);
		assert.equal(B.sessionSteps(b).length, 0,
		    `${mode}: a session was started`);
		assert.deepEqual(op.errors, [], 'the fake provider refused ' +
		    'the exchange itself');
		assert.match(L.textOf(b.page.text), /could not be verified/i);
		const again = await p.biz.get('/customersource');
		assert.equal(again.status, 302, `${mode}: signed in anyway`);
		assert.equal(new URL(again.location).origin, op.issuer);
		const why = srv.stderr.slice(errLen).split('\n')
		    .filter((l) => /refused/.test(l)).join(' | ');
		console.log(`${mode}: ${why}`);
	});
}

test('a provider that does not ask for the password again cannot complete ' +
    'an association', async () => {
	const p = fakePerson('stale');
	as(p);
	const addr = L.uniqueEmail('stale-prof');
	const prof = await B.addProfile(srv, { email: addr, name: 'Vic Stale' });
	const b = await B.openPortal(p, '/customersource');
	assert.equal(B.pathOf(b.url), '/customersource/associate');
	const before = B.mailFiles(srv);
	await B.requestAssoc(p, '/customersource', addr);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	for (const mode of ['stale-auth-time', 'no-auth-time']) {
		const o = await B.openLink(p, m.link);
		as(p, mode);
		const n = op.log.length;
		const c = await B.confirm(p, o.form);
		as(p, 'good');
		const az = op.log.slice(n).find((e) => e.path === '/authorize');
		assert.equal(az.query.prompt, 'login', 'prompt=login asked');
		assert.equal(az.query.max_age, '0', 'max_age=0 asked');
		assert.ok(c.page.status >= 400 && c.page.status < 500,
		    `${mode}: ${c.page.status}`);
		assert.equal(L.h1Of(c.page.text), 'Association not completed',
		    mode);
		assert.doesNotMatch(L.textOf(c.page.text),
		    /successfully associated/i);
		assert.equal((await B.profileById(srv, prof.id)).associated,
		    false, `${mode}: associated`);
	}
	// A bad token in the confirm step: refused too.
	let o = await B.openLink(p, m.link);
	as(p, 'wrong-nonce');
	const bad = await B.confirm(p, o.form);
	as(p, 'good');
	assert.equal(bad.page.status, 400);
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
	// A fresh sign-in completes it.
	o = await B.openLink(p, m.link);
	const ok = await B.confirm(p, o.form);
	assert.equal(ok.page.status, 200);
	assert.match(L.textOf(ok.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
	const portal = await B.openPortal(p, '/customersource');
	assert.equal(L.h1Of(portal.page.text), `Welcome, ${prof.name}`);
	// The association belongs to the fake provider's subject, not to
	// the address: another subject with the same address gets none.
	const twin = fakePerson('stale-twin');
	twin.email = p.email;
	as(twin);
	const t = await B.openPortal(twin, '/customersource');
	assert.equal(B.pathOf(t.url), '/customersource/associate');
});

test('Sign Out goes to the fake provider\'s end-session endpoint and back ' +
    'home', async () => {
	const p = fakePerson('logout');
	as(p);
	const b = await B.openPortal(p, '/customersource');
	const so = L.formsOf(b.page.text).find((f) => f.action === '/signout');
	assert.ok(so, 'a Sign Out form');
	const n = op.log.length;
	const out = await B.browse(p, '/signout', { method: 'POST',
	    form: so.fields });
	const lo = op.log.slice(n).find((e) => e.path === '/logout');
	assert.ok(lo, 'the fake provider\'s end-session endpoint was used');
	assert.ok(lo.query.id_token_hint, 'id_token_hint');
	assert.equal(lo.query.client_id, client.client_id);
	assert.equal(lo.query.post_logout_redirect_uri, `${srv.biz}/`);
	assert.equal(out.url, `${srv.biz}/`);
	assert.equal(L.h1Of(out.page.text), 'Business Solutions Home');
	const again = await p.biz.get('/customersource');
	assert.equal(again.status, 302);
});
