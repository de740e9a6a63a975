// The database restarted under two running nodes, while a person's
// requests keep coming through the proxy: while it is down every request
// is answered cleanly (a 503 page or OAuth error, never "signed out"),
// never a crash, a 500 or a dropped connection; nothing
// stored before is lost or altered; and once it is back both nodes serve
// again by themselves, without being restarted: the session from before
// still works, the IDs made before sign in, new IDs can be made and their
// mail is sent.
//
// Needs the server to be ours to stop and start (ONEPASS_TEST_PG_DIR, set
// by scripts/run-tests.sh with tests/support/pg.sh).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');
const P = require('./pg-lib.js');

const skip = P.pgRestartSkip();
let db;
let cl;

test.before(async () => {
	if (skip)
		return;
	db = await P.createDatabase('restart');
	cl = await P.startCluster(db, 2);
});

test.after(async () => {
	// The server must be up again whatever happened here.
	if (!skip)
		await P.pgStart().catch(() => {});
	if (cl)
		await cl.stop();
	if (db)
		await db.drop();
});

// Requests made in a loop until stopped: every answer's status (or the
// error when there was none) is kept with the phase it was made in.
function background(c) {
	const seen = [];
	let phase = 'before';
	let stopped = false;
	const done = (async () => {
		while (!stopped) {
			const at = phase;
			try {
				const r = await c.get('/account');
				seen.push({ phase: at, status: r.status,
				    location: r.location });
			} catch (e) {
				seen.push({ phase: at, status: 0,
				    error: e.message });
			}
			await L.sleep(25);
		}
	})();
	return {
		seen,
		setPhase: (p) => { phase = p; },
		stop: async () => { stopped = true; await done; },
	};
}

// A clean answer while the database is down, for a signed-in person's
// page: 503. (A session that cannot be read is not "signed out": a
// redirect to /signin would throw the person out during an outage.)
function cleanWhileDown(r, what) {
	assert.equal(r.status, 503,
	    `${what}: status ${r.status} ${r.location || ''}\n` +
	    `${L.textOf(r.text || '').slice(0, 300)}`);
}

test('the database restarts: clean failures while down, nothing lost, ' +
    'the nodes recover by themselves', { skip }, async (t) => {
	// Before: IDs, one signed in, a registered site.
	const people = [];
	for (let i = 0; i < 3; i++)
		people.push(await P.newPerson(cl, `before${i}`));
	const me = people[0];
	assert.equal((await L.signIn(me.c, me.email, me.password,
	    'password')).status, 303);
	assert.equal((await me.c.get('/account')).status, 200);
	const site = await O.addClient(cl, { firstParty: true,
	    name: 'Restart RP' });
	await cl.waitLink(people[2].email, '/verify?token=');
	const usersBefore = (await cl.cli(['user', 'list'])).stdout;
	const mailBefore = cl.mail().length;

	// The loop's browser has the same session as me.
	const bc = new L.Client(cl.url);
	for (const [k, v] of me.c.jar)
		bc.jar.set(k, { ...v });
	const bg = background(bc);
	t.after(() => bg.stop());
	await L.sleep(200);

	// Down.
	bg.setPhase('down');
	await P.pgStop();
	await L.sleep(300);
	const anon = new L.Client(cl.url);
	cleanWhileDown(await me.c.get('/account'), 'GET /account');
	cleanWhileDown(await me.c.get('/account'), 'GET /account (2nd node)');
	const g = await anon.get('/signin');
	assert.ok(g.status === 200 || g.status === 503,
	    `GET /signin: ${g.status}`);
	if (g.status === 200) {
		const r = await anon.post('/signin', { csrf: L.csrfOf(g.text),
		    email: me.email, password: me.password, save: 'never' });
		assert.equal(r.status, 503,
		    `POST /signin while down: ${r.status}`);
		assert.match(r.headers.get('content-type'), /^text\/html/);
		assert.match(L.h1Of(r.text) || '', /unavailable/i);
	}
	const rp = await O.rpFor(cl, site, { auth: 'basic' }).catch((e) => e);
	assert.ok(rp instanceof Error || rp.config,
	    'discovery needs no database');
	const tok = await O.postForm(cl, '/token', { grant_type:
	    'authorization_code', code: 'x'.repeat(43),
	    redirect_uri: site.redirect_uris[0] },
	    [site.client_id, site.client_secret]);
	assert.equal(tok.status, 503, `POST /token while down: ${tok.status}`);
	assert.equal(tok.json && tok.json.error, 'temporarily_unavailable');
	await L.sleep(500);
	for (const [i, n] of cl.nodes.entries())
		assert.equal(n.exited, null, `node ${i} exited while the ` +
		    `database was down:\n${n.stderr.slice(-2000)}`);

	// Back: each node, asked directly, serves the session again.
	bg.setPhase('back');
	await P.pgStart();
	for (const [i, n] of cl.nodes.entries()) {
		const direct = new L.Client(n.url);
		for (const [k, v] of me.c.jar)
			direct.jar.set(k, { ...v });
		await L.waitFor(async () => (await direct.get('/account'))
		    .status === 200, 10000 * L.SLOW,
		    `node ${i} to serve the session again`);
	}
	bg.setPhase('after');
	for (let i = 0; i < 4; i++)
		assert.equal((await me.c.get('/account')).status, 200,
		    `GET /account #${i} after the restart`);
	await L.sleep(300);
	await bg.stop();

	// What the background loop saw: clean answers throughout, and only
	// success once both nodes were back.
	const tally = {};
	for (const x of bg.seen) {
		const k = `${x.phase} ${x.status}`;
		tally[k] = (tally[k] || 0) + 1;
	}
	t.diagnostic(`GET /account in a loop: ${JSON.stringify(tally)}`);
	const bad = bg.seen.filter((s) => !(s.status === 200 ||
	    s.status === 503));
	assert.deepEqual(bad, [], 'unclean answers');
	const after = bg.seen.filter((s) => s.phase === 'after');
	assert.ok(after.length > 0 && after.every((s) => s.status === 200),
	    'failures after recovery');

	// Nothing lost: the same IDs, each signs in (on both nodes).
	const usersAfter = (await cl.cli(['user', 'list'])).stdout;
	assert.equal(usersAfter, usersBefore, 'the IDs changed');
	for (const p of people) {
		for (let k = 0; k < 2; k++) {
			const c = new L.Client(cl.url);
			assert.equal((await L.signIn(c, p.email, p.password,
			    'never')).status, 303, `${p.email} signs in`);
		}
	}

	// And new work goes on: a new ID, its mail, a site sign-in.
	const fresh = await P.newPerson(cl, 'after');
	await cl.waitLink(fresh.email, '/verify?token=');
	assert.ok(cl.mail().length > mailBefore);
	const rp2 = await O.rpFor(cl, site, { auth: 'basic' });
	const flow = await O.codeFlow(rp2, fresh);
	assert.equal(typeof flow.claims.sub, 'string');
	for (const [i, n] of cl.nodes.entries())
		assert.equal(n.exited, null, `node ${i} exited`);
});
