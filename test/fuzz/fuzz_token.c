/*-------------------------------------------------------------------------
 *
 * fuzz_token.c
 *	  libFuzzer target for the token parser and claim checks.
 *
 * Built without the server (token.c and json_strict.c need none), with
 * AddressSanitizer and UndefinedBehaviorSanitizer: see "make fuzz".  Each
 * input goes through the whole verification path as auth.verify() runs it
 * (header, HS256 signature with a fixed key, claims), once more with a
 * valid signature computed over it so the claims code is reached for any
 * payload, and straight into the JSON parser.  Tokens that say ES256 or
 * RS256 go through the public-key path with fixed keys made at start-up.
 * The HMAC of token.c is compared with OpenSSL's HMAC() on every input, for
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

#include "json_strict.h"
#include "token.h"

static const unsigned char key[32] = "fuzzing key of thirty-two bytes";
static unsigned char long_key[100];
static TokenHmacKey *hkey;
static TokenHmacKey *long_hkey;
static EVP_PKEY *es_key;
static EVP_PKEY *rs_key;

int			LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	for (size_t i = 0; i < sizeof(long_key); i++)
		long_key[i] = (unsigned char) (i * 7 + 1);
	hkey = token_hmac_key_new(key, sizeof(key));
	long_hkey = token_hmac_key_new(long_key, sizeof(long_key));
	es_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rs_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
	return hkey != NULL && long_hkey != NULL && es_key != NULL && rs_key != NULL ? 0 : 1;
}

/* token_hmac() must agree with OpenSSL's HMAC(). */
static void
compare_hmac(TokenHmacKey *ours, const unsigned char *secret, size_t secret_len,
			 const uint8_t *data, size_t size)
{
	unsigned char a[TOKEN_HS256_SIGLEN];
	unsigned char b[EVP_MAX_MD_SIZE];
	unsigned int blen = 0;

	if (!token_hmac(ours, data, size, a) ||
		HMAC(EVP_sha256(), secret, (int) secret_len, data, size, b, &blen) == NULL ||
		blen != TOKEN_HS256_SIGLEN || memcmp(a, b, TOKEN_HS256_SIGLEN) != 0)
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

	(void) token_check_claims(hdr, &rules, &claims, &detail);
	rules.ignore_expiry = true;
	(void) token_check_claims(hdr, &rules, &claims, &detail);
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
	(void) js_parse_object((const char *) data, size, &doc);

	/* The token as given. */
	if (token_parse_header((const char *) data, size, &hdr, &detail) == TOKEN_OK)
	{
		if (strcmp(hdr.alg, "ES256") == 0 || strcmp(hdr.alg, "RS256") == 0)
		{
			EVP_PKEY   *pkey = hdr.alg[0] == 'E' ? es_key : rs_key;

			if (token_check_pkey((const char *) data, &hdr, pkey, &detail) == TOKEN_OK)
				check_claims(&hdr);
			/* The wrong kind of key for the alg must be refused, not crash. */
			(void) token_check_pkey((const char *) data, &hdr,
									pkey == es_key ? rs_key : es_key, &detail);
			return 0;
		}
		if (token_check_hs256((const char *) data, &hdr, hkey, &detail) == TOKEN_OK)
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
				len += token_b64url_encode(mac, maclen, token + len);
				if (token_parse_header(token, len, &hdr2, &detail) == TOKEN_OK &&
					token_check_hs256(token, &hdr2, hkey, &detail) == TOKEN_OK)
					check_claims(&hdr2);
			}
		}
	}
	return 0;
}
