/*-------------------------------------------------------------------------
 *
 * jwt_auth.h
 *	  Helpers shared by the SQL-callable functions.
 *
 * src/jwt_auth.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_H
#define JWT_AUTH_H

#include "fmgr.h"


extern void require_argument(FunctionCallInfo fcinfo, int argno, const char *name);
extern void require_writable(const char *function, const char *detail);
extern int64 unix_now(void);
extern Datum invalidate_trigger_table(FunctionCallInfo fcinfo, const char *function);

#endif							/* JWT_AUTH_H */
