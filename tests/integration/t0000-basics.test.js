// Basics of the ID service: every page answers with the security headers,
// the shared layout, a 404 page, the style sheet, and cookie attributes.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');

let srv;
let acct;	// { c (signed in), email, password }

test.before(async () => {
	srv = await L.startServer();
	acct = await L.newAccount(srv, 'basics');
	const r = await L.signIn(acct.c, acct.email, acct.password, 'never');
	assert.equal(r.status, 303, 'sign-in should redirect');
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

function checkSecurityHeaders(r, what) {
	const h = r.headers;
	const csp = h.get('content-security-policy');
	assert.ok(csp && csp.length > 0, `${what}: no Content-Security-Policy`);
	const xfo = (h.get('x-frame-options') || '').toUpperCase();
	assert.ok(xfo === 'DENY' || /frame-ancestors\s+'none'/.test(csp),
	    `${what}: neither X-Frame-Options DENY nor frame-ancestors 'none' ` +
	    `(XFO=${xfo}, CSP=${csp})`);
	const rp = (h.get('referrer-policy') || '').toLowerCase();
	assert.ok(['same-origin', 'strict-origin-when-cross-origin']
	    .includes(rp), `${what}: Referrer-Policy is "${rp}"`);
	assert.equal((h.get('x-content-type-options') || '').toLowerCase(),
	    'nosniff', `${what}: X-Content-Type-Options`);
}

function checkLayout(html, what) {
	for (const [href, text] of [['/help', 'Help'],
	    ['/account', 'Account Services'], ['/privacy', 'Privacy Statement'],
	    ['/terms', 'Terms of Use']]) {
		const re = new RegExp(`<a\\b[^>]*href=["']?${href}["']?[^>]*>` +
		    `\\s*${text}\\s*</a>`);
		assert.match(html, re, `${what}: footer link ${text} -> ${href}`);
	}
	const year = new Date().getUTCFullYear();
	assert.ok(L.textOf(html).includes(`© ${year} onepass ID`),
	    `${what}: footer "© ${year} onepass ID"`);
	assert.match(html, /<title>[^<]*\S[^<]*<\/title>/, `${what}: <title>`);
}

const PUBLIC_PAGES = ['/signin', '/signup', '/password/forgot', '/help',
    '/privacy', '/terms', '/signout'];

for (const p of PUBLIC_PAGES) {
	test(`GET ${p} answers 200 HTML with the security headers and layout`,
	    async () => {
		const c = new L.Client(srv.url);
		const r = await c.get(p);
		assert.equal(r.status, 200, `GET ${p}`);
		assert.match(r.headers.get('content-type') || '', /^text\/html/);
		checkSecurityHeaders(r, p);
		checkLayout(r.text, p);
	});
}

test('GET /account signed in answers 200 with the security headers, ' +
    'the layout and the address in the header', async () => {
	const r = await acct.c.get('/account');
	assert.equal(r.status, 200);
	checkSecurityHeaders(r, '/account');
	checkLayout(r.text, '/account');
	assert.ok(r.text.includes(acct.email), 'address shown');
	assert.ok(L.formsOf(r.text).some((f) => f.action === '/signout' &&
	    f.method === 'post' && f.fields.csrf),
	    'header has a Sign out form posting to /signout with csrf');
});

test('an unknown path is a 404 page with heading "Not found" and the ' +
    'security headers', async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/no/such/page');
	assert.equal(r.status, 404);
	assert.match(r.headers.get('content-type') || '', /^text\/html/);
	assert.equal(L.h1Of(r.text), 'Not found');
	checkSecurityHeaders(r, '404');
	checkLayout(r.text, '404');
});

test('/static/style.css is served as text/css with the security headers',
    async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/static/style.css');
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type') || '', /^text\/css/);
	assert.ok(r.text.length > 100, 'style sheet has content');
	assert.match(r.text, /[{}]/);
	checkSecurityHeaders(r, '/static/style.css');
	const missing = await c.get('/static/nope.css');
	assert.equal(missing.status, 404);
	const up = await c.get('/static/..%2f..%2fetc%2fpasswd');
	assert.ok(up.status >= 400 && up.status < 500, 'traversal refused');
	assert.ok(!up.text.includes('root:'), 'no file outside static/');
});

