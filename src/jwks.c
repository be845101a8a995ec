/*-------------------------------------------------------------------------
 *
 * jwks.c
 *	  auth.jwks(): the public keys of auth.keys as a JWK Set (RFC 7517),
 *	  for clients that verify jwt_auth's tokens themselves.
 *
 * Every key that is not retired and has a public part is listed, with its
 * kid, alg and "use": "sig"; HS256 secrets never appear.  EC coordinates
 * are padded to the curve's size, as RFC 7518 requires; an Ed25519 key is
 * an OKP key (RFC 8037).
 *
 * src/jwks.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "jose/codec.h"
#include "keys.h"
#include "pg_compat.h"

/* Append an OpenSSL big number parameter as a base64url JSON member. */
static void
add_bn(StringInfo buf, EVP_PKEY *pkey, const char *param, const char *name, int width)
{
	BIGNUM	   *bn = NULL;
	unsigned char bytes[1024];
	char		b64[1400];
	int			n;

	if (!EVP_PKEY_get_bn_param(pkey, param, &bn) ||
		BN_num_bytes(bn) > (width > 0 ? width : (int) sizeof(bytes)))
	{
		BN_free(bn);
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not read a public key")));
	}
	n = width > 0 ? BN_bn2binpad(bn, bytes, width) : BN_bn2bin(bn, bytes);
	BN_free(bn);
	if (n <= 0 || n > (int) sizeof(bytes))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not read a public key")));
	jwt_auth_codec_b64url_encode(bytes, (size_t) n, b64);
	appendStringInfo(buf, ",\"%s\":\"%s\"", name, b64);
}

static Datum
jwks_impl(PG_FUNCTION_ARGS)
{
	const JwtKey *all;
	int			n = jwt_auth_keys_all(&all);
	StringInfoData buf;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"keys\":[");
	for (int i = 0; i < n; i++)
	{
		const JwtKey *k = &all[i];

		if (k->public_key == NULL)
			continue;			/* HS256: nothing public */
		if (!first)
			appendStringInfoChar(&buf, ',');
		first = false;
		appendStringInfoString(&buf, "{\"kid\":");
		escape_json(&buf, k->kid);
		appendStringInfo(&buf, ",\"alg\":\"%s\",\"use\":\"sig\"", jwt_auth_signature_alg_name(k->alg));
		if (k->alg == SIG_EDDSA)
		{
			unsigned char raw[32];
			size_t		rawlen = sizeof(raw);
			char		b64[CODEC_B64URL_LEN(32) + 1];

			if (EVP_PKEY_get_raw_public_key(k->public_key, raw, &rawlen) != 1 || rawlen != 32)
				ereport(ERROR,
						(errcode(ERRCODE_INTERNAL_ERROR),
						 errmsg("could not read a public key")));
			jwt_auth_codec_b64url_encode(raw, rawlen, b64);
			appendStringInfo(&buf, ",\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"%s\"", b64);
		}
		else if (k->alg == SIG_ES256)
		{
			appendStringInfoString(&buf, ",\"kty\":\"EC\",\"crv\":\"P-256\"");
			add_bn(&buf, k->public_key, OSSL_PKEY_PARAM_EC_PUB_X, "x", 32);
			add_bn(&buf, k->public_key, OSSL_PKEY_PARAM_EC_PUB_Y, "y", 32);
		}
		else
		{
			appendStringInfoString(&buf, ",\"kty\":\"RSA\"");
			add_bn(&buf, k->public_key, OSSL_PKEY_PARAM_RSA_N, "n", 0);
			add_bn(&buf, k->public_key, OSSL_PKEY_PARAM_RSA_E, "e", 0);
		}
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}

PG_FUNCTION_INFO_V1(jwt_auth_jwks);
Datum
jwt_auth_jwks(PG_FUNCTION_ARGS)
{
	return jwks_impl(fcinfo);
}
