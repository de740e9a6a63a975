// The walkthrough with another provider: CustomerSource configured as a
// client of panva's oidc-provider (npm), started here on a loopback port
// with its development login and consent pages, which the test fills in
// over HTTP as a person would. The business site is a standard client:
// discovery, code flow with PKCE, client_secret_basic, the ID token
// checked against the provider's JWKS, prompt=login honoured on the
// confirm step, and RP-initiated logout at the provider's end_session
// endpoint.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const L = require('./lib.js');
const B = require('./biz-lib.js');

const COMPANY = 'Example Business Solutions';
const ID_NAME = 'onepass ID';

let srv;
let op;
let opServer;
let issuer;
const client = {
	client_id: 'customersource-at-oidc-provider',
	client_secret: crypto.randomBytes(32).toString('base64url'),
};

test.before(async () => {
	const { default: Provider } = await import('oidc-provider');
	const opPort = await L.freePort();
	const bizPort = await L.freePort();
	issuer = `http://127.0.0.1:${opPort}`;
	const biz = `http://127.0.0.1:${bizPort}`;
	const key = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
	    .privateKey.export({ format: 'jwk' });
	op = new Provider(issuer, {
		clients: [{
			...client,
			redirect_uris: [`${biz}/customersource/callback`],
			post_logout_redirect_uris: [`${biz}/`],
			token_endpoint_auth_method: 'client_secret_basic',
			grant_types: ['authorization_code'],
			response_types: ['code'],
			id_token_signed_response_alg: 'RS256',
		}],
		jwks: { keys: [{ ...key, kid: 'oidc-provider-1', alg: 'RS256',
		    use: 'sig' }] },
		// A stable subject (the login typed on the development
		// login page) and an e-mail address.
		async findAccount(ctx, id) {
			return {
				accountId: id,
				async claims() {
					return { sub: id, email: `${id}@op.example`,
					    email_verified: true };
				},
			};
		},
		claims: { openid: ['sub'], email: ['email', 'email_verified'] },
		// The e-mail claim in the ID token too (the business site
		// reads only the ID token).
		conformIdTokenClaims: false,
		features: {
			devInteractions: { enabled: true },
			rpInitiatedLogout: { enabled: true },
		},
		pkce: { required: () => true },
		cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
		ttl: { Session: 3600, Interaction: 600, Grant: 3600,
		    AuthorizationCode: 60, IdToken: 300, AccessToken: 300 },
	});
	// Loopback http: no proxy, no TLS (oidc-provider marks cookies
	// Secure only on https requests).
	await new Promise((resolve, reject) => {
		opServer = op.listen(opPort, '127.0.0.1', resolve);
		opServer.on('error', reject);
	});
	srv = await B.startBiz({ bizPort, env: {
		ONEPASS_PORTAL_CUSTOMERSOURCE_ISSUER: issuer,
		ONEPASS_PORTAL_CUSTOMERSOURCE_CLIENT_ID: client.client_id,
		ONEPASS_PORTAL_CUSTOMERSOURCE_CLIENT_SECRET:
		    client.client_secret,
	} });
});

test.after(async () => {
	if (srv)
		await srv.stop();
	if (opServer) {
		opServer.closeAllConnections();
		await new Promise((resolve) => opServer.close(resolve));
	}
});

// A person with an account at oidc-provider (its login is the subject).
function opPerson(tag) {
	const login = `${tag}-${crypto.randomBytes(4).toString('hex')}`;
	const p = B.personFor(srv, `${login}@op.example`, 'any password');
	p.login = login;
	p.logins = 0;
	p.consents = 0;
	return p;
}

// Answers oidc-provider's development pages: the login form, the consent
// form and the logout confirmation.
function interact(p, url, page) {
	const u = new URL(url);
	if (u.origin !== issuer || page.status !== 200)
		return null;
	const forms = L.formsOf(page.text);
	const login = forms.find((f) => f.fields.prompt === 'login');
	if (login) {
		p.logins++;
		return { url: new URL(login.action, url).toString(), form: {
		    ...login.fields, login: p.login, password: p.password } };
	}
	const consent = forms.find((f) => f.fields.prompt === 'consent');
	if (consent) {
		p.consents++;
		return { url: new URL(consent.action, url).toString(),
		    form: consent.fields };
	}
	const logout = forms.find((f) => /logout/i.test(f.html) ||
	    'xsrf' in f.fields);
	if (logout && /sign-out|logout/i.test(page.text))
		return { url: new URL(logout.action, url).toString(),
		    form: { ...logout.fields, logout: 'yes' } };
	return null;
}

function browse(p, start, opts = {}) {
	return B.browse(p, start, { interact, ...opts });
}

