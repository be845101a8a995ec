/*-------------------------------------------------------------------------
 *
 * callable.h
 *	  What the SQL-callable functions of jwt_auth check first: arguments
 *	  that must not be NULL, a transaction that may write; and the clock.
 *
 * src/callable.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_CALLABLE_H
#define JWT_AUTH_CALLABLE_H

#include "datatype/timestamp.h"
#include "fmgr.h"

#include "pg_compat.h"

extern void jwt_auth_require_argument(FunctionCallInfo fcinfo, int argno, const char *name);
extern void jwt_auth_require_writable(const char *function, const char *detail);
pg_noreturn extern void jwt_auth_refuse(const char *msg, const char *detail_fmt,...) pg_attribute_printf(2, 3);
pg_noreturn extern void jwt_auth_refuse_disabled(TimestampTz until);
extern int64 jwt_auth_unix_now(void);

#endif							/* JWT_AUTH_CALLABLE_H */
