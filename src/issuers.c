/*-------------------------------------------------------------------------
 *
 * issuers.c
 *	  The trusted issuers of auth.issuers and their keys, cached per
 *	  backend, read as the tables' owner with the latest snapshot.
 *
 * A trigger on auth.issuers and auth.issuer_keys sends a relcache
 * invalidation when a change commits; the cache is then read again at the
 * next look-up, and the token cache, which compares jwt_auth_issuers_version(),
 * forgets every token it verified before.  A key is looked up by issuer and
 * kid together: one issuer's kid never selects another's key.
 *
 * src/issuers.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/memutils.h"

#include "db.h"
#include "invalidation.h"
#include "issuers.h"
#include "jose/key_policy.h"
#include "memory.h"
#include "pg_compat.h"

static MemoryContext issuers_context = NULL;
static TrustedIssuer *issuers = NULL;
static int	nissuers = 0;
static IssuerKey *ikeys = NULL;
static int	nikeys = 0;
static bool issuers_valid = false;
static uint64 issuers_generation = 0;
static Oid	issuers_relid = InvalidOid;
static Oid	issuer_keys_relid = InvalidOid;

/* A relcache invalidation of "relid" arrived (InvalidOid: of every table). */
void
jwt_auth_issuers_invalidate(Oid relid)
{
	if (relid == InvalidOid || relid == issuers_relid || relid == issuer_keys_relid)
	{
		issuers_valid = false;
		issuers_generation++;
	}
}

/* A number that changes whenever the trusted issuers may have changed. */
uint64
jwt_auth_issuers_version(void)
{
	return issuers_generation;
}

/* Memory context callback: free the keys' OpenSSL objects. */
static void
free_issuer_keys(void *arg)
{
	IssuerKey  *k = (IssuerKey *) arg;

	for (; k->kid[0] != '\0'; k++)
	{
		EVP_PKEY_free(k->pkey);
		k->pkey = NULL;
	}
}

static DbQuery read_issuers = {
	.sql = "SELECT i.issuer, i.audience, k.kid, k.alg, k.public_key, "
	"CAST(pg_catalog.date_part('epoch', i.max_lifetime) AS pg_catalog.int8) "
	"FROM auth.issuers i JOIN auth.issuer_keys k ON k.issuer OPERATOR(pg_catalog.=) i.issuer "
	"ORDER BY i.issuer COLLATE \"C\"",
	.tables = {"issuers", "issuer_keys"},
	.expect = SPI_OK_SELECT,
	.latest = true,
};

/* A text value of a result as a string, or NULL. */
static char *
text_value(const DbResult *r, uint64 row, int col)
{
	bool		isnull;
	Datum		d = jwt_auth_db_value(r, row, col, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Read both tables into a fresh context, then swap it in. */
static void
issuers_load(void)
{
	uint64		generation = issuers_generation;
	Oid			owner;
	DbResult	r;
	MemoryContext fresh;
	MemoryContextCallback *cleanup;
	int			n;

	if (jwt_auth_db_version() == DB_VERSION_1_0)
	{
		nissuers = nikeys = 0;
		issuers_valid = true;
		return;
	}
	issuers_relid = jwt_auth_db_table("issuers", &owner);
	issuer_keys_relid = jwt_auth_db_table("issuer_keys", &owner);
	fresh = AllocSetContextCreate(CurrentMemoryContext, "jwt_auth issuers",
								  ALLOCSET_SMALL_SIZES);
	cleanup = MemoryContextAllocZero(fresh, sizeof(MemoryContextCallback));

	jwt_auth_db_read(&read_issuers, &r);
	n = (int) r.nrows;
	issuers = MemoryContextAllocZero(fresh, sizeof(TrustedIssuer) * (n + 1));
	ikeys = MemoryContextAllocZero(fresh, sizeof(IssuerKey) * (n + 1));
	cleanup->func = free_issuer_keys;
	cleanup->arg = ikeys;
	MemoryContextRegisterResetCallback(fresh, cleanup);
	nissuers = nikeys = 0;
	for (int i = 0; i < n; i++)
	{
		char	   *issuer = text_value(&r, i, 0);
		char	   *audience = text_value(&r, i, 1);
		char	   *kid = text_value(&r, i, 2);
		char	   *alg = text_value(&r, i, 3);
		char	   *pem = text_value(&r, i, 4);
		bool		isnull;
		Datum		lifetime = jwt_auth_db_value(&r, i, 5, &isnull);
		int64		max_lifetime = isnull ? 0 : DatumGetInt64(lifetime);
		IssuerKey  *k = &ikeys[nikeys];

		if (issuer == NULL || kid == NULL || alg == NULL || pem == NULL ||
			strlen(issuer) > TOKEN_MAX_NAME || strlen(kid) == 0 || strlen(kid) > TOKEN_MAX_KID ||
			(audience != NULL && strlen(audience) > TOKEN_MAX_NAME) || (!isnull && max_lifetime < 1))
			continue;
		if (nissuers == 0 || strcmp(issuers[nissuers - 1].issuer, issuer) != 0)
		{
			strlcpy(issuers[nissuers].issuer, issuer, sizeof(issuers[nissuers].issuer));
			issuers[nissuers].has_audience = audience != NULL;
			if (audience != NULL)
				strlcpy(issuers[nissuers].audience, audience, sizeof(issuers[nissuers].audience));
			issuers[nissuers].max_lifetime = max_lifetime;
			nissuers++;
		}
		k->issuer = nissuers - 1;
		strlcpy(k->kid, kid, sizeof(k->kid));
		k->alg = jwt_auth_signature_alg(alg);
		k->pkey = k->alg == SIG_UNKNOWN || k->alg == SIG_HS256 ? NULL : jwt_auth_key_policy_read_pem(pem, -1, false, k->alg);
		if (k->pkey == NULL)
		{
			ereport(LOG,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("key \"%s\" of issuer \"%s\" is left out", kid, issuer),
					 errdetail("Its public key does not parse, or does not pass the checks for %s.", alg)));
			memset(k, 0, sizeof(IssuerKey));
			continue;
		}
		nikeys++;
	}

	if (issuers_context != NULL)
		MemoryContextDelete(issuers_context);
	MemoryContextSetParent(fresh, jwt_auth_memory());
	issuers_context = fresh;
	/* A change that arrived while loading makes the next call load again. */
	issuers_valid = (generation == issuers_generation);
}

/* The trusted issuer named "issuer" (not NUL-terminated), or NULL. */
const TrustedIssuer *
jwt_auth_issuers_find(const char *issuer, size_t len, int *index)
{
	if (!issuers_valid)
		issuers_load();
	for (int i = 0; i < nissuers; i++)
	{
		if (strlen(issuers[i].issuer) == len && memcmp(issuers[i].issuer, issuer, len) == 0)
		{
			*index = i;
			return &issuers[i];
		}
	}
	return NULL;
}

/* The key "kid" of trusted issuer number "issuer", or NULL. */
const IssuerKey *
jwt_auth_issuers_key(int issuer, const char *kid)
{
	for (int i = 0; i < nikeys; i++)
		if (ikeys[i].issuer == issuer && strcmp(ikeys[i].kid, kid) == 0)
			return &ikeys[i];
	return NULL;
}

/*
 * Trigger function on auth.issuers and auth.issuer_keys: make every
 * backend read them again once this change commits.
 */
PG_FUNCTION_INFO_V1(jwt_auth_issuers_changed);
Datum
jwt_auth_issuers_changed(PG_FUNCTION_ARGS)
{
	return jwt_auth_invalidate_trigger_table(fcinfo, "auth.issuers_changed");
}
