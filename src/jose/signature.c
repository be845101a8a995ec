/*-------------------------------------------------------------------------
 *
 * signature.c
 *	  Making and checking JWS signatures, one algorithm at a time: HS256
 *	  (HMAC-SHA256), ES256, ES384 and ES512 (ECDSA on P-256, P-384 and
 *	  P-521), RS256 (RSASSA-PKCS1-v1_5), PS256 (RSASSA-PSS) and EdDSA
 *	  (Ed25519), as RFC 7518 and RFC 8037 define them.
 *
 * The caller has already tied the key to the token: the key was chosen by
 * "kid" and the token's "alg" was found equal to the key's.  This unit works
 * on bytes: the signing input and the decoded signature.  An HMAC is
 * compared in constant time.  ECDSA signatures are carried as r || s, as
 * JOSE does.  jwt_auth makes ES256 signatures in low-S form, and accepts
 * both forms: (r, s) verifies as (r, n - s) too, and the other signers of
 * a shared or imported key (libjwt, jose, Better Auth) make either.  A
 * second spelling of a token gives its holder nothing the first did not.
 *
 * src/jose/signature.c
 *
 *-------------------------------------------------------------------------
 */
#include "signature.h"

#include "codec.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

/* Detail sentences are marked for translation; the server translates them. */
#ifndef gettext_noop
#define gettext_noop(x) (x)
#endif

/* Bytes of ECDSA signatures (r || s) and of an Ed25519 signature. */
#define ES256_LEN				64
#define ES384_LEN				96
#define ES512_LEN				132
#define EDDSA_LEN				64
#define ES256_LEN				64	/* r and s, 32 bytes each */

/* The order n of P-256's base point, and n / 2 rounded down, big-endian. */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51
};
static const unsigned char p256_half_order[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8
};

static const char *const alg_names[] = {
	[SIG_UNKNOWN] = NULL,
	[SIG_HS256] = "HS256",
	[SIG_ES256] = "ES256",
	[SIG_RS256] = "RS256",
	[SIG_EDDSA] = "EdDSA",
	[SIG_PS256] = "PS256",
	[SIG_ES384] = "ES384",
	[SIG_ES512] = "ES512",
};

/*
 * The algorithm an "alg" value names; SIG_UNKNOWN if none is supported.
 * "Ed25519", the fully specified name (RFC 9864), is EdDSA on Ed25519, the
 * only EdDSA curve supported.
 */
SignatureAlg
jwt_auth_signature_alg(const char *name)
{
	if (strcmp(name, "Ed25519") == 0)
		return SIG_EDDSA;
	for (int i = SIG_UNKNOWN + 1; i < (int) (sizeof(alg_names) / sizeof(alg_names[0])); i++)
		if (strcmp(name, alg_names[i]) == 0)
			return (SignatureAlg) i;
	return SIG_UNKNOWN;
}

const char *
jwt_auth_signature_alg_name(SignatureAlg alg)
{
	return alg_names[alg];
}

/* The longest signature "alg" makes. */
size_t
jwt_auth_signature_max_len(SignatureAlg alg)
{
	switch (alg)
	{
		case SIG_HS256:
			return HMAC_SHA256_LEN;
		case SIG_ES256:
			return ES256_LEN;
		case SIG_ES384:
			return ES384_LEN;
		case SIG_ES512:
			return ES512_LEN;
		case SIG_EDDSA:
			return EDDSA_LEN;
		case SIG_RS256:
		case SIG_PS256:
			return SIGNATURE_MAX_LEN;
		default:
			return 0;
	}
}

/* The digest an algorithm hashes with; NULL for EdDSA, which hashes itself. */
static const EVP_MD *
alg_digest(SignatureAlg alg)
{
	switch (alg)
	{
		case SIG_ES384:
			return EVP_sha384();
		case SIG_ES512:
			return EVP_sha512();
		case SIG_EDDSA:
			return NULL;
		default:
			return EVP_sha256();
	}
}

/* Bytes of r and of s in an ECDSA signature of "alg"; 0 if not ECDSA. */
static int
ecdsa_width(SignatureAlg alg)
{
	switch (alg)
	{
		case SIG_ES256:
			return ES256_LEN / 2;
		case SIG_ES384:
			return ES384_LEN / 2;
		case SIG_ES512:
			return ES512_LEN / 2;
		default:
			return 0;
	}
}

/* Encode r || s ("width" bytes each) as a DER ECDSA-Sig-Value; its length or 0. */
static size_t
ecdsa_to_der(const unsigned char *sig, int width, unsigned char *der, size_t dercap)
{
	ECDSA_SIG  *esig = ECDSA_SIG_new();
	BIGNUM	   *r = BN_bin2bn(sig, width, NULL);
	BIGNUM	   *s = BN_bin2bn(sig + width, width, NULL);
	unsigned char *p = der;
	int			n;

	if (esig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(esig, r, s))
	{
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(esig);
		return 0;
	}
	n = i2d_ECDSA_SIG(esig, NULL);
	if (n <= 0 || (size_t) n > dercap || i2d_ECDSA_SIG(esig, &p) != n)
		n = 0;
	ECDSA_SIG_free(esig);
	return (size_t) n;
}

