// OpenID Connect Discovery 1.0 and the JWKS, as a relying party sees
// them: the document openid-client accepts, the fields a code-only,
// PKCE-only provider must advertise, and a key set that names every key
// and never offers "none".
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const L = require('./lib.js');
const O = require('./oidc-lib.js');

let srv;

test.before(async () => {
	srv = await L.startServer();
});

test.after(async () => {
	if (srv)
		await srv.stop();
});

async function discoveryDoc() {
	const r = await fetch(`${srv.url}/.well-known/openid-configuration`);
	const text = await r.text();
	return { r, text, doc: JSON.parse(text) };
}

test('discovery: issuer is byte-equal to the public URL, endpoints under it',
    async () => {
	const { r, doc } = await discoveryDoc();
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'), /^application\/json/);
	assert.equal(doc.issuer, srv.publicUrl);
	assert.ok(!doc.issuer.endsWith('/'), 'issuer has a trailing slash');
	for (const k of ['authorization_endpoint', 'token_endpoint',
	    'userinfo_endpoint', 'jwks_uri', 'end_session_endpoint',
	    'revocation_endpoint', 'introspection_endpoint']) {
		assert.equal(typeof doc[k], 'string', `${k} missing`);
		assert.ok(doc[k].startsWith(srv.publicUrl + '/'),
		    `${k} ${doc[k]} is not under the issuer`);
	}
	assert.equal(doc.authorization_endpoint, `${srv.publicUrl}/authorize`);
	assert.equal(doc.token_endpoint, `${srv.publicUrl}/token`);
	assert.equal(doc.jwks_uri, `${srv.publicUrl}/jwks`);
	assert.equal(doc.end_session_endpoint, `${srv.publicUrl}/logout`);
});

test('discovery: the issuer comes from the configuration, not the Host ' +
    'header', async () => {
	const r = await L.rawRequest(srv.port,
	    'GET /.well-known/openid-configuration HTTP/1.1\r\n' +
	    'Host: evil.example\r\nConnection: close\r\n\r\n');
	assert.equal(r.status, 200);
	const doc = JSON.parse(r.body);
	assert.equal(doc.issuer, srv.publicUrl);
	assert.ok(!r.body.includes('evil.example'),
	    'the Host header leaked into the document');
});

test('discovery: code flow only, S256 only, no request objects',
    async () => {
	const { doc } = await discoveryDoc();
	assert.deepEqual(doc.response_types_supported, ['code']);
	assert.ok(Array.isArray(doc.grant_types_supported));
	assert.ok(doc.grant_types_supported.includes('authorization_code'));
	assert.ok(doc.grant_types_supported.includes('refresh_token'));
	assert.ok(!doc.grant_types_supported.includes('implicit'),
	    'implicit grant advertised');
	assert.ok(!doc.grant_types_supported.includes('password'),
	    'password grant advertised');
	assert.deepEqual(doc.response_modes_supported, ['query']);
	assert.equal(doc.request_parameter_supported, false);
	assert.equal(doc.request_uri_parameter_supported, false);
	assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
	assert.ok(doc.scopes_supported.includes('openid'));
	assert.deepEqual(doc.subject_types_supported, ['public']);
	assert.equal(doc.authorization_response_iss_parameter_supported,
	    true);
	for (const m of doc.token_endpoint_auth_methods_supported)
		assert.ok(['client_secret_basic', 'client_secret_post',
		    'none'].includes(m), `unexpected auth method ${m}`);
});

test('discovery: ID token algorithms RS256, ES256 and EdDSA; "none" ' +
    'never offered as an algorithm', async () => {
	const { doc } = await discoveryDoc();
	const algs = doc.id_token_signing_alg_values_supported;
	for (const a of ['RS256', 'ES256', 'EdDSA'])
		assert.ok(algs.includes(a), `${a} not in ${algs}`);
	for (const [k, v] of Object.entries(doc)) {
		if (!/alg_values_supported$/.test(k))
			continue;
		assert.ok(Array.isArray(v), `${k} is not an array`);
		for (const a of v)
			assert.notEqual(String(a).toLowerCase(), 'none',
			    `${k} offers "none"`);
	}
});

test('discovery: openid-client accepts the document', async () => {
	const C = await O.oc();
	const config = await C.discovery(new URL(srv.publicUrl), 'nobody',
	    undefined, C.None(), { execute: [C.allowInsecureRequests] });
	const m = config.serverMetadata();
	assert.equal(m.issuer, srv.publicUrl);
	assert.ok(m.supportsPKCE(), 'openid-client sees no PKCE support');
	// Without allowInsecureRequests, http:// is refused: the option
	// above is what lets this loopback test run at all.
	await assert.rejects(C.discovery(new URL(srv.publicUrl), 'nobody'));
});

test('JWKS: every key has a unique kid, a signing algorithm and no ' +
    'private part', async () => {
	const r = await fetch(`${srv.url}/jwks`);
	assert.equal(r.status, 200);
	assert.match(r.headers.get('content-type'),
	    /^application\/(jwk-set\+)?json/);
	const jwks = await r.json();
	assert.ok(Array.isArray(jwks.keys) && jwks.keys.length >= 3,
	    'fewer than three keys');
	const kids = new Set();
	const algs = new Set();
	for (const k of jwks.keys) {
		assert.equal(typeof k.kid, 'string', 'a key without kid');
		assert.ok(k.kid.length > 0, 'an empty kid');
		assert.ok(!kids.has(k.kid), `kid ${k.kid} appears twice`);
		kids.add(k.kid);
		assert.ok(['RS256', 'ES256', 'EdDSA'].includes(k.alg),
		    `key ${k.kid} has alg ${k.alg}`);
		algs.add(k.alg);
		assert.ok(k.use === undefined || k.use === 'sig',
		    `key ${k.kid} has use ${k.use}`);
		for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
			assert.equal(k[priv], undefined,
			    `key ${k.kid} publishes private member ${priv}`);
		if (k.alg === 'RS256')
			assert.equal(k.kty, 'RSA');
		if (k.alg === 'ES256')
			assert.deepEqual([k.kty, k.crv], ['EC', 'P-256']);
		if (k.alg === 'EdDSA')
			assert.deepEqual([k.kty, k.crv], ['OKP', 'Ed25519']);
	}
	assert.deepEqual([...algs].sort(), ['ES256', 'EdDSA', 'RS256']);
	assert.ok(!JSON.stringify(jwks).toLowerCase().includes('"none"'),
	    'the JWKS mentions "none"');
	// Every published key imports as a public verification key.
	const J = await O.jose();
	for (const k of jwks.keys) {
		const key = await J.importJWK(k, k.alg);
		assert.equal(key.type, 'public');
	}
});
