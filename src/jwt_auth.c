/*-------------------------------------------------------------------------
 *
 * jwt_auth.c
 *	  Entry point of the jwt_auth extension: authentication and a verified
 *	  identity for row-level security, inside PostgreSQL.
 *
 * Where things live:
 *	  guc.c          the jwt_auth.* settings of the server
 *	  config.c       per-database settings: auth.configure(), auth.configuration()
 *	  identity.c     the verified identity and auth.uid(), auth.jwt(), ...
 *	  keys.c         the keys in auth.keys, cached per backend
 *	  key_admin.c    auth.rotate_key(), auth.import_key(), auth.jwks()
 *	  tables.c       finding and reading the auth.* tables safely
 *	  token.c        JWT signing, parsing and claim checks (no server code)
 *	  json_strict.c  the strict JSON parser token.c uses (no server code)
 *	  token_cache.c  tokens this backend has verified
 *	  sessions.c     sessions and refresh tokens, and the session cache
 *	  email.c        email normalisation and validation
 *	  password.c     password rules and bcrypt hashing through pgcrypto
 *	  throttle.c     throttling of failed sign-ins, in a file every backend maps
 *	  secrets.c      keeping passwords and tokens out of errors and the log
 *	  signup.c, signin.c, verify.c, refresh.c, signout.c  the SQL functions
 *
 * src/jwt_auth.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/timestamp.h"

#include "config.h"
#include "guc.h"
#include "identity.h"
#include "jwt_auth.h"
#include "pg_compat.h"
#include "keys.h"
#include "sessions.h"
#include "secrets.h"
#include "throttle.h"

#ifdef PG_MODULE_MAGIC_EXT
PG_MODULE_MAGIC_EXT(.name = "jwt_auth", .version = "1.1");
#else
PG_MODULE_MAGIC;
#endif

void		_PG_init(void);

/*
 * One relcache callback for the library (a backend has room for ten in
 * all): the key cache, the session cache and the configuration each watch
 * their own table.
 */
static void
relcache_invalidated(Datum arg, Oid relid)
{
	keys_invalidate(relid);
	sessions_invalidate(relid);
	config_invalidate(relid);
}

void
_PG_init(void)
{
	guc_init();
	identity_init();
	throttle_init();
	secrets_init();
	CacheRegisterRelcacheCallback(relcache_invalidated, (Datum) 0);
	MarkGUCPrefixReserved("jwt_auth");
}

/*
 * Raise 25006 in a read-only transaction, and so on a hot standby, for a
 * function that writes; "detail" may be NULL.
 */
void
require_writable(const char *function, const char *detail)
{
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s in a read-only transaction", function),
				 detail ? errdetail_internal("%s", detail) : 0,
				 errhint("On a standby, call it through the primary server.")));
}

/* Raise 22004 if argument "argno" is NULL. */
void
require_argument(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

/* Seconds since the Unix epoch, now. */
int64
unix_now(void)
{
	return (int64) timestamptz_to_time_t(GetCurrentTimestamp());
}

/*
 * The body of the trigger functions that keep the caches honest: send a
 * relcache invalidation for the trigger's table, which every backend takes
 * in once the change commits (and this one at the next command).
 */
Datum
invalidate_trigger_table(FunctionCallInfo fcinfo, const char *function)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired as an AFTER trigger", function)));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
