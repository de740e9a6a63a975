// `make bench` (part): rates of the OpenID provider and of association
// confirmations on loopback. Starts its own server (temporary data dir,
// free loopback ports), bounded in count and time, stops it by PID.
//
//   code exchange   POST /token with fresh codes (client_secret_basic,
//                   PKCE S256), CONCURRENCY requests in flight
//   confirmations   GET association link + POST confirm + re-sign-in at
//                   the ID service + callback: each one complete
// Discovery and JWKS rates are measured with wrk by scripts/bench.sh.
'use strict';
const crypto = require('node:crypto');
const L = require('../tests/integration/lib.js');
const O = require('../tests/integration/oidc-lib.js');

const CODES = Number(process.env.BENCH_CODES || 400);
const CONFIRMS = Number(process.env.BENCH_CONFIRMS || 24);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY || 8);

function b64u(buf) {
	return buf.toString('base64url');
}

// Runs fn(i) for i < n with at most c in flight; returns seconds taken.
async function pool(n, c, fn) {
	let next = 0;
	const t0 = process.hrtime.bigint();
	async function worker() {
		while (next < n) {
			const i = next++;
			await fn(i);
		}
	}
	await Promise.all(Array.from({ length: c }, worker));
	return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function codeExchange(srv) {
	const redirect = 'https://bench.example/cb';
	const cl = await O.addClient(srv, { firstParty: true,
	    redirectUris: [redirect] });
	const person = await O.newPerson(srv, 'bench');
	await L.signIn(person.c, person.email, person.password);
	const basic = Buffer.from(`${encodeURIComponent(cl.client_id)}:` +
	    `${encodeURIComponent(cl.client_secret)}`).toString('base64');
	// Codes first (GET /authorize with a session: no hashing), then the
	// exchanges alone are timed.
	const codes = [];
	for (let i = 0; i < CODES; i++) {
		const verifier = b64u(crypto.randomBytes(32));
		const challenge = b64u(crypto.createHash('sha256')
		    .update(verifier).digest());
		const q = new URLSearchParams({ client_id: cl.client_id,
		    redirect_uri: redirect, response_type: 'code',
		    scope: 'openid email', state: String(i),
		    nonce: b64u(crypto.randomBytes(9)),
		    code_challenge: challenge,
		    code_challenge_method: 'S256' });
		const r = await person.c.get(`/authorize?${q}`);
		const loc = new URL(r.location);
		codes.push({ code: loc.searchParams.get('code'), verifier });
	}
	let failed = 0;
	const secs = await pool(codes.length, CONCURRENCY, async (i) => {
		const r = await fetch(`${srv.url}/token`, {
			method: 'POST',
			headers: { authorization: `Basic ${basic}`,
			    'content-type':
				'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'authorization_code',
				code: codes[i].code, redirect_uri: redirect,
				code_verifier: codes[i].verifier }),
		});
		if (r.status !== 200)
			failed++;
		await r.arrayBuffer();
	});
	console.log(`POST /token code exchange: ${(codes.length / secs)
	    .toFixed(0)} exchanges/s (${codes.length} codes, RS256 ID tokens, ` +
	    `${CONCURRENCY} in flight, ${failed} failed)`);
}

module.exports = { pool, codeExchange };

if (require.main === module) {
	(async () => {
		const srv = await L.startServer({ env: {
			ONEPASS_SIGNIN_FREE_FAILURES: '1000000' } });
		try {
			await codeExchange(srv);
		} finally {
			await srv.stop();
		}
		await confirmations();
	})().catch((e) => { console.error(e); process.exit(1); });
}

// Association confirmations: N people, each signed in to CustomerSource
// and holding the mailed link of their own profile; then every one opens
// the link and confirms (confirm form, fresh sign-in at the ID service
// with argon2id, callback, completion) with CONCURRENCY in flight.
async function confirmations() {
	const B = require('../tests/integration/biz-lib.js');
	const srv = await B.startBiz({ env: {
		ONEPASS_BUSINESS_REQUESTS_PER_IDENTITY: '1000',
		ONEPASS_BUSINESS_REQUESTS_PER_ADDRESS: '1000',
		ONEPASS_SIGNIN_IP_MAX_FAILURES: '100000' } });
	try {
		const ready = [];
		for (let i = 0; i < CONFIRMS; i++) {
			const addr = L.uniqueEmail(`bench-${i}`);
			await B.addProfile(srv, { email: addr });
			const p = await B.newPerson(srv, `bench-${i}`);
			await B.openPortal(p, '/customersource');
			const before = B.mailFiles(srv);
			await B.requestAssoc(p, '/customersource', addr);
			const [m] = await B.waitAssoc(srv, addr, 1, before);
			ready.push({ p, link: m.link });
		}
		let failed = 0;
		const secs = await pool(ready.length, CONCURRENCY, async (i) => {
			const { p, link } = ready[i];
			const { form } = await B.openLink(p, link);
			const b = await B.confirm(p, form);
			if (b.page.status !== 200 ||
			    !/successfully associated/.test(b.page.text))
				failed++;
		});
		console.log(`association confirmations: ${(ready.length / secs)
		    .toFixed(1)} complete/s (${ready.length} links, each with ` +
		    `a fresh argon2id sign-in; ${CONCURRENCY} in flight, ` +
		    `${failed} failed)`);
	} finally {
		await srv.stop();
	}
}
module.exports.confirmations = confirmations;
