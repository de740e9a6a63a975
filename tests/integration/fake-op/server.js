// A small OpenID provider that misbehaves on purpose, for the business
// site's relying-party tests (t4110). It serves discovery, a JWKS, an
// authorization endpoint that signs the configured person in at once (no
// page), a token endpoint that checks the client (client_secret_basic),
// the code, the redirect URI and PKCE like a real provider, and an
// end-session endpoint. What the ID token looks like is chosen by the
// mode (set with op.set({ mode }) in process, or POST /__control with a
// JSON body, or FAKE_OP_MODE when run as a program):
//
//   good             a correct token
//   wrong-aud        aud is another client
//   aud-extra        aud holds this client and another, no azp
//   wrong-azp        azp names another client
//   wrong-iss        iss is another issuer
//   wrong-nonce      nonce is not the one of the request
//   no-nonce         no nonce claim
//   expired          exp (and iat) in the past
//   future-iat       iat ten minutes ahead
//   bad-signature    signed with a key that is not in the JWKS, under
//                    the kid of the published key
//   unknown-kid      signed with a key that is not in the JWKS, under a
//                    kid the JWKS does not have
//   alg-none         "alg": "none", no signature
//   hs256            HMAC-SHA256 with the client secret as the key
//   tampered         a good token whose payload was changed afterwards
//   no-sub           no sub claim
//   stale-auth-time  auth_time ten minutes old (a provider that ignores
//                    prompt=login and max_age=0)
//   no-auth-time     no auth_time claim
//
// Every request is logged in op.log ({ method, path, query, body,
// headers }); refusals of the token endpoint in op.errors.
'use strict';

const crypto = require('node:crypto');
const http = require('node:http');

const MODES = ['good', 'wrong-aud', 'aud-extra', 'wrong-azp', 'wrong-iss',
	'wrong-nonce', 'no-nonce', 'expired', 'future-iat', 'bad-signature',
	'unknown-kid', 'alg-none', 'hs256', 'tampered', 'no-sub',
	'stale-auth-time', 'no-auth-time'];

function b64u(x) {
	return Buffer.from(x).toString('base64url');
}

function newRsaKey() {
	return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
}

class FakeOp {
	constructor(opts = {}) {
		this.port = opts.port || 0;
		this.host = opts.host || '127.0.0.1';
		this.clients = new Map();
		this.codes = new Map();
		this.log = [];
		this.errors = [];
		this.mode = 'good';
		this.person = { sub: 'fake-sub-1', email: 'fake@example.com' };
		this.kid = 'fake-key-1';
		this.key = newRsaKey();
		this.rogue = newRsaKey();
		this.server = null;
	}

	// Registers a client: { client_id, client_secret, redirect_uris,
	// post_logout_redirect_uris }.
	addClient(c) {
		this.clients.set(c.client_id, c);
	}

	// Changes the mode and/or the person signed in ({ mode, sub,
	// email }).
	set(o) {
		if (o.mode !== undefined) {
			if (!MODES.includes(o.mode))
				throw new Error(`unknown mode ${o.mode}`);
			this.mode = o.mode;
		}
		if (o.sub !== undefined)
			this.person = { ...this.person, sub: o.sub };
		if (o.email !== undefined)
			this.person = { ...this.person, email: o.email };
	}

	start() {
		return new Promise((resolve, reject) => {
			this.server = http.createServer((req, res) => {
				this.handle(req, res).catch((e) => {
					res.writeHead(500, { 'content-type':
					    'text/plain' });
					res.end(String(e && e.stack));
				});
			});
			this.server.on('error', reject);
			this.server.listen(this.port, this.host, () => {
				this.port = this.server.address().port;
				this.issuer = `http://${this.host}:${this.port}`;
				resolve(this);
			});
		});
	}

	stop() {
		return new Promise((resolve) => {
			if (!this.server)
				return resolve();
			this.server.closeAllConnections();
			this.server.close(() => resolve());
		});
	}

	discovery() {
		const i = this.issuer;
		return {
			issuer: i,
			authorization_endpoint: `${i}/authorize`,
			token_endpoint: `${i}/token`,
			jwks_uri: `${i}/jwks`,
			end_session_endpoint: `${i}/logout`,
			response_types_supported: ['code'],
			subject_types_supported: ['public'],
			id_token_signing_alg_values_supported: ['RS256'],
			token_endpoint_auth_methods_supported:
			    ['client_secret_basic'],
			code_challenge_methods_supported: ['S256'],
			scopes_supported: ['openid', 'email'],
			authorization_response_iss_parameter_supported: true,
		};
	}

