/*-------------------------------------------------------------------------
 *
 * fuzz_token.c
 *	  libFuzzer target for the token parser and claim checks.
 *
 * Built without the server (codec.c, json_strict.c, mac.c, signature.c,
 * token.c and claims.c need none), with
 * AddressSanitizer and UndefinedBehaviorSanitizer: see "make fuzz".  Each
 * input goes through the whole verification path as auth.verify() runs it
 * (header, HS256 signature with a fixed key, claims), once more with a
 * valid signature computed over it so the claims code is reached for any
 * payload, and straight into the JSON parser.  Tokens that name a
 * public-key algorithm go through its path with a fixed key made at
 * start-up, and with a key of another type.
 * The HMAC of mac.c is compared with OpenSSL's HMAC() on every input, for
 * a key shorter and a key longer than a SHA-256 block; a difference aborts.
 *
 * test/fuzz/fuzz_token.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "jose/claims.h"
#include "jose/codec.h"
#include "jose/json_strict.h"
#include "jose/mac.h"
#include "jose/signature.h"
#include "jose/token.h"

static const unsigned char key[32] = "fuzzing key of thirty-two bytes";
static unsigned char long_key[100];
static HmacKey *hkey;
static HmacKey *long_hkey;
static EVP_PKEY *es_key;
static EVP_PKEY *rs_key;
static EVP_PKEY *ed_key;
static EVP_PKEY *es384_key;
static EVP_PKEY *es512_key;
static SignatureKey hs_key = {SIG_HS256, NULL, NULL};
static TokenHeaderCache header_cache;

int			LLVMFuzzerInitialize(int *argc, char ***argv);

/*
 * Each algorithm jwt_auth signs with must verify what it signed, and refuse
 * it once a byte of the payload changes: checked once, at start-up.
 */
static bool
round_trip(SignatureAlg alg, EVP_PKEY *pkey)
{
	SignatureKey sk = {alg, hkey, pkey};
	char		token[TOKEN_MAX_LENGTH + 1];
	size_t		len = jwt_auth_token_sign(&sk, "k1", "{\"sub\":\"x\"}", token, sizeof(token));
	TokenHeader hdr;
	const char *detail = NULL;

	if (len == 0 || jwt_auth_token_parse_header(token, len, NULL, &hdr, &detail) != TOKEN_OK ||
		jwt_auth_token_check_signature(token, &hdr, &sk, &detail) != TOKEN_OK)
		return false;
	token[hdr.payload - token] ^= 1;
	return jwt_auth_token_parse_header(token, len, NULL, &hdr, &detail) != TOKEN_OK ||
		jwt_auth_token_check_signature(token, &hdr, &sk, &detail) != TOKEN_OK;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < sizeof(long_key); i++)
		long_key[i] = (unsigned char) (i * 7 + 1);
	hkey = jwt_auth_hmac_key_new(key, sizeof(key));
	long_hkey = jwt_auth_hmac_key_new(long_key, sizeof(long_key));
	hs_key.hmac = hkey;
	es_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rs_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	es384_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	es512_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
	if (hkey == NULL || long_hkey == NULL || es_key == NULL || rs_key == NULL ||
		ed_key == NULL || es384_key == NULL || es512_key == NULL)
		return 1;
	if (!round_trip(SIG_HS256, NULL) || !round_trip(SIG_ES256, es_key) ||
		!round_trip(SIG_RS256, rs_key) || !round_trip(SIG_PS256, rs_key) ||
		!round_trip(SIG_EDDSA, ed_key))
		abort();
	return 0;
}

/* jwt_auth_hmac_sha256() must agree with OpenSSL's HMAC(). */
static void
compare_hmac(HmacKey *ours, const unsigned char *secret, size_t secret_len,
			 const uint8_t *data, size_t size)
{
	unsigned char a[HMAC_SHA256_LEN];
	unsigned char b[EVP_MAX_MD_SIZE];
	unsigned int blen = 0;

	if (!jwt_auth_hmac_sha256(ours, data, size, a) ||
		HMAC(EVP_sha256(), secret, (int) secret_len, data, size, b, &blen) == NULL ||
		blen != HMAC_SHA256_LEN || memcmp(a, b, HMAC_SHA256_LEN) != 0)
		abort();
}

