// The walkthrough of the seeds (SPEC steps 1 to 10) over HTTP against the
// business site and the ID service of one `onepass serve`: get an ID, go to
// CustomerSource, sign in, Account Association, E-mail sent, one message
// per profile, follow the link, sign in again, success, the portal. Then
// what goes around it: two profiles under one address, an address with no
// profile, the navigation of the seeds, the profile switcher, Sign Out
// (RP-initiated logout), the short code, a profile that moves to another
// ID, and an ID that changes its e-mail address.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const B = require('./biz-lib.js');

const COMPANY = 'Example Business Solutions';
const ID_NAME = 'onepass ID';
const SUPPORT = 'support@business.example.com';

let srv;

test.before(async () => {
	srv = await B.startBiz();
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

function assertCookie(r, name, what) {
	const c = r.setCookies.find((x) => x.name === name);
	assert.ok(c, `${what}: no ${name} cookie set`);
	assert.equal(c.attrs.httponly, true, `${name} is not HttpOnly`);
	assert.match(String(c.attrs.samesite), /^lax$/i,
	    `${name} is not SameSite=Lax`);
	assert.equal(c.attrs.secure, undefined,
	    `${name} is Secure on an http:// site`);
	return c;
}

test('the walkthrough, SPEC steps 1 to 10, over HTTP', async () => {
	// 1. Get an ID: the sign-up form; the ID works at once and a
	// verification message is mailed.
	const email = L.uniqueEmail('walk');
	const password = L.genPassword();
	const idc = new L.Client(srv.url);
	const su = await L.signUp(idc, email, password);
	assert.ok(su.status === 200 || su.status === 303,
	    `sign-up: ${su.status}`);
	await srv.waitLink(email, '/verify?token=');
	const p = B.personFor(srv, email, password);
	const prof = await B.addProfile(srv, { email: L.uniqueEmail('walkprof'),
	    name: 'Dana Whitfield', company: 'Northwind Traders',
	    type: 'customer' });

	// 2. Go to the portal: not signed in, it redirects to the ID
	// service's authorization endpoint (code flow, PKCE, state, nonce).
	const r2 = await p.biz.get('/customersource');
	assert.equal(r2.status, 302, 'GET /customersource');
	const az = new URL(r2.location);
	assert.equal(az.origin, srv.url);
	assert.equal(az.pathname, '/authorize');
	const q = az.searchParams;
	assert.equal(q.get('response_type'), 'code');
	assert.ok(q.get('client_id'), 'client_id');
	assert.equal(q.get('redirect_uri'), `${srv.biz}/customersource/callback`);
	assert.ok(q.get('scope').split(' ').includes('openid'), 'scope');
	assert.ok(q.get('state').length >= 43, 'state of 256 bits');
	assert.ok(q.get('nonce').length >= 43, 'nonce of 256 bits');
	assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
	assert.equal(q.get('code_challenge_method'), 'S256');
	assert.equal(q.get('prompt'), null, 'no prompt on a plain sign-in');
	assertCookie(r2, 'bs_login', 'the redirect to the provider');

	// 3. Sign in on the ID service's page, titled for the portal.
	const r3 = await p.id.get(r2.location);
	assert.equal(r3.status, 302);
	const si = new URL(r3.location, srv.url);
	assert.equal(si.pathname, '/signin');
	const sp = await p.id.get(si.pathname + si.search);
	assert.equal(sp.status, 200);
	assert.equal(L.h1Of(sp.text), 'Sign in to CustomerSource');
	const b3 = await B.browse(p, si.toString());
	assert.equal(b3.signins, 1);
	const cb = b3.steps.find((s) => s.url.startsWith(
	    `${srv.biz}/customersource/callback?`));
	assert.ok(cb, 'back at the callback');
	const cbq = new URL(cb.url).searchParams;
	assert.ok(cbq.get('code'), 'code');
	assert.equal(cbq.get('state'), q.get('state'));
	assert.equal(cbq.get('iss'), srv.url);
	assert.equal(cb.status, 302);
	assert.equal(B.target(cb.res), '/customersource');
	assertCookie(cb.res, 'bs_session', 'the callback');

	// 4. Account Association: no profile of this portal's audience yet.
	assert.equal(B.pathOf(b3.url), '/customersource/associate');
	const a4 = b3.page;
	assert.equal(a4.status, 200);
	assert.equal(L.h1Of(a4.text), 'Account Association');
	const t4 = L.textOf(a4.text);
	assert.match(t4, /not (yet )?(been )?associated/i);
	assert.ok(t4.includes(COMPANY), 'names the company');
	assert.ok(t4.includes(`If you don't know the address, write to ` +
	    `${SUPPORT}`), 'the support note');
	const f4 = L.formsOf(a4.text).find((f) =>
	    f.action === '/customersource/associate');
	assert.ok(f4 && f4.method === 'post', 'the association form');
	assert.ok('email' in f4.fields && f4.fields.csrf, 'email and csrf');
	assert.match(a4.text, /<label[^>]*for="email"[^>]*>E-mail address:<\/label>/);
	assert.match(f4.html, /<button[^>]*>\s*Continue\s*<\/button>/);

	// 5. E-mail sent.
	const before = B.mailFiles(srv);
	const r5 = await p.biz.post('/customersource/associate',
	    { ...f4.fields, email: prof.email });
	assert.equal(r5.status, 200);
	assert.equal(L.h1Of(r5.text), 'E-mail sent');
	const t5 = L.textOf(r5.text);
	assert.ok(t5.includes(prof.email), 'shows the address as typed');
	assert.match(t5, /inbox/i);
	assert.match(t5, /one message for (each|every)/i);

	// 6. One message, from the support address, naming the profile.
	const [m] = await B.waitAssoc(srv, prof.email, 1, before);
	await L.sleep(300 * L.SLOW);
	assert.equal(B.newMailsTo(srv, prof.email, before).length, 1,
	    'exactly one message');
	assert.ok(m.msg.from.includes(SUPPORT), `From: ${m.msg.from}`);
	assert.equal(m.msg.subject, `Associate your ${ID_NAME} with your ` +
	    `${COMPANY} profile`);
	for (const s of [prof.name, prof.company, 'CustomerSource'])
		assert.ok(m.msg.text.includes(s), `the message names ${s}`);
	assert.ok(m.token.length >= 43, 'a long link');
	assert.match(m.code, B.CODE_RE);

	// 7. Follow the link: a confirm page; nothing changes.
	const o7 = await B.openLink(p, m.link);
	assert.equal(o7.page.status, 200);
	assert.equal(L.h1Of(o7.page.text), 'Confirm the association');
	const t7 = L.textOf(o7.page.text);
	for (const s of [prof.name, prof.company, 'CustomerSource'])
		assert.ok(t7.includes(s), `the confirm page names ${s}`);
	assert.match(t7, /password again/i);
	assert.ok(o7.form, 'a POST form to /associate/confirm');
	assert.match(L.inputValue(o7.page.text, 'link') || '', /^[0-9a-f]{64}$/,
	    'the hidden link field holds the link\'s hash');
	assert.doesNotMatch(o7.page.text, /<script\b/i, 'no script');
	assert.doesNotMatch(o7.page.text, /http-equiv\s*=\s*["']?refresh/i);
	assert.equal((await B.profileById(srv, prof.id)).associated, false,
	    'opening the link associated the profile');

	// 8. Sign in again: prompt=login and max_age=0, and the ID
	// service shows its sign-in page though its session is alive.
	assert.equal(await L.isSignedIn(p.id), true);
	const b8 = await B.confirm(p, o7.form);
	const st8 = b8.steps[0];
	assert.equal(st8.status, 303, 'POST /associate/confirm answers 303');
	const re = new URL(st8.location);
	assert.equal(re.origin + re.pathname, `${srv.url}/authorize`);
	assert.equal(re.searchParams.get('prompt'), 'login');
	assert.equal(re.searchParams.get('max_age'), '0');
	assert.equal(b8.signins, 1, 'the password was asked again');
	assert.equal(L.h1Of(b8.signinPages[0].text),
	    'Sign in to CustomerSource');

	// 9. Success; the link is spent.
	assert.equal(b8.page.status, 200);
	assert.match(L.textOf(b8.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
	assert.equal((await B.profileById(srv, prof.id)).associated, true);
	const again = await p.biz.get(m.link);
	assert.equal(again.status, 400, 'a spent link');
	assert.ok(!L.formsOf(again.text).some((f) =>
	    f.action === '/associate/confirm'), 'no confirm form any more');

	// 10. The portal, now and from a new browser: straight in.
	const b10 = await B.openPortal(p, '/customersource');
	assert.equal(b10.steps.length, 1, 'no detour');
	assert.equal(b10.page.status, 200);
	assert.equal(L.h1Of(b10.page.text), `Welcome, ${prof.name}`);
	assert.ok(L.textOf(b10.page.text).includes(prof.company));
	const fresh = B.personFor(srv, email, password);
	const b10b = await B.openPortal(fresh, '/customersource');
	assert.equal(b10b.signins, 1);
	assert.equal(b10b.page.status, 200);
	assert.equal(B.pathOf(b10b.url), '/customersource');
	assert.equal(L.h1Of(b10b.page.text), `Welcome, ${prof.name}`);
});

test('an address with a customer and a partner profile: two messages, two ' +
    'associations, each portal opens with its own profile', async () => {
	const addr = L.uniqueEmail('two');
	const cust = await B.addProfile(srv, { email: addr, type: 'customer',
	    name: 'Robin Customer', company: 'Fabrikam Retail' });
	const part = await B.addProfile(srv, { email: addr, type: 'partner',
	    name: 'Robin Partner', company: 'Fabrikam Consulting' });
	const p = await B.newPerson(srv, 'two');
	const b = await B.openPortal(p, '/customersource');
	assert.equal(B.pathOf(b.url), '/customersource/associate');
	const before = B.mailFiles(srv);
	const r = await B.requestAssoc(p, '/customersource', addr);
	assert.equal(r.status, 200);
	const mails = await B.waitAssoc(srv, addr, 2, before);
	await L.sleep(300 * L.SLOW);
	assert.equal(B.newMailsTo(srv, addr, before).length, 2,
	    'one message per profile');
	const forCust = mails.find((m) => m.msg.text.includes(cust.name));
	const forPart = mails.find((m) => m.msg.text.includes(part.name));
	assert.ok(forCust && forPart, 'each profile has its message');
	assert.notEqual(forCust.token, forPart.token);
	assert.ok(forCust.msg.text.includes('CustomerSource'));
	assert.ok(forPart.msg.text.includes('PartnerSource'));
	assert.ok(forPart.msg.text.includes(part.company));

	// The customer profile first: CustomerSource opens, PartnerSource
	// does not (a customer profile is not a partner profile).
	let o = await B.openLink(p, forCust.link);
	let c = await B.confirm(p, o.form);
	assert.match(L.textOf(c.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, cust.name));
	let ps = await B.openPortal(p, '/partnersource');
	assert.equal(B.pathOf(ps.url), '/partnersource/associate',
	    'a customer profile opened PartnerSource');
	assert.equal(L.h1Of(ps.page.text), 'Account Association');

	o = await B.openLink(p, forPart.link);
	assert.ok(L.textOf(o.page.text).includes('PartnerSource'));
	c = await B.confirm(p, o.form);
	assert.match(L.textOf(c.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, part.name));
	ps = await B.openPortal(p, '/partnersource');
	assert.equal(B.pathOf(ps.url), '/partnersource');
	assert.equal(L.h1Of(ps.page.text), `Welcome, ${part.name}`);
	const cs = await B.openPortal(p, '/customersource');
	assert.equal(B.pathOf(cs.url), '/customersource');
	assert.equal(L.h1Of(cs.page.text), `Welcome, ${cust.name}`);
	for (const id of [cust.id, part.id])
		assert.equal((await B.profileById(srv, id)).associated, true);
});

test('an address with no profile gets the same page and no message',
    async () => {
	const known = L.uniqueEmail('known');
	await B.addProfile(srv, { email: known });
	// Same length as the known address, so even the page's length
	// cannot differ.
	const unknown = known.replace(/^known-/, 'nobod-');
	assert.equal(unknown.length, known.length);
	const p = await B.newPerson(srv, 'enum');
	await B.openPortal(p, '/customersource');
	const before = B.mailFiles(srv);
	const ru = await B.requestAssoc(p, '/customersource', unknown);
	const rk = await B.requestAssoc(p, '/customersource', known);
	assert.equal(ru.status, rk.status);
	assert.equal(ru.status, 200);
	assert.equal(ru.headers.get('content-type'),
	    rk.headers.get('content-type'));
	const norm = (r, addr) => L.stripCsrf(r.text).split(addr)
	    .join('ADDRESS');
	assert.equal(norm(ru, unknown), norm(rk, known),
	    'the pages differ beyond the csrf token and the typed address');
	assert.equal(L.h1Of(ru.text), 'E-mail sent');
	await B.waitAssoc(srv, known, 1, before);
	await L.sleep(500 * L.SLOW);
	assert.equal(B.newMailsTo(srv, unknown, before).length, 0,
	    'a message went to an address with no profile');
});

test('portal pages carry the navigation of the seeds', async () => {
	const addr = L.uniqueEmail('nav');
	const prof = await B.addProfile(srv, { email: addr });
	const p = await B.newPerson(srv, 'nav');
	const b = await B.signInAndAssociate(p, '/customersource', addr);
	assert.equal(L.h1Of(b.page.text), `Welcome, ${prof.name}`);
	const home = await p.biz.get('/');
	assert.equal(home.status, 200);
	assert.equal(L.h1Of(home.text), 'Business Solutions Home');
	for (const page of [b.page, home]) {
		const html = page.text;
		const links = [...html.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi)]
		    .map((x) => ({ href: x[1], text: L.textOf(x[2]) }));
		const has = (text, href) => assert.ok(links.some((l) =>
		    l.text === text && l.href === href),
		    `a link "${text}" to ${href}`);
		has('Business Solutions Home', '/');
		has('Solution Builder', '/solution-builder');
		has('Business Solutions Worldwide', '/worldwide');
		has('Advanced Search', '/search/advanced');
		has('By Business Need', '/solutions/by-need');
		has('By Name', '/solutions/by-name');
		has('Services', '/services');
		has('How to Buy', '/how-to-buy');
		has('Partners', '/partners');
		has('CustomerSource', '/customersource');
		has('PartnerSource', '/partnersource');
		assert.ok(L.textOf(html).includes('Business Solutions'),
		    'the menu heading');
		const search = L.formsOf(html).find((f) =>
		    f.action === '/search');
		assert.ok(search && search.method === 'get', 'a search form');
		assert.ok('q' in search.fields, 'the search box q');
		const qid = (search.html.match(/<input\b[^>]*name="q"[^>]*>/)[0]
		    .match(/id="([^"]+)"/) || [])[1];
		assert.ok(qid, 'the search box has an id');
		assert.match(html, new RegExp(`<label[^>]*for="${qid}"[^>]*>` +
		    '\\s*Search for\\s*</label>'), 'labelled "Search for"');
		const so = L.formsOf(html).find((f) => f.action === '/signout');
		assert.ok(so && so.method === 'post' && so.fields.csrf,
		    'a Sign Out form with csrf');
		assert.match(so.html, />\s*Sign Out\s*</);
		assert.ok(L.textOf(html).includes(`© ${new Date()
		    .getUTCFullYear()} ${COMPANY}`), 'the footer');
		assert.ok(html.includes(SUPPORT), 'the support address');
	}
	// Every entry of the menu and the top bar leads to a page.
	for (const path of ['/solution-builder', '/worldwide',
	    '/solutions/by-need', '/solutions/by-name', '/services',
	    '/how-to-buy', '/partners', '/search/advanced']) {
		const r = await p.biz.get(path);
		assert.equal(r.status, 200, `${path}: ${r.status}`);
		assert.ok(L.h1Of(r.text), `${path} has a heading`);
	}
	const adv = await p.biz.get('/search/advanced');
	assert.match(adv.text, /<select\b[^>]*name="in"/, 'Advanced Search ' +
	    'chooses a portal');
	for (const o of ['All', 'CustomerSource', 'PartnerSource'])
		assert.match(adv.text, new RegExp(`<option[^>]*>${o}</option>`));
	const s = await p.biz.get('/search?q=partner');
	assert.equal(s.status, 200);
	assert.ok(L.formsOf(s.text).length > 0);
	assert.match(s.text, /href="\/partnersource"/, 'PartnerSource found');
	assert.match(s.text, /href="\/partners"/, 'Partners found');
	// The signed-in address is shown in the top bar.
	assert.ok(L.textOf(b.page.text).includes(p.email));
});

test('two profiles of one audience: the portal offers a switcher',
    async () => {
	const addr = L.uniqueEmail('switch');
	const one = await B.addProfile(srv, { email: addr,
	    name: 'Sam First', company: 'Alpine Ski House' });
	const two = await B.addProfile(srv, { email: addr,
	    name: 'Sam Second', company: 'Blue Yonder Airlines' });
	const p = await B.newPerson(srv, 'switch');
	const b = await B.signInAndAssociate(p, '/customersource', addr, 2);
	assert.equal(b.page.status, 200);
	const f = L.formsOf(b.page.text).find((x) =>
	    x.action === '/customersource/profile');
	assert.ok(f && f.method === 'post', 'a switcher form');
	const opts = [...f.html.matchAll(/<option\b[^>]*value="(\d+)"[^>]*>([^<]*)</g)]
	    .map((x) => ({ id: x[1], text: L.decodeEntities(x[2]) }));
	assert.deepEqual(opts.map((x) => x.id).sort(), [one.id, two.id].sort());
	assert.ok(opts.find((x) => x.id === two.id).text.includes(two.company));
	const first = L.h1Of(b.page.text);
	const other = first === `Welcome, ${one.name}` ? two : one;
	const r = await p.biz.post('/customersource/profile',
	    { csrf: f.fields.csrf, profile_id: other.id });
	assert.equal(r.status, 303);
	assert.equal(B.target(r), '/customersource');
	const g = await p.biz.get('/customersource');
	assert.equal(L.h1Of(g.text), `Welcome, ${other.name}`);
	assert.ok(L.textOf(g.text).includes(other.company));
	const sel = L.formsOf(g.text).find((x) =>
	    x.action === '/customersource/profile');
	assert.match(sel.html, new RegExp(`<option\\b[^>]*value="${other.id}"` +
	    '[^>]*selected'), 'the chosen profile is selected');

	// A profile of somebody else cannot be chosen.
	const stranger = await B.addProfile(srv,
	    { email: L.uniqueEmail('stranger') });
	const r2 = await p.biz.post('/customersource/profile',
	    { csrf: f.fields.csrf, profile_id: stranger.id });
	assert.equal(r2.status, 303);
	const g2 = await p.biz.get('/customersource');
	assert.equal(L.h1Of(g2.text), `Welcome, ${other.name}`);
	// Nor without the csrf token.
	const r3 = await p.biz.post('/customersource/profile',
	    { profile_id: one.id === other.id ? two.id : one.id });
	assert.equal(r3.status, 403);
	assert.equal(L.h1Of((await p.biz.get('/customersource')).text),
	    `Welcome, ${other.name}`);
});

test('Sign Out ends the portal session and the ID service session, and ' +
    'ends on the business home page', async () => {
	const addr = L.uniqueEmail('out');
	await B.addProfile(srv, { email: addr });
	const p = await B.newPerson(srv, 'out');
	const b = await B.signInAndAssociate(p, '/customersource', addr);
	assert.equal(b.page.status, 200);
	assert.equal(await L.isSignedIn(p.id), true);
	const so = L.formsOf(b.page.text).find((f) => f.action === '/signout');
	const out = await B.browse(p, '/signout', { method: 'POST',
	    form: so.fields });
	const first = out.steps[0];
	assert.equal(first.status, 303);
	assert.ok(first.res.setCookies.some((c) => c.name === 'bs_session' &&
	    (c.value === '' || c.attrs['max-age'] === '0')),
	    'the session cookie is cleared');
	const lo = new URL(first.location);
	assert.equal(lo.origin, srv.url, 'RP-initiated logout at the ID service');
	assert.ok(lo.searchParams.get('id_token_hint'), 'id_token_hint');
	assert.equal(lo.searchParams.get('post_logout_redirect_uri'),
	    `${srv.biz}/`);
	assert.equal(out.page.status, 200);
	const landed = new URL(out.url);
	assert.equal(`${landed.origin}${landed.pathname}`, `${srv.biz}/`);
	assert.equal(L.h1Of(out.page.text), 'Business Solutions Home');
	assert.match(L.textOf(out.page.text), /You have signed out/,
	    'the home page says the person is signed out');
	assert.doesNotMatch(out.page.text, /action="\/signout"/,
	    'the home page still shows Sign Out');
	// The portal asks the provider again; the ID service asks for the
	// password.
	const r = await p.biz.get('/customersource');
	assert.equal(r.status, 302);
	assert.equal(new URL(r.location).origin, srv.url);
	const acct = await p.id.get('/account');
	assert.ok(acct.status === 302 || acct.status === 303);
	assert.equal(new URL(acct.location, srv.url).pathname, '/signin');
	const again = await B.openPortal(p, '/customersource',
	    { signIn: false });
	assert.equal(again.signins, 1, 'the ID service asks for the password');
});

test('the association message: from the support address, naming the ' +
    'profile, the company and the portal', async () => {
	const addr = L.uniqueEmail('msg');
	const prof = await B.addProfile(srv, { email: addr, type: 'partner',
	    name: 'Kim Abercrombie', company: 'Wide World Importers' });
	const p = await B.newPerson(srv, 'msg');
	await B.openPortal(p, '/partnersource');
	const before = B.mailFiles(srv);
	await B.requestAssoc(p, '/partnersource', addr);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	const fromAddrs = [...m.msg.from.matchAll(/[^\s<>,;:"]+@[^\s<>,;:"]+/g)]
	    .map((x) => x[0].toLowerCase());
	assert.deepEqual(fromAddrs, [SUPPORT], `From: ${m.msg.from}`);
	assert.deepEqual(m.msg.toAddrs, [addr.toLowerCase()]);
	for (const part of [m.msg.text, L.decodeEntities(m.msg.html)]) {
		assert.ok(part.includes(prof.name), 'profile name');
		assert.ok(part.includes(prof.company), 'company');
		assert.ok(part.includes('PartnerSource'), 'portal');
		assert.ok(part.includes(m.link), 'the link');
		assert.ok(part.includes(m.code), 'the short code');
	}
	assert.ok(m.link.startsWith(`${srv.biz}/associate?token=`),
	    'the link is built from the public URL');
	assert.match(m.token, /^[A-Za-z0-9_-]{43,}$/);
});

test('the short code typed on the business site leads to the same confirm ' +
    'step', async () => {
	const addr = L.uniqueEmail('code');
	const prof = await B.addProfile(srv, { email: addr, name: 'Lee Code' });
	const p = await B.newPerson(srv, 'code');
	await B.openPortal(p, '/customersource');
	const before = B.mailFiles(srv);
	const sent = await B.requestAssoc(p, '/customersource', addr);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	const cf = L.formsOf(sent.text).find((f) =>
	    f.action === '/customersource/associate/code');
	assert.ok(cf && cf.method === 'post' && 'code' in cf.fields,
	    'the E-mail sent page has a code form');

	// Another ID cannot use the code.
	const q = await B.newPerson(srv, 'code-other');
	const qb = await B.openPortal(q, '/customersource');
	const qc = L.csrfOf(qb.page.text);
	const qr = await q.biz.post('/customersource/associate/code',
	    { csrf: qc, code: m.code });
	assert.notEqual(L.h1Of(qr.text), 'Confirm the association');
	assert.ok(!L.formsOf(qr.text).some((f) =>
	    f.action === '/associate/confirm'), 'another ID got a confirm form');
	assert.ok(L.alertText(qr.text), 'an error is shown');

	// The same ID, typing it in lower case without the hyphen.
	const typed = m.code.replace('-', ' ').toLowerCase();
	const r = await p.biz.post('/customersource/associate/code',
	    { ...cf.fields, code: typed });
	assert.equal(r.status, 200);
	assert.equal(L.h1Of(r.text), 'Confirm the association');
	assert.ok(L.textOf(r.text).includes(prof.name));
	const viaLink = await B.openLink(p, m.link);
	const fr = L.formsOf(r.text).find((f) =>
	    f.action === '/associate/confirm');
	assert.ok(fr, 'a confirm form');
	assert.equal(L.inputValue(r.text, 'link'),
	    L.inputValue(viaLink.page.text, 'link'),
	    'the code and the link name the same association');
	assert.match(L.inputValue(r.text, 'link') || '', /^[0-9a-f]{64}$/);
	const c = await B.confirm(p, fr);
	assert.equal(c.signins, 1, 'the password is asked again');
	assert.match(L.textOf(c.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
	// Spent: the link and the code.
	assert.equal((await p.biz.get(m.link)).status, 400);
	const r2 = await p.biz.post('/customersource/associate/code',
	    { ...cf.fields, code: m.code });
	assert.notEqual(L.h1Of(r2.text), 'Confirm the association');
});

test('a profile associated with ID A and then by ID B moves to B; a notice ' +
    'goes to the profile\'s address', async () => {
	const addr = L.uniqueEmail('move');
	const prof = await B.addProfile(srv, { email: addr, name: 'Jo Mover' });
	const a = await B.newPerson(srv, 'move-a');
	const pa = await B.signInAndAssociate(a, '/customersource', addr);
	assert.equal(L.h1Of(pa.page.text), `Welcome, ${prof.name}`);
	const before = B.mailFiles(srv);
	const bb = await B.newPerson(srv, 'move-b');
	const pb = await B.signInAndAssociate(bb, '/customersource', addr);
	assert.equal(L.h1Of(pb.page.text), `Welcome, ${prof.name}`);
	const notice = await L.waitFor(() => B.newMailsTo(srv, addr, before,
	    B.MOVED_SUBJECT)[0], 5000 * L.SLOW, 'the moved notice');
	assert.ok(notice.from.includes(SUPPORT));
	assert.ok(notice.text.includes(prof.name), 'the notice names the ' +
	    'profile');
	assert.ok(notice.text.includes(SUPPORT));
	// A, even in its running session, no longer opens the portal.
	const ra = await a.biz.get('/customersource');
	assert.equal(ra.status, 302);
	assert.equal(B.target(ra), '/customersource/associate');
	const fresh = B.personFor(srv, a.email, a.password);
	const fa = await B.openPortal(fresh, '/customersource');
	assert.equal(B.pathOf(fa.url), '/customersource/associate');
});

test('an ID that changes its e-mail address at the ID service keeps its ' +
    'association', async () => {
	const addr = L.uniqueEmail('chg');
	const prof = await B.addProfile(srv, { email: addr, name: 'Ari Change' });
	const p = await B.newPerson(srv, 'chg');
	await B.signInAndAssociate(p, '/customersource', addr);
	// Change the address on Account Services (p.id is signed in).
	const newEmail = L.uniqueEmail('chg-new');
	const acct = await p.id.get('/account');
	assert.equal(acct.status, 200);
	const f = L.formsOf(acct.text).find((x) =>
	    x.action === '/account/email');
	assert.ok(f, 'the change e-mail form');
	const r = await p.id.post('/account/email', { ...f.fields,
	    email: newEmail, current: p.password });
	assert.equal(r.status, 303);
	const [m] = await srv.mailTo(newEmail);
	const link = m.links.find((l) =>
	    l.startsWith(`${srv.url}/account/email/confirm?token=`));
	assert.ok(link, 'a confirmation link');
	const g = await p.id.get(L.localTarget(link, srv.url));
	const cf = L.formsOf(g.text).find((x) => x.method === 'post' &&
	    x.fields.token);
	const pc = await p.id.post(cf.action || '/account/email/confirm',
	    cf.fields);
	assert.ok(pc.status === 200 || pc.status === 303);
	assert.ok(await srv.user(newEmail), 'the address changed');
	// A new browser signs in with the new address: straight in.
	const fresh = B.personFor(srv, newEmail, p.password);
	const b = await B.openPortal(fresh, '/customersource');
	assert.equal(b.signins, 1);
	assert.equal(B.pathOf(b.url), '/customersource');
	assert.equal(L.h1Of(b.page.text), `Welcome, ${prof.name}`);
	assert.ok(L.textOf(b.page.text).includes(newEmail),
	    'the portal shows the new address');
});
