/*-------------------------------------------------------------------------
 *
 * invalidation.c
 *	  Keeping the per-backend caches honest: the one relcache callback of
 *	  the library, and the body of the triggers that send invalidations.
 *
 * A backend has room for ten relcache callbacks in all, so the library
 * registers one, and the caches (keys, sessions, settings) watch their own
 * table through it.  Triggers on those tables send a relcache invalidation
 * of the table, which every backend takes in once the change commits.
 *
 * src/invalidation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/inval.h"

#include "invalidation.h"

#define MAX_WATCHERS	8

static RelcacheWatcher watchers[MAX_WATCHERS];
static int	nwatchers = 0;

static void
relcache_invalidated(Datum arg, Oid relid)
{
	for (int i = 0; i < nwatchers; i++)
		watchers[i] (relid);
}

void
jwt_auth_invalidation_init(void)
{
	CacheRegisterRelcacheCallback(relcache_invalidated, (Datum) 0);
}

/* Call "watcher" with every relcache invalidation (InvalidOid: of every table). */
void
jwt_auth_invalidation_watch(RelcacheWatcher watcher)
{
	if (nwatchers >= MAX_WATCHERS)
		elog(ERROR, "too many relcache watchers");
	watchers[nwatchers++] = watcher;
}

/*
 * The body of the trigger functions that keep the caches honest: send a
 * relcache invalidation for the trigger's table, which every backend takes
 * in once the change commits (and this one at the next command).
 */
Datum
jwt_auth_invalidate_trigger_table(FunctionCallInfo fcinfo, const char *function)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired as an AFTER trigger", function)));
	CacheInvalidateRelcache(trigdata->tg_relation);
	return PointerGetDatum(NULL);
}
