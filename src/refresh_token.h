/*-------------------------------------------------------------------------
 *
 * refresh_token.h
 *	  Issuing refresh tokens.
 *
 * src/refresh_token.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef JWT_AUTH_REFRESH_TOKEN_H
#define JWT_AUTH_REFRESH_TOKEN_H

#include "random.h"

#define REFRESH_TOKEN_LENGTH	RANDOM_TOKEN_LENGTH

extern char *jwt_auth_refresh_token_create(const char *session_id);

#endif							/* JWT_AUTH_REFRESH_TOKEN_H */
