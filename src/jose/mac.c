/*-------------------------------------------------------------------------
 *
 * mac.c
 *	  HMAC-SHA256 (RFC 2104) with a key prepared once.
 *
 * src/jose/mac.c
 *
 *-------------------------------------------------------------------------
 */
#include "mac.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

/* SHA-256 reads its input in blocks of this many bytes. */
#define SHA256_BLOCK			64

/* Start "ctx" on a key block XORed with "pad"; the padded copy is wiped. */
static bool
hash_padded_key(EVP_MD_CTX *ctx, const unsigned char block[SHA256_BLOCK], unsigned char pad)
{
	unsigned char padded[SHA256_BLOCK];
	bool		ok;

	for (int i = 0; i < SHA256_BLOCK; i++)
		padded[i] = block[i] ^ pad;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		EVP_DigestUpdate(ctx, padded, sizeof(padded)) == 1;
	OPENSSL_cleanse(padded, sizeof(padded));
	return ok;
}

struct HmacKey
{
	EVP_MD_CTX *inner;			/* SHA-256 state after (key XOR ipad) */
	EVP_MD_CTX *outer;			/* SHA-256 state after (key XOR opad) */
	EVP_MD_CTX *work;
};

/*
 * HMAC-SHA256 (RFC 2104) with both padded key blocks hashed once, here: the
 * one-shot HMAC() of OpenSSL 3 looks the algorithm up and sets the key up
 * again on every call, which costs several times the hashing of a token.
 * NULL if the secret is shorter than HMAC_MIN_SECRET or memory runs out.
 */
HmacKey *
jwt_auth_hmac_key_new(const unsigned char *secret, size_t len)
{
	unsigned char block[SHA256_BLOCK];
	unsigned int n = 0;
	HmacKey    *key;
	bool		ok;

	if (secret == NULL || len < HMAC_MIN_SECRET)
		return NULL;
	key = OPENSSL_zalloc(sizeof(HmacKey));
	if (key == NULL)
		return NULL;
	key->inner = EVP_MD_CTX_new();
	key->outer = EVP_MD_CTX_new();
	key->work = EVP_MD_CTX_new();

	/* A key longer than a block is replaced by its digest. */
	memset(block, 0, sizeof(block));
	if (len > SHA256_BLOCK)
		ok = EVP_Digest(secret, len, block, &n, EVP_sha256(), NULL) == 1;
	else
	{
		memcpy(block, secret, len);
		ok = true;
	}
	ok = ok && key->inner != NULL && key->outer != NULL && key->work != NULL &&
		hash_padded_key(key->inner, block, 0x36) &&
		hash_padded_key(key->outer, block, 0x5c);
	OPENSSL_cleanse(block, sizeof(block));
	if (!ok)
	{
		jwt_auth_hmac_key_free(key);
		return NULL;
	}
	return key;
}

/* Free a key; its hash states are wiped as they are freed. */
void
jwt_auth_hmac_key_free(HmacKey *key)
{
	if (key == NULL)
		return;
	EVP_MD_CTX_free(key->inner);
	EVP_MD_CTX_free(key->outer);
	EVP_MD_CTX_free(key->work);
	OPENSSL_free(key);
}

/* The HMAC-SHA256 of "data" under "key"; false if OpenSSL fails. */
bool
jwt_auth_hmac_sha256(HmacKey *key, const unsigned char *data, size_t len,
					 unsigned char mac[HMAC_SHA256_LEN])
{
	unsigned char inner[HMAC_SHA256_LEN];
	unsigned int n1 = 0;
	unsigned int n2 = 0;
	bool		ok;

	ok = EVP_MD_CTX_copy_ex(key->work, key->inner) == 1 &&
		EVP_DigestUpdate(key->work, data, len) == 1 &&
		EVP_DigestFinal_ex(key->work, inner, &n1) == 1 && n1 == sizeof(inner) &&
		EVP_MD_CTX_copy_ex(key->work, key->outer) == 1 &&
		EVP_DigestUpdate(key->work, inner, sizeof(inner)) == 1 &&
		EVP_DigestFinal_ex(key->work, mac, &n2) == 1 && n2 == HMAC_SHA256_LEN;
	OPENSSL_cleanse(inner, sizeof(inner));
	return ok;
}
