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

/*
 * Every error raised while a password or a token may be among the arguments
 * uses errhidestmt(true): the server log then omits the statement text,
 * which would otherwise carry the secret when it is passed as a literal.
 */

extern void require_argument(FunctionCallInfo fcinfo, int argno, const char *name);
extern int64 unix_now(void);

#endif							/* JWT_AUTH_H */