	jwks() {
		const jwk = this.key.publicKey.export({ format: 'jwk' });
		return { keys: [{ ...jwk, kid: this.kid, alg: 'RS256',
		    use: 'sig' }] };
	}

	sign(header, payload, key) {
		const input = `${b64u(JSON.stringify(header))}.` +
		    b64u(JSON.stringify(payload));
		const sig = crypto.sign('sha256', Buffer.from(input), key);
		return `${input}.${sig.toString('base64url')}`;
	}

	// The ID token for a code, as the mode has it.
	idToken(c) {
		const now = Math.floor(Date.now() / 1000);
		const m = this.mode;
		const p = {
			iss: this.issuer,
			sub: c.sub,
			aud: c.client_id,
			exp: now + 300,
			iat: now,
			nonce: c.nonce,
			auth_time: c.auth_time,
			email: c.email,
			email_verified: true,
		};
		const h = { alg: 'RS256', kid: this.kid, typ: 'JWT' };
		if (m === 'wrong-aud')
			p.aud = 'another-client';
		if (m === 'aud-extra')
			p.aud = [c.client_id, 'another-client'];
		if (m === 'wrong-azp') {
			p.aud = [c.client_id, 'another-client'];
			p.azp = 'another-client';
		}
		if (m === 'wrong-iss')
			p.iss = `${this.issuer}/other`;
		if (m === 'wrong-nonce')
			p.nonce = crypto.randomBytes(32).toString('base64url');
		if (m === 'no-nonce')
			delete p.nonce;
		if (m === 'expired') {
			p.exp = now - 600;
			p.iat = now - 900;
			p.auth_time = now - 900;
		}
		if (m === 'future-iat')
			p.iat = now + 600;
		if (m === 'no-sub')
			delete p.sub;
		if (m === 'stale-auth-time')
			p.auth_time = now - 600;
		if (m === 'no-auth-time')
			delete p.auth_time;
		if (m === 'bad-signature')
			return this.sign(h, p, this.rogue.privateKey);
		if (m === 'unknown-kid')
			return this.sign({ ...h, kid: 'rogue-key' }, p,
			    this.rogue.privateKey);
		if (m === 'alg-none')
			return `${b64u(JSON.stringify({ alg: 'none',
			    typ: 'JWT' }))}.${b64u(JSON.stringify(p))}.`;
		if (m === 'hs256') {
			const input = `${b64u(JSON.stringify({ alg: 'HS256',
			    typ: 'JWT' }))}.${b64u(JSON.stringify(p))}`;
			const sig = crypto.createHmac('sha256',
			    this.clients.get(c.client_id).client_secret)
			    .update(input).digest('base64url');
			return `${input}.${sig}`;
		}
		const t = this.sign(h, p, this.key.privateKey);
		if (m === 'tampered') {
			const [a, , s] = t.split('.');
			return `${a}.${b64u(JSON.stringify({ ...p,
			    sub: 'someone-else' }))}.${s}`;
		}
		return t;
	}

	async handle(req, res) {
		const u = new URL(req.url, this.issuer);
		const chunks = [];
		for await (const ch of req)
			chunks.push(ch);
		const body = Buffer.concat(chunks).toString('utf8');
		const entry = { method: req.method, path: u.pathname,
		    query: Object.fromEntries(u.searchParams), body,
		    headers: req.headers, at: Date.now() };
		this.log.push(entry);
		const json = (status, o) => {
			res.writeHead(status, { 'content-type':
			    'application/json', 'cache-control': 'no-store' });
			res.end(JSON.stringify(o));
		};
		switch (u.pathname) {
		case '/.well-known/openid-configuration':
			return json(200, this.discovery());
		case '/jwks':
			return json(200, this.jwks());
		case '/authorize':
			return this.authorize(u, res);
		case '/token':
			return this.token(req, body, json);
		case '/logout': {
			const to = u.searchParams.get('post_logout_redirect_uri');
			if (to) {
				res.writeHead(302, { location: to });
				return res.end();
			}
			res.writeHead(200, { 'content-type': 'text/html' });
			return res.end('<h1>Signed out</h1>');
		}
		case '/__control':
			if (req.method === 'POST') {
				try {
					this.set(JSON.parse(body || '{}'));
				} catch (e) {
					return json(400, { error: e.message });
				}
			}
			return json(200, { mode: this.mode,
			    person: this.person });
		default:
			res.writeHead(404, { 'content-type': 'text/plain' });
			return res.end('not found');
		}
	}

