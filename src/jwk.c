/*-------------------------------------------------------------------------
 *
 * jwk.c
 *	  A public key from a JSON Web Key (RFC 7517; RFC 7518, section 6;
 *	  RFC 8037): its kid, the algorithm it verifies, and the key, checked as
 *	  strictly as the keys jwt_auth makes.
 *
 * Only signature keys of the algorithms signature.c checks are accepted:
 * OKP Ed25519 (EdDSA), EC P-256, P-384 and P-521 (ES256, ES384, ES512) and
 * RSA (RS256 or PS256).  The algorithm is the key's: a JWK's "alg" must
 * agree with its type, and where it is absent it is inferred only when the
 * type leaves no choice (OKP Ed25519, an EC curve); an RSA key without
 * "alg" could verify RS256 or PS256, and is refused.  A JWK that carries
 * private or symmetric key material is refused: a JWKS is public.  So is
 * one whose "use" is not "sig", or whose "key_ops" does not list "verify".
 * The key is read from its own members only: certificates ("x5c", "x5u",
 * "x5t") are neither fetched nor checked, and say nothing jwt_auth uses.
 *
 * src/jwk.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "jose/codec.h"
#include "jwk.h"
#include "jose/key_policy.h"
#include "jose/token.h"

/* Largest decoded member: an RSA modulus of 4096 bits. */
#define JWK_MAX_BYTES	512

/* A string member of "jwk", or NULL if absent; "*bad" if not a string. */
static const char *
member(JsonbContainer *jwk, const char *name, int *len, bool *bad)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(jwk, name, strlen(name), &v) == NULL)
		return NULL;
	if (v.type != jbvString)
	{
		*bad = true;
		return NULL;
	}
	*len = v.val.string.len;
	return v.val.string.val;
}

/* Does string member "name" equal "want"? */
static bool
member_is(JsonbContainer *jwk, const char *name, const char *want)
{
	bool		bad = false;
	int			len = 0;
	const char *s = member(jwk, name, &len, &bad);

	return s != NULL && (size_t) len == strlen(want) && memcmp(s, want, len) == 0;
}

/* Decode base64url member "name" into "out"; its length, or -1. */
/*
 * Whether the key's "key_ops", if it has one, is an array that lists
 * "verify": a key its issuer says is not for verifying is not used to.
 */
static bool
key_ops_allow_verify(JsonbContainer *jwk)
{
	JsonbValue	ops;
	int			n;

	if (getKeyJsonValueFromContainer(jwk, "key_ops", strlen("key_ops"), &ops) == NULL)
		return true;
	if (ops.type != jbvBinary || !JsonContainerIsArray(ops.val.binary.data))
		return false;
	n = (int) JsonContainerSize(ops.val.binary.data);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *op = getIthJsonbValueFromContainer(ops.val.binary.data, i);

		if (op->type == jbvString && op->val.string.len == (int) strlen("verify") &&
			memcmp(op->val.string.val, "verify", op->val.string.len) == 0)
			return true;
	}
	return false;
}

static int
decode_member(JsonbContainer *jwk, const char *name, unsigned char *out, size_t cap)
{
	bool		bad = false;
	int			len = 0;
	const char *s = member(jwk, name, &len, &bad);
	size_t		n;

	if (s == NULL || !jwt_auth_codec_b64url_decode(s, (size_t) len, out, cap, &n) || n == 0)
		return -1;
	return (int) n;
}

/* Build a key of "type" from "params"; NULL if OpenSSL refuses them. */
static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY   *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
		EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *
okp_key(JsonbContainer *jwk, const char **problem)
{
	unsigned char x[32 + 1];

	if (!member_is(jwk, "crv", "Ed25519"))
	{
		*problem = "An OKP key must be on the curve Ed25519.";
		return NULL;
	}
	if (decode_member(jwk, "x", x, sizeof(x)) != 32)
	{
		*problem = "An Ed25519 key's \"x\" must be 32 bytes of base64url.";
		return NULL;
	}
	return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
}

static EVP_PKEY *
ec_key(JsonbContainer *jwk, const char *group, int width, const char **problem)
{
	unsigned char point[1 + 2 * 66];
	unsigned char x[66 + 1],
				y[66 + 1];
	OSSL_PARAM_BLD *bld;
	EVP_PKEY   *pkey;

	if (decode_member(jwk, "x", x, sizeof(x)) != width ||
		decode_member(jwk, "y", y, sizeof(y)) != width)
	{
		*problem = "An EC key's \"x\" and \"y\" must be base64url of the curve's size.";
		return NULL;
	}
	point[0] = 0x04;			/* uncompressed */
	memcpy(point + 1, x, width);
	memcpy(point + 1 + width, y, width);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
		!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
		!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * width))
	{
		OSSL_PARAM_BLD_free(bld);
		return NULL;
	}
	pkey = from_params("EC", bld);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static EVP_PKEY *
