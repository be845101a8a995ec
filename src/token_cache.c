/*-------------------------------------------------------------------------
 *
 * token_cache.c
 *	  Tokens this backend has verified, so that the same token presented
 *	  again is not parsed and its signature not checked again.
 *
 * An application sends the same token with every request until it expires,
 * so most calls of auth.verify() see a token they have seen before.  This
 * cache keeps, per backend, up to jwt_auth.cache_size tokens whose
 * signature, header and claims have passed, with what they tell.  A token
 * is found by its whole text, compared in constant time, so that the time
 * a look-up takes tells nothing about the tokens held.
 *
 * What a cached token does not skip: the checks that depend on the time
 * ("exp", "nbf", "iat", with the current leeway) and the session check,
 * which the callers make on every call.  The cache is emptied when
 * auth.keys changes (a key retired in any backend evicts every token at the
 * next call), when the trusted issuers or their keys change (auth.issuers,
 * auth.issuer_keys: the same, for other issuers' tokens) and when the
 * issuer or the audience in force changes (a GUC, or auth.configure() in
 * any backend).
 *
 * The table is direct-mapped: a token goes to the slot its hash names and
 * replaces what was there.  Tokens longer than TOKEN_CACHE_MAX_TOKEN are
 * not kept, so that an entry (the token, its decoded claims, rounded up by
 * the allocator) takes 1 kB for a token of the usual size and at most 4 kB.
 * Evicted entries are wiped before their memory is freed.
 *
 * src/token_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stddef.h>

#include "common/hashfn.h"
#include "utils/inval.h"
#include "utils/memutils.h"

#include "guc.h"
#include "issuers.h"
#include "keys.h"
#include "memory.h"
#include "token_cache.h"

/* The members of TokenClaims that precede its JSON. */
#define CLAIMS_FIXED	offsetof(TokenClaims, json)

typedef struct CachedToken
{
	char	   *data;			/* the token, then the JSON and a NUL; NULL if
								 * the slot is empty */
	uint32		token_len;
	uint32		json_len;
	char		claims[CLAIMS_FIXED];	/* the bytes of TokenClaims before
										 * "json" */
} CachedToken;

static MemoryContext cache_context = NULL;
static CachedToken *slots = NULL;
static int	nslots = 0;

/* What the cached tokens were verified against. */
static uint64 verified_keys = 0;
static uint64 verified_issuers = 0;
static char verified_issuer[TOKEN_MAX_NAME + 1];
static char verified_audience[TOKEN_MAX_NAME + 1];

/* Equality of two buffers in a time that depends on their length alone. */
static bool
equal_constant_time(const char *a, const char *b, size_t len)
{
	uint64		diff = 0;
	size_t		i = 0;

	for (; i + sizeof(uint64) <= len; i += sizeof(uint64))
	{
		uint64		x;
		uint64		y;

		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		diff |= x ^ y;
	}
	for (; i < len; i++)
		diff |= (uint64) (unsigned char) (a[i] ^ b[i]);
	return diff == 0;
}

static void
wipe(CachedToken *slot)
{
	if (slot->data != NULL)
	{
		explicit_bzero(slot->data, (size_t) slot->token_len + slot->json_len + 1);
		pfree(slot->data);
	}
	memset(slot, 0, sizeof(CachedToken));
}

/* Empty the cache and size it to jwt_auth.cache_size. */
static void
reset(const TokenRules *rules)
{
	for (int i = 0; i < nslots; i++)
		wipe(&slots[i]);
	if (cache_context == NULL)
		cache_context = AllocSetContextCreate(jwt_auth_memory(), "jwt_auth token cache",
											  ALLOCSET_DEFAULT_SIZES);
	else
		MemoryContextReset(cache_context);
	slots = NULL;
	nslots = 0;
	if (jwt_auth_cache_size > 0)
		slots = MemoryContextAllocZero(cache_context, sizeof(CachedToken) * jwt_auth_cache_size);
	nslots = jwt_auth_cache_size;
	verified_keys = jwt_auth_keys_version();
	verified_issuers = jwt_auth_issuers_version();
	strlcpy(verified_issuer, rules->issuer, sizeof(verified_issuer));
	strlcpy(verified_audience, rules->audience, sizeof(verified_audience));
}

/* True if the cache still matches the keys and settings tokens depend on. */
static bool
current(const TokenRules *rules)
{
	return nslots == jwt_auth_cache_size &&
		verified_keys == jwt_auth_keys_version() &&
		verified_issuers == jwt_auth_issuers_version() &&
		strcmp(verified_issuer, rules->issuer) == 0 &&
		strcmp(verified_audience, rules->audience) == 0;
}

/*
 * The slot of a token.  Its last bytes are the end of its signature, which
 * differ from token to token; an attacker who makes tokens collide only
 * evicts entries, since a hit needs the whole token to be equal.
 */
static CachedToken *
slot_of(const char *token, size_t len)
{
	size_t		n = Min(len, 16);
	uint32		h = hash_bytes((const unsigned char *) token + len - n, (int) n);

	return &slots[(h ^ (uint32) len) % (uint32) nslots];
}

/*
 * If "token" was verified before, copy what it tells to "claims" and return
 * true.  The caller must still check the times.
 */
bool
jwt_auth_token_cache_lookup(const char *token, size_t len, const TokenRules *rules,
							TokenClaims *claims)
{
	CachedToken *slot;

	/*
	 * Take in the invalidations other backends have sent (cheap when there
	 * are none), so that a key retired by a committed transaction has emptied
	 * the cache before it is consulted.
	 */
	AcceptInvalidationMessages();
	if (!current(rules))
		reset(rules);
	if (nslots == 0 || len > TOKEN_CACHE_MAX_TOKEN)
		return false;
	slot = slot_of(token, len);
	if (slot->data == NULL || slot->token_len != len ||
		!equal_constant_time(slot->data, token, len))
		return false;
	memcpy(claims, slot->claims, CLAIMS_FIXED);
	claims->json_len = slot->json_len;
	memcpy(claims->json, slot->data + len, (size_t) slot->json_len + 1);
	return true;
}

/*
 * Remember a token that has just passed every check but the session's.
 * Nothing is stored if the keys or settings changed since the look-up.
 */
void
jwt_auth_token_cache_store(const char *token, size_t len, const TokenRules *rules,
						   const TokenClaims *claims)
{
	CachedToken *slot;
	char	   *data;

	if (nslots == 0 || len > TOKEN_CACHE_MAX_TOKEN || claims->json_len > TOKEN_MAX_JSON ||
		!current(rules))
		return;
	data = MemoryContextAlloc(cache_context, len + claims->json_len + 1);
	memcpy(data, token, len);
	memcpy(data + len, claims->json, claims->json_len);
	data[len + claims->json_len] = '\0';

	slot = slot_of(token, len);
	wipe(slot);
	slot->data = data;
	slot->token_len = (uint32) len;
	slot->json_len = (uint32) claims->json_len;
	memcpy(slot->claims, claims, CLAIMS_FIXED);
}
