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
#include <openssl/pem.h>

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
 * The encodings of the Ed25519 points of small order (1, 2, 4 and 8) and
 * of non-canonical points, which an Ed25519 public key must not be.  A key
 * of small order makes a signature of a small-order R and S = 0 verify for
 * any message, so anyone could sign for it.  A point is encoded as its y
 * coordinate, 255 bits little-endian, and the sign of x in the top bit.
 * The y of the small-order points: 0 (order 4), 1 (the identity), p - 1
 * (order 2), and Y8 and p - Y8 (order 8), where p = 2^255 - 19; whatever
 * the sign bit.  A y of p or more is not canonical.
 */
static const unsigned char ed25519_small_order_y[][32] = {
	/* 0 */
	{0},
	/* 1 */
	{0x01},
	/* p - 1 */
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
	/* Y8 */
	{0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
	0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
	/* p - Y8 */
	{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
	0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
};

/* p = 2^255 - 19, little-endian. */
static const unsigned char ed25519_p[32] = {
	0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
};

/* What makes an Ed25519 public key unfit, or NULL. */
static const char *
ed25519_problem(EVP_PKEY *pkey)
{
	unsigned char raw[32];
	size_t		len = sizeof(raw);
	bool		below_p = false;

	if (EVP_PKEY_get_raw_public_key(pkey, raw, &len) != 1 || len != sizeof(raw))
		return "The Ed25519 public key cannot be read.";
	raw[31] &= 0x7f;			/* y alone, without the sign of x */

	/* y < p, compared from the most significant byte down */
	for (int i = 31; i >= 0; i--)
	{
		if (raw[i] != ed25519_p[i])
		{
			below_p = raw[i] < ed25519_p[i];
			break;
		}
	}
	if (!below_p)
		return "The Ed25519 public key is not a canonical encoding of a point.";
	for (size_t i = 0; i < sizeof(ed25519_small_order_y) / sizeof(ed25519_small_order_y[0]); i++)
		if (memcmp(raw, ed25519_small_order_y[i], sizeof(raw)) == 0)
			return "The Ed25519 public key is a point of small order, for which anyone could make signatures.";
	return NULL;
}

/*
 * What makes "pkey" unfit for "alg", as a sentence for errdetail, or NULL if
 * it is fit: for ES256, ES384 and ES512 an EC key on P-256, P-384 and
 * P-521; for EdDSA an Ed25519 key whose point is canonical and not of
 * small order; for RS256 and PS256 an RSA key of
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
			else
				problem = ed25519_problem(pkey);
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

/*
 * The key of a PEM text of "len" bytes (-1: up to its NUL), a public key or
 * with "private_key" a private one, if it parses and fits "alg" (its
 * public part checked, as for every load of a cache); else NULL.
 */
EVP_PKEY *
jwt_auth_key_policy_read_pem(const void *pem, int len, bool private_key, SignatureAlg alg)
{
	BIO		   *bio = BIO_new_mem_buf(pem, len);
	EVP_PKEY   *pkey = NULL;

	if (bio != NULL)
		pkey = private_key ?
			PEM_read_bio_PrivateKey(bio, NULL, jwt_auth_key_policy_no_passphrase, NULL) :
			PEM_read_bio_PUBKEY(bio, NULL, jwt_auth_key_policy_no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pkey != NULL && jwt_auth_key_policy_problem(pkey, alg, false) != NULL)
	{
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

/* PEM passphrase callback: keys are never encrypted; never prompt. */
int
jwt_auth_key_policy_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}