test('the walkthrough with oidc-provider as CustomerSource\'s provider',
    async () => {
	const p = opPerson('walk');
	// Any address works: the company's address for the profile is not
	// the provider's.
	const addr = L.uniqueEmail('op-prof');
	const prof = await B.addProfile(srv, { email: addr,
	    name: 'Morgan Provider', company: 'Tailspin Toys' });

	// Steps 2 and 3: to the provider, its login and consent pages.
	const first = await B.openPortal(p, '/customersource',
	    { interact: null, stopAt: (u) => u.origin === issuer });
	const az = new URL(first.url);
	assert.equal(az.origin, issuer, 'the portal sent the browser to ' +
	    'oidc-provider');
	assert.equal(az.searchParams.get('client_id'), client.client_id);
	assert.equal(az.searchParams.get('code_challenge_method'), 'S256');
	const b = await browse(p, first.url);
	assert.equal(p.logins, 1, 'oidc-provider\'s login page was filled in');
	assert.equal(p.consents, 1, 'its consent page was answered');
	assert.equal(B.sessionSteps(b).length, 1, 'a business session');

	// Step 4 and 5.
	assert.equal(B.pathOf(b.url), '/customersource/associate',
	    `ended at ${b.url}: ${L.textOf(b.page.text).slice(0, 400)}`);
	assert.equal(L.h1Of(b.page.text), 'Account Association');
	const before = B.mailFiles(srv);
	const sent = await B.requestAssoc(p, '/customersource', addr);
	assert.equal(sent.status, 200);
	assert.equal(L.h1Of(sent.text), 'E-mail sent');

	// Steps 6 to 9: the message, the link, the confirm step; the
	// provider asks for the login again.
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	assert.ok(m.msg.text.includes(prof.name));
	const o = await B.openLink(p, m.link);
	assert.equal(o.page.status, 200);
	assert.ok(o.form, 'a confirm form');
	const loginsBefore = p.logins;
	const c = await browse(p, '/associate/confirm', { method: 'POST',
	    form: o.form.fields });
	const re = new URL(c.steps[0].location);
	assert.equal(re.origin, issuer);
	assert.equal(re.searchParams.get('prompt'), 'login');
	assert.equal(re.searchParams.get('max_age'), '0');
	assert.equal(p.logins - loginsBefore, 1,
	    'oidc-provider asked for the login again');
	assert.equal(c.page.status, 200, L.textOf(c.page.text).slice(0, 600));
	assert.match(L.textOf(c.page.text),
	    B.SUCCESS_RE(ID_NAME, COMPANY, prof.name));
	assert.equal((await B.profileById(srv, prof.id)).associated, true);

	// Step 10: the portal, with the provider's e-mail claim.
	const portal = await browse(p, '/customersource');
	assert.equal(B.pathOf(portal.url), '/customersource');
	assert.equal(L.h1Of(portal.page.text), `Welcome, ${prof.name}`);
	assert.ok(L.textOf(portal.page.text).includes(`${p.login}@op.example`),
	    'the top bar shows the provider\'s e-mail claim');

	// A new business browser with the provider's session alive: no
	// login, no consent, straight in.
	const again = B.personFor(srv, p.email, p.password);
	again.login = p.login;
	again.logins = 0;
	again.consents = 0;
	for (const [o2, jar] of p.jars)
		again.jars.set(o2, jar);
	const s = await browse(again, '/customersource');
	assert.equal(again.logins + again.consents, 0, 'asked again');
	assert.equal(L.h1Of(s.page.text), `Welcome, ${prof.name}`);
});

test('another account at oidc-provider cannot complete the link', async () => {
	const p = opPerson('asker');
	const addr = L.uniqueEmail('op-victim');
	const prof = await B.addProfile(srv, { email: addr });
	await browse(p, '/customersource');
	const before = B.mailFiles(srv);
	await B.requestAssoc(p, '/customersource', addr);
	const [m] = await B.waitAssoc(srv, addr, 1, before);
	const q = opPerson('other');
	const o = await B.openLink(q, m.link);
	const c = await browse(q, '/associate/confirm', { method: 'POST',
	    form: o.form.fields });
	assert.equal(q.logins, 1);
	assert.ok(c.page.status >= 400 && c.page.status < 500,
	    `${c.page.status}`);
	assert.equal(L.h1Of(c.page.text), 'Association not completed');
	assert.equal((await B.profileById(srv, prof.id)).associated, false);
});

test('Sign Out ends the session at oidc-provider too and comes back home',
    async () => {
	const p = opPerson('logout');
	const b = await browse(p, '/customersource');
	assert.equal(B.sessionSteps(b).length, 1);
	const page = await p.biz.get('/customersource/associate');
	const so = L.formsOf(page.text).find((f) => f.action === '/signout');
	assert.ok(so, 'a Sign Out form');
	const out = await browse(p, '/signout', { method: 'POST',
	    form: so.fields });
	const lo = new URL(out.steps[0].location);
	assert.equal(lo.origin, issuer, 'RP-initiated logout at oidc-provider');
	assert.ok(lo.searchParams.get('id_token_hint'));
	assert.equal(lo.searchParams.get('post_logout_redirect_uri'),
	    `${srv.biz}/`);
	const home = new URL(out.url);
	assert.equal(`${home.origin}${home.pathname}`, `${srv.biz}/`,
	    `ended at ${out.url}`);
	// oidc-provider hands the state back: the home page says so.
	assert.match(L.textOf(out.page.text), /You have signed out/);
	assert.equal(L.h1Of(out.page.text), 'Business Solutions Home');
	// The provider's session is over: the login form comes again.
	const logins = p.logins;
	const again = await browse(p, '/customersource');
	assert.equal(p.logins - logins, 1, 'oidc-provider still had a session');
	assert.equal(B.pathOf(again.url), '/customersource/associate');
});
