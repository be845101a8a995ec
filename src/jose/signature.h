/*-------------------------------------------------------------------------
 *
 * signature.h
 *	  Making and checking JWS signatures, one algorithm at a time.
 *
 * No server dependency: linked into the extension and into the fuzz target.
 *
 * src/jose/signature.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SIGNATURE_H
#define JWT_AUTH_SIGNATURE_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "mac.h"

/* Longest signature made or accepted: RS256 with a 4096-bit modulus. */
#define SIGNATURE_MAX_LEN		512

/* The algorithms ("alg" values, RFC 7518) signatures are made and checked with. */
typedef enum SignatureAlg
{
	SIG_UNKNOWN = 0,
	SIG_HS256,
	SIG_ES256,
	SIG_RS256,
	SIG_EDDSA,					/* Ed25519, "EdDSA" or "Ed25519" */
	SIG_PS256,
	SIG_ES384,
	SIG_ES512
} SignatureAlg;

/*
 * The key a signature is made or checked with: "hmac" for HS256, "pkey"
 * (a private key to sign, a public or private key to check) otherwise.
 * ES256 signatures are made in low-S form, and accepted in either form.
 */
typedef struct SignatureKey
{
	SignatureAlg alg;
	HmacKey    *hmac;
	EVP_PKEY   *pkey;
} SignatureKey;

extern SignatureAlg jwt_auth_signature_alg(const char *name);
extern const char *jwt_auth_signature_alg_name(SignatureAlg alg);
extern size_t jwt_auth_signature_max_len(SignatureAlg alg);
extern bool jwt_auth_signature_check(const SignatureKey *key,
									 const unsigned char *input, size_t len,
									 const unsigned char *sig, size_t siglen,
									 const char **detail);
extern size_t jwt_auth_signature_make(const SignatureKey *key,
									  const unsigned char *input, size_t len,
									  unsigned char *out, size_t outcap);

#endif							/* JWT_AUTH_SIGNATURE_H */