rsa_key(JsonbContainer *jwk, const char **problem)
{
	unsigned char n[JWK_MAX_BYTES + 1];
	unsigned char e[16];
	int			nlen = decode_member(jwk, "n", n, sizeof(n));
	int			elen = decode_member(jwk, "e", e, sizeof(e));
	BIGNUM	   *bn_n,
			   *bn_e;
	OSSL_PARAM_BLD *bld;
	EVP_PKEY   *pkey = NULL;

	if (nlen <= 0 || elen <= 0)
	{
		*problem = "An RSA key's \"n\" (at most 4096 bits) and \"e\" must be base64url.";
		return NULL;
	}
	bn_n = BN_bin2bn(n, nlen, NULL);
	bn_e = BN_bin2bn(e, elen, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn_n != NULL && bn_e != NULL && bld != NULL &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) &&
		OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e))
		pkey = from_params("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	return pkey;
}

/*
 * The key of "jwk" (a JSON object), with its kid and algorithm in "out";
 * false, with "problem" saying why in a sentence, if it cannot be trusted.
 */
bool
jwt_auth_jwk_public_key(JsonbContainer *jwk, JwkKey *out, const char **problem)
{
	static const char *const private_members[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
	bool		bad = false;
	int			len = 0;
	const char *kid;
	const char *alg;
	int			alg_len = 0;
	EVP_PKEY   *pkey = NULL;

	memset(out, 0, sizeof(*out));
	*problem = NULL;
	if (!JsonContainerIsObject(jwk))
	{
		*problem = "A key of the JWKS is not a JSON object.";
		return false;
	}
	kid = member(jwk, "kid", &len, &bad);
	if (kid == NULL || len == 0 || len > TOKEN_MAX_KID || memchr(kid, '\0', len) != NULL)
	{
		*problem = "Every key must have a \"kid\" string of 1 to 128 bytes: tokens choose their key by it.";
		return false;
	}
	memcpy(out->kid, kid, len);
	out->kid[len] = '\0';
	for (size_t i = 0; i < lengthof(private_members); i++)
	{
		JsonbValue	v;

		if (getKeyJsonValueFromContainer(jwk, private_members[i], strlen(private_members[i]), &v) != NULL)
		{
			*problem = "The key holds private or symmetric key material; a JWKS must hold public keys only.";
			return false;
		}
	}
	if (member(jwk, "use", &len, &bad) != NULL && !member_is(jwk, "use", "sig"))
	{
		*problem = "The key's \"use\" is not \"sig\".";
		return false;
	}
	if (!key_ops_allow_verify(jwk))
	{
		*problem = "The key's \"key_ops\" does not list \"verify\".";
		return false;
	}
	alg = member(jwk, "alg", &alg_len, &bad);
	if (bad)
	{
		*problem = "A member of the key that must be a string is not one.";
		return false;
	}

#define ALG_IS(name) (alg != NULL && (size_t) alg_len == strlen(name) && memcmp(alg, name, alg_len) == 0)
	if (member_is(jwk, "kty", "OKP"))
	{
		if (alg != NULL && !ALG_IS("EdDSA") && !ALG_IS("Ed25519"))
			goto wrong_alg;
		strlcpy(out->alg, "EdDSA", sizeof(out->alg));
		pkey = okp_key(jwk, problem);
	}
	else if (member_is(jwk, "kty", "EC"))
	{
		const char *name;
		const char *group;
		int			width;

		if (member_is(jwk, "crv", "P-256"))
			name = "ES256", group = "prime256v1", width = 32;
		else if (member_is(jwk, "crv", "P-384"))
			name = "ES384", group = "secp384r1", width = 48;
		else if (member_is(jwk, "crv", "P-521"))
			name = "ES512", group = "secp521r1", width = 66;
		else
		{
			*problem = "An EC key must be on P-256, P-384 or P-521.";
			return false;
		}
		if (alg != NULL && !ALG_IS(name))
			goto wrong_alg;
		strlcpy(out->alg, name, sizeof(out->alg));
		pkey = ec_key(jwk, group, width, problem);
	}
	else if (member_is(jwk, "kty", "RSA"))
	{
		if (alg == NULL)
		{
			*problem = "An RSA key must name its algorithm (\"alg\": RS256 or PS256).";
			return false;
		}
		if (!ALG_IS("RS256") && !ALG_IS("PS256"))
			goto wrong_alg;
		memcpy(out->alg, alg, alg_len);
		out->alg[alg_len] = '\0';
		pkey = rsa_key(jwk, problem);
	}
	else
	{
		*problem = "The key's \"kty\" is not OKP, EC or RSA (symmetric keys are never trusted).";
		return false;
	}
#undef ALG_IS

	ERR_clear_error();
	if (pkey == NULL)
	{
		if (*problem == NULL)
			*problem = "OpenSSL does not accept the key's parameters.";
		return false;
	}
	/* The checks every key of jwt_auth's own passes too. */
	*problem = jwt_auth_key_policy_problem(pkey, jwt_auth_signature_alg(out->alg), false);
	if (*problem != NULL)
	{
		EVP_PKEY_free(pkey);
		return false;
	}
	out->pkey = pkey;
	return true;

wrong_alg:
	*problem = "The key's \"alg\" does not fit its type and curve.";
	return false;
}
