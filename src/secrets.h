/*-------------------------------------------------------------------------
 *
 * secrets.h
 *	  Keeping passwords and tokens out of error messages and the server log.
 *
 * src/secrets.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_SECRETS_H
#define JWT_AUTH_SECRETS_H

#include "fmgr.h"

extern void jwt_auth_secrets_init(void);
extern Datum jwt_auth_call_hiding_statement(PGFunction fn, FunctionCallInfo fcinfo);

#endif							/* JWT_AUTH_SECRETS_H */