test('pages link the style sheet and carry no inline script', async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/signin');
	assert.match(r.text, /<link\b[^>]*href=["']?\/static\/style\.css/);
	assert.doesNotMatch(r.text, /<script\b(?![^>]*\bsrc=)[^>]*>/i,
	    'inline <script> would need unsafe-inline');
});

test('redirects and error answers carry the security headers too',
    async () => {
	const c = new L.Client(srv.url);
	const r = await c.get('/account');
	assert.ok(r.status === 302 || r.status === 303, `status ${r.status}`);
	checkSecurityHeaders(r, 'redirect');
	const p = await c.post('/signin', { email: 'a@example.com',
	    password: 'x', save: 'never' });
	assert.equal(p.status, 403, 'POST without csrf');
	checkSecurityHeaders(p, '403');
});

test('HEAD /signin answers 200 with no body', async () => {
	const c = new L.Client(srv.url);
	const r = await c.request('HEAD', '/signin');
	assert.equal(r.status, 200);
	assert.equal(r.text, '');
	checkSecurityHeaders(r, 'HEAD');
});

test('an unsupported method is refused with a 4xx, not a crash',
    async () => {
	const c = new L.Client(srv.url);
	const r = await c.request('PUT', '/signin', { body: 'x' });
	assert.ok(r.status === 405 || r.status === 400 || r.status === 404 ||
	    r.status === 501, `PUT /signin: ${r.status}`);
	const d = await c.request('DELETE', '/account');
	assert.ok(d.status >= 400 && d.status < 500 || d.status === 501,
	    `DELETE /account: ${d.status}`);
	const ok = await c.get('/signin');
	assert.equal(ok.status, 200);
});

test('every cookie the ID service sets is HttpOnly, SameSite=Lax and ' +
    'not Secure on http', async () => {
	const seen = [];
	for (const save of ['password', 'email', 'never']) {
		const a = await L.newAccount(srv, `ck-${save}`);
		const r = await L.signIn(a.c, a.email, a.password, save);
		assert.equal(r.status, 303);
		await a.c.get('/account');
		await L.signOut(a.c);
		seen.push(...a.c.seenCookies);
	}
	const s = new L.Client(srv.url);
	await L.signUp(s, L.uniqueEmail('ck'), L.genPassword());
	seen.push(...s.seenCookies);
	assert.ok(seen.length >= 3, 'cookies were set');
	const names = new Set();
	for (const c of seen) {
		names.add(c.name);
		assert.equal(c.attrs.httponly, true, `${c.raw}: HttpOnly`);
		assert.equal(String(c.attrs.samesite).toLowerCase(), 'lax',
		    `${c.raw}: SameSite=Lax`);
		assert.equal(c.attrs.secure, undefined, `${c.raw}: Secure on http`);
		assert.equal(c.attrs.path || '/', '/', `${c.raw}: Path`);
	}
	assert.ok(names.size >= 2, `a csrf and a session cookie: ${[...names]}`);
});

test('with an https public URL every cookie is Secure and the configured ' +
    'name is shown', async () => {
	const s2 = await L.startServer({ env: {
		ONEPASS_ID_PUBLIC_URL: 'https://id.example.test',
		ONEPASS_ID_NAME: 'Acme Sign-In',
	} });
	try {
		const c = new L.Client(s2.url);
		const g = await c.get('/signin');
		assert.equal(g.status, 200);
		assert.ok(g.text.includes('Acme Sign-In'), 'id name on the page');
		assert.ok(L.textOf(g.text).includes(
		    `© ${new Date().getUTCFullYear()} Acme Sign-In`));
		// Node's fetch sends no Origin: the csrf check needs none.
		const email = L.uniqueEmail('https');
		const password = L.genPassword();
		await L.signUp(c, email, password);
		await L.signIn(c, email, password, 'email');
		assert.ok(c.seenCookies.length >= 2);
		for (const ck of c.seenCookies)
			assert.equal(ck.attrs.secure, true, `${ck.raw}: Secure`);
	} finally {
		await s2.stop();
	}
});
