// Several nodes on one PostgreSQL database: two `onepass serve` processes
// (ID service and business site each) with no state of their own, behind
// round-robin proxies standing for the load balancer, so a person's
// requests alternate between them through the whole walkthrough. Every
// step must work whichever node answers each request: the CSRF keys,
// sessions of both sites, one-time tokens, pending authorization requests
// and business sign-ins, codes, tokens, signing keys, association links,
// throttles, the portals' client registrations and the mail outbox all
// live in the database. Then one node is killed with SIGKILL in the middle
// of a sign-in to a site and the other finishes the flow.
//
// The walkthrough is a list of named steps (WALK) run in order by one
// person, so a step can be added where it belongs.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const B = require('./biz-lib.js');
const O = require('./oidc-lib.js');
const P = require('./pg-lib.js');

const skip = P.pgSkip();
let db;
let cl;
let site;

test.before(async () => {
	if (skip)
		return;
	db = await P.createDatabase('walk');
	cl = await P.startCluster(db, 2, { business: true });
	site = await O.addClient(cl, { firstParty: true,
	    name: 'Two-node RP' });
});

test.after(async () => {
	if (cl)
		await cl.stop();
	if (db)
		await db.drop();
});

// Where the proxies' trails are now.
function mark() {
	return [cl.proxy.trail.length, cl.bizProxy.trail.length];
}

// The requests made, and the nodes that answered them, since mark m.
function since(m) {
	const t = [...cl.proxy.trail.slice(m[0]),
	    ...cl.bizProxy.trail.slice(m[1])];
	return { made: t.length,
	    nodes: new Set(t.map((x) => Number(x.split(' -> ')[1]))) };
}

const WALK = [
	['sign-up', async (p) => {
		const person = await P.newPerson(cl, 'walk');
		Object.assign(p, person);
		const u = await L.waitFor(async () => {
			const r = await cl.cli(['user', 'list']);
			return r.stdout.toLowerCase().includes(
			    p.email.toLowerCase());
		}, 5000 * L.SLOW, 'the new ID in `user list`');
		assert.ok(u);
	}],
	['verification mail', async (p) => {
		const { link } = await cl.waitLink(p.email, '/verify?token=');
		const token = new URL(link).searchParams.get('token');
		const c = new L.Client(cl.url);
		const g = await c.get(L.localTarget(link, cl.url));
		assert.equal(g.status, 200, 'the verification page');
		const r = await c.post('/verify', { csrf: L.csrfOf(g.text),
		    token });
		assert.ok(r.status === 200 || r.status === 303,
		    `POST /verify: ${r.status}`);
		const out = await cl.cli(['user', 'list']);
		const line = out.stdout.split('\n').find((l) =>
		    l.toLowerCase().includes(p.email.toLowerCase()));
		assert.match(line, /\bverified\b/, `verified: ${line}`);
	}],
	['sign-in', async (p) => {
		const r = await L.signIn(p.c, p.email, p.password, 'password');
		assert.equal(r.status, 303, `sign-in: ${r.status}`);
	}],
	['account pages', async (p) => {
		for (let i = 0; i < 6; i++) {
			const r = await p.c.get('/account');
			assert.equal(r.status, 200, `GET /account #${i}`);
			assert.ok(r.text.includes(p.email),
			    'the account page names the ID');
		}
	}],
	['OpenID Connect code flow', async (p) => {
		const rp = await O.rpFor(cl, site, { auth: 'basic' });
		const flow = await O.codeFlow(rp, p, { scope: 'openid email' });
		assert.equal(flow.claims.email.toLowerCase(),
		    p.email.toLowerCase());
		assert.equal(flow.claims.email_verified, true);
		// The ID token verifies against the JWKS of either node.
		await O.verifyWithJwks(cl, flow.tokens.id_token, 'RS256');
		await O.verifyWithJwks(cl, flow.tokens.id_token, 'RS256');
		for (let i = 0; i < 4; i++) {
			const ui = await O.userinfo(cl,
			    flow.tokens.access_token);
			assert.equal(ui.status, 200, `userinfo #${i}`);
			assert.equal(ui.json.sub, flow.claims.sub);
		}
		p.sub = flow.claims.sub;
	}],
	['association', async (p) => {
		const prof = await B.addProfile(cl, { email:
		    L.uniqueEmail('walkprof'), name: 'Dana Whitfield',
		    company: 'Northwind Traders', type: 'customer' });
		// The same browser: its ID service session goes on.
		const bp = B.personFor(cl, p.email, p.password);
		bp.id = p.c;
		const b = await B.openPortal(bp, '/customersource');
		assert.equal(B.pathOf(b.url), '/customersource/associate',
		    `the association page, not ${b.url}`);
		const seen = new Set(cl.mail(cl.biz).map((m) => m.file));
		const r = await B.requestAssoc(bp, '/customersource',
		    prof.email);
		assert.equal(r.status, 200, `association request ${r.status}`);
		assert.equal(L.h1Of(r.text), 'E-mail sent');
		const mails = await L.waitFor(() => {
			const m = cl.mail(cl.biz).filter((x) => !seen.has(x.file) &&
			    x.toAddrs.includes(prof.email.toLowerCase()) &&
			    B.ASSOC_SUBJECT.test(x.subject));
			return m.length ? m : null;
		}, 10000 * L.SLOW, 'the association message');
		assert.equal(mails.length, 1, 'one message for one profile');
		const a = B.parseAssoc(cl, mails[0]);
		const o = await B.openLink(bp, a.link);
		assert.ok(o.form, 'the link opens a confirm form');
		const c = await B.confirm(bp, o.form);
		assert.equal(c.signins, 1, 'the password was asked again');
		assert.equal(c.page.status, 200);
		assert.match(L.textOf(c.page.text), B.SUCCESS_RE('onepass ID',
		    'Example Business Solutions', prof.name));
		assert.equal((await B.profileById(cl, prof.id)).associated,
		    true);
		const portal = await B.openPortal(bp, '/customersource');
		assert.equal(portal.page.status, 200);
		assert.equal(L.h1Of(portal.page.text),
		    `Welcome, ${prof.name}`);
	}],
	['password reset mail', async (p) => {
		const next = L.genPassword();
		const { page } = await L.resetViaMail(cl, p.email, next);
		assert.equal(page.status, 200, 'after the reset');
		p.password = next;
		// Every session of the ID was signed out: sign in again.
		assert.equal(await L.isSignedIn(p.c), false,
		    'the reset signed the old session out');
		const r = await L.signIn(p.c, p.email, next, 'never');
		assert.equal(r.status, 303, 'sign-in with the new password');
		assert.equal((await p.c.get('/account')).status, 200);
	}],
	['sign-out', async (p) => {
		const r = await L.signOut(p.c);
		assert.ok(r.status === 303 || r.status === 200,
		    `sign-out: ${r.status}`);
		assert.equal(await L.isSignedIn(p.c), false);
		assert.equal(await L.isSignedIn(p.c), false);
	}],
];

