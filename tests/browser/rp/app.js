// A small relying party for the browser test: an Express app on a
// loopback port that signs people in with onepass through openid-client
// (code flow, PKCE, state, nonce) and signs them out with RP-initiated
// logout. Sessions live in memory under a random cookie.
//
//   GET /        home: "Sign in with onepass" or the person's page
//   GET /login   to the provider's authorization endpoint
//   GET /cb      redemption of the code; then "Hello <sub>" with the email
//   GET /logout  to the provider's end-session endpoint
//   GET /bye     where the provider sends the person back after logout
'use strict';

const crypto = require('node:crypto');
const express = require('express');

const COOKIE = 'rp_session';

function esc(s) {
	return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;',
	    '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

function page(title, body) {
	return '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' +
	    `<title>${esc(title)} – Example RP</title>` +
	    '<style>body{font-family:sans-serif;margin:3em;max-width:40em}' +
	    '.who{padding:1em;border:1px solid #888;border-radius:6px}' +
	    '</style></head><body><main>' +
	    `<h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function cookieOf(req) {
	const m = (req.headers.cookie || '').match(
	    new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`));
	return m ? m[1] : null;
}

// Starts the RP. opts: issuer, clientId, clientSecret, port (its
// redirect URI is http://127.0.0.1:PORT/cb, post-logout /bye). Returns
// { url, close, sessions }.
async function startRp(opts) {
	const C = await import('openid-client');
	const base = `http://127.0.0.1:${opts.port}`;
	const config = await C.discovery(new URL(opts.issuer), opts.clientId,
	    undefined, C.ClientSecretBasic(opts.clientSecret),
	    { execute: [C.allowInsecureRequests,
	    C.enableNonRepudiationChecks] });
	const sessions = new Map();
	const app = express();

	function session(req, res) {
		let id = cookieOf(req);
		if (!id || !sessions.has(id)) {
			id = crypto.randomBytes(16).toString('base64url');
			sessions.set(id, {});
			res.setHeader('Set-Cookie',
			    `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
		}
		return sessions.get(id);
	}

	app.get('/', (req, res) => {
		const s = session(req, res);
		if (s.claims) {
			res.redirect(303, '/me');
			return;
		}
		res.type('html').send(page('Example RP', '<p>This site ' +
		    'uses onepass ID.</p><p><a href="/login">Sign in with ' +
		    'onepass ID</a></p>'));
	});

	app.get('/login', async (req, res, next) => {
		try {
			const s = session(req, res);
			s.verifier = C.randomPKCECodeVerifier();
			s.state = C.randomState();
			s.nonce = C.randomNonce();
			const url = C.buildAuthorizationUrl(config, {
				redirect_uri: `${base}/cb`,
				scope: 'openid email',
				state: s.state,
				nonce: s.nonce,
				code_challenge: await
				    C.calculatePKCECodeChallenge(s.verifier),
				code_challenge_method: 'S256',
			});
			res.redirect(302, url.href);
		} catch (e) {
			next(e);
		}
	});

	app.get('/cb', async (req, res) => {
		const s = session(req, res);
		try {
			const tokens = await C.authorizationCodeGrant(config,
			    new URL(req.originalUrl, base), {
				pkceCodeVerifier: s.verifier,
				expectedState: s.state,
				expectedNonce: s.nonce,
				idTokenExpected: true,
			});
			s.claims = tokens.claims();
			s.idToken = tokens.id_token;
			s.userinfo = await C.fetchUserInfo(config,
			    tokens.access_token, s.claims.sub);
			delete s.verifier;
			res.redirect(303, '/me');
		} catch (e) {
			res.status(400).type('html').send(page('Sign-in failed',
			    `<p role="alert">${esc(e.error || e.code)}: ` +
			    `${esc(e.error_description || e.message)}</p>` +
			    '<p><a href="/">Back</a></p>'));
		}
	});

	app.get('/me', (req, res) => {
		const s = session(req, res);
		if (!s.claims) {
			res.redirect(303, '/');
			return;
		}
		res.type('html').send(page(`Hello ${s.claims.sub}`,
		    '<div class="who"><p>You are signed in with onepass ID.' +
		    '</p><p>E-mail address: <span id="email">' +
		    `${esc(s.userinfo.email)}</span></p>` +
		    '<p>Subject: <code id="sub">' +
		    `${esc(s.claims.sub)}</code></p>` +
		    '</div><p><a href="/logout">Sign out</a></p>'));
	});

	app.get('/logout', (req, res) => {
		const s = session(req, res);
		const hint = s.idToken;
		s.logoutState = C.randomState();
		delete s.claims;
		delete s.idToken;
		delete s.userinfo;
		const url = C.buildEndSessionUrl(config, {
			post_logout_redirect_uri: `${base}/bye`,
			state: s.logoutState,
			...(hint ? { id_token_hint: hint } : {}),
		});
		res.redirect(302, url.href);
	});

	app.get('/bye', (req, res) => {
		const s = session(req, res);
		const ok = req.query.state && req.query.state === s.logoutState;
		delete s.logoutState;
		res.status(ok ? 200 : 400).type('html').send(page(
		    ok ? 'You are signed out' : 'Unexpected sign-out',
		    `<p>${ok ? 'Come back soon.' :
		    'The state did not match.'}` +
		    '</p><p><a href="/login">Sign in again</a></p>'));
	});

	const server = await new Promise((resolve, reject) => {
		const s = app.listen(opts.port, '127.0.0.1', () => resolve(s));
		s.on('error', reject);
	});
	return {
		url: base,
		sessions,
		close: () => new Promise((resolve) => {
			server.closeAllConnections();
			server.close(() => resolve());
		}),
	};
}

module.exports = { startRp };
