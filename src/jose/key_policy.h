/*-------------------------------------------------------------------------
 *
 * key_policy.h
 *	  Which public-key pairs jwt_auth accepts for each algorithm.
 *
 * No server dependency: linked into the extension and into the fuzz target.
 *
 * src/jose/key_policy.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_KEY_POLICY_H
#define JWT_AUTH_KEY_POLICY_H

#include <stdbool.h>

#include <openssl/evp.h>

#include "signature.h"

extern const char *jwt_auth_key_policy_problem(EVP_PKEY *pkey, SignatureAlg alg,
											   bool check_private);
extern EVP_PKEY *jwt_auth_key_policy_read_pem(const void *pem, int len, bool private_key,
											  SignatureAlg alg);
extern int	jwt_auth_key_policy_no_passphrase(char *buf, int size, int rwflag, void *u);

#endif							/* JWT_AUTH_KEY_POLICY_H */