test('the walkthrough works with requests alternating between two nodes',
    { skip }, async (t) => {
	const p = {};
	for (const [name, step] of WALK) {
		const m = mark();
		await step(p);
		const { made, nodes } = since(m);
		if (made >= 2)
			assert.equal(nodes.size, 2, `step '${name}': ${made} ` +
			    'requests, but only one node answered');
	}
	const [a, b] = cl.proxy.served;
	const [ba, bb] = cl.bizProxy.served;
	t.diagnostic(`ID service requests per node: ${a}, ${b}; business ` +
	    `site: ${ba}, ${bb}`);
	assert.ok(a > 10 && b > 10, `requests per node: ${a}, ${b}`);
	assert.ok(Math.abs(a - b) <= 2, `not alternating: ${a}, ${b}`);
	assert.ok(ba >= 4 && bb >= 4, `business requests: ${ba}, ${bb}`);
	// Each verification and reset message was delivered exactly once,
	// by whichever node claimed it.
	const ids = cl.mail().map((m) => m.headers.get('message-id')[0]);
	assert.equal(new Set(ids).size, ids.length,
	    'a message delivered twice');
});

test('a node killed with SIGKILL mid sign-in: the other finishes the flow',
    { skip }, async () => {
	const p = await P.newPerson(cl, 'kill');
	const rp = await O.rpFor(cl, site, { auth: 'post' });
	const req = await O.authRequest(rp, { scope: 'openid email' });
	// The site sends the person to /authorize: the pending request is
	// stored, and the answer sends them to the sign-in page.
	let r = await p.c.get(req.url.toString());
	assert.ok(r.status === 302 || r.status === 303,
	    `authorize ${r.status}`);
	const signin = new URL(r.location, cl.url);
	assert.equal(signin.pathname, '/signin');
	const page = await p.c.get(signin.pathname + signin.search);
	assert.equal(page.status, 200);

	// Kill the node that would answer next; the proxy finds it gone.
	const victim = cl.proxy.next;
	await cl.kill(victim);
	assert.equal(cl.alive(victim), false);
	const before = cl.proxy.served[victim];

	r = await p.c.post('/signin', {
		csrf: L.csrfOf(page.text),
		email: p.email,
		password: p.password,
		save: 'never',
		return_to: signin.searchParams.get('return_to') || undefined,
	});
	assert.equal(r.status, 303, `sign-in after the kill: ${r.status}`);
	const run = await O.drive(p, new URL(r.location, cl.url), {
	    consent: 'allow' });
	assert.ok(run.redirect, 'sent back to the site');
	assert.equal(run.redirect.searchParams.get('error'), null);
	const tokens = await rp.C.authorizationCodeGrant(rp.config,
	    run.redirect, { expectedState: req.state,
	    expectedNonce: req.nonce, pkceCodeVerifier: req.verifier,
	    idTokenExpected: true });
	assert.equal(tokens.claims().email_verified, false);
	const ui = await O.userinfo(cl, tokens.access_token);
	assert.equal(ui.status, 200);

	// Mail still flows: the survivor's outbox worker sends it.
	const { page: done } = await L.resetViaMail(cl, p.email,
	    L.genPassword());
	assert.equal(done.status, 200);
	assert.equal(cl.proxy.served[victim], before,
	    'the killed node answered');
	assert.ok(cl.alive(1 - victim), 'the other node is still running');
});
