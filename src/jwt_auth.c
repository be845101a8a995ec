/*-------------------------------------------------------------------------
 *
 * jwt_auth.c
 *	  Entry point of the jwt_auth extension: authentication and a verified
 *	  identity for row-level security, inside PostgreSQL.
 *
 * Where things live:
 *	  guc.c       settings (token lifetime, issuer, audience, leeway, cost)
 *	  identity.c  the verified identity and auth.uid(), auth.jwt(), ...
 *	  keys.c      the keys in auth.keys, cached per backend
 *	  token.c     JWT signing, parsing and claim checks (no server code)
 *	  email.c     email normalisation and validation
 *	  password.c  password rules and bcrypt hashing through pgcrypto
 *	  signup.c, signin.c, verify.c  the SQL functions of those names
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
#include "keys.h"
#include "sessions.h"
#include "throttle.h"

PG_MODULE_MAGIC;

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
	CacheRegisterRelcacheCallback(relcache_invalidated, (Datum) 0);
	MarkGUCPrefixReserved("jwt_auth");
}

/*
 * Run "fn", and if it fails, fail with the same error but without the
 * STATEMENT line in the server log.  The functions whose arguments are
 * passwords or tokens go through here: log_min_error_statement would
 * otherwise copy a literal password or token into the log with any error,
 * ours or one raised beneath us (a statement timeout, a cancel).
 */
Datum
call_hiding_statement(PGFunction fn, FunctionCallInfo fcinfo)
{
	MemoryContext caller = CurrentMemoryContext;
	Datum		result = (Datum) 0;

	PG_TRY();
	{
		result = fn(fcinfo);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hide_stmt = true;
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
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
