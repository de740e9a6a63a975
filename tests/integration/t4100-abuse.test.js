// The association flow against misuse: a link used twice, an expired link,
// a damaged link, a link confirmed by another ID, a confirm step finished
// with a sign-in that is not the fresh one it asked for, mail scanners
// opening the link, a customer opening PartnerSource, forged callbacks
// (state, browser binding), the request limits per ID and per address,
// the short code's try limit, CSRF, and the Host header in mailed links.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const L = require('./lib.js');
const B = require('./biz-lib.js');

const COMPANY = 'Example Business Solutions';
const ID_NAME = 'onepass ID';

let srv;

test.before(async () => {
	srv = await B.startBiz();
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

// A person signed in to the business site (on the association page of
// CustomerSource) and a profile under a fresh address; the link mailed
// for it.
async function linkFor(tag, type = 'customer') {
	const addr = L.uniqueEmail(`${tag}-prof`);
	const prof = await B.addProfile(srv, { email: addr, type });
	const p = await B.newPerson(srv, tag);
	const path = type === 'partner' ? '/partnersource' : '/customersource';
	const b = await B.openPortal(p, path);
	assert.equal(B.pathOf(b.url), `${path}/associate`);
	const before = B.mailFiles(srv);
	const r = await B.requestAssoc(p, path, addr);
	assert.equal(r.status, 200, `association request: ${r.status}`);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	return { p, prof, addr, m, sent: r, path };
}

// The answer is the invalid-link page: 400, no confirm form.
function assertInvalidLink(r, what) {
	assert.equal(r.status, 400, `${what}: status ${r.status}`);
	assert.equal(r.location, null, `${what}: redirected`);
	assert.ok(!L.formsOf(r.text).some((f) =>
	    f.action === '/associate/confirm'), `${what}: a confirm form`);
	assert.match(L.textOf(r.text), /not valid|can't be used|expired/i,
	    `${what}: says the link cannot be used`);
}

// The association failed: an error page, not the success sentence.
function assertFailed(page, what) {
	assert.ok(page.status >= 400 && page.status < 500,
	    `${what}: status ${page.status}`);
	assert.doesNotMatch(L.textOf(page.text), /successfully associated/i,
	    `${what}: says it succeeded`);
	assert.equal(L.h1Of(page.text), 'Association not completed',
	    `${what}: heading`);
}

test('a link works once: a second use fails and changes nothing',
    async () => {
	const { p, prof, m } = await linkFor('twice');
	// Confirm in two browsers of the same ID before signing in again;
	// complete the first: the second then ends on the failure page.
	const o = await B.openLink(p, m.link);
	const twin = B.personFor(srv, p.email, p.password);
	const o2 = await B.openLink(twin, m.link);
	const first = await p.biz.post('/associate/confirm', o.form.fields);
	const second = await twin.biz.post('/associate/confirm',
	    o2.form.fields);
	assert.equal(first.status, 303);
	assert.equal(second.status, 303);
	const b1 = await B.browse(p, first.location);
	assert.match(L.textOf(b1.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
	const b2 = await B.browse(twin, second.location);
	assert.equal(b2.signins, 1);
	assertFailed(b2.page, 'the second completion');
	assert.match(L.alertText(b2.page.text), /already used|expired/i);
	// The link itself, and its confirm step, are refused now.
	assertInvalidLink(await p.biz.get(m.link), 'GET of a spent link');
	const c = await p.biz.post('/associate/confirm', {
	    ...o.form.fields, csrf: L.csrfOf((await p.biz.get('/')).text) });
	assertInvalidLink(c, 'confirm of a spent link');
	assert.equal((await B.profileById(srv, prof.id)).associated, true);
	const portal = await B.openPortal(p, '/customersource');
	assert.equal(L.h1Of(portal.page.text), `Welcome, ${prof.name}`);
});

test('an expired link is refused (link_ttl_sec = 2)', async () => {
	// A two-second lifetime: the link works when mailed and is dead after
	// the wait below.
	const s2 = await B.startBiz({ env: {
	    ONEPASS_BUSINESS_LINK_TTL_SEC: '2' } });
	try {
		const addr = L.uniqueEmail('exp-prof');
		const prof = await B.addProfile(s2, { email: addr });
		const p = await B.newPerson(s2, 'exp');
		await B.openPortal(p, '/customersource');
		const sent = await B.requestAssoc(p, '/customersource', addr);
		assert.equal(sent.status, 200);
		const [m] = await B.waitAssoc(s2, addr, 1);
		await L.sleep(3100);
		assertInvalidLink(await p.biz.get(m.link), 'an expired link');
		const cf = L.formsOf(sent.text).find((f) =>
		    f.action === '/customersource/associate/code');
		const rc = await p.biz.post(cf.action,
		    { ...cf.fields, code: m.code });
		assert.ok(!L.formsOf(rc.text).some((f) =>
		    f.action === '/associate/confirm'),
		    'an expired code opened the confirm step');
		const c = await p.biz.post('/associate/confirm', {
		    csrf: L.csrfOf(sent.text),
		    link: crypto.createHash('sha256').update(m.token)
		    .digest('hex') });
		assertInvalidLink(c, 'confirm of an expired link');
		assert.equal((await B.profileById(s2, prof.id)).associated,
		    false);
	} finally {
		await s2.stop();
	}
});

test('a damaged link is refused; the real one still works', async () => {
	const { p, m } = await linkFor('damaged');
	const t = m.token;
	const flip = (s, i) => s.slice(0, i) +
	    (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
	const bad = [flip(t, 0), flip(t, t.length - 1),
	    flip(t, t.length >> 1), t.slice(0, -1), t + 'A', t.toLowerCase(),
	    '', 'x'.repeat(5000), t.replace(/./, '%00'), `${t}&token=${t}`];
	for (const b of bad) {
		const r = await p.biz.get(`/associate?token=${b}`);
		assert.notEqual(r.status, 200, `token ${b.slice(0, 60)}`);
		assert.ok(r.status < 500, `token ${b.slice(0, 60)}: ` +
		    `${r.status}`);
		assert.ok(!L.formsOf(r.text).some((f) =>
		    f.action === '/associate/confirm'),
		    `a damaged token opened the confirm page: ${b.slice(0, 60)}`);
	}
	assertInvalidLink(await p.biz.get(`/associate?token=${flip(t, 5)}`),
	    'one changed character');
	assertInvalidLink(await p.biz.get('/associate'), 'no token');
	// A forged link hash in the confirm step.
	const home = await p.biz.get('/');
	const r = await p.biz.post('/associate/confirm', {
	    csrf: L.csrfOf(home.text), link: 'a'.repeat(64) });
	assertInvalidLink(r, 'a made-up link hash');
	const o = await B.openLink(p, m.link);
	assert.equal(o.page.status, 200, 'the real link still opens');
	assert.ok(o.form);
});

test('a link confirmed by another signed-in ID is refused; the profile ' +
    'stays unassociated and the link stays usable by the ID that asked',
    async () => {
	const { p, prof, m } = await linkFor('victim');
	const q = await B.newPerson(srv, 'intruder');
	await B.openPortal(q, '/customersource');
	const o = await B.openLink(q, m.link);
	assert.equal(o.page.status, 200);
	const b = await B.confirm(q, o.form);
	assert.equal(b.signins, 1, 'the intruder was asked to sign in');
	assertFailed(b.page, 'another ID');
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
	const qp = await B.openPortal(q, '/customersource');
	assert.equal(B.pathOf(qp.url), '/customersource/associate');
	// The same from a browser with no business session at all.
	const r = B.personFor(srv, q.email, q.password);
	const o2 = await B.openLink(r, m.link);
	const b2 = await B.confirm(r, o2.form);
	assertFailed(b2.page, 'another ID, new browser');
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
	// The ID that asked completes it.
	const o3 = await B.openLink(p, m.link);
	const b3 = await B.confirm(p, o3.form);
	assert.match(L.textOf(b3.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
	const pp = await B.openPortal(p, '/customersource');
	assert.equal(L.h1Of(pp.page.text), `Welcome, ${prof.name}`);
});

test('the confirm step cannot be finished with a code from a sign-in that ' +
    'was not the fresh one it asked for', async () => {
	const { p, prof, m } = await linkFor('forged');
	const o = await B.openLink(p, m.link);
	const c = await p.biz.post('/associate/confirm', o.form.fields);
	assert.equal(c.status, 303);
	const state = new URL(c.location).searchParams.get('state');
	// A code from a plain sign-in of the same ID to the same portal
	// (no prompt=login), in another browser, stopped at its callback.
	const other = B.personFor(srv, p.email, p.password);
	const plain = await B.browse(other, '/customersource', { stopAt:
	    (u) => u.pathname === '/customersource/callback' });
	const code = new URL(plain.url).searchParams.get('code');
	assert.ok(code, 'a code from the plain sign-in');
	// Delivered to the confirm flow's callback, with its state and
	// this browser's binding cookie.
	const cb = await p.biz.get(`/customersource/callback?code=` +
	    `${encodeURIComponent(code)}&state=${encodeURIComponent(state)}` +
	    `&iss=${encodeURIComponent(srv.url)}`);
	assert.equal(cb.status, 400, `forged callback: ${cb.status}`);
	assert.doesNotMatch(L.textOf(cb.text), /successfully associated/i);
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
	// Nor with no code at all.
	const c2 = await p.biz.post('/associate/confirm', o.form.fields);
	const st2 = new URL(c2.location).searchParams.get('state');
	const cb2 = await p.biz.get(`/customersource/callback?state=${st2}`);
	assert.ok(cb2.status >= 400 && cb2.status < 500, `${cb2.status}`);
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
});

test('opening the link changes nothing, however often (mail scanners)',
    async () => {
	const { p, prof, m } = await linkFor('scanner');
	const pages = [];
	for (let i = 0; i < 12; i++) {
		const scanner = new L.Client(srv.biz,
		    { userAgent: `MailScanner/${i}` });
		const r = await scanner.get(m.link);
		assert.equal(r.status, 200, `scan ${i}`);
		pages.push(L.stripCsrf(r.text));
	}
	assert.ok(pages.every((x) => x === pages[0]), 'the page changed');
	assert.doesNotMatch(pages[0], /<script\b/i, 'a script on the page');
	assert.doesNotMatch(pages[0], /http-equiv\s*=\s*["']?refresh/i);
	assert.doesNotMatch(pages[0], /\bautofocus\b[^>]*type="submit"|onload=/i);
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
	const o = await B.openLink(p, m.link);
	const b = await B.confirm(p, o.form);
	assert.match(L.textOf(b.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
});

test('a customer-only ID opening PartnerSource gets the association page, ' +
    'not the portal', async () => {
	const addr = L.uniqueEmail('custonly');
	const prof = await B.addProfile(srv, { email: addr, type: 'customer' });
	const p = await B.newPerson(srv, 'custonly');
	const cs = await B.signInAndAssociate(p, '/customersource', addr);
	assert.equal(L.h1Of(cs.page.text), `Welcome, ${prof.name}`);
	const ps = await B.openPortal(p, '/partnersource');
	assert.equal(B.pathOf(ps.url), '/partnersource/associate');
	assert.equal(L.h1Of(ps.page.text), 'Account Association');
	assert.ok(!L.textOf(ps.page.text).includes(`Welcome, ${prof.name}`));
	// A new browser: the same.
	const fresh = B.personFor(srv, p.email, p.password);
	const f = await B.openPortal(fresh, '/partnersource');
	assert.equal(B.pathOf(f.url), '/partnersource/associate');
	// Asking PartnerSource for the customer profile's address mails
	// the customer profile's link naming CustomerSource; it does not
	// open PartnerSource.
	const before = B.mailFiles(srv);
	await B.requestAssoc(p, '/partnersource', addr);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	assert.ok(m.msg.text.includes('CustomerSource'));
	const o = await B.openLink(p, m.link);
	await B.confirm(p, o.form);
	const again = await B.openPortal(p, '/partnersource');
	assert.equal(B.pathOf(again.url), '/partnersource/associate');
});

test('a forged state at the callback: 400, no session', async () => {
	const p = await B.newPerson(srv, 'state');
	// A real sign-in stopped at its callback.
	const b = await B.browse(p, '/customersource', { stopAt:
	    (u) => u.pathname === '/customersource/callback' });
	const u = new URL(b.url);
	const forged = crypto.randomBytes(32).toString('base64url');
	u.searchParams.set('state', forged);
	const r = await p.biz.get(u.toString());
	assert.equal(r.status, 400);
	assert.equal(B.setsSession(r), false, 'a session after a forged state');
	const g = await p.biz.get('/customersource');
	assert.equal(g.status, 302, 'signed in after a forged state');
	assert.equal(new URL(g.location).origin, srv.url);
	// Junk states.
	for (const s of ['', 'x', 'a'.repeat(5000), '%00', '../../']) {
		const r2 = await p.biz.get(`/customersource/callback?code=x&` +
		    `state=${s}`);
		assert.equal(r2.status, 400, `state ${s.slice(0, 20)}`);
		assert.equal(B.setsSession(r2), false);
	}
});

test('a callback without the browser-binding cookie: 400, no session',
    async () => {
	const p = await B.newPerson(srv, 'binding');
	const b = await B.browse(p, '/customersource', { stopAt:
	    (u) => u.pathname === '/customersource/callback' });
	// Another browser (the attacker's victim) receives the callback.
	const victim = new L.Client(srv.biz);
	const r = await victim.get(b.url);
	assert.equal(r.status, 400);
	assert.equal(B.setsSession(r), false);
	assert.equal((await victim.get('/customersource')).status, 302);
	// A cookie that does not match the state.
	victim.store([`bs_login=${crypto.randomBytes(32)
	    .toString('base64url')}; Path=/`]);
	const r2 = await victim.get(b.url);
	assert.equal(r2.status, 400);
	assert.equal(B.setsSession(r2), false);
	// The callback in the browser that started it still works once.
	const ok = await p.biz.get(b.url);
	assert.equal(ok.status, 302);
	assert.equal(B.setsSession(ok), true);
	const replay = await p.biz.get(b.url);
	assert.equal(replay.status, 400, 'a callback replayed');
});

test('request limits per address and per ID, with "Send again" keeping to ' +
    'them', async () => {
	// Defaults: 3 requests per address and 5 per ID in an hour.
	const addr = L.uniqueEmail('limit-prof');
	await B.addProfile(srv, { email: addr });
	const p = await B.newPerson(srv, 'limit');
	await B.openPortal(p, '/customersource');
	const before = B.mailFiles(srv);
	let page = await B.requestAssoc(p, '/customersource', addr);
	assert.equal(page.status, 200);
	for (let i = 2; i <= 3; i++) {
		const again = L.formsOf(page.text).find((f) =>
		    f.action === '/customersource/associate' &&
		    f.fields.email === addr);
		assert.ok(again, 'a "Send again" form with the address');
		assert.match(again.html, />\s*Send again\s*</);
		page = await p.biz.post(again.action, again.fields);
		assert.equal(page.status, 200, `request ${i}: ${page.status}`);
	}
	await B.waitAssoc(srv, addr, 3, before);
	const again = L.formsOf(page.text).find((f) =>
	    f.action === '/customersource/associate' &&
	    f.fields.email === addr);
	const refused = await p.biz.post(again.action, again.fields);
	assert.equal(refused.status, 429);
	assert.ok(L.alertText(refused.text), 'the refusal says why');
	// Another ID asking for the same address is refused too.
	const q = await B.newPerson(srv, 'limit-q');
	await B.openPortal(q, '/customersource');
	const rq = await B.requestAssoc(q, '/customersource', addr);
	assert.equal(rq.status, 429, 'the per-address limit');
	await L.sleep(500 * L.SLOW);
	assert.equal(B.newMailsTo(srv, addr, before, B.ASSOC_SUBJECT).length,
	    3, 'more messages than the limit');

	// Per ID: five addresses pass, the sixth is refused.
	const r = await B.newPerson(srv, 'limit-r');
	await B.openPortal(r, '/customersource');
	const addrs = [];
	for (let i = 0; i < 6; i++) {
		const a = L.uniqueEmail(`limit-r${i}`);
		await B.addProfile(srv, { email: a });
		addrs.push(a);
	}
	const before2 = B.mailFiles(srv);
	for (let i = 0; i < 5; i++) {
		const x = await B.requestAssoc(r, '/customersource', addrs[i]);
		assert.equal(x.status, 200, `address ${i}: ${x.status}`);
	}
	const sixth = await B.requestAssoc(r, '/customersource', addrs[5]);
	assert.equal(sixth.status, 429, 'the per-ID limit');
	await B.waitAssoc(srv, addrs[4], 1, before2);
	await L.sleep(500 * L.SLOW);
	assert.equal(B.newMailsTo(srv, addrs[5], before2).length, 0,
	    'a message past the per-ID limit');
	// The refused page looks like the "E-mail sent" page with an
	// error, whether or not the address has a profile.
	const sev = await B.requestAssoc(r, '/customersource',
	    L.uniqueEmail('limit-none'));
	assert.equal(sev.status, 429);
	assert.equal(L.h1Of(sev.text), L.h1Of(sixth.text));
});

test('the short code: ten wrong tries an hour, then even the right one is ' +
    'refused', async () => {
	const { p, prof, m, sent } = await linkFor('brute');
	const cf = L.formsOf(sent.text).find((f) =>
	    f.action === '/customersource/associate/code');
	let wrong = m.code.replace(/^./, (c) => (c === '0' ? '1' : '0'));
	let last;
	for (let i = 0; i < 10; i++) {
		last = await p.biz.post(cf.action, { ...cf.fields,
		    code: wrong });
		assert.equal(last.status, 200, `try ${i}: ${last.status}`);
		assert.ok(!L.formsOf(last.text).some((f) =>
		    f.action === '/associate/confirm'), 'a wrong code worked');
		wrong = wrong.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
	}
	const over = await p.biz.post(cf.action, { ...cf.fields,
	    code: m.code });
	assert.equal(over.status, 429, 'the right code after ten wrong ones');
	assert.ok(!L.formsOf(over.text).some((f) =>
	    f.action === '/associate/confirm'));
	// The link still works.
	const o = await B.openLink(p, m.link);
	const b = await B.confirm(p, o.form);
	assert.match(L.textOf(b.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
});

test('CSRF: the association form, the code form, the confirm step, the ' +
    'switcher and Sign Out refuse a POST without a valid token',
    async () => {
	const { p, prof, m } = await linkFor('csrf');
	const before = B.mailFiles(srv);
	const noTok = await p.biz.post('/customersource/associate',
	    { email: prof.email });
	assert.equal(noTok.status, 403);
	const badTok = await p.biz.post('/customersource/associate',
	    { email: prof.email, csrf: 'A'.repeat(43) });
	assert.equal(badTok.status, 403);
	const g = await p.biz.get('/customersource/associate');
	const csrf = L.csrfOf(g.text);
	const xorig = await p.biz.post('/customersource/associate',
	    { email: prof.email, csrf },
	    { headers: { origin: 'https://evil.example' } });
	assert.equal(xorig.status, 403, 'a cross-site Origin');
	const code = await p.biz.post('/customersource/associate/code',
	    { code: m.code });
	assert.equal(code.status, 403);
	const link = crypto.createHash('sha256').update(m.token)
	    .digest('hex');
	const conf = await p.biz.post('/associate/confirm', { link });
	assert.equal(conf.status, 403);
	assert.equal(conf.location, null, 'redirected without csrf');
	const sw = await p.biz.post('/customersource/profile',
	    { profile_id: prof.id });
	assert.equal(sw.status, 403);
	const so = await p.biz.post('/signout', {});
	assert.equal(so.status, 403);
	assert.equal(so.location, null);
	// A token of another browser does not do either.
	const q = await B.newPerson(srv, 'csrf-q');
	await B.openPortal(q, '/customersource');
	const qtok = L.csrfOf((await q.biz.get('/customersource/associate'))
	    .text);
	const cross = await p.biz.post('/customersource/associate',
	    { email: prof.email, csrf: qtok });
	assert.equal(cross.status, 403, 'a token of another browser');
	await L.sleep(500 * L.SLOW);
	assert.equal(B.newMailsTo(srv, prof.email, before).length, 0,
	    'a refused form sent mail');
	// Still signed in, nothing associated.
	const still = await p.biz.get('/customersource');
	assert.equal(B.target(still), '/customersource/associate');
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
});

test('links in mail come from the configured public URL, not the Host ' +
    'header', async () => {
	const addr = L.uniqueEmail('host-prof');
	await B.addProfile(srv, { email: addr });
	const p = await B.newPerson(srv, 'host');
	await B.openPortal(p, '/customersource');
	const g = await p.biz.get('/customersource/associate');
	const body = L.encodeForm({ csrf: L.csrfOf(g.text), email: addr });
	const before = B.mailFiles(srv);
	const r = await L.rawRequest(srv.bizPort,
	    'POST /customersource/associate HTTP/1.1\r\n' +
	    'Host: evil.example\r\n' +
	    `Cookie: ${p.biz.cookieHeader()}\r\n` +
	    'Content-Type: application/x-www-form-urlencoded\r\n' +
	    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
	    'Connection: close\r\n\r\n' + body);
	assert.equal(r.status, 200, r.head);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	assert.ok(m.link.startsWith(`${srv.biz}/associate?token=`));
	assert.ok(!m.msg.raw.includes('evil.example'), 'the Host header ' +
	    'made it into the message');
});
