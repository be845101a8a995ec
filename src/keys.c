/*-------------------------------------------------------------------------
 *
 * keys.c
 *	  The signing keys in auth.keys, cached per backend.
 *
 * auth.keys is readable by its owner alone.  auth.verify() runs as the
 * caller, so the cache is filled by one query run as the table's owner, in
 * a security-restricted operation, after tables.c has checked that nobody
 * else controls schema auth.  A statement trigger on auth.keys sends a
 * relcache invalidation for the table on every change; the callback
 * registered here empties the cache, in this backend and in every other one,
 * when that change commits.
 *
 * src/keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "keys.h"
#include "tables.h"

static MemoryContext keys_context = NULL;
static JwtKey *keys = NULL;
static int	nkeys = 0;
static bool keys_valid = false;
static uint64 keys_generation = 0;
static Oid	keys_relid = InvalidOid;

/*
 * Only mark the cache stale here: invalidations can arrive while a caller
 * holds a key, so the memory is freed at the next load, not now.
 */
static void
keys_relcache_callback(Datum arg, Oid relid)
{
	if (relid == InvalidOid || relid == keys_relid)
	{
		keys_valid = false;
		keys_generation++;
	}
}

void
keys_init(void)
{
	CacheRegisterRelcacheCallback(keys_relcache_callback, (Datum) 0);
}

/*
 * Read auth.keys into a fresh context, then swap it in.  Until the swap the
 * context hangs below the caller's, so an error frees it.
 */
static void
keys_load(void)
{
	uint64		generation = keys_generation;
	Oid			owner;
	Oid			relid = auth_table("keys", &owner);
	SPIPlanPtr	plan;
	MemoryContext fresh;
	JwtKey	   *loaded;
	int			nloaded = 0;
	Oid			save_userid;
	int			save_sec_context;
	int			n;

	fresh = AllocSetContextCreate(CurrentMemoryContext, "jwt_auth keys",
								  ALLOCSET_SMALL_SIZES);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner,
						   save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * Read the latest committed state, not the caller's snapshot: under
	 * REPEATABLE READ a deleted key would otherwise be read back into a cache
	 * that outlives the transaction.
	 */
	plan = SPI_prepare("SELECT kid, alg, secret, created_at FROM auth.keys", 0, NULL);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read auth.keys");

	n = (int) SPI_processed;
	loaded = MemoryContextAllocZero(fresh, sizeof(JwtKey) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull[4];
		Datum		d[4];
		text	   *kid;
		text	   *alg;
		bytea	   *secret;
		JwtKey	   *k = &loaded[nloaded];

		for (int c = 0; c < 4; c++)
			d[c] = SPI_getbinval(tup, desc, c + 1, &isnull[c]);
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
		text_to_cstring_buffer(alg, k->alg, sizeof(k->alg));
		k->secret_len = VARSIZE_ANY_EXHDR(secret);
		k->secret = MemoryContextAlloc(fresh, Max(k->secret_len, 1));
		memcpy(k->secret, VARDATA_ANY(secret), k->secret_len);
		k->created_at = DatumGetTimestampTz(d[3]);
		nloaded++;
	}

	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec_context);

	if (keys_context != NULL)
	{
		for (int i = 0; i < nkeys; i++)
			explicit_bzero(keys[i].secret, keys[i].secret_len);
		MemoryContextDelete(keys_context);
	}
	MemoryContextSetParent(fresh, TopMemoryContext);
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
keys_find(const char *kid)
{
	keys_ensure();
	for (int i = 0; i < nkeys; i++)
	{
		if (strcmp(keys[i].kid, kid) == 0)
			return &keys[i];
	}
	return NULL;
}

/* The newest key (ties broken by kid) signs. */
const JwtKey *
keys_signing_key(void)
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
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired as a trigger",
						"auth.keys_changed")));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