static void
check_claims(const TokenHeader *hdr)
{
	static TokenClaims claims;
	TokenRules	rules = {
		.now = 1700000000,
		.leeway = 30,
		.issuer = "jwt_auth",
		.audience = "authenticated",
		.ignore_expiry = false,
	};
	const char *detail = NULL;
	static JsDoc doc;

	if (!jwt_auth_token_decode_payload(hdr, claims.json, &claims.json_len, &doc, &detail))
		return;
	(void) jwt_auth_claims_check(&doc, &rules, &claims, &detail);
	rules.ignore_expiry = true;
	(void) jwt_auth_claims_check(&doc, &rules, &claims, &detail);
	rules.foreign = true;
	rules.audience = NULL;
	(void) jwt_auth_claims_check(&doc, &rules, &claims, &detail);
	rules.max_lifetime = 900;
	(void) jwt_auth_claims_check(&doc, &rules, &claims, &detail);
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char token[TOKEN_MAX_LENGTH + 64];
	static JsDoc doc;
	TokenHeader hdr;
	const char *detail = NULL;

	compare_hmac(hkey, key, sizeof(key), data, size);
	compare_hmac(long_hkey, long_key, sizeof(long_key), data, size);

	/* The JSON parser on raw bytes. */
	(void) jwt_auth_js_parse_object((const char *) data, size, &doc);

	/* The token as given, with and without a header cache. */
	(void) jwt_auth_token_parse_header((const char *) data, size, NULL, &hdr, &detail);
	if (jwt_auth_token_parse_header((const char *) data, size, &header_cache, &hdr, &detail) == TOKEN_OK)
	{
		SignatureKey pk = {jwt_auth_signature_alg(hdr.alg), NULL, NULL};
		EVP_PKEY   *right = NULL;

		switch (pk.alg)
		{
			case SIG_ES256:
				right = es_key;
				break;
			case SIG_ES384:
				right = es384_key;
				break;
			case SIG_ES512:
				right = es512_key;
				break;
			case SIG_EDDSA:
				right = ed_key;
				break;
			case SIG_RS256:
			case SIG_PS256:
				right = rs_key;
				break;
			default:
				break;
		}
		if (right != NULL)
		{
			pk.pkey = right;
			if (jwt_auth_token_check_signature((const char *) data, &hdr, &pk, &detail) == TOKEN_OK)
				check_claims(&hdr);
			/* The wrong kind of key for the alg must be refused, not crash. */
			pk.pkey = right == rs_key ? ed_key : rs_key;
			(void) jwt_auth_token_check_signature((const char *) data, &hdr, &pk, &detail);
			return 0;
		}
		if (jwt_auth_token_check_signature((const char *) data, &hdr, &hs_key, &detail) == TOKEN_OK)
			check_claims(&hdr);

		/* Re-sign "header.payload" so that the claims are checked too. */
		if (hdr.signing_input_len + 1 + 44 < sizeof(token))
		{
			unsigned char mac[EVP_MAX_MD_SIZE];
			unsigned int maclen = 0;
			size_t		len = hdr.signing_input_len;
			TokenHeader hdr2;

			memcpy(token, data, len);
			token[len++] = '.';
			if (HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *) token,
					 hdr.signing_input_len, mac, &maclen) != NULL)
			{
				len += jwt_auth_codec_b64url_encode(mac, maclen, token + len);
				if (jwt_auth_token_parse_header(token, len, &header_cache, &hdr2, &detail) == TOKEN_OK &&
					jwt_auth_token_check_signature(token, &hdr2, &hs_key, &detail) == TOKEN_OK)
					check_claims(&hdr2);
			}
		}
	}
	return 0;
}
