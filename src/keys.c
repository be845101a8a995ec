/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  The signing keys in auth.keys, cached per backend.
 *
 * auth.keys is readable by its owner alone.  auth.verify() runs as the
 * caller, so the cache is filled by one query run as the table's owner, in
 * a security-restricted operation, after db.c has checked that nobody
 * else controls schema auth.  A statement trigger on auth.keys sends a
 * relcache invalidation for the table on every change; its arrival
 * (keys_invalidate) empties the cache, in this backend and in every other
 * one, when that change commits.
 *
 * src/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "callable.h"
#include "db.h"
#include "invalidation.h"
#include "jose/key_policy.h"
#include "keys.h"
#include "memory.h"
#include "pg_compat.h"

static MemoryContext keys_context = NULL;
static JwtKey *keys = NULL;
static int	nkeys = 0;
static bool keys_valid = false;
static uint64 keys_generation = 0;
static Oid	keys_relid = InvalidOid;

/*
 * A relcache invalidation of "relid" arrived (InvalidOid: of every table).
 * Only mark the cache stale here: invalidations can arrive while a caller
 * holds a key, so the memory is freed at the next load, not now.
 */
void
jwt_auth_keys_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == keys_relid)
	{
		keys_valid = false;
		keys_generation++;
	}
}

/* A number that changes whenever auth.keys may have changed. */
uint64
jwt_auth_keys_version(void)
{
	return keys_generation;
}

/* Memory context callback: wipe and free a loaded array (ends at an empty kid). */
static void
free_keys(void *arg)
{
	JwtKey	   *k = (JwtKey *) arg;

	for (; k->kid[0] != '\0'; k++)
	{
		if (k->secret != NULL)
			explicit_bzero(k->secret, k->secret_len);
		jwt_auth_hmac_key_free(k->hmac);
		k->hmac = NULL;
		EVP_PKEY_free(k->public_key);
		EVP_PKEY_free(k->private_key);
		k->public_key = k->private_key = NULL;
	}
}

/* The keys that are not retired; 1.0 has no public_key and retired_at. */
static DbQuery read_keys = {
	.sql = "SELECT kid, alg, secret, created_at, public_key FROM auth.keys WHERE retired_at IS NULL",
	.tables = {"keys"},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

static DbQuery read_keys_1_0 = {
	.sql = "SELECT kid, alg, secret, created_at, NULL::pg_catalog.text FROM auth.keys",
	.tables = {"keys"},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

/*
 * Read auth.keys into a fresh context, then swap it in.  Until the swap the
 * context hangs below the caller's, so an error frees it.
 */
static void
keys_load(void)
{
	uint64		generation = keys_generation;
	Oid			owner;
	Oid			relid = jwt_auth_db_table("keys", &owner);
	DbResult	r;
	MemoryContext fresh;
	MemoryContextCallback *cleanup;
	JwtKey	   *loaded;
	int			nloaded = 0;
	int			n;

	fresh = AllocSetContextCreate(CurrentMemoryContext, "jwt_auth keys",
								  ALLOCSET_SMALL_SIZES);
	cleanup = MemoryContextAllocZero(fresh, sizeof(MemoryContextCallback));

	jwt_auth_db_read(jwt_auth_db_version() == DB_VERSION_1_0 ? &read_keys_1_0 : &read_keys, &r);
	n = (int) r.nrows;
	loaded = MemoryContextAllocZero(fresh, sizeof(JwtKey) * (n + 1));
	/* Free the OpenSSL objects and wipe the secrets with the context. */
	cleanup->func = free_keys;
	cleanup->arg = loaded;
	MemoryContextRegisterResetCallback(fresh, cleanup);
	for (int i = 0; i < n; i++)
	{
		bool		isnull[5];
		Datum		d[5];
		text	   *kid;
		text	   *alg;
		char		alg_name[TOKEN_MAX_ALG + 1];
		bytea	   *secret;
		JwtKey	   *k = &loaded[nloaded];

		for (int c = 0; c < 5; c++)
			d[c] = jwt_auth_db_value(&r, i, c, &isnull[c]);
		if (isnull[0] || isnull[1] || isnull[2] || isnull[3])
			continue;
		kid = DatumGetTextPP(d[0]);
		alg = DatumGetTextPP(d[1]);
		secret = DatumGetByteaPP(d[2]);
		/* A key that cannot be represented is left out: it verifies nothing. */
		if (VARSIZE_ANY_EXHDR(kid) == 0 || VARSIZE_ANY_EXHDR(kid) > TOKEN_MAX_KID ||
			VARSIZE_ANY_EXHDR(alg) > TOKEN_MAX_ALG)
			continue;
		text_to_cstring_buffer(kid, k->kid, sizeof(k->kid));
		text_to_cstring_buffer(alg, alg_name, sizeof(alg_name));
		k->alg = jwt_auth_signature_alg(alg_name);
		k->created_at = DatumGetTimestampTz(d[3]);
		if (k->alg != SIG_HS256)
		{
			/*
			 * An asymmetric key whose public key does not parse verifies
			 * nothing.
			 */
			if (!isnull[4])
			{
				k->public_pem = MemoryContextStrdup(fresh, TextDatumGetCString(d[4]));
				k->public_key = jwt_auth_key_policy_read_pem(k->public_pem, -1, false, k->alg);
			}
			if (k->public_key == NULL)
			{
				ereport(LOG,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("key \"%s\" in auth.keys is left out", k->kid),
						 errdetail("Its public key does not parse, or does not pass the checks for %s.",
								   alg_name)));
				memset(k, 0, sizeof(JwtKey));
				continue;
			}
		}
		k->secret_len = VARSIZE_ANY_EXHDR(secret);
		k->secret = MemoryContextAlloc(fresh, Max(k->secret_len, 1));
		memcpy(k->secret, VARDATA_ANY(secret), k->secret_len);
		/* A secret too short to use gets no HMAC key: it verifies nothing. */
		if (k->alg == SIG_HS256 && k->secret_len >= HMAC_MIN_SECRET)
		{
			k->hmac = jwt_auth_hmac_key_new(k->secret, k->secret_len);
			if (k->hmac == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory"),
						 errdetail("Could not set up the HMAC key \"%s\".", k->kid)));
		}
		nloaded++;
	}

	if (keys_context != NULL)
		MemoryContextDelete(keys_context);
	MemoryContextSetParent(fresh, jwt_auth_memory());
	keys_context = fresh;
	keys = loaded;
	nkeys = nloaded;
	keys_relid = relid;
	/* A change that arrived while loading makes the next call load again. */
	keys_valid = (generation == keys_generation);
}