/* Decode a DER ECDSA-Sig-Value into low-S ES256 r || s; false on failure. */
static bool
es256_from_der(const unsigned char *der, size_t derlen, unsigned char out[ES256_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG  *esig = d2i_ECDSA_SIG(NULL, &p, (long) derlen);
	const BIGNUM *r,
			   *s;
	bool		ok;

	if (esig == NULL)
		return false;
	ECDSA_SIG_get0(esig, &r, &s);
	ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(s, out + 32, 32) == 32;
	ECDSA_SIG_free(esig);
	/* Low S: replace s by n - s when s > n / 2. */
	if (ok && memcmp(out + 32, p256_half_order, 32) > 0)
	{
		BIGNUM	   *n = BN_bin2bn(p256_order, 32, NULL);
		BIGNUM	   *high = BN_bin2bn(out + 32, 32, NULL);

		ok = n != NULL && high != NULL && BN_sub(high, n, high) == 1 &&
			BN_bn2binpad(high, out + 32, 32) == 32;
		BN_free(n);
		BN_free(high);
	}
	return ok;
}

/*
 * RSASSA-PSS as RFC 7518 (section 3.5) uses it: MGF1 with SHA-256 and a
 * salt as long as the digest.
 */
static bool
set_pss(EVP_PKEY_CTX *pctx)
{
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
		EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) > 0 &&
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) > 0;
}

/*
 * Check "sig" over "input" with "key".  On failure, "detail" says why in a
 * sentence that holds nothing from the token.
 */
bool
jwt_auth_signature_check(const SignatureKey *key, const unsigned char *input, size_t len,
						 const unsigned char *sig, size_t siglen, const char **detail)
{
	unsigned char der[ES512_LEN + 16];
	int			width = ecdsa_width(key->alg);
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	bool		ok;

	if (key->alg == SIG_HS256)
	{
		unsigned char mac[HMAC_SHA256_LEN];

		if (siglen != HMAC_SHA256_LEN)
		{
			*detail = gettext_noop("The signature is not " JOSE_TEXT(HMAC_SHA256_LEN) " bytes of canonical base64url.");
			return false;
		}
		if (key->hmac == NULL || !jwt_auth_hmac_sha256(key->hmac, input, len, mac))
		{
			*detail = gettext_noop("The signature could not be computed.");
			return false;
		}
		ok = CRYPTO_memcmp(mac, sig, HMAC_SHA256_LEN) == 0;
		OPENSSL_cleanse(mac, sizeof(mac));
		if (!ok)
			*detail = gettext_noop("The signature does not match the token's header and payload.");
		return ok;
	}
	if (key->pkey == NULL || key->alg == SIG_UNKNOWN)
	{
		*detail = gettext_noop("The token's algorithm is not the key's algorithm.");
		return false;
	}
	if (width > 0)
	{
		if (siglen != (size_t) width * 2)
		{
			*detail = key->alg == SIG_ES256 ? gettext_noop("The signature is not " JOSE_TEXT(ES256_LEN) " bytes.") :
				gettext_noop("The signature is not as long as the curve requires.");
			return false;
		}
		siglen = ecdsa_to_der(sig, width, der, sizeof(der));
		if (siglen == 0)
		{
			*detail = gettext_noop("The signature could not be decoded.");
			return false;
		}
		sig = der;
	}
	else if (key->alg == SIG_EDDSA ? siglen != EDDSA_LEN :
			 siglen != (size_t) EVP_PKEY_get_size(key->pkey))
	{
		*detail = key->alg == SIG_EDDSA ? gettext_noop("The signature is not " JOSE_TEXT(EDDSA_LEN) " bytes.") :
			gettext_noop("The signature is not as long as the key's modulus.");
		return false;
	}

	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
		EVP_DigestVerifyInit(ctx, &pctx, alg_digest(key->alg), NULL, key->pkey) == 1 &&
		(key->alg != SIG_PS256 || set_pss(pctx)) &&
		EVP_DigestVerify(ctx, sig, siglen, input, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		*detail = gettext_noop("The signature does not match the token's header and payload.");
	return ok;
}

/*
 * Sign "input" with "key" into "out"; returns the signature's length, or 0
 * if it cannot be made or does not fit in "outcap" bytes.  Of the ECDSA
 * algorithms, only ES256 signs (jwt_auth makes no other ECDSA keys).
 */
size_t
jwt_auth_signature_make(const SignatureKey *key, const unsigned char *input, size_t len,
						unsigned char *out, size_t outcap)
{
	unsigned char der[SIGNATURE_MAX_LEN + 16];
	size_t		derlen = sizeof(der);
	EVP_MD_CTX *ctx;
	EVP_PKEY_CTX *pctx = NULL;
	bool		ok;

	if (key->alg == SIG_HS256)
	{
		if (key->hmac == NULL || outcap < HMAC_SHA256_LEN ||
			!jwt_auth_hmac_sha256(key->hmac, input, len, out))
			return 0;
		return HMAC_SHA256_LEN;
	}
	if (key->pkey == NULL || key->alg == SIG_UNKNOWN ||
		(ecdsa_width(key->alg) > 0 && key->alg != SIG_ES256))
		return 0;

	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL &&
		EVP_DigestSignInit(ctx, &pctx, alg_digest(key->alg), NULL, key->pkey) == 1 &&
		(key->alg != SIG_PS256 || set_pss(pctx)) &&
		EVP_DigestSign(ctx, der, &derlen, input, len) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return 0;
	if (key->alg == SIG_ES256)
	{
		if (outcap < ES256_LEN || !es256_from_der(der, derlen, out))
			return 0;
		return ES256_LEN;
	}
	if (derlen > outcap)
		return 0;
	memcpy(out, der, derlen);
	return derlen;
}