	authorize(u, res) {
		const q = u.searchParams;
		const c = this.clients.get(q.get('client_id'));
		if (!c || !c.redirect_uris.includes(q.get('redirect_uri'))) {
			res.writeHead(400, { 'content-type': 'text/plain' });
			return res.end('unknown client or redirect_uri');
		}
		const back = new URL(q.get('redirect_uri'));
		back.searchParams.set('state', q.get('state') || '');
		back.searchParams.set('iss', this.issuer);
		if (q.get('response_type') !== 'code' ||
		    q.get('code_challenge_method') !== 'S256' ||
		    !q.get('code_challenge')) {
			back.searchParams.set('error', 'invalid_request');
		} else {
			const code = crypto.randomBytes(32)
			    .toString('base64url');
			this.codes.set(code, {
				client_id: c.client_id,
				redirect_uri: q.get('redirect_uri'),
				nonce: q.get('nonce'),
				challenge: q.get('code_challenge'),
				auth_time: Math.floor(Date.now() / 1000),
				sub: this.person.sub,
				email: this.person.email,
			});
			back.searchParams.set('code', code);
		}
		res.writeHead(302, { location: back.toString() });
		return res.end();
	}

	token(req, body, json) {
		const refuse = (status, error, why) => {
			this.errors.push(why);
			return json(status, { error });
		};
		if (req.method !== 'POST')
			return refuse(405, 'invalid_request', 'not a POST');
		const auth = String(req.headers.authorization || '');
		const m = auth.match(/^Basic\s+(.+)$/i);
		if (!m)
			return refuse(401, 'invalid_client', 'no Basic auth');
		const [id, secret] = Buffer.from(m[1], 'base64').toString('utf8')
		    .split(':').map((x) => decodeURIComponent(
		    x.replace(/\+/g, ' ')));
		const c = this.clients.get(id);
		if (!c || c.client_secret !== secret)
			return refuse(401, 'invalid_client', 'bad credentials');
		const f = new URLSearchParams(body);
		if (f.get('grant_type') !== 'authorization_code')
			return refuse(400, 'unsupported_grant_type', 'grant');
		const code = this.codes.get(f.get('code'));
		this.codes.delete(f.get('code'));
		if (!code || code.client_id !== id)
			return refuse(400, 'invalid_grant', 'unknown code');
		if (f.get('redirect_uri') !== code.redirect_uri)
			return refuse(400, 'invalid_grant', 'redirect_uri');
		const v = f.get('code_verifier') || '';
		const ch = crypto.createHash('sha256').update(v)
		    .digest('base64url');
		if (ch !== code.challenge)
			return refuse(400, 'invalid_grant', 'PKCE');
		return json(200, {
			access_token: crypto.randomBytes(32)
			    .toString('base64url'),
			token_type: 'Bearer',
			expires_in: 300,
			id_token: this.idToken(code),
		});
	}
}

module.exports = { FakeOp, MODES };

// As a program: FAKE_OP_PORT, FAKE_OP_CLIENT_ID, FAKE_OP_CLIENT_SECRET,
// FAKE_OP_REDIRECT_URI (comma separated), FAKE_OP_MODE.
if (require.main === module) {
	const op = new FakeOp({ port: Number(process.env.FAKE_OP_PORT || 0) });
	op.addClient({
		client_id: process.env.FAKE_OP_CLIENT_ID || 'fake-client',
		client_secret: process.env.FAKE_OP_CLIENT_SECRET || 'fake-secret',
		redirect_uris: (process.env.FAKE_OP_REDIRECT_URI || '')
		    .split(',').filter(Boolean),
	});
	op.set({ mode: process.env.FAKE_OP_MODE || 'good' });
	op.start().then(() => {
		process.stdout.write(`${op.issuer}\n`);
	});
}