/*
 * Take in the invalidations other backends have sent since the last look
 * (cheap when there are none), so a key removed by a committed transaction
 * stops verifying at once, even inside a long transaction of this backend.
 */
static void
keys_ensure(void)
{
	AcceptInvalidationMessages();
	if (!keys_valid)
		keys_load();
}

const JwtKey *
jwt_auth_keys_find(const char *kid)
{
	keys_ensure();
	for (int i = 0; i < nkeys; i++)
	{
		if (strcmp(keys[i].kid, kid) == 0)
			return &keys[i];
	}
	return NULL;
}

/* Every cached key; the array stays valid until the next lookup. */
int
jwt_auth_keys_all(const JwtKey **all)
{
	keys_ensure();
	*all = keys;
	return nkeys;
}

/* The private key of an ES256, RS256 or EdDSA key, parsed on first use. */
EVP_PKEY *
jwt_auth_keys_private_key(const JwtKey *key)
{
	JwtKey	   *k = (JwtKey *) key;

	if (k->private_key == NULL && k->alg != SIG_HS256)
		k->private_key = jwt_auth_key_policy_read_pem(k->secret, (int) k->secret_len, true, k->alg);
	return k->private_key;
}

/* The newest key (ties broken by kid) signs. */
const JwtKey *
jwt_auth_keys_signing_key(void)
{
	const JwtKey *best = NULL;

	keys_ensure();
	for (int i = 0; i < nkeys; i++)
	{
		if (best == NULL || keys[i].created_at > best->created_at ||
			(keys[i].created_at == best->created_at && strcmp(keys[i].kid, best->kid) > 0))
			best = &keys[i];
	}
	return best;
}

/*
 * Trigger function on auth.keys: make every backend drop its cached keys
 * once this change commits (and this one at the next command).
 */
PG_FUNCTION_INFO_V1(jwt_auth_keys_changed);
Datum
jwt_auth_keys_changed(PG_FUNCTION_ARGS)
{
	return jwt_auth_invalidate_trigger_table(fcinfo, "auth.keys_changed");
}
