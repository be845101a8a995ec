/*-------------------------------------------------------------------------
 *
 * key_policy.c
 *	  Which public-key pairs jwt_auth accepts for each algorithm.
 *
 * Every key that can check a signature passes here first, whichever way it
 * came in: generated or imported into auth.keys (key_admin.c), loaded from
 * it (keys.c), read from another issuer's JWKS (jwk.c), or loaded from
 * auth.issuer_keys (issuers.c).
 *
 * src/jose/key_policy.c
 *
 *-------------------------------------------------------------------------
 */
#include "key_policy.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>

#include "codec.h"

/* The sizes of an RSA modulus accepted, in bits. */
#define RSA_MIN_BITS			2048
#define RSA_MAX_BITS			4096

/* True if "pkey" is an EC key on the curve OpenSSL names "group". */
static bool
ec_key_on(EVP_PKEY *pkey, const char *group)
{
	char		name[64];
	size_t		len = 0;

	return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
		EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
									   name, sizeof(name), &len) == 1 &&
		strcmp(name, group) == 0;
}

/* What makes "pkey" unfit as an RSA key, or NULL. */
static const char *
rsa_problem(EVP_PKEY *pkey, SignatureAlg alg)
{
	BIGNUM	   *e = NULL;
	bool		e_ok;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA)
		return alg == SIG_PS256 ? "PS256 needs an RSA key." : "RS256 needs an RSA key.";
	if (EVP_PKEY_get_bits(pkey) < RSA_MIN_BITS || EVP_PKEY_get_bits(pkey) > RSA_MAX_BITS)
		return "An RSA key's modulus must be " JOSE_TEXT(RSA_MIN_BITS) " to " JOSE_TEXT(RSA_MAX_BITS) " bits long.";
	e_ok = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
		BN_is_odd(e) && BN_num_bits(e) >= 17 && BN_num_bits(e) <= 256;
	BN_free(e);
	ERR_clear_error();
	if (!e_ok)
		return "An RSA key's public exponent must be odd and at least 65537.";
	return NULL;
}

/*
 * What makes "pkey" unfit for "alg", as a sentence for errdetail, or NULL if
 * it is fit: for ES256, ES384 and ES512 an EC key on P-256, P-384 and
 * P-521; for EdDSA an Ed25519 key; for RS256 and PS256 an RSA key of
 * RSA_MIN_BITS to RSA_MAX_BITS (the largest signature a token may carry is
 * SIGNATURE_MAX_LEN bytes) with an odd public exponent of at least 65537;
 * and, for all, a key that passes OpenSSL's public-key checks (for EC, a
 * point on the curve).  With check_private, the private key must also pass
 * OpenSSL's full check (for RSA, its primes; for all, that it matches the
 * public key): that is for keys being imported, once, not for every load
 * of a cache.
 */
const char *
jwt_auth_key_policy_problem(EVP_PKEY *pkey, SignatureAlg alg, bool check_private)
{
	const char *problem = NULL;
	EVP_PKEY_CTX *ctx;
	int			ok;

	switch (alg)
	{
		case SIG_ES256:
			if (!ec_key_on(pkey, "prime256v1"))
				problem = "ES256 needs an EC key on the curve P-256.";
			break;
		case SIG_ES384:
			if (!ec_key_on(pkey, "secp384r1"))
				problem = "ES384 needs an EC key on the curve P-384.";
			break;
		case SIG_ES512:
			if (!ec_key_on(pkey, "secp521r1"))
				problem = "ES512 needs an EC key on the curve P-521.";
			break;
		case SIG_RS256:
		case SIG_PS256:
			problem = rsa_problem(pkey, alg);
			break;
		case SIG_EDDSA:
			if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519)
				problem = "EdDSA needs an Ed25519 key.";
			break;
		case SIG_HS256:
		case SIG_UNKNOWN:
			problem = "The algorithm takes no public key.";
			break;
	}
	ERR_clear_error();
	if (problem != NULL)
		return problem;

	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	ok = ctx != NULL &&
		(check_private ? EVP_PKEY_check(ctx) : EVP_PKEY_public_check(ctx)) == 1;
	EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return check_private ?
			"The key fails OpenSSL's key check: its private and public parts do not match, or one is invalid." :
			"The public key fails OpenSSL's public-key check (for EC, a point that is not on the curve).";
	return NULL;
}

/* PEM passphrase callback: keys are never encrypted; never prompt. */
int
jwt_auth_key_policy_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}
