/*-------------------------------------------------------------------------
 *
 * invalidation.h
 *	  Keeping the per-backend caches honest: the one relcache callback of
 *	  the library, and the body of the triggers that send invalidations.
 *
 * src/invalidation.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_INVALIDATION_H
#define JWT_AUTH_INVALIDATION_H

#include "fmgr.h"

typedef void (*RelcacheWatcher) (Oid relid);

extern void jwt_auth_invalidation_init(void);
extern void jwt_auth_invalidation_watch(RelcacheWatcher watcher);
extern Datum jwt_auth_invalidate_trigger_table(FunctionCallInfo fcinfo, const char *function);

#endif							/* JWT_AUTH_INVALIDATION_H */
