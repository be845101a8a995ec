/*-------------------------------------------------------------------------
 *
 * memory.h
 *	  The memory context every per-backend cache of jwt_auth lives under.
 *
 * src/memory.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_MEMORY_H
#define JWT_AUTH_MEMORY_H

#include "utils/palloc.h"

extern MemoryContext jwt_auth_memory(void);

#endif							/* JWT_AUTH_MEMORY_H */
