// Helpers of the business site's black-box tests (t4*): start onepass
// with the business site on its own port, a person with two cookie jars
// (one per site, plus one per foreign provider), a "browser" that follows
// redirects across the sites and signs in when a provider asks, the
// profile directory through the CLI, and the association mail.
'use strict';

const assert = require('node:assert/strict');
const L = require('./lib.js');

const ASSOC_SUBJECT = /^Associate your .+ with your .+ profile$/;
const MOVED_SUBJECT = /associated with another ID/i;
// "XXXX-XXXX" in Crockford's base32 without I, L, O, U.
const CODE_RE = /\b([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})\b/;

// Starts `onepass serve` with the ID service and the business site in one
// process. The business site's public URL uses 127.0.0.1 (node's fetch may
// try ::1 first for "localhost"); each site has its own cookie jar in the
// tests anyway. opts.env adds variables; opts.bizHost overrides the host
// name of the business site's public URL (e.g. "localhost" for Chromium).
// Returns the lib.js Server with .biz (the business URL), .bizPort.
async function startBiz(opts = {}) {
	const bizPort = opts.bizPort || await L.freePort();
	const host = opts.bizHost || '127.0.0.1';
	const biz = `http://${host}:${bizPort}`;
	const srv = await L.startServer({
		dataDir: opts.dataDir,
		env: {
			ONEPASS_BUSINESS_LISTEN: `127.0.0.1:${bizPort}`,
			ONEPASS_BUSINESS_PUBLIC_URL: biz,
			...(opts.env || {}),
		},
	});
	srv.biz = biz;
	srv.bizPort = bizPort;
	srv.bizLocal = `http://127.0.0.1:${bizPort}`;
	try {
		await L.waitFor(async () => {
			const r = await fetch(`${srv.bizLocal}/`,
			    { redirect: 'manual' }).catch(() => null);
			if (r)
				await r.arrayBuffer();
			return r && r.status === 200;
		}, 15000 * L.SLOW, `the business site on port ${bizPort}`);
	} catch (e) {
		await srv.stop().catch(() => {});
		throw e;
	}
	return srv;
}

// ---- the profile directory (CLI) ----

let profSeq = 0;

// Adds a profile with `onepass profile add`; returns { id, email, name,
// company, type }. name and company default to unique values.
async function addProfile(srv, p) {
	profSeq++;
	const tag = `${profSeq}${Math.random().toString(36).slice(2, 6)}`;
	const prof = {
		email: p.email,
		name: p.name || `Pat Tester ${tag}`,
		company: p.company || `Contoso Test ${tag} Ltd`,
		type: p.type || 'customer',
	};
	const r = await srv.cli(['profile', 'add', '--email', prof.email,
	    '--name', prof.name, '--company', prof.company,
	    '--type', prof.type]);
	const id = r.stdout.trim().split('\n').pop();
	assert.match(id, /^\d+$/, `profile add printed no id:\n${r.stdout}`);
	return { id, ...prof };
}

// `onepass profile list` as objects { id, email, name, company, type,
// associated }.
async function profiles(srv) {
	const r = await srv.cli(['profile', 'list']);
	return r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
		const f = l.split('\t');
		return { id: f[0], email: f[1], name: f[2], company: f[3],
		    type: f[4], associated: f[5] === 'yes', line: l };
	}).filter((x) => /^\d+$/.test(x.id));
}

async function profileById(srv, id) {
	const p = (await profiles(srv)).find((x) => x.id === String(id));
	assert.ok(p, `profile ${id} not in profile list`);
	return p;
}

// ---- people ----

// A person: an ID made through the sign-up form, with one cookie jar for
// the ID service (id), one for the business site (biz) and one per other
// origin (jars).
async function newPerson(srv, tag = 'biz') {
	const a = await L.newAccount(srv, tag);
	return personFor(srv, a.email, a.password);
}

function personFor(srv, email, password) {
	return {
		srv, email, password,
		id: new L.Client(srv.url),
		biz: new L.Client(srv.biz),
		jars: new Map(),
	};
}

