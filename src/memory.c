/*-------------------------------------------------------------------------
 *
 * memory.c
 *	  The memory context every per-backend cache of jwt_auth lives under.
 *
 * Each cache (keys, settings, verified tokens, sessions, the identity's
 * claims) has a context of its own named after it, a child of one
 * "jwt_auth" context, so that pg_backend_memory_contexts and
 * pg_log_backend_memory_contexts() show what the extension holds, in one
 * place.  The parent is made on first use: a backend that never calls the
 * extension holds nothing.
 *
 * src/memory.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "memory.h"

static MemoryContext parent = NULL;

/* The "jwt_auth" context, a child of TopMemoryContext. */
MemoryContext
jwt_auth_memory(void)
{
	if (parent == NULL)
		parent = AllocSetContextCreate(TopMemoryContext, "jwt_auth",
									   ALLOCSET_SMALL_SIZES);
	return parent;
}