// The cookie jar of person p for the origin of url.
function jarFor(p, url) {
	const o = new URL(url).origin;
	if (o === new URL(p.srv.url).origin)
		return p.id;
	if (o === new URL(p.srv.biz).origin)
		return p.biz;
	if (!p.jars.has(o))
		p.jars.set(o, new L.Client(o));
	return p.jars.get(o);
}

// The ID service's sign-in page: fills it with p's address and password.
function idSignIn(p, url, page, opts) {
	if (new URL(url).origin !== new URL(p.srv.url).origin ||
	    new URL(url).pathname !== '/signin' || page.status !== 200)
		return null;
	const f = L.formsOf(page.text).find((x) => x.method === 'post' &&
	    (x.action === '/signin' || x.action === undefined));
	assert.ok(f, 'the sign-in page has a POST form');
	return { url: new URL('/signin', p.srv.url).toString(), form: {
		...f.fields, email: p.email, password: p.password,
		save: opts.save || 'never' } };
}

// Follows a request as a browser would, across the ID service, the
// business site and any other provider, each with its own cookie jar.
// Signs in when the ID service shows its sign-in page (opts.signIn ===
// false stops there); opts.interact(p, url, page, out) may answer other
// pages (return { url, form } to POST, or null). opts.method/opts.form
// for the first request. Returns { page, url, steps, signins,
// signinPages } where page is the last response (not a redirect).
async function browse(p, start, opts = {}) {
	let url = new URL(start, p.srv.biz).toString();
	let method = opts.method || 'GET';
	let form = opts.form;
	const out = { steps: [], signins: 0, signinPages: [],
	    interactions: 0 };
	for (let hop = 0; hop < 30; hop++) {
		const c = jarFor(p, url);
		const r = await c.request(method, url, form === undefined ?
		    {} : { form });
		out.steps.push({ method, url, status: r.status,
		    location: r.location, res: r });
		method = 'GET';
		form = undefined;
		if (r.status >= 300 && r.status < 400 && r.location) {
			url = new URL(r.location, url).toString();
			if (opts.stopAt && opts.stopAt(new URL(url))) {
				out.page = r;
				out.url = url;
				return out;
			}
			continue;
		}
		let next = null;
		const signin = idSignIn(p, url, r, opts);
		if (signin) {
			out.signins++;
			out.signinPages.push(r);
			if (opts.signIn === false) {
				out.page = r;
				out.url = url;
				return out;
			}
			next = signin;
		} else if (opts.interact) {
			next = await opts.interact(p, url, r, out);
			if (next)
				out.interactions++;
		}
		if (next) {
			url = next.url;
			method = 'POST';
			form = next.form;
			continue;
		}
		out.page = r;
		out.url = url;
		return out;
	}
	throw new Error('too many redirects or pages while browsing');
}

// Signs p in to the portal at path (e.g. '/customersource'); returns the
// browse result (page: the portal, the association page, ...).
function openPortal(p, path, opts = {}) {
	return browse(p, path, opts);
}

// The path of a business response's URL.
function pathOf(url) {
	const u = new URL(url);
	return u.pathname;
}

// Where a redirect of the business site goes: the path and query when it
// stays on the business site, else the absolute URL.
function target(r) {
	if (!r.location)
		return null;
	const u = new URL(r.location, r.url);
	return u.origin === new URL(r.url).origin ? u.pathname + u.search :
	    u.toString();
}

// Posts the association form of portal path for address; p must be
// signed in to the business site. Returns the response (not followed).
async function requestAssoc(p, path, email) {
	const g = await p.biz.get(`${path}/associate`);
	assert.equal(g.status, 200, `GET ${path}/associate: ${g.status} ` +
	    `(location ${g.location})`);
	const csrf = L.csrfOf(g.text);
	assert.ok(csrf, 'the association page has a csrf token');
	return p.biz.post(`${path}/associate`, { csrf, email });
}

// ---- mail ----

function bizMail(srv) {
	return L.readMaildir(srv.mailDir, srv.biz);
}

// The association messages to addr now.
function assocMailsNow(srv, addr) {
	const a = addr.toLowerCase();
	return bizMail(srv).filter((m) => m.toAddrs.includes(a) &&
	    ASSOC_SUBJECT.test(m.subject));
}

// The file names of every message now (to tell new ones later).
function mailFiles(srv) {
	return new Set(bizMail(srv).map((m) => m.file));
}

// Waits for n association messages to addr not in before (a set of file
// names); returns them parsed (see parseAssoc).
async function waitAssoc(srv, addr, n = 1, before = new Set(),
    timeoutMs = 5000 * L.SLOW) {
	return L.waitFor(() => {
		const m = assocMailsNow(srv, addr)
		    .filter((x) => !before.has(x.file));
		return m.length >= n ? m.map((x) => parseAssoc(srv, x)) : null;
	}, timeoutMs, `${n} association message(s) to ${addr}`);
}

// The messages to addr whose subject matches re, not in before.
function newMailsTo(srv, addr, before, re) {
	const a = addr.toLowerCase();
	return bizMail(srv).filter((m) => m.toAddrs.includes(a) &&
	    !before.has(m.file) && (!re || re.test(m.subject)));
}

// { msg, link, token, code } of an association message.
function parseAssoc(srv, msg) {
	const link = msg.links.find((l) =>
	    l.startsWith(`${srv.biz}/associate?token=`));
	assert.ok(link, `no association link in:\n${msg.text}`);
	const code = (msg.text.match(CODE_RE) || [])[1];
	return { msg, link, token: new URL(link).searchParams.get('token'),
	    code };
}

// ---- association ----

// Opens an association link with p's business jar; returns the confirm
// page and its POST form.
async function openLink(p, link) {
	const page = await p.biz.get(link);
	const form = L.formsOf(page.text).find((f) =>
	    f.action === '/associate/confirm' && f.method === 'post');
	return { page, form };
}

// Submits the confirm form (as the browser would: every field of the
// form) and follows through the provider; returns the browse result.
function confirm(p, form, opts = {}) {
	return browse(p, '/associate/confirm', { ...opts, method: 'POST',
	    form: form.fields });
}

// The whole association of p with the profile(s) under addr at portal
// path: asks, waits for the messages, follows each link and confirms.
// p must be signed in to the business site. Returns the results.
async function associate(p, path, addr, n = 1) {
	const before = mailFiles(p.srv);
	const r = await requestAssoc(p, path, addr);
	assert.equal(r.status, 200, `association request: ${r.status}`);
	const mails = await waitAssoc(p.srv, addr, n, before);
	const done = [];
	for (const m of mails) {
		const { form } = await openLink(p, m.link);
		assert.ok(form, 'the link opens a confirm form');
		const b = await confirm(p, form);
		assert.equal(b.page.status, 200, 'association outcome: ' +
		    `${b.page.status}: ${L.textOf(b.page.text).slice(0, 600)}`);
		done.push({ mail: m, result: b });
	}
	return done;
}

// Signs p in to the business site through portal path and associates
// the profile(s) under addr. Returns the portal page afterwards.
async function signInAndAssociate(p, path, addr, n = 1) {
	const b = await openPortal(p, path);
	assert.equal(pathOf(b.url), `${path}/associate`,
	    `expected the association page, got ${b.url}`);
	await associate(p, path, addr, n);
	return openPortal(p, path);
}

// ---- pages ----

const SUCCESS_RE = (idName, company, name) => new RegExp(
    `You have successfully associated your ${esc(idName)} with your ` +
    `${esc(company)} profile ${esc(name)}\\.`);

function esc(s) {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// True when the response has set a business session cookie.
function setsSession(r) {
	return r.setCookies.some((c) => c.name === 'bs_session' &&
	    c.value !== '' && c.attrs['max-age'] !== '0');
}

// Every step of a browse result that set a business session cookie.
function sessionSteps(b) {
	return b.steps.filter((s) => setsSession(s.res));
}

module.exports = {
	ASSOC_SUBJECT, MOVED_SUBJECT, CODE_RE, SUCCESS_RE,
	startBiz, addProfile, profiles, profileById,
	newPerson, personFor, jarFor, browse, openPortal, pathOf, target,
	requestAssoc, bizMail, assocMailsNow, mailFiles, waitAssoc,
	newMailsTo, parseAssoc, openLink, confirm, associate,
	signInAndAssociate, setsSession, sessionSteps, esc,
};
